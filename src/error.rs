//! The one error type of the API and the vendor's error envelope.
//!
//! Every failure a handler or an extractor can meet is an [`ApiError`] variant named in domain
//! words. Its [`IntoResponse`] sets the status, the `X-Emulator-Reason` header and, for
//! credentials, `WWW-Authenticate`; the application service ([`crate::App`]) then writes the body
//! `{"meta": …, "errors": [{"code", "title", "details"}]}` with [`render_envelope`], because only
//! it knows the configured API version.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::envelope::Meta;
use crate::policy::Refusal;

/// Header naming the rule that decided a 4xx or 5xx answer.
pub const REASON_HEADER: &str = "x-emulator-reason";

/// Which credentials a 401 asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `POST /v1/users/login` wants HTTP Basic.
    Basic,
    /// Every other `/v1` call wants a Bearer token.
    Bearer,
}

/// A failure, as the client will see it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// A required body field is absent (1008).
    #[error("parameter {field} is missing")]
    MissingParameter {
        /// The field's name.
        field: &'static str,
        /// Why it is needed, when that is not obvious.
        hint: Option<&'static str>,
    },
    /// A field is present but of the wrong type or value (1009).
    #[error("{message}")]
    InvalidParameter {
        /// The field's name.
        field: &'static str,
        /// The rule that failed, for `X-Emulator-Reason` (`not_digits`, `length`, …).
        rule: &'static str,
        /// What is wrong and how to fix it; names the field.
        message: String,
    },
    /// A field that this endpoint does not take (1010).
    #[error("parameter {field} is not expected")]
    UnexpectedParameter {
        /// The field's name, as the client sent it.
        field: String,
    },
    /// The body is not a JSON object, or has the wrong content type (1025).
    #[error("{message}")]
    InvalidRequest {
        /// The rule that failed.
        rule: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The body is larger than the configured limit (1025, 413).
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Missing, unknown, expired or revoked credentials (1005, 401).
    #[error("{message}")]
    Unauthenticated {
        /// The rule that failed (`missing_token`, `expired_token`, …).
        rule: &'static str,
        /// What is wrong.
        message: &'static str,
        /// Which credentials the endpoint wants.
        scheme: Scheme,
    },
    /// Valid credentials without the right (1005, 403).
    #[error("{message}")]
    Forbidden {
        /// The rule that failed.
        rule: &'static str,
        /// What is wrong.
        message: &'static str,
    },
    /// The registration server refused (1005, 403, `Unknown error: <reason>`).
    #[error("registration refused: {0}")]
    Refused(Refusal),
    /// Nothing there (1006, 404).
    #[error("{message}")]
    NotFound {
        /// The rule that failed.
        rule: &'static str,
        /// What is missing.
        message: String,
    },
    /// The route exists but not for this method (1006, 405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The cluster is restarting (1011, 503).
    #[error("service not ready")]
    ServiceNotReady,
    /// `POST /v1/users` for a name that exists (1014, 500, as the vendor documents).
    #[error("user already exists")]
    UserExists,
    /// The admin still has the default password and the login did not change it (1024).
    #[error("password change required")]
    PasswordChangeRequired,
    /// Any vendor error a policy or fault chooses to answer with.
    #[error("{details}")]
    Vendor {
        /// HTTP status.
        status: StatusCode,
        /// Vendor error code.
        code: u32,
        /// Vendor title.
        title: String,
        /// Vendor details.
        details: String,
        /// The rule that fired, for `X-Emulator-Reason`.
        rule: String,
    },
    /// A fault of the emulator itself (1014, 500). Never caused by client input.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The title the vendor gives each error code.
pub fn title(code: u32) -> &'static str {
    match code {
        1000 => "Generic error",
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
    /// Shorthand for a 1009 naming `field`.
    pub fn invalid(field: &'static str, rule: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            field,
            rule,
            message: message.into(),
        }
    }

    /// Shorthand for a 1008 naming `field`.
    pub fn missing(field: &'static str) -> Self {
        Self::MissingParameter { field, hint: None }
    }

    /// HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingParameter { .. }
            | Self::InvalidParameter { .. }
            | Self::UnexpectedParameter { .. }
            | Self::InvalidRequest { .. }
            | Self::PasswordChangeRequired => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } | Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::ServiceNotReady => StatusCode::SERVICE_UNAVAILABLE,
            Self::UserExists | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Vendor { status, .. } => *status,
        }
    }

    /// Vendor error code.
    pub fn code(&self) -> u32 {
        match self {
            Self::MissingParameter { .. } => 1008,
            Self::InvalidParameter { .. } => 1009,
            Self::UnexpectedParameter { .. } => 1010,
            Self::InvalidRequest { .. } | Self::PayloadTooLarge { .. } => 1025,
            Self::Unauthenticated { .. } | Self::Forbidden { .. } | Self::Refused(_) => 1005,
            Self::NotFound { .. } | Self::MethodNotAllowed => 1006,
            Self::ServiceNotReady => 1011,
            Self::UserExists | Self::Internal(_) => 1014,
            Self::PasswordChangeRequired => 1024,
            Self::Vendor { code, .. } => *code,
        }
    }

    /// The `details` string of the envelope: what went wrong and what to fix.
    pub fn details(&self) -> String {
        match self {
            Self::MissingParameter { field, hint } => match hint {
                Some(hint) => format!("Parameter '{field}' is required: {hint}"),
                None => format!("Parameter '{field}' is required"),
            },
            Self::UnexpectedParameter { field } => {
                format!("Parameter '{field}' is not expected here; remove it")
            }
            Self::PayloadTooLarge { limit } => {
                format!("Request body is larger than the limit of {limit} bytes")
            }
            Self::Refused(refusal) => format!("Unknown error: {}", refusal.as_str()),
            Self::MethodNotAllowed => "This path does not accept that HTTP method".into(),
            Self::ServiceNotReady => {
                "Coreapp is restarting after a registration; try again shortly".into()
            }
            Self::UserExists => "Unable to create user. Already exist?".into(),
            Self::PasswordChangeRequired => {
                "The default password must be changed: log in again with {\"new_password\": \"...\"} in the body".into()
            }
            Self::Vendor { details, .. } => details.clone(),
            Self::Internal(_) => "Internal error".into(),
            Self::InvalidParameter { message, .. } | Self::InvalidRequest { message, .. } => {
                message.clone()
            }
            Self::NotFound { message, .. } => message.clone(),
            Self::Unauthenticated { message, .. } | Self::Forbidden { message, .. } => {
                (*message).to_owned()
            }
        }
    }

    /// The name of the rule that fired, sent as `X-Emulator-Reason`.
    pub fn reason(&self) -> Cow<'static, str> {
        match self {
            Self::MissingParameter { field, .. } => format!("validation.{field}.missing").into(),
            Self::InvalidParameter { field, rule, .. } => {
                format!("validation.{field}.{rule}").into()
            }
            Self::UnexpectedParameter { .. } => "validation.unexpected_parameter".into(),
            Self::InvalidRequest { rule, .. } => format!("request.{rule}").into(),
            Self::PayloadTooLarge { .. } => "request.too_large".into(),
            Self::Unauthenticated { rule, .. } | Self::Forbidden { rule, .. } => {
                format!("auth.{rule}").into()
            }
            Self::Refused(refusal) => refusal.rule().into(),
            Self::NotFound { rule, .. } => format!("not_found.{rule}").into(),
            Self::MethodNotAllowed => "route.method_not_allowed".into(),
            Self::ServiceNotReady => "restart.in_progress".into(),
            Self::UserExists => "users.duplicate".into(),
            Self::PasswordChangeRequired => "auth.password_change_required".into(),
            Self::Vendor { rule, .. } => rule.clone().into(),
            Self::Internal(_) => "internal".into(),
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    /// A body that could not be read: too large (413), or cut off.
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::PayloadTooLarge {
                limit: crate::http::BODY_LIMIT,
            }
        } else {
            Self::InvalidRequest {
                rule: "body_unreadable",
                message: "The request body could not be read".into(),
            }
        }
    }
}

