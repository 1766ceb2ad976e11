//! `/_emulator`: what tests use to see and steer the emulator. None of it exists on the real API.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::extract::{Cluster, ControlJson};
use super::{AppState, ControlAccess};
use crate::cert::{self, LocalizedName};
use crate::clock::{rfc3339, unix_seconds};
use crate::error::{ApiError, Scheme};
use crate::phone::Method;
use crate::policy::{PolicyKind, scripted};
use crate::request::Fields;
use crate::store::{CodeFilter, SentCode};

/// Longest `wait` for `codes/latest`, in seconds.
pub const MAX_WAIT_SECONDS: f64 = 300.0;

/// A code in the outbox, as the control API shows it.
#[derive(Debug, Serialize)]
pub struct CodeItem {
    cluster: String,
    cc: Arc<str>,
    phone_number: Arc<str>,
    method: Method,
    code: Arc<str>,
    vname: Arc<str>,
    sent_at: String,
    expires_at: String,
}

impl CodeItem {
    fn new(cluster: &str, sent: SentCode) -> Self {
        Self {
            cluster: cluster.to_owned(),
            cc: sent.number.cc,
            phone_number: sent.number.phone_number,
            method: sent.method,
            code: sent.code,
            vname: sent.vname,
            sent_at: rfc3339(sent.sent_at),
            expires_at: rfc3339(sent.expires_at),
        }
    }
}

/// Filters of the outbox queries.
#[derive(Debug, Default, Deserialize)]
pub struct CodesQuery {
    cc: Option<String>,
    phone_number: Option<String>,
    method: Option<String>,
    wait: Option<String>,
}

fn query(result: Result<Query<CodesQuery>, QueryRejection>) -> Result<CodesQuery, ApiError> {
    result
        .map(|Query(q)| q)
        .map_err(|e| ApiError::InvalidRequest {
            rule: "query",
            message: format!("The query string is not valid: {e}"),
        })
}

impl CodesQuery {
    fn method(&self) -> Result<Option<Method>, ApiError> {
        self.method
            .as_deref()
            .map(|m| {
                Method::parse(m).ok_or_else(|| {
                    ApiError::invalid("method", "unknown", "Query 'method' must be sms or voice")
                })
            })
            .transpose()
    }

    fn wait(&self) -> Result<Duration, ApiError> {
        let Some(text) = self.wait.as_deref() else {
            return Ok(Duration::ZERO);
        };
        match text.parse::<f64>() {
            Ok(secs) if (0.0..=MAX_WAIT_SECONDS).contains(&secs) => {
                Ok(Duration::from_secs_f64(secs))
            }
            _ => Err(ApiError::invalid(
                "wait",
                "range",
                format!("Query 'wait' must be a number of seconds from 0 to {MAX_WAIT_SECONDS}"),
            )),
        }
    }
}

/// `GET /_emulator/clusters/{cluster}/codes`: the outbox, oldest first.
pub async fn list_codes(
    Cluster(cluster): Cluster,
    q: Result<Query<CodesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = query(q)?;
    let codes: Vec<CodeItem> = cluster
        .codes(q.cc.as_deref(), q.phone_number.as_deref(), q.method()?)
        .into_iter()
        .map(|s| CodeItem::new(cluster.name(), s))
        .collect();
    Ok(Json(json!({ "codes": codes })))
}

/// `GET /_emulator/clusters/{cluster}/codes/latest`: the newest matching code; with `wait`,
/// held until one arrives (woken by the arrival, not by polling) or the time is up (404).
pub async fn latest_code(
    State(state): State<AppState>,
    Cluster(cluster): Cluster,
    q: Result<Query<CodesQuery>, QueryRejection>,
) -> Result<Json<CodeItem>, ApiError> {
    let q = query(q)?;
    let method = q.method()?;
    let deadline = Instant::now() + q.wait()?;
    let name = cluster.name().to_owned();
    drop(cluster);
    let filter = CodeFilter {
        cc: q.cc.as_deref(),
        phone_number: q.phone_number.as_deref(),
        method,
    };
    match state.store.wait_for_code(&name, filter, deadline).await {
        Some(sent) => Ok(Json(CodeItem::new(&name, sent))),
        None => Err(ApiError::NotFound {
            rule: "code",
            message: "No code matching the filters has been sent".into(),
        }),
    }
}

/// `DELETE /_emulator/clusters/{cluster}/codes`: empties the outbox.
pub async fn clear_codes(Cluster(cluster): Cluster) -> Result<Json<Value>, ApiError> {
    cluster.clear_codes().await?;
    Ok(Json(json!({ "codes": [] })))
}

#[derive(Deserialize)]
struct LocalizedIn {
    lg: String,
    lc: String,
    verified_name: String,
}

