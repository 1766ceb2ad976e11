//! What every request is served from: the clusters, the vendor's `meta`, the limits the
//! surfaces apply and who may use the control API.

use std::sync::Arc;
use std::time::Duration;

use super::reply::Meta;
use crate::store::Store;

/// The state the router is built with; handlers read it with axum's `State` extractor. It is
/// cloned for every request, so it is a handle: one shared allocation, a clone one counter.
#[derive(Debug, Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

impl AppState {
    /// A handle on `shared`.
    pub fn new_shared(shared: Shared) -> Self {
        Self {
            shared: Arc::new(shared),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

/// What an [`AppState`] shares.
#[derive(Debug)]
pub struct Shared {
    /// Every cluster's state.
    pub store: Arc<Store>,
    /// The `meta` of every vendor answer.
    pub meta: Meta,
    /// How long a request body may take to arrive.
    pub body_timeout: Duration,
    /// How large a control API request body may be (`--control-body-limit`).
    pub control_body_limit: super::read::BodyLimit,
    /// Who may use the control API.
    pub control: ControlAccess,
    /// The OpenAPI document, made when first asked for (once a process).
    pub openapi: fn() -> bytes::Bytes,
    /// The one access token the Graph surface takes (`--graph-token`); any non-empty one when
    /// `None`.
    pub graph_token: Option<Arc<str>>,
    /// The app secret a Graph call's `appsecret_proof` is checked with (`--app-secret`).
    pub app_secret: Option<Arc<str>>,
    /// Whether a Graph call must send `appsecret_proof` (`--require-appsecret-proof`).
    pub require_appsecret_proof: bool,
    /// The Graph version a Graph path without one is served as (`--graph-version`).
    pub graph_version: Arc<str>,
    /// What was served, for `GET /_emulator/metrics`.
    pub metrics: super::metrics::Metrics,
    /// The routes of the table by name, for near misses.
    pub routes: super::near::RouteNames,
    /// How long a webhook verification request may take (`--webhook-timeout`).
    pub webhook_timeout: Duration,
}

/// Who may use `/_emulator` (its health probe is always open).
#[derive(Debug, Clone)]
pub struct ControlAccess {
    /// Whether the control routes exist at all.
    pub enabled: bool,
    /// The Bearer token they require, if any.
    pub token: Option<Arc<str>>,
}
