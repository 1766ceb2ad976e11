//! The control API's view of clusters: liveness, the outbox, certificates, policies and resets.

use std::time::Duration;

use axum::extract::State;
use serde::Deserialize;

use tokio::time::Instant;

use super::answers;
use crate::domain::Error;
use crate::domain::cert::{self, LocalizedName};
use crate::domain::clock::unix_seconds;
use crate::domain::phone::Method;
use crate::domain::policy::{PolicyKind, scripted};
use crate::domain::request::Fields;
use crate::http::common::AppState;
use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{ClusterName, InCluster, JsonBody, Query};
use crate::store::CodeFilter;

/// Longest `wait` for `codes/latest`, in seconds.
pub const MAX_WAIT_SECONDS: f64 = 300.0;

/// Filters of the outbox queries.
#[derive(Debug, Default, Deserialize)]
pub struct CodesQuery {
    cc: Option<String>,
    phone_number: Option<String>,
    method: Option<String>,
    wait: Option<String>,
}

impl CodesQuery {
    fn filter(&self) -> Result<CodeFilter<'_>, Error> {
        let method = self
            .method
            .as_deref()
            .map(|m| {
                Method::parse(m).ok_or_else(|| {
                    Error::invalid("method", "unknown", "Query 'method' must be sms or voice")
                })
            })
            .transpose()?;
        Ok(CodeFilter {
            cc: self.cc.as_deref(),
            phone_number: self.phone_number.as_deref(),
            method,
        })
    }

    /// The filters as the query gave them, for a message; a `+` that arrived as a space is
    /// pointed out.
    fn described(&self) -> Option<String> {
        let given: Vec<String> = [
            ("cc", &self.cc),
            ("phone_number", &self.phone_number),
            ("method", &self.method),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some(format!("{name}={:?}", value.as_deref()?)))
        .collect();
        if given.is_empty() {
            return None;
        }
        let mut text = given.join(", ");
        let spaced = [&self.cc, &self.phone_number]
            .into_iter()
            .flatten()
            .any(|v| v.contains(' '));
        if spaced {
            text.push_str(
                " (a '+' in a URL query arrives as a space: write the digits alone, as cc=1)",
            );
        }
        Some(text)
    }

    fn wait(&self) -> Result<Duration, Error> {
        let Some(text) = self.wait.as_deref() else {
            return Ok(Duration::ZERO);
        };
        match text.parse::<f64>() {
            Ok(secs) if (0.0..=MAX_WAIT_SECONDS).contains(&secs) => {
                Ok(Duration::from_secs_f64(secs))
            }
            _ => Err(Error::invalid(
                "wait",
                "range",
                format!("Query 'wait' must be a number of seconds from 0 to {MAX_WAIT_SECONDS}"),
            )),
        }
    }
}

/// `GET /_emulator/clusters/{cluster}/codes`: the outbox, oldest first.
pub async fn list_codes(
    InCluster(cluster): InCluster,
    Query(q): Query<CodesQuery>,
) -> Result<Reply, ApiError> {
    let name = cluster.name();
    let sent = cluster.codes(q.filter()?);
    let codes = sent.iter().map(|s| s.shown(name)).collect();
    Ok(Reply::control(&answers::Codes { codes }))
}

/// `GET /_emulator/clusters/{cluster}/codes/latest`: the newest matching code; with `wait`,
/// held until one arrives (woken by the arrival, not by polling) or the time is up (404).
pub async fn latest_code(
    State(state): State<AppState>,
    ClusterName(name): ClusterName,
    Query(q): Query<CodesQuery>,
) -> Result<Reply, ApiError> {
    let filter = q.filter()?;
    let deadline = Instant::now() + q.wait()?;
    // A wait may begin before the client under test made its cluster.
    let cluster = state.store.existing(&name, deadline).await?;
    let name = cluster.name();
    match state.store.wait_for_code(name, filter, deadline).await {
        Some(sent) => Ok(Reply::control(&sent.shown(name))),
        None => {
            let message = match q.described() {
                Some(filters) => format!("No code matching {filters} has been sent"),
                None => format!("No code has been sent in cluster {name}"),
            };
            Err(Error::not_found("code", message).into())
        }
    }
}

