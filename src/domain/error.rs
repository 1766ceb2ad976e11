//! The domain's one error type: what went wrong, in the words of the registration API, without any
//! HTTP. The HTTP layer (`crate::http::error`) alone turns it into a status, a vendor code and the
//! envelope.

use std::borrow::Cow;

use super::cloud::CloudError;
use super::policy::Refusal;

/// An error a vendor rule chose: a scripted outcome or an armed fault, given as the vendor would
/// answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorError {
    /// HTTP status to answer with (400–599, checked where the rule is made).
    pub status: u16,
    /// Vendor error code.
    pub code: u32,
    /// Vendor title; the code's own title when absent.
    pub title: Option<String>,
    /// Vendor details.
    pub details: String,
    /// The rule that fired, for `X-Emulator-Reason`.
    pub rule: String,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A required field is absent.
    #[error("parameter {field} is missing")]
    Missing {
        /// The field's name.
        field: &'static str,
        /// Why it is needed, when that is not obvious.
        hint: Option<&'static str>,
    },
    /// A field is present but of the wrong type or value.
    #[error("{message}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// The rule that failed (`not_digits`, `length`, …).
        rule: &'static str,
        /// What is wrong and how to fix it; names the field.
        message: String,
    },
    /// A field that this operation does not take.
    #[error("parameter {field} is not expected")]
    Unexpected {
        /// The field's name, as the client sent it.
        field: String,
    },
    /// Missing, unknown, expired or revoked credentials.
    #[error("{message}")]
    Unauthenticated {
        /// The rule that failed (`missing_token`, `expired_token`, …).
        rule: &'static str,
        /// What is wrong.
        message: &'static str,
    },
    /// Valid credentials without the right.
    #[error("{message}")]
    Forbidden {
        /// The rule that failed.
        rule: &'static str,
        /// What is wrong.
        message: &'static str,
    },
    /// The registration server said no.
    #[error("registration refused: {0}")]
    Refused(Refusal),
    /// Nothing there.
    #[error("{message}")]
    NotFound {
        /// What was looked for.
        rule: &'static str,
        /// What is missing.
        message: Cow<'static, str>,
    },
    /// The deployment is restarting.
    #[error("service not ready")]
    NotReady,
    /// No Coreapp of the deployment is running to answer (503, 1011).
    #[error("{message}")]
    Unavailable {
        /// Why.
        rule: &'static str,
        /// What to do.
        message: String,
    },
    /// A limit of the emulator itself was reached (the number of clusters).
    #[error("{message}")]
    Limit {
        /// Which limit.
        rule: &'static str,
        /// What it is and what to do.
        message: String,
    },
    /// A user of that name exists.
    #[error("user already exists")]
    UserExists,
    /// The admin still has the factory password and the login did not change it.
    #[error("password change required")]
    PasswordChangeRequired,
    /// An error a rule chose (scripted policy, armed fault).
    #[error("{}", .0.details)]
    Vendor(Box<VendorError>),
    /// A failure of the Cloud API's registration.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// State could not be stored. Never caused by client input.
    #[error("storage: {0}")]
    Storage(String),
}

impl Error {
    /// A wrong value of `field`.
    pub fn invalid(field: &'static str, rule: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            rule,
            message: message.into(),
        }
    }

    /// A missing `field`.
    pub fn missing(field: &'static str) -> Self {
        Self::Missing { field, hint: None }
    }

    /// Nothing found for `rule`.
    pub fn not_found(rule: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::NotFound {
            rule,
            message: message.into(),
        }
    }

    /// What went wrong and what to fix, as the client reads it.
    pub fn details(&self) -> Cow<'static, str> {
        match self {
            Self::Missing { field, hint } => match hint {
                Some(hint) => format!("Parameter '{field}' is required: {hint}").into(),
                None => format!("Parameter '{field}' is required").into(),
            },
            Self::Invalid { message, .. } => message.clone().into(),
            Self::Unexpected { field } => {
                format!("Parameter '{field}' is not expected here; remove it").into()
            }
            Self::Unauthenticated { message, .. } | Self::Forbidden { message, .. } => {
                (*message).into()
            }
            Self::Refused(refusal) => format!("Unknown error: {}", refusal.as_str()).into(),
            Self::NotFound { message, .. } => message.clone(),
            Self::NotReady => "Coreapp is restarting after a registration; try again shortly".into(),
            Self::Limit { message, .. } | Self::Unavailable { message, .. } => {
                message.clone().into()
            }
            Self::UserExists => "Unable to create user. Already exist?".into(),
            Self::PasswordChangeRequired => {
                "The default password must be changed: log in again with {\"new_password\": \"...\"} in the body".into()
            }
            Self::Vendor(error) => error.details.clone().into(),
            Self::Cloud(error) => error.details(),
            Self::Storage(_) => "Internal error".into(),
        }
    }

    /// The name of the rule that fired, as `X-Emulator-Reason` shows it.
    pub fn reason(&self) -> Cow<'static, str> {
        match self {
            Self::Missing { field, .. } => format!("validation.{field}.missing").into(),
            Self::Invalid { field, rule, .. } => format!("validation.{field}.{rule}").into(),
            Self::Unexpected { .. } => "validation.unexpected_parameter".into(),
            Self::Unauthenticated { rule, .. } | Self::Forbidden { rule, .. } => {
                format!("auth.{rule}").into()
            }
            Self::Refused(refusal) => refusal.rule().into(),
            Self::NotFound { rule, .. } => format!("not_found.{rule}").into(),
            Self::NotReady => "restart.in_progress".into(),
            Self::Limit { rule, .. } => format!("limit.{rule}").into(),
            Self::Unavailable { rule, .. } => format!("topology.{rule}").into(),
            Self::UserExists => "users.duplicate".into(),
            Self::PasswordChangeRequired => "auth.password_change_required".into(),
            Self::Vendor(error) => error.rule.clone().into(),
            Self::Cloud(error) => error.reason(),
            Self::Storage(_) => "internal".into(),
        }
    }
}

/// The outcome of a domain operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
