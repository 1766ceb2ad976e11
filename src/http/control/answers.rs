//! What the control API answers, as types: each route's answer is one of these structs,
//! serialized as it is, and each has a JSON schema that the OpenAPI document publishes (so
//! schemathesis checks every answer against it, and the Python, npm and Rust clients read the
//! same shapes).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::faults::ArmedFault;
use crate::domain::model::SentView;
use crate::domain::policy::scripted::RuleSpec;
use crate::store::cloud::PhoneView;
use crate::store::deployment::RegistrationView;

/// `GET /`: what this server is and where to go from here.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FrontDoor {
    pub name: &'static str,
    pub version: &'static str,
    pub about: &'static str,
    pub vendor_api: &'static str,
    pub control_api: &'static str,
    pub openapi: &'static str,
    pub health: &'static str,
    pub console: &'static str,
    pub docs: &'static str,
}

/// `GET /_emulator`: where the control API's parts are.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ControlIndex {
    pub name: &'static str,
    pub version: &'static str,
    /// Whether the control API needs a token, and how to send it.
    pub token: &'static str,
    pub console: &'static str,
    pub openapi: &'static str,
    pub events: &'static str,
    pub health: &'static str,
    pub clusters: &'static str,
    /// The routes of one cluster.
    pub cluster: ClusterLinks,
    pub cluster_count: usize,
    pub max_clusters: usize,
    pub cluster_idle_ttl_seconds: Option<f64>,
    pub certs: &'static str,
    pub reset_all: &'static str,
}

/// The routes of one cluster, as the control index lists them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClusterLinks {
    pub codes: &'static str,
    pub latest_code: &'static str,
    pub policy: &'static str,
    pub faults: &'static str,
    pub clock: &'static str,
    pub requests: &'static str,
    pub topology: &'static str,
    pub reset: &'static str,
    pub delete: &'static str,
}

/// `GET /_emulator/health`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    pub version: &'static str,
    /// Clusters that exist.
    pub clusters: usize,
    /// How many may (`--max-clusters`).
    pub max_clusters: usize,
    /// Log lines stderr did not take in time.
    pub dropped_log_lines: u64,
}

/// `POST /_emulator/certs`: a certificate for `POST /v1/account`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Cert {
    /// Base64 of the certificate's protobuf.
    pub cert: String,
}

/// `POST /_emulator/reset` and `POST /_emulator/clusters/{cluster}/reset`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Reset {
    /// The clusters made fresh.
    pub reset: Vec<String>,
}

/// `DELETE /_emulator/clusters/{cluster}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    /// The cluster removed.
    pub deleted: [String; 1],
}

/// `GET /_emulator/clusters`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Clusters {
    pub count: usize,
    /// Their names.
    pub clusters: Vec<String>,
    pub max_clusters: usize,
    /// After how long without a request a cluster is removed, if ever.
    pub cluster_idle_ttl_seconds: Option<f64>,
}

/// `GET` and `DELETE /_emulator/clusters/{cluster}/codes`: the outbox, oldest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Codes<'a> {
    pub codes: Vec<SentView<'a>>,
}

/// `GET` and `PUT /_emulator/clusters/{cluster}/policy`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Policy<'a> {
    pub cluster: &'a str,
    /// `classic`, `sunset` or `scripted`.
    pub policy: &'a str,
    /// The scripted policy's rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<RuleSpec>>,
}

/// `POST /_emulator/clusters/{cluster}/graph/tokens`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GraphToken {
    pub token: String,
    /// RFC 3339, on the cluster's clock.
    pub expires_at: String,
    pub expires_in_seconds: f64,
}

/// `GET /_emulator/clusters/{cluster}/cloud`: the cluster's WhatsApp Business Account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Cloud<'a> {
    pub cluster: &'a str,
    pub waba_id: &'a str,
    pub phone_numbers: Vec<PhoneView>,
}

/// The faults of a cluster, armed and spent.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Faults {
    pub faults: Vec<ArmedFault>,
}

/// `GET` and `POST /_emulator/clusters/{cluster}/clock`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Clock<'a> {
    pub cluster: &'a str,
    /// RFC 3339.
    pub now: String,
    /// How far the cluster's clock is ahead of the emulator's.
    pub offset_seconds: f64,
}

/// One journaled request: the schema of the journal's entries, which the store writes itself.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JournaledRequest {
    /// RFC 3339, on the cluster's clock.
    pub time: String,
    pub method: String,
    /// The vendor or Graph path, without `/clusters/{cluster}`.
    pub path: String,
    /// 0 when a fault dropped the connection.
    pub status: u16,
    /// The rule that decided the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The body as JSON, secrets redacted (a string when cut short).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_truncated: Option<bool>,
    /// On `requests/unmatched`: the route it most likely meant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_miss: Option<Option<String>>,
}

/// `GET /_emulator/clusters/{cluster}/requests` and `…/requests/unmatched`; `DELETE` answers
/// it empty.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(bound = "")]
pub struct Requests<T> {
    #[schemars(with = "Vec<JournaledRequest>")]
    pub requests: Vec<T>,
}

/// `GET /_emulator/clusters/{cluster}/requests/count`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Count {
    pub count: usize,
    /// With `at_least`: whether that many matched in time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached: Option<bool>,
}

/// `GET /_emulator/clusters/{cluster}/topology` and the routes that change it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Topology<'a> {
    pub cluster: &'a str,
    #[serde(flatten)]
    pub registration: RegistrationView,
    /// The deployment's `gateway_status`.
    pub gateway_status: &'static str,
    pub coreapps: u16,
    pub shards: u8,
    pub failover_delay_seconds: f64,
    pub nodes: Vec<Node>,
}

/// One node of a deployment.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Node {
    pub hostname: String,
    /// Its key in `/v1/health`.
    pub key: String,
    pub role: &'static str,
    pub running: bool,
    pub gateway_status: &'static str,
    pub shards: Vec<u8>,
}

/// `POST /_emulator/clusters/{cluster}/restart`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Restart<'a> {
    pub cluster: &'a str,
    /// RFC 3339, on the cluster's clock.
    pub restarting_until: String,
}

/// `GET` and `PUT /_emulator/clusters/{cluster}/state`: everything a cluster holds, the schema
/// of what `store::snapshot::StateDocument` serializes. Its parts' own shapes are the emulator's
/// storage format (`version` says which); the schema names them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StateDocument {
    pub version: u32,
    pub cluster: Option<String>,
    pub users: Map<String, Value>,
    pub tokens: Vec<Map<String, Value>>,
    pub registration: Map<String, Value>,
    pub sends: Vec<Map<String, Value>>,
    pub outbox: Vec<Map<String, Value>>,
    pub meta: Map<String, Value>,
    pub topology: Map<String, Value>,
    pub faults: Vec<Map<String, Value>>,
    pub cloud: Map<String, Value>,
}

/// `DELETE …/webhooks`: whether there was an app webhook.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WebhooksDeleted {
    pub deleted: bool,
}

/// `GET …/webhooks/deliveries`: the deliveries, oldest first; with `at_least`, whether that
/// many matched in time.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deliveries {
    pub deliveries: Vec<crate::store::webhooks::DeliveryView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached: Option<bool>,
}

/// `POST …/webhooks/events`: the delivery made (`null` when the cluster has no webhooks).
#[derive(Debug, Serialize, JsonSchema)]
pub struct EventSent {
    pub delivery: Option<crate::store::webhooks::DeliveryView>,
}
