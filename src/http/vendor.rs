//! Middleware of the vendor routes: fires armed faults and records every request in its
//! cluster's journal, with the rule that decided the answer.

use std::borrow::Cow;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::extract::Resolved;
use super::extract::cluster_name;
use super::{AppState, BODY_LIMIT};
use crate::error::{ApiError, REASON_HEADER, title};
use crate::faults::FaultAction;
use crate::journal::{Decided, Entry, redacted_text};
use crate::server::DropConnection;

/// The rule name of every answer a fault forces.
const FAULT_RULE: &str = "fault.armed";

/// The vendor path of a request: `/clusters/{name}/v1/x` → `/v1/x`.
pub fn vendor_path(path: &str) -> &str {
    path.strip_prefix("/clusters/")
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(path)
}

/// Fires the first armed fault that matches, else serves the request; then journals it.
pub async fn faults_and_journal(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(name) = cluster_name(&mut parts).await else {
        // The extractors answer a bad cluster name; there is no journal to write to.
        return next.run(Request::from_parts(parts, body)).await;
    };
    let cluster = state.store.cluster(&name);
    let limit = cluster.settings().journal_limit;
    let method = parts.method.clone();
    // Routes are registered at their full paths (no nesting), so the URI is the one sent.
    let path: Box<str> = vendor_path(parts.uri.path()).into();
    let at = cluster.now();

    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let response = ApiError::PayloadTooLarge { limit: BODY_LIMIT }.into_response();
            let entry = Entry::new(at, method, path, 413, reason_of(&response), None);
            cluster.with(|c| c.record(entry, limit));
            return response;
        }
    };
    let json: Option<Value> = if bytes.is_empty() {
        None
    } else {
        serde_json::from_slice(&bytes).ok()
    };
    let fault = cluster.with(|c| {
        c.faults
            .any_live()
            .then(|| c.faults.fire(method.as_str(), &path, json.as_ref()))
            .flatten()
    });

    let redacted = if limit > 0 {
        json.as_ref().and_then(redacted_text)
    } else {
        None
    };
    // The extractors reuse this cluster and take the parsed value instead of parsing again.
    parts.extensions.insert(Resolved {
        cluster: cluster.clone(),
        body: Some(json),
    });
    let response = match fault.map(|f| f.fault) {
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Some(FaultAction::Delay { ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Some(FaultAction::Error {
            status,
            code,
            title: given,
            details,
        }) => ApiError::Vendor {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            title: given.unwrap_or_else(|| title(code).into()),
            details,
            rule: FAULT_RULE.into(),
        }
        .into_response(),
        Some(FaultAction::NotReady) => ApiError::Vendor {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: 1011,
            title: title(1011).into(),
            details: "Service not ready".into(),
            rule: FAULT_RULE.into(),
        }
        .into_response(),
        Some(FaultAction::Drop) => {
            let mut response = StatusCode::OK.into_response();
            response.extensions_mut().insert(DropConnection);
            response
                .headers_mut()
                .insert(REASON_HEADER, HeaderValue::from_static(FAULT_RULE));
            response
        }
        Some(FaultAction::Malformed { status }) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [
                (header::CONTENT_TYPE, "application/json"),
                (HeaderName::from_static(REASON_HEADER), FAULT_RULE),
            ],
            "{\"meta\": {\"api_status\": \"stable\", \"vers",
        )
            .into_response(),
    };

    if limit > 0 {
        let status = if response.extensions().get::<DropConnection>().is_some() {
            0
        } else {
            response.status().as_u16()
        };
        let entry = Entry::new(at, method, path, status, reason_of(&response), redacted);
        cluster.with(|c| c.record(entry, limit));
    }
    response
}

fn reason_of(response: &Response) -> Option<Cow<'static, str>> {
    response
        .headers()
        .get(REASON_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| Cow::Owned(v.to_owned()))
        .or_else(|| {
            response
                .extensions()
                .get::<Decided>()
                .map(|d| Cow::Borrowed(d.0))
        })
}

#[cfg(test)]
mod tests {
    use super::vendor_path;

    #[test]
    fn the_cluster_prefix_is_left_out() {
        assert_eq!(vendor_path("/clusters/a-b/v1/account"), "/v1/account");
        assert_eq!(vendor_path("/v1/account"), "/v1/account");
    }
}
