//! The Cloud API's failures, with the codes Meta documents for phone-number registration
//! (<https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes>).
//! The HTTP layer alone gives each its status and writes the Graph envelope.

use std::borrow::Cow;

/// Which of the two limited operations a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// `POST /{id}/register`.
    Register,
    /// `POST /{id}/deregister`.
    Deregister,
}

impl Counted {
    /// The operation's name, as details and reasons show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Deregister => "deregister",
        }
    }
}

/// A failure of the Cloud API, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudError {
    /// (#100) A parameter is missing or not valid; `rule` names the check for
    /// `X-Emulator-Reason`.
    InvalidParameter {
        /// The rule that failed.
        rule: &'static str,
        /// What is wrong and what to send instead.
        details: Cow<'static, str>,
    },
    /// (#100, subcode 33) No phone number or business account has this id.
    UnknownObject {
        /// The id of the path.
        id: String,
        /// `get` or `post`.
        method: &'static str,
    },
    /// (#133005) The pin is not the number's two-step verification pin.
    PinMismatch,
    /// (#133006) The number must be verified with a code before it is registered.
    ReverificationNeeded,
    /// (#133009) A pin was tried too soon after a wrong one.
    PinTooFast,
    /// (#133010) The number is not registered on the Cloud API.
    NotRegistered,
    /// (#133015) The number was deregistered a moment ago.
    RecentlyDeregistered,
    /// (#133016) Too many register or deregister requests: the number is blocked.
    RateLimited {
        /// Which requests.
        counted: Counted,
        /// Until when (RFC 3339).
        until: String,
    },
    /// (#136024) The code could not be sent.
    RequestCode {
        /// The rule that refused it.
        rule: &'static str,
        /// Why.
        details: Cow<'static, str>,
    },
    /// (#136025) The code could not be verified.
    VerifyCode {
        /// The rule that refused it.
        rule: &'static str,
        /// Why.
        details: Cow<'static, str>,
    },
    /// No access token, or not the one `--graph-token` names.
    Token {
        /// Whether none was sent at all.
        missing: bool,
    },
}

impl CloudError {
    /// A wrong or missing parameter.
    pub fn invalid(rule: &'static str, details: impl Into<Cow<'static, str>>) -> Self {
        Self::InvalidParameter {
            rule,
            details: details.into(),
        }
    }

    /// The Graph error code.
    pub fn code(&self) -> u32 {
        match self {
            Self::InvalidParameter { .. } | Self::UnknownObject { .. } => 100,
            Self::PinMismatch => 133_005,
            Self::ReverificationNeeded => 133_006,
            Self::PinTooFast => 133_009,
            Self::NotRegistered => 133_010,
            Self::RecentlyDeregistered => 133_015,
            Self::RateLimited { .. } => 133_016,
            Self::RequestCode { .. } => 136_024,
            Self::VerifyCode { .. } => 136_025,
            Self::Token { missing: true } => 104,
            Self::Token { missing: false } => 190,
        }
    }

    /// The message's text after `(#code) `: the code's title as Meta writes it.
    pub fn title(&self) -> Cow<'static, str> {
        match self {
            Self::UnknownObject { id, method } => format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            )
            .into(),
            Self::Token { missing: true } => {
                "An access token is required to request this resource.".into()
            }
            Self::Token { missing: false } => {
                "Invalid OAuth access token - Cannot parse access token".into()
            }
            other => title(other.code()).into(),
        }
    }

    /// What went wrong and what to do, for `error_data.details`.
    pub fn details(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidParameter { details, .. }
            | Self::RequestCode { details, .. }
            | Self::VerifyCode { details, .. } => details.clone(),
            Self::UnknownObject { id, .. } => format!(
                "No phone number or WhatsApp Business Account has the id {id} in this cluster: list them with GET /{{version}}/{{waba_id}}/phone_numbers or GET /_emulator/clusters/{{cluster}}/cloud"
            )
            .into(),
            Self::PinMismatch => {
                "The pin is not this number's two-step verification pin: send the pin set on it (on the On-Premises deployment, for a migration)".into()
            }
            Self::ReverificationNeeded => {
                "This phone number is not verified: request a code (POST /{id}/request_code), verify it (POST /{id}/verify_code), then register; or migrate it with a backup".into()
            }
            Self::PinTooFast => {
                "A wrong pin was tried on this number less than 10 seconds ago: wait before trying again".into()
            }
            Self::NotRegistered => {
                "This phone number is not registered on the Cloud API: register it first (POST /{id}/register)".into()
            }
            Self::RecentlyDeregistered => {
                "This phone number was deregistered less than 5 minutes ago: wait a few minutes before registering it again".into()
            }
            Self::RateLimited { counted, until } => format!(
                "More than 10 {} requests for this number in 72 hours: it is blocked from registering and deregistering until {until}",
                counted.as_str()
            )
            .into(),
            Self::Token { missing: true } => {
                "Send an access token: Authorization: Bearer <token>, or ?access_token=<token>".into()
            }
            Self::Token { missing: false } => {
                "The access token is not the one this emulator takes (--graph-token)".into()
            }
        }
    }

    /// The rule that fired, for `X-Emulator-Reason`.
    pub fn reason(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidParameter { rule, .. } => format!("cloud.param.{rule}").into(),
            Self::UnknownObject { .. } => "cloud.unknown_object".into(),
            Self::PinMismatch => "cloud.pin_mismatch".into(),
            Self::ReverificationNeeded => "cloud.not_verified".into(),
            Self::PinTooFast => "cloud.pin_too_fast".into(),
            Self::NotRegistered => "cloud.not_registered".into(),
            Self::RecentlyDeregistered => "cloud.recently_deregistered".into(),
            Self::RateLimited { counted, .. } => {
                format!("cloud.rate_limit.{}", counted.as_str()).into()
            }
            Self::RequestCode { rule, .. } => format!("cloud.request_code.{rule}").into(),
            Self::VerifyCode { rule, .. } => format!("cloud.verify_code.{rule}").into(),
            Self::Token { missing: true } => "cloud.token.missing".into(),
            Self::Token { missing: false } => "cloud.token.invalid".into(),
        }
    }
}

impl std::fmt::Display for CloudError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.details())
    }
}

impl std::error::Error for CloudError {}

impl std::fmt::Display for CloudErrorTitle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(#{}) {}", self.0.code(), self.0.title())
    }
}

/// `(#code) title`: the Graph envelope's `message`.
pub struct CloudErrorTitle<'a>(pub &'a CloudError);

/// The title Meta gives a Graph error code (the part of `message` after `(#code) `).
pub fn title(code: u32) -> &'static str {
    match code {
        1 => "An unknown error occurred",
        2 => "Service temporarily unavailable",
        4 => "Application request limit reached",
        100 => "Invalid parameter",
        131_000 => "Something went wrong",
        133_000 => "Incomplete deregistration",
        133_004 => "Server temporarily unavailable",
        133_005 => "Two step verification PIN Mismatch",
        133_006 => "Phone number re-verification needed",
        133_008 => "Too many two step verification PIN guesses",
        133_009 => "Two step verification PIN guessed too fast",
        133_010 => "Account not registered",
        133_015 => "Please wait a few minutes before attempting to register this phone number",
        133_016 => "Account register deregister rate limit exceeded",
        136_024 => "Request code error",
        136_025 => "Verify code error",
        _ => "An unknown error occurred",
    }
}