/// `POST /_emulator/certs {"vname", "localized_names"}`: a certificate for `POST /v1/account`.
pub async fn make_cert(
    State(state): State<AppState>,
    ControlJson(body): ControlJson,
) -> Result<Json<Value>, ApiError> {
    let fields = Fields::new(&body, &["vname", "localized_names"])?;
    fields.require(&["vname"])?;
    let vname = fields.str("vname")?;
    if vname.trim().is_empty() {
        return Err(ApiError::invalid(
            "vname",
            "empty",
            "Parameter 'vname' must not be empty",
        ));
    }
    let localized: Vec<LocalizedIn> = match body.get("localized_names") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            ApiError::invalid(
                "localized_names",
                "format",
                format!(
                    "Parameter 'localized_names' must be a list of {{\"lg\", \"lc\", \"verified_name\"}} strings: {e}"
                ),
            )
        })?,
    };
    let names: Vec<LocalizedName> = localized
        .into_iter()
        .map(|l| LocalizedName {
            lg: Some(l.lg),
            lc: Some(l.lc),
            verified_name: Some(l.verified_name),
        })
        .collect();
    let now = unix_seconds(state.store.settings().clock.now());
    Ok(Json(json!({ "cert": cert::make(vname, &names, now) })))
}

/// `GET /_emulator/clusters/{cluster}/policy`: its name, and its rules when scripted.
pub async fn get_policy(Cluster(cluster): Cluster) -> Json<Value> {
    let policy = cluster.with(|c| c.policy.clone());
    let mut body = json!({ "cluster": cluster.name(), "policy": policy.name() });
    if let Some(rules) = policy.rules() {
        body["rules"] = json!(rules);
    }
    Json(body)
}

/// `PUT /_emulator/clusters/{cluster}/policy {"policy": "classic" | "sunset" | "scripted",
/// "rules": [...]}`. Without `rules`, `scripted` reuses the rules the emulator started with.
pub async fn put_policy(
    State(state): State<AppState>,
    Cluster(cluster): Cluster,
    ControlJson(body): ControlJson,
) -> Result<Json<Value>, ApiError> {
    let fields = Fields::new(&body, &["policy", "rules"])?;
    fields.require(&["policy"])?;
    let text = fields.str("policy")?;
    let kind: PolicyKind = serde_json::from_value(Value::String(text.to_ascii_lowercase()))
        .map_err(|_| {
            ApiError::invalid(
                "policy",
                "unknown",
                format!("Parameter 'policy' must be \"classic\", \"sunset\" or \"scripted\" (got {text:?})"),
            )
        })?;
    let settings = state.store.settings();
    let rules = match body.get("rules").filter(|v| !v.is_null()) {
        Some(_) if kind != PolicyKind::Scripted => {
            return Err(ApiError::UnexpectedParameter {
                field: "rules".into(),
            });
        }
        Some(value) => Some(scripted::parse_json(value).map_err(|e| {
            ApiError::invalid(
                "rules",
                "format",
                format!("Parameter 'rules' is not valid: {e}"),
            )
        })?),
        None => None,
    };
    let policy = match (kind, rules) {
        (PolicyKind::Scripted, None) if settings.default_policy.name() == "scripted" => {
            settings.default_policy.clone()
        }
        (PolicyKind::Scripted, None) => {
            return Err(ApiError::MissingParameter {
                field: "rules",
                hint: Some("the scripted policy needs a list of rules"),
            });
        }
        (kind, rules) => kind
            .build(settings.rules, rules)
            .map_err(ApiError::Internal)?,
    };
    cluster.set_policy(policy.clone()).await?;
    let mut answer = json!({ "cluster": cluster.name(), "policy": policy.name() });
    if let Some(rules) = policy.rules() {
        answer["rules"] = json!(rules);
    }
    Ok(Json(answer))
}

/// `POST /_emulator/clusters/{cluster}/reset`: the cluster as new.
pub async fn reset_cluster(
    State(state): State<AppState>,
    Cluster(cluster): Cluster,
) -> Result<Json<Value>, ApiError> {
    state.store.reset(cluster.name()).await?;
    Ok(Json(json!({ "reset": [cluster.name()] })))
}

/// `POST /_emulator/reset`: every cluster as new.
pub async fn reset_all(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let names = state.store.names();
    state.store.reset_all().await?;
    Ok(Json(json!({ "reset": names })))
}

/// Middleware: with a control token configured, every guarded route requires it.
pub async fn require_token(
    State(access): State<ControlAccess>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(expected) = &access.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return ApiError::Unauthenticated {
                rule: "control_token",
                message: "The control API needs Authorization: Bearer <the --control-token>",
                scheme: Scheme::Bearer,
            }
            .into_response();
        }
    }
    next.run(request).await
}

/// `GET /_emulator/clusters`: the clusters that exist.
pub async fn list_clusters(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "clusters": state.store.names() }))
}
