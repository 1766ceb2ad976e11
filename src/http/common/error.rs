//! The one place where a failure becomes an answer of the vendor and control APIs: its HTTP
//! status, the vendor's error code and title, the `X-Emulator-Reason` header and the envelope
//! `{"meta": …, "errors": [{"code", "title", "details"}]}`, written whole by `IntoResponse` (its
//! `meta` aside, which the surface's layer adds). The Graph surface writes the same failures in
//! its own envelope (`graph::GraphError`).
//!
//! [`ApiError`] is a domain [`Error`] or one of the few failures only HTTP knows (a body that is
//! not JSON or too large, a path or method that is not routed).

use std::borrow::Cow;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderValue};
use serde::Serialize;

use super::reply::{Decision, Meta, MetaSlot};
use crate::domain::Error;

/// Header naming the rule that decided a 4xx or 5xx answer.
pub const REASON_HEADER: http::HeaderName = http::HeaderName::from_static("x-emulator-reason");

/// How an answer is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    /// The emulator answered as its rules say (errors included).
    #[default]
    Normal,
    /// A test forced the answer: an armed fault or a scripted outcome.
    Forced,
    /// The emulator failed: storage, or a handler that panicked.
    Internal,
}

/// A failure, as the client will see it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// A failure of the registration API's own rules.
    #[error(transparent)]
    Domain(#[from] Error),
    /// The body is not a JSON object, has the wrong content type, or the path or query cannot be
    /// read (1025).
    #[error("{message}")]
    InvalidRequest {
        /// The rule that failed.
        rule: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The body is larger than the limit (1025, 413).
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The flag that raises it, if one does.
        flag: Option<&'static str>,
    },
    /// The body did not arrive in time (1025, 408); the connection is closed after the answer.
    #[error("request body not received within {0:?}")]
    BodyTimeout(std::time::Duration),
    /// No route has this path (1006, 404).
    #[error("no such endpoint")]
    NoRoute {
        /// What was asked for, as `METHOD /path`.
        request: String,
        /// The route it most likely meant, as `METHOD /path`.
        near_miss: Option<String>,
    },
    /// A path of the real On-Premises API that the emulator does not emulate (1006, 404).
    #[error("not emulated")]
    NotEmulated {
        /// What was asked for, as `METHOD /path`.
        request: String,
    },
    /// The route exists but not for this method (1006, 405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A handler panicked: a bug of the emulator (1000, 500).
    #[error("a handler panicked")]
    Panicked,
    /// A handler ran without the layer of its surface, which leaves what its extractor reads: a
    /// route mounted by hand, not by its surface's router (1000, 500).
    #[error("{0} was not left by the surface's layer: mount the route with its surface's router")]
    Unlayered(&'static str),
}

/// The title the vendor gives each error code.
pub fn title(code: u32) -> &'static str {
    match code {
        1005 => "Access denied",
        1006 => "Resource not found",
        1008 => "Required parameter is missing",
        1009 => "Parameter value is not valid",
        1010 => "Parameter is not required",
        1011 => "Service not ready",
        1014 => "Internal error",
        1015 => "Too many requests",
        1024 => "Password Change Required",
        1025 => "Invalid Request",
        _ => "Generic error",
    }
}

/// An error as the answer shows it: status, vendor code and title, details, the
/// `X-Emulator-Reason` and how the access log treats it.
#[derive(Debug, Clone)]
pub struct Wire {
    /// HTTP status.
    pub status: StatusCode,
    /// Vendor error code.
    pub code: u32,
    /// The envelope's title: the vendor's title of the code, or one a rule chose.
    pub title: Cow<'static, str>,
    /// The envelope's `details`: what went wrong and what to fix.
    pub details: Cow<'static, str>,
    /// The rule that fired.
    pub reason: Cow<'static, str>,
    /// How the access log treats it.
    pub severity: Severity,
}

