//! The one place where a failure becomes an answer: its HTTP status, the vendor's error code and
//! title, the `X-Emulator-Reason` header and the envelope
//! `{"meta": …, "errors": [{"code", "title", "details"}]}`.
//!
//! [`ApiError`] is a domain [`Error`] or one of the few failures only HTTP knows (a body that is
//! not JSON or too large, a path or method that is not routed).

use std::borrow::Cow;

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;

use super::envelope::Meta;
use crate::domain::Error;

/// Header naming the rule that decided a 4xx or 5xx answer.
pub const REASON_HEADER: &str = "x-emulator-reason";

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
    },
    /// The body did not arrive in time (1025, 408); the connection is closed after the answer.
    #[error("request body not received within {0:?}")]
    BodyTimeout(std::time::Duration),
    /// No route has this path (1006, 404).
    #[error("no such endpoint")]
    NoRoute {
        /// What was asked for, as `METHOD /path`.
        request: String,
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

impl ApiError {
    /// HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Domain(e) => match e {
                Error::Missing { .. }
                | Error::Invalid { .. }
                | Error::Unexpected { .. }
                | Error::PasswordChangeRequired => StatusCode::BAD_REQUEST,
                Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
                Error::Forbidden { .. } | Error::Refused(_) => StatusCode::FORBIDDEN,
                Error::NotFound { .. } => StatusCode::NOT_FOUND,
                Error::NotReady | Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                Error::Limit { .. } => StatusCode::TOO_MANY_REQUESTS,
                Error::UserExists | Error::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
                Error::Vendor(v) => {
                    StatusCode::from_u16(v.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                }
            },
            Self::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::NoRoute { .. } | Self::NotEmulated { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Panicked => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Vendor error code.
    pub fn code(&self) -> u32 {
        match self {
            Self::Domain(e) => match e {
                Error::Missing { .. } => 1008,
                Error::Invalid { .. } => 1009,
                Error::Unexpected { .. } => 1010,
                Error::Unauthenticated { .. } | Error::Forbidden { .. } | Error::Refused(_) => 1005,
                Error::NotFound { .. } => 1006,
                Error::NotReady | Error::Unavailable { .. } => 1011,
                Error::Limit { .. } => 1015,
                Error::UserExists | Error::Storage(_) => 1014,
                Error::PasswordChangeRequired => 1024,
                Error::Vendor(v) => v.code,
            },
            Self::InvalidRequest { .. } | Self::PayloadTooLarge { .. } | Self::BodyTimeout(_) => {
                1025
            }
            Self::NoRoute { .. } | Self::NotEmulated { .. } | Self::MethodNotAllowed => 1006,
            Self::Panicked => 1000,
        }
    }

    /// The `details` of the envelope: what went wrong and what to fix.
    pub fn details(&self) -> Cow<'static, str> {
        match self {
            Self::Domain(e) => e.details(),
            Self::InvalidRequest { message, .. } => message.clone().into(),
            Self::PayloadTooLarge { limit } => {
                format!("Request body is larger than the limit of {limit} bytes").into()
            }
            Self::BodyTimeout(after) => format!(
                "The request body did not arrive within {} (--body-timeout); send it whole",
                humantime::format_duration(*after)
            )
            .into(),
            Self::NoRoute { request } => format!("No such endpoint: {request}").into(),
            Self::NotEmulated { request } => format!(
                "{request} belongs to the WhatsApp Business On-Premises API but is not emulated here: \
                 the emulator covers login and users, /v1/account (registration, verify, shards), \
                 two-step pins, backup and restore, and /v1/health (see GET /_emulator/openapi.json)"
            )
            .into(),
            Self::MethodNotAllowed => "This path does not accept that HTTP method".into(),
            Self::Panicked => "The emulator failed while answering this request (a bug: please \
                report it with the request); it keeps serving"
                .into(),
        }
    }

    /// The name of the rule that fired, sent as `X-Emulator-Reason`.
    pub fn reason(&self) -> Cow<'static, str> {
        match self {
            Self::Domain(e) => e.reason(),
            Self::InvalidRequest { rule, .. } => format!("request.{rule}").into(),
            Self::PayloadTooLarge { .. } => "request.too_large".into(),
            Self::BodyTimeout(_) => "request.body_timeout".into(),
            Self::NoRoute { .. } => "not_found.route".into(),
            Self::NotEmulated { .. } => "not_emulated".into(),
            Self::MethodNotAllowed => "route.method_not_allowed".into(),
            Self::Panicked => "internal.panic".into(),
        }
    }

    /// How the access log treats the answer: a rule a test chose (a fault, a scripted outcome)
    /// stands out as forced; a failure of the emulator itself as internal.
    pub fn severity(&self) -> Severity {
        match self {
            Self::Domain(Error::Vendor(_)) => Severity::Forced,
            Self::Domain(Error::Storage(_)) | Self::Panicked => Severity::Internal,
            _ => Severity::Normal,
        }
    }

    /// Whether the caller must authenticate (the answer carries `WWW-Authenticate`).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, Self::Domain(Error::Unauthenticated { .. }))
    }

    /// The envelope's title: the vendor's title of the code, or the one a rule chose.
    fn title(&self) -> Cow<'static, str> {
        match self {
            Self::Domain(Error::Vendor(v)) => match &v.title {
                Some(title) => title.clone().into(),
                None => title(v.code).into(),
            },
            other => title(other.code()).into(),
        }
    }

    /// The envelope of this error, with `meta`.
    pub fn envelope(&self, meta: &Meta) -> Bytes {
        envelope(meta, self.code(), &self.title(), &self.details())
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
    meta: &'a Meta,
    errors: [ErrorItem<'a>; 1],
}

/// `{"meta": …, "errors": [{"code", "title", "details"}]}`.
pub fn envelope(meta: &Meta, code: u32, title: &str, details: &str) -> Bytes {
    let body = ErrorEnvelope {
        meta,
        errors: [ErrorItem {
            code,
            title,
            details,
        }],
    };
    serde_json::to_vec(&body).unwrap_or_default().into()
}
