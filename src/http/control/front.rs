//! The emulator's front door: `GET /`, liveness for container health checks, and the OpenAPI
//! document (built once at start and served from the state).

use super::answers;
use axum::extract::State;

use crate::http::common::AppState;
use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::extract::AcceptsHtml;

/// `GET /_emulator/health`: no auth, for container health checks; with how many clusters exist
/// of how many may, and how many log lines stderr did not take in time.
pub async fn health(State(state): State<AppState>) -> Result<Reply, ApiError> {
    Ok(Reply::control(&answers::Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        clusters: state.store.len(),
        max_clusters: state.store.settings().max_clusters,
        dropped_log_lines: crate::logging::dropped_lines(),
    }))
}

/// `GET /_emulator`: the control API's index, for whoever follows the address the startup
/// lines print. It holds no data, so it needs no token; a browser is sent to the console.
pub async fn control_index(
    State(state): State<AppState>,
    AcceptsHtml(accepts_html): AcceptsHtml,
) -> Result<Reply, ApiError> {
    if accepts_html {
        return Ok(Reply::see_other("/_emulator/ui"));
    }
    let guarded = state.control.token.is_some();
    let settings = state.store.settings();
    Ok(Reply::control(&answers::ControlIndex {
        name: "wa-onprem-emulator control API",
        version: env!("CARGO_PKG_VERSION"),
        token: if guarded {
            "required: Authorization: Bearer <the --control-token> on every route but health and this index"
        } else {
            "none required"
        },
        console: "/_emulator/ui",
        openapi: "/_emulator/openapi.json",
        events: "/_emulator/events",
        health: "/_emulator/health",
        clusters: "/_emulator/clusters",
        cluster: answers::ClusterLinks {
            codes: "/_emulator/clusters/{cluster}/codes",
            latest_code: "/_emulator/clusters/{cluster}/codes/latest?cc=&phone_number=&wait=",
            policy: "/_emulator/clusters/{cluster}/policy",
            faults: "/_emulator/clusters/{cluster}/faults",
            clock: "/_emulator/clusters/{cluster}/clock",
            requests: "/_emulator/clusters/{cluster}/requests",
            topology: "/_emulator/clusters/{cluster}/topology",
            reset: "POST /_emulator/clusters/{cluster}/reset",
            delete: "DELETE /_emulator/clusters/{cluster}",
        },
        cluster_count: state.store.len(),
        max_clusters: settings.max_clusters,
        cluster_idle_ttl_seconds: settings.cluster_idle_ttl.map(|ttl| ttl.as_secs_f64()),
        certs: "POST /_emulator/certs {\"vname\"}",
        reset_all: "POST /_emulator/reset",
    }))
}

/// `GET /`: what this server is and where to go from here, for whoever opens it in a browser or
/// with curl.
pub async fn front_door(
    State(state): State<AppState>,
    AcceptsHtml(accepts_html): AcceptsHtml,
) -> Result<Reply, ApiError> {
    let control = state.control.enabled;
    // A browser is sent to the console; anything else gets the JSON below.
    if control && accepts_html {
        return Ok(Reply::see_other("/_emulator/ui"));
    }
    let off = "off (--no-control-api)";
    Ok(Reply::control(&answers::FrontDoor {
        name: "wa-onprem-emulator",
        version: env!("CARGO_PKG_VERSION"),
        about: "An emulator of the WhatsApp Business On-Premises API's account registration",
        vendor_api: "/v1 (or /clusters/{cluster}/v1): log in with POST /v1/users/login",
        control_api: if control { "/_emulator" } else { off },
        openapi: if control {
            "/_emulator/openapi.json"
        } else {
            off
        },
        health: "/_emulator/health",
        console: if control { "/_emulator/ui" } else { off },
        docs: "README.md of the emulator (a whole registration with curl), and its book in docs/: the vendor API, the control API, configuration",
    }))
}

/// `GET /_emulator/metrics`: what the emulator served, in Prometheus' text format.
pub async fn metrics(State(state): State<AppState>) -> Reply {
    let codes = state.store.settings().codes_sent.counts();
    let mut text = state.metrics.render(&codes, state.store.len());
    text.push_str("# HELP wa_emulator_webhook_deliveries_total Webhook deliveries that reached each status, by field (an attempt answered, a retry due, a delivery given up or not subscribed).\n# TYPE wa_emulator_webhook_deliveries_total counter\n");
    for (field, status, count) in state.store.settings().deliveries_counted.counts() {
        use std::fmt::Write;
        let _ = writeln!(
            text,
            "wa_emulator_webhook_deliveries_total{{field=\"{field}\",status=\"{status}\"}} {count}"
        );
    }
    Reply {
        content_type: "text/plain; version=0.0.4; charset=utf-8",
        ..Reply::control_bytes(text.into())
    }
}

/// `GET /_emulator/openapi.json`: the document made from the route tables, once a process, when
/// it is first asked for (an emulator nobody asks for it never holds it).
pub async fn openapi(State(state): State<AppState>) -> Reply {
    Reply::control_bytes((state.openapi)())
}