impl ApiError {
    /// The error's wire form: the one table of every failure's answer.
    pub fn wire(&self) -> Wire {
        use StatusCode as S;
        let (status, code, details, reason): (_, _, Cow<'static, str>, Cow<'static, str>) =
            match self {
                Self::Domain(e) => return domain_wire(e),
                Self::InvalidRequest { rule, message } => (
                    S::BAD_REQUEST,
                    1025,
                    message.clone().into(),
                    format!("request.{rule}").into(),
                ),
                Self::PayloadTooLarge { limit, flag } => (
                    S::PAYLOAD_TOO_LARGE,
                    1025,
                    match flag {
                        None => format!("Request body is larger than the limit of {limit} bytes"),
                        Some(flag) => format!(
                            "Request body is larger than the control API's limit of {limit} bytes ({flag}, WA_EMU_CONTROL_BODY_LIMIT, raises it)"
                        ),
                    }
                    .into(),
                    "request.too_large".into(),
                ),
                Self::BodyTimeout(after) => (
                    S::REQUEST_TIMEOUT,
                    1025,
                    format!(
                        "The request body did not arrive within {} (--body-timeout); send it whole",
                        humantime::format_duration(*after)
                    )
                    .into(),
                    "request.body_timeout".into(),
                ),
                Self::NoRoute { request, near_miss } => (
                    S::NOT_FOUND,
                    1006,
                    match near_miss {
                        Some(meant) => format!("No such endpoint: {request}; did you mean {meant}?"),
                        None => format!("No such endpoint: {request}"),
                    }
                    .into(),
                    "not_found.route".into(),
                ),
                Self::NotEmulated { request } => (
                    S::NOT_FOUND,
                    1006,
                    format!(
                        "{request} belongs to the WhatsApp Business On-Premises API but is not emulated here: \
                         the emulator covers login and users, /v1/account (registration, verify, shards), \
                         two-step pins, backup and restore, and /v1/health (see GET /_emulator/openapi.json)"
                    )
                    .into(),
                    "not_emulated".into(),
                ),
                Self::MethodNotAllowed => (
                    S::METHOD_NOT_ALLOWED,
                    1006,
                    "This path does not accept that HTTP method".into(),
                    "route.method_not_allowed".into(),
                ),
                Self::Panicked => (
                    S::INTERNAL_SERVER_ERROR,
                    1000,
                    "The emulator failed while answering this request (a bug: please report it \
                     with the request); it keeps serving"
                        .into(),
                    "internal.panic".into(),
                ),
                Self::Unlayered(_) => (
                    S::INTERNAL_SERVER_ERROR,
                    1000,
                    self.to_string().into(),
                    "internal.unlayered".into(),
                ),
            };
        Wire {
            status,
            code,
            title: title(code).into(),
            details,
            reason,
            severity: if matches!(self, Self::Panicked | Self::Unlayered(_)) {
                Severity::Internal
            } else {
                Severity::Normal
            },
        }
    }

    /// The `WWW-Authenticate` challenge of a failure to authenticate: `Basic` for the login's
    /// credentials, `Bearer` for a token.
    pub fn challenge(&self) -> Option<&'static str> {
        match self {
            Self::Domain(Error::Unauthenticated { rule, .. }) if rule.ends_with("credentials") => {
                Some("Basic realm=\"WhatsApp\"")
            }
            Self::Domain(Error::Unauthenticated { .. }) => Some("Bearer realm=\"WhatsApp\""),
            _ => None,
        }
    }
}

/// A failure as the vendor and control APIs answer it: the status, the envelope (waiting for
/// `meta`), `X-Emulator-Reason`, `WWW-Authenticate` when the caller must authenticate, and
/// `Connection: close` after a body that did not arrive.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let wire = self.wire();
        if wire.severity == Severity::Internal {
            tracing::error!(error = %self, "internal failure");
        }
        let fields = envelope_fields(wire.code, &wire.title, &wire.details);
        let mut response = Response::new(Body::from(fields.clone()));
        *response.status_mut() = wire.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(value) = HeaderValue::from_str(&wire.reason) {
            headers.insert(REASON_HEADER, value);
        }
        if let Some(challenge) = self.challenge() {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Self::BodyTimeout(_) = self {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if wire.severity != Severity::Normal {
            response.extensions_mut().insert(wire.severity);
        }
        response.extensions_mut().insert(Decision {
            rule: Some(wire.reason),
            meta: Some(MetaSlot {
                fields,
                first: true,
            }),
        });
        response
    }
}