/// The error as it travels from [`IntoResponse`] to [`render_envelope`].
#[derive(Debug, Clone)]
struct PendingError {
    code: u32,
    title: &'static str,
    vendor_title: Option<String>,
    details: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = status.into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.reason()) {
            headers.insert(REASON_HEADER, value);
        }
        if let Self::Unauthenticated { scheme, .. } = &self {
            let challenge = match scheme {
                Scheme::Basic => "Basic realm=\"WhatsApp\"",
                Scheme::Bearer => "Bearer realm=\"WhatsApp\"",
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        let vendor_title = match &self {
            Self::Vendor { title, .. } => Some(title.clone()),
            _ => None,
        };
        let code = self.code();
        response.extensions_mut().insert(PendingError {
            code,
            title: title(code),
            vendor_title,
            details: self.details(),
        });
        response
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

/// Writes the vendor envelope of an [`ApiError`] answer; other answers pass unchanged.
pub fn render_envelope(meta: &Meta, mut response: Response) -> Response {
    if let Some(err) = response.extensions_mut().remove::<PendingError>() {
        let body = ErrorEnvelope {
            meta,
            errors: [ErrorItem {
                code: err.code,
                title: err.vendor_title.as_deref().unwrap_or(err.title),
                details: &err.details,
            }],
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let headers = response.headers_mut();
        // The router already measured the empty body; hyper measures the new one.
        headers.remove(header::CONTENT_LENGTH);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        *response.body_mut() = Body::from(bytes);
    }
    response
}

/// The body sent to a connection refused because too many are open.
pub fn overload_body(meta: &Meta, limit: usize) -> std::sync::Arc<[u8]> {
    let details = format!("Too many open connections (limit {limit}); retry shortly");
    let body = ErrorEnvelope {
        meta,
        errors: [ErrorItem {
            code: 1011,
            title: title(1011),
            details: &details,
        }],
    };
    serde_json::to_vec(&body).unwrap_or_default().into()
}
