//! A failure as the Graph surface answers it: its HTTP status and
//! `{"error": {"message": "(#CODE) Title", "type", "code", "error_subcode"?, "error_data":
//! {"messaging_product": "whatsapp", "details"}, "fbtrace_id"}}`, with `X-Emulator-Reason`.

use std::borrow::Cow;

use http::StatusCode;
use http::header::{self, HeaderValue};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::json;

use crate::domain::Error;
use crate::domain::cloud::{CloudError, CloudErrorTitle, title};
use crate::http::Response;
use crate::http::error::{ApiError, REASON_HEADER, Severity};

/// A Graph error's parts.
#[derive(Debug)]
pub struct GraphWire {
    /// HTTP status.
    pub status: StatusCode,
    /// Graph error code.
    pub code: u32,
    /// `error_subcode`, where Graph gives one.
    pub subcode: Option<u32>,
    /// `type`.
    pub kind: &'static str,
    /// `message`: `(#code) title`.
    pub message: String,
    /// `error_data.details`.
    pub details: Cow<'static, str>,
    /// `X-Emulator-Reason`.
    pub reason: Cow<'static, str>,
    /// How the access log treats it.
    pub severity: Severity,
}

fn cloud_status(e: &CloudError) -> StatusCode {
    match e {
        CloudError::NotRegistered => StatusCode::NOT_FOUND,
        CloudError::Token { .. } => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The Graph form of any failure: the Cloud API's own with their codes; the rest as Graph
/// answers them (parameters 100, credentials 190, the emulator's own failures 1 or 2).
pub fn graph_wire(error: &ApiError) -> GraphWire {
    let generic =
        |status, code: u32, details: Cow<'static, str>, reason: Cow<'static, str>| GraphWire {
            status,
            code,
            subcode: None,
            kind: "OAuthException",
            message: format!("(#{code}) {}", title(code)),
            details,
            reason,
            severity: Severity::Normal,
        };
    match error {
        ApiError::Domain(Error::Cloud(e)) => GraphWire {
            status: cloud_status(e),
            code: e.code(),
            subcode: matches!(e, CloudError::UnknownObject { .. }).then_some(33),
            kind: match e {
                CloudError::UnknownObject { .. } => "GraphMethodException",
                _ => "OAuthException",
            },
            message: CloudErrorTitle(e).to_string(),
            details: e.details(),
            reason: e.reason(),
            severity: Severity::Normal,
        },
        ApiError::Domain(Error::Vendor(v)) => GraphWire {
            status: StatusCode::from_u16(v.status).unwrap_or(StatusCode::BAD_REQUEST),
            code: v.code,
            subcode: None,
            kind: "OAuthException",
            message: format!(
                "(#{}) {}",
                v.code,
                v.title.as_deref().unwrap_or_else(|| title(v.code))
            ),
            details: v.details.clone().into(),
            reason: v.rule.clone().into(),
            severity: Severity::Forced,
        },
        ApiError::Domain(e @ Error::Storage(_)) => GraphWire {
            severity: Severity::Internal,
            ..generic(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                e.details(),
                e.reason(),
            )
        },
        ApiError::Domain(e @ (Error::NotReady | Error::Unavailable { .. })) => {
            generic(StatusCode::SERVICE_UNAVAILABLE, 2, e.details(), e.reason())
        }
        ApiError::Domain(e @ Error::Limit { .. }) => {
            generic(StatusCode::TOO_MANY_REQUESTS, 4, e.details(), e.reason())
        }
        ApiError::Domain(e) => generic(StatusCode::BAD_REQUEST, 100, e.details(), e.reason()),
        ApiError::NoRoute { request } | ApiError::NotEmulated { request } => {
            let path = request.split_once(' ').map_or(request.as_str(), |(_, p)| p);
            GraphWire {
                message: format!("Unknown path components: {path}"),
                ..generic(
                    StatusCode::BAD_REQUEST,
                    2500,
                    format!(
                        "No Graph route has this path: the emulator serves /{{version}}/{{id}}, /{{id}}/phone_numbers, /{{id}}/request_code, /{{id}}/verify_code, /{{id}}/register and /{{id}}/deregister (got {request})"
                    )
                    .into(),
                    "not_found.route".into(),
                )
            }
        }
        ApiError::MethodNotAllowed => generic(
            StatusCode::BAD_REQUEST,
            100,
            "This path does not take that HTTP method".into(),
            "route.method_not_allowed".into(),
        ),
        bug @ ApiError::Panicked => GraphWire {
            severity: Severity::Internal,
            ..generic(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                "The emulator failed while answering this request (a bug: please report it)".into(),
                bug.wire().reason,
            )
        },
        other => {
            let wire = other.wire();
            generic(wire.status, 100, wire.details, wire.reason)
        }
    }
}

/// A trace id as Graph gives one with every error.
fn fbtrace_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(11)
        .map(char::from)
        .collect()
}

/// Writes the answer to a failure on the Graph surface into `response`; gives back the rule
/// that decided it.
pub fn write_graph_error(error: &ApiError, response: &mut Response) -> Cow<'static, str> {
    let wire = graph_wire(error);
    if wire.severity == Severity::Internal {
        tracing::error!(error = %error, "internal failure");
    }
    let mut body = json!({
        "message": wire.message,
        "type": wire.kind,
        "code": wire.code,
        "error_data": {"messaging_product": "whatsapp", "details": wire.details},
        "fbtrace_id": fbtrace_id(),
    });
    if let Some(subcode) = wire.subcode {
        body["error_subcode"] = json!(subcode);
    }
    let bytes = serde_json::to_vec(&json!({"error": body})).unwrap_or_default();
    *response.body_mut() = axum::body::Body::from(bytes);
    *response.status_mut() = wire.status;
    response.extensions_mut().insert(wire.severity);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&wire.reason) {
        headers.insert(REASON_HEADER, value);
    }
    if wire.status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("OAuth \"Facebook Platform\" \"invalid_token\""),
        );
    }
    if let ApiError::BodyTimeout(_) = error {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    wire.reason
}