/// A domain error's wire form: its status and vendor code here, its details and reason in the
/// domain's own words.
fn domain_wire(e: &Error) -> Wire {
    use Severity::{Forced, Internal, Normal};
    use StatusCode as S;
    let (status, code, severity) = match e {
        Error::Missing { .. } => (S::BAD_REQUEST, 1008, Normal),
        Error::Invalid { .. } => (S::BAD_REQUEST, 1009, Normal),
        Error::Unexpected { .. } => (S::BAD_REQUEST, 1010, Normal),
        Error::PasswordChangeRequired => (S::BAD_REQUEST, 1024, Normal),
        Error::Unauthenticated { .. } => (S::UNAUTHORIZED, 1005, Normal),
        Error::Forbidden { .. } | Error::Refused(_) => (S::FORBIDDEN, 1005, Normal),
        Error::NotFound { .. } => (S::NOT_FOUND, 1006, Normal),
        Error::NotReady | Error::Unavailable { .. } => (S::SERVICE_UNAVAILABLE, 1011, Normal),
        Error::Limit { .. } => (S::TOO_MANY_REQUESTS, 1015, Normal),
        // The vendor's documented answer to a duplicate user.
        Error::UserExists => (S::INTERNAL_SERVER_ERROR, 1014, Normal),
        Error::Storage(_) => (S::INTERNAL_SERVER_ERROR, 1014, Internal),
        // Only the Graph surface fails so; it writes its own envelope.
        Error::Cloud(_) => (S::BAD_REQUEST, 1009, Normal),
        Error::Vendor(v) => {
            let status = S::from_u16(v.status).unwrap_or(S::INTERNAL_SERVER_ERROR);
            let title = match &v.title {
                Some(title) => title.clone().into(),
                None => title(v.code).into(),
            };
            return Wire {
                status,
                code: v.code,
                title,
                details: e.details(),
                reason: e.reason(),
                severity: Forced,
            };
        }
    };
    Wire {
        status,
        code,
        title: title(code).into(),
        details: e.details(),
        reason: e.reason(),
        severity,
    }
}

/// Shorthand for an [`ApiError::InvalidRequest`].
pub fn invalid_request(rule: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::InvalidRequest {
        rule,
        message: message.into(),
    }
}

#[derive(Serialize)]
struct ErrorItem<'a> {
    code: u32,
    title: &'a str,
    details: &'a str,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    errors: [ErrorItem<'a>; 1],
}

/// `{"errors": [{"code", "title", "details"}]}`: the envelope before its `meta`.
fn envelope_fields(code: u32, title: &str, details: &str) -> Bytes {
    let body = ErrorEnvelope {
        errors: [ErrorItem {
            code,
            title,
            details,
        }],
    };
    serde_json::to_vec(&body).unwrap_or_default().into()
}

/// `{"meta": …, "errors": [{"code", "title", "details"}]}`.
pub fn envelope(meta: &Meta, code: u32, title: &str, details: &str) -> Bytes {
    meta.prefix(&envelope_fields(code, title, details))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::VendorError;

    #[test]
    fn the_table_gives_each_failure_its_whole_answer() {
        let wire = |e: ApiError| {
            let w = e.wire();
            (
                w.status.as_u16(),
                w.code,
                w.title.into_owned(),
                w.reason.into_owned(),
                w.severity,
            )
        };
        assert_eq!(
            wire(Error::UserExists.into()),
            (
                500,
                1014,
                "Internal error".into(),
                "users.duplicate".into(),
                Severity::Normal
            )
        );
        assert_eq!(
            wire(Error::Storage("disk".into()).into()),
            (
                500,
                1014,
                "Internal error".into(),
                "internal".into(),
                Severity::Internal
            )
        );
        let scripted = Error::Vendor(Box::new(VendorError {
            status: 429,
            code: 1015,
            title: Some("Slow down".into()),
            details: "too fast".into(),
            rule: "scripted.rule_1".into(),
        }));
        assert_eq!(
            wire(scripted.into()),
            (
                429,
                1015,
                "Slow down".into(),
                "scripted.rule_1".into(),
                Severity::Forced
            )
        );
        assert_eq!(
            wire(ApiError::PayloadTooLarge {
                limit: 10,
                flag: None
            }),
            (
                413,
                1025,
                "Invalid Request".into(),
                "request.too_large".into(),
                Severity::Normal
            )
        );
        assert_eq!(
            wire(ApiError::Panicked),
            (
                500,
                1000,
                "Generic error".into(),
                "internal.panic".into(),
                Severity::Internal
            )
        );
        let details = ApiError::MethodNotAllowed.wire().details;
        assert!(details.contains("HTTP method"), "{details}");
    }
}
