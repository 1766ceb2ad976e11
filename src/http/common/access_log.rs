//! One line per request (target `wa_onprem_emulator::access`), written by tower-http's
//! `TraceLayer` when the answer leaves: method, path, cluster, status, reason and time. How
//! severe a line is comes typed in the answer's extensions, never parsed back from the reason:
//! a forced answer (a fault, a scripted error) is a warning so that it stands out, an internal
//! failure (storage, a panic) an error.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use tower_http::trace::OnResponse;
use tracing::Span;

use super::error::{REASON_HEADER, Severity};

/// The target of the one log line per request: `RUST_LOG=info,wa_onprem_emulator::access=off`
/// turns them off.
pub const ACCESS_LOG: &str = "wa_onprem_emulator::access";

/// What the access line says of a request besides its status, noted on the answer by whoever
/// served it.
#[derive(Debug, Clone)]
pub struct Served {
    /// The request's method.
    pub method: Method,
    /// The path as routed.
    pub path: Box<str>,
    /// The cluster it addressed.
    pub cluster: Option<Arc<str>>,
}

impl Served {
    /// What the access line prints of a request, when the log is on.
    pub fn of(method: &Method, path: &str) -> Option<Self> {
        enabled().then(|| Self {
            method: method.clone(),
            path: path.into(),
            cluster: None,
        })
    }

    /// Notes on `response` what the access line prints, with the cluster the request addressed.
    pub fn mark(mut self, response: &mut axum::response::Response, cluster: Option<&str>) {
        self.cluster = cluster.map(Into::into);
        response.extensions_mut().insert(self);
    }
}

/// Whether access lines are written at all (so nothing is noted for them when they are not).
pub fn enabled() -> bool {
    tracing::enabled!(target: ACCESS_LOG, tracing::Level::WARN)
}

/// The access line's text: `POST /v1/account 403 account.refused in default, 240 µs`.
struct Line<'a> {
    method: &'a str,
    path: &'a str,
    status: u16,
    reason: Option<&'a str>,
    cluster: Option<&'a str>,
    micros: u64,
}

impl std::fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.method, self.path, self.status)?;
        if let Some(reason) = self.reason {
            write!(f, " {reason}")?;
        }
        // A cluster is named unless it is `default` or the path already names it.
        let in_path = |c: &str| {
            self.path
                .strip_prefix("/clusters/")
                .and_then(|rest| rest.strip_prefix(c))
                .is_some_and(|rest| rest.starts_with('/'))
        };
        if let Some(cluster) = self.cluster.filter(|c| *c != "default" && !in_path(c)) {
            write!(f, " in {cluster}")?;
        }
        write!(f, ", {} µs", self.micros)
    }
}

/// `TraceLayer`'s response hook: the access line.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLog;

impl<B> OnResponse<B> for AccessLog {
    fn on_response(self, response: &http::Response<B>, latency: Duration, _: &Span) {
        if !enabled() {
            return;
        }
        let status = response.status().as_u16();
        let severity = response
            .extensions()
            .get::<Severity>()
            .copied()
            .unwrap_or_default();
        let reason = response
            .headers()
            .get(REASON_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let Some(served) = response.extensions().get::<Served>() else {
            // Only an answer no route wrote: a handler that panicked.
            tracing::error!(target: ACCESS_LOG, status, micros, "{status}: a handler panicked");
            return;
        };
        let method = served.method.as_str();
        let path = &*served.path;
        // Fields without a value are not recorded at all.
        let cluster = served.cluster.as_deref();
        let reason = Some(reason).filter(|r| !r.is_empty());
        let line = Line {
            method,
            path,
            status,
            reason,
            cluster,
            micros,
        };
        match severity {
            Severity::Internal => {
                tracing::error!(target: ACCESS_LOG, method, path, cluster, status, reason, micros, "{line}");
            }
            Severity::Forced => {
                tracing::warn!(target: ACCESS_LOG, method, path, cluster, status, reason, micros, "{line} (forced)");
            }
            Severity::Normal => {
                tracing::info!(target: ACCESS_LOG, method, path, cluster, status, reason, micros, "{line}");
            }
        }
    }
}