/// `DELETE /_emulator/clusters/{cluster}/codes`: empties the outbox.
pub async fn clear_codes(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    cluster.clear_codes().await?;
    Ok(Reply::control(&answers::Codes { codes: vec![] }))
}

#[derive(Deserialize)]
struct LocalizedIn {
    lg: String,
    lc: String,
    verified_name: String,
}

/// `POST /_emulator/certs {"vname", "localized_names"}`: a certificate for `POST /v1/account`.
pub async fn make_cert(State(state): State<AppState>, body: JsonBody) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["vname", "localized_names"])?;
    fields.require(&["vname"])?;
    let vname = fields.str("vname")?;
    if vname.trim().is_empty() {
        return Err(Error::invalid("vname", "empty", "Parameter 'vname' must not be empty").into());
    }
    let localized: Vec<LocalizedIn> = match fields.get("localized_names") {
        None => Vec::new(),
        Some(value) => serde_json::from_value(value.to_json()).map_err(|e| {
            Error::invalid(
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
    Ok(Reply::control(&answers::Cert {
        cert: cert::make(vname, &names, now),
    }))
}

fn policy_body<'a>(
    cluster: &'a str,
    policy: &'a dyn crate::domain::policy::RegistrationPolicy,
) -> answers::Policy<'a> {
    answers::Policy {
        cluster,
        policy: policy.name(),
        rules: policy.rules(),
    }
}

/// `GET /_emulator/clusters/{cluster}/cloud`: the WhatsApp Business Account of the Cloud API,
/// with every phone number (the On-Premises one included) and its pending code.
pub async fn get_cloud(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    Ok(Reply::control(&answers::Cloud {
        cluster: cluster.name(),
        waba_id: &cluster.waba_id(),
        phone_numbers: cluster.phone_numbers(true),
    }))
}

/// `POST /_emulator/clusters/{cluster}/graph/tokens {"token"?, "expires_in_seconds"}`: an access
/// token of the cluster's Graph surface that expires on the cluster's clock, then is answered
/// 190 / 463 "Session has expired" (a token is made when none is given).
pub async fn make_graph_token(
    InCluster(cluster): InCluster,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    const TEN_YEARS: u32 = 10 * 365 * 86_400;
    let fields = Fields::new(body.object(), &["token", "expires_in_seconds"])?;
    fields.require(&["expires_in_seconds"])?;
    let lifetime = fields
        .opt_seconds("expires_in_seconds", TEN_YEARS)?
        .unwrap_or_default();
    let token = match fields.opt_str("token")? {
        Some(token) if token.trim().is_empty() || token.len() > 512 => {
            return Err(Error::invalid(
                "token",
                "format",
                "Parameter 'token' must be 1 to 512 characters (or left out: one is made)",
            )
            .into());
        }
        Some(token) => token.to_owned(),
        None => {
            use rand::Rng;
            let tail: String = rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(40)
                .map(char::from)
                .collect();
            format!("EAAG{tail}")
        }
    };
    let expires_at = cluster.make_graph_token(token.clone(), lifetime).await?;
    Ok(Reply::control(&answers::GraphToken {
        token,
        expires_at: crate::domain::clock::rfc3339(expires_at),
        expires_in_seconds: lifetime.as_secs_f64(),
    }))
}

/// `GET /_emulator/clusters/{cluster}/state`: everything the cluster holds, as one document.
pub async fn get_state(InCluster(cluster): InCluster) -> Reply {
    Reply::control(&cluster.snapshot())
}

/// `PUT /_emulator/clusters/{cluster}/state`: makes the cluster exactly the document (as `GET`
/// answered it, of this cluster or another, of this emulator or another of the same format).
pub async fn put_state(
    State(state): State<AppState>,
    ClusterName(name): ClusterName,
    crate::http::common::extract::RawBody(raw): crate::http::common::extract::RawBody,
) -> Result<Reply, ApiError> {
    let document: crate::store::snapshot::StateDocument = serde_json::from_slice(&raw)
        .map_err(|e| {
            Error::invalid(
                "state",
                "document",
                format!(
                    "The body is not a state document as GET /_emulator/clusters/{{cluster}}/state answers one: {e}"
                ),
            )
        })?;
    // Checked before the cluster is made: a document that cannot be used makes nothing.
    let cluster = state.store.restore(&name, document).await?;
    Ok(Reply::control(&cluster.snapshot()))
}

/// `GET /_emulator/clusters/{cluster}/policy`: its name, and its rules when scripted.
pub async fn get_policy(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    let policy = cluster.policy();
    Ok(Reply::control(&policy_body(cluster.name(), &*policy)))
}

/// `PUT /_emulator/clusters/{cluster}/policy {"policy": "classic" | "sunset" | "scripted",
/// "rules": [...]}`. Without `rules`, `scripted` reuses the rules the emulator started with.
pub async fn put_policy(
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["policy", "rules"])?;
    fields.require(&["policy"])?;
    let text = fields.str("policy")?;
    let kind: PolicyKind = text.parse().map_err(|_| {
        Error::invalid(
            "policy",
            "unknown",
            format!(
                "Parameter 'policy' must be \"classic\", \"sunset\" or \"scripted\" (got {text:?})"
            ),
        )
    })?;
    let settings = state.store.settings();
    let rules = match fields.get("rules") {
        Some(_) if kind != PolicyKind::Scripted => {
            return Err(Error::Unexpected {
                field: "rules".into(),
            }
            .into());
        }
        // A list of rule objects, or the text of a rules file (TOML, as --rules takes).
        Some(value) => {
            let parsed = match value.as_str() {
                Some(toml) => scripted::parse_toml(toml),
                None => scripted::parse_json(&value.to_json()),
            };
            Some(parsed.map_err(|e| {
                Error::invalid(
                    "rules",
                    "format",
                    format!("Parameter 'rules' is not valid: {e}"),
                )
            })?)
        }
        None => None,
    };
    let policy = match (kind, rules) {
        (PolicyKind::Scripted, None) if settings.default_policy.name() == "scripted" => {
            settings.default_policy.clone()
        }
        (PolicyKind::Scripted, None) => {
            return Err(Error::Missing {
                field: "rules",
                hint: Some("the scripted policy needs a list of rules"),
            }
            .into());
        }
        (kind, rules) => kind
            .build(settings.rules, rules)
            .map_err(|e| Error::invalid("rules", "format", e.to_string()))?,
    };
    cluster.set_policy(policy.clone()).await?;
    Ok(Reply::control(&policy_body(cluster.name(), &*policy)))
}

/// `POST /_emulator/clusters/{cluster}/reset`: the cluster as new.
pub async fn reset_cluster(
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
) -> Result<Reply, ApiError> {
    let name = cluster.name();
    state.store.reset(name).await?;
    Ok(Reply::control(&answers::Reset {
        reset: vec![name.to_owned()],
    }))
}

/// `POST /_emulator/reset`: every cluster as new.
pub async fn reset_all(State(state): State<AppState>) -> Result<Reply, ApiError> {
    let names = state.store.names();
    state.store.reset_all().await?;
    Ok(Reply::control(&answers::Reset { reset: names }))
}

/// `DELETE /_emulator/clusters/{cluster}`: the cluster and all it holds, gone (from memory and
/// the data directory); the next request naming it starts it fresh. A name no cluster has is
/// answered 404 before this handler runs (the route takes only existing clusters).
pub async fn delete_cluster(
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
) -> Result<Reply, ApiError> {
    let name = cluster.name();
    if !state.store.delete(name).await? {
        // Deleted by another request (or expired) since this one found it.
        return Err(state.store.no_such_cluster(name).into());
    }
    Ok(Reply::control(&answers::Deleted {
        deleted: [name.to_owned()],
    }))
}

/// `GET /_emulator/clusters`: the clusters that exist, how many may, and when idle ones go.
pub async fn list_clusters(State(state): State<AppState>) -> Result<Reply, ApiError> {
    let settings = state.store.settings();
    let names = state.store.names();
    Ok(Reply::control(&answers::Clusters {
        count: names.len(),
        clusters: names,
        max_clusters: settings.max_clusters,
        cluster_idle_ttl_seconds: settings.cluster_idle_ttl.map(|ttl| ttl.as_secs_f64()),
    }))
}
