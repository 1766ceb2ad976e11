//! The Cloud API's failures, with the codes Meta documents for phone-number registration
//! (<https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes>).
//! The HTTP layer alone gives each its status and writes the Graph envelope.

use std::borrow::Cow;

/// Wrong two-step verification pins in a row before pins are refused (133008).
pub const PIN_GUESSES: u32 = 5;

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
    /// (#100) A parameter the call needs was not sent: Meta's `The parameter NAME is required.`
    MissingParameter {
        /// The parameter's name.
        name: String,
    },
    /// (2500) A path below a Graph version that no object or edge has: `components` is the part
    /// of the path Graph could not read (`/foo`).
    UnknownPath {
        /// The unread part of the path.
        components: String,
        /// What the emulator serves, for `X-Emulator-Details`.
        details: Cow<'static, str>,
    },
    /// (#133005) The pin is not the number's two-step verification pin.
    PinMismatch,
    /// (#133008) Too many wrong pins in a row: pins are refused until `until` (RFC 3339).
    PinLocked {
        /// Until when.
        until: String,
    },
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
    /// (100, `GraphMethodException`) With an app secret set, an `appsecret_proof` that is not
    /// the HMAC-SHA256 of the token under it (`missing: false`), or none where one is required.
    AppSecretProof {
        /// Whether none was sent.
        missing: bool,
    },
    /// (#100) A field the node does not have: Graph refuses the whole read.
    UnknownField {
        /// The field asked for.
        field: String,
        /// The node's type, as Graph names it (`WhatsAppBusinessPhoneNumber`).
        node: &'static str,
        /// The fields the node has, for `X-Emulator-Details`.
        fields: String,
    },
    /// (#2200) The callback URL of a subscription did not pass Meta's verification request.
    CallbackVerification {
        /// What came back, as Graph words it.
        message: String,
    },
    /// (190, subcode 463) A token made to expire, expired on the cluster's clock.
    TokenExpired {
        /// When it expired, and the time now, as Graph writes them (`Sunday, 06-Dec-26
        /// 02:00:00 PST`).
        expired: String,
        /// The cluster's time now.
        now: String,
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
            Self::InvalidParameter { .. }
            | Self::MissingParameter { .. }
            | Self::UnknownObject { .. }
            | Self::AppSecretProof { .. }
            | Self::UnknownField { .. } => 100,
            Self::UnknownPath { .. } => 2500,
            Self::CallbackVerification { .. } => 2200,
            Self::PinMismatch => 133_005,
            Self::PinLocked { .. } => 133_008,
            Self::ReverificationNeeded => 133_006,
            Self::PinTooFast => 133_009,
            Self::NotRegistered => 133_010,
            Self::RecentlyDeregistered => 133_015,
            Self::RateLimited { .. } => 133_016,
            Self::RequestCode { .. } => 136_024,
            Self::VerifyCode { .. } => 136_025,
            Self::Token { missing: true } => 104,
            Self::Token { missing: false } | Self::TokenExpired { .. } => 190,
        }
    }

    /// `error_subcode`, where Graph gives one.
    pub fn subcode(&self) -> Option<u32> {
        match self {
            Self::UnknownObject { .. } => Some(33),
            Self::TokenExpired { .. } => Some(463),
            _ => None,
        }
    }

    /// Whether it is one of Graph's own errors (tokens, objects, paths), written as Graph
    /// writes them: the message without a `(#code)` prefix and no `error_data`, which belong
    /// to WhatsApp's codes and parameter errors.
    pub fn is_core(&self) -> bool {
        matches!(
            self,
            Self::UnknownObject { .. }
                | Self::UnknownPath { .. }
                | Self::Token { .. }
                | Self::TokenExpired { .. }
                | Self::AppSecretProof { .. }
        )
    }

    /// Whether the envelope has `error_data` (WhatsApp's codes and parameter errors): not for
    /// Graph's own errors, nor for a field a node does not have, which Graph writes with its
    /// `(#100)` and no `error_data`.
    pub fn has_error_data(&self) -> bool {
        !self.is_core()
            && !matches!(
                self,
                Self::UnknownField { .. } | Self::CallbackVerification { .. }
            )
    }

    /// `type`: `GraphMethodException` for an object that does not take the call and for an
    /// app secret proof, else `OAuthException`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownObject { .. } | Self::AppSecretProof { .. } => "GraphMethodException",
            _ => "OAuthException",
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
            Self::TokenExpired { expired, now } => format!(
                "Error validating access token: Session has expired on {expired}. The current time is {now}."
            )
            .into(),
            Self::UnknownPath { components, .. } => {
                format!("Unknown path components: {components}").into()
            }
            Self::MissingParameter { name } => format!("The parameter {name} is required.").into(),
            Self::AppSecretProof { missing: false } => {
                "Invalid appsecret_proof provided in the API argument".into()
            }
            Self::AppSecretProof { missing: true } => {
                "API calls from the server require an appsecret_proof argument".into()
            }
            Self::UnknownField { field, node, .. } => {
                format!("Tried accessing nonexisting field ({field}) on node type ({node})").into()
            }
            Self::CallbackVerification { message } => message.clone().into(),
            other => title(other.code()).into(),
        }
    }

    /// What went wrong and what to do, for `error_data.details`.
    pub fn details(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidParameter { details, .. }
            | Self::RequestCode { details, .. }
            | Self::VerifyCode { details, .. }
            | Self::UnknownPath { details, .. } => details.clone(),
            Self::CallbackVerification { message } => message.clone().into(),
            Self::MissingParameter { name } => {
                format!("Send the parameter {name}: in the JSON body, a form body or the query string").into()
            }
            Self::PinLocked { until } => format!(
                "{PIN_GUESSES} wrong two-step verification pins in a row were sent for this number: pins are refused until {until}"
            )
            .into(),
            Self::TokenExpired { .. } => {
                "This token was made to expire (POST /_emulator/clusters/{cluster}/graph/tokens) and the cluster's clock passed its end: make a new one".into()
            }
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
            Self::AppSecretProof { missing: false } => {
                "appsecret_proof must be the hex HMAC-SHA256 of the access token keyed with the app secret (--app-secret), of TOKEN|appsecret_time when appsecret_time is sent".into()
            }
            Self::AppSecretProof { missing: true } => {
                "This emulator requires appsecret_proof on every Graph call (--require-appsecret-proof): send the hex HMAC-SHA256 of the access token keyed with the app secret".into()
            }
            Self::UnknownField { node, fields, .. } => {
                format!("The fields of {node} are {fields}").into()
            }
        }
    }

    /// The rule that fired, for `X-Emulator-Reason`.
    pub fn reason(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidParameter { rule, .. } => format!("cloud.param.{rule}").into(),
            Self::MissingParameter { .. } => "cloud.param.missing".into(),
            Self::UnknownPath { .. } => "not_found.route".into(),
            Self::PinLocked { .. } => "cloud.pin_locked".into(),
            Self::TokenExpired { .. } => "cloud.token.expired".into(),
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
            Self::AppSecretProof { missing: false } => "cloud.appsecret_proof.invalid".into(),
            Self::AppSecretProof { missing: true } => "cloud.appsecret_proof.missing".into(),
            Self::UnknownField { .. } => "cloud.param.fields".into(),
            Self::CallbackVerification { .. } => "cloud.webhook.verification".into(),
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
        if self.0.is_core() {
            write!(f, "{}", self.0.title())
        } else {
            write!(f, "(#{}) {}", self.0.code(), self.0.title())
        }
    }
}

/// The Graph envelope's `message`: `(#code) title` for WhatsApp's codes and parameter errors,
/// the title alone for Graph's own errors.
pub struct CloudErrorTitle<'a>(pub &'a CloudError);

/// The title Meta gives a Graph error code (the part of `message` after `(#code) `), from
/// Meta's table of WhatsApp error codes
/// (<https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes>)
/// and Graph's own (<https://developers.facebook.com/docs/graph-api/guides/error-handling>).
pub fn title(code: u32) -> &'static str {
    match code {
        0 => "AuthException",
        1 => "An unknown error occurred",
        2 => "Service temporarily unavailable",
        3 => "API Method",
        4 => "Application request limit reached",
        10 => "Permission Denied",
        33 => "Parameter value is not valid",
        100 => "Invalid parameter",
        190 => "Access token has expired",
        200..=299 => "API Permission",
        368 => "Temporarily blocked for policies violations",
        80_007 => "Rate limit issues",
        130_429 => "Rate limit hit",
        130_472 => "User's number is part of an experiment",
        130_497 => "Business account is restricted from messaging users in this country",
        131_000 => "Something went wrong",
        131_005 => "Access denied",
        131_008 => "Required parameter is missing",
        131_009 => "Parameter value is not valid",
        131_016 => "Service unavailable",
        131_021 => "Recipient cannot be sender",
        131_026 => "Message Undeliverable",
        131_031 => "Business Account locked",
        131_037 => {
            "WhatsApp provided number needs display name approval before message can be sent"
        }
        131_042 => "Business eligibility payment issue",
        131_045 => "Incorrect certificate",
        131_047 => "Re-engagement message",
        131_048 => "Spam rate limit hit",
        131_051 => "Unsupported message type",
        131_052 => "Media download error",
        131_053 => "Media upload error",
        131_056 => "(Business Account, Consumer Account) pair rate limit hit",
        131_057 => "Account in maintenance mode",
        133_000 => "Incomplete deregistration",
        133_004 => "Server temporarily unavailable",
        133_005 => "Two step verification PIN Mismatch",
        133_006 => "Phone number re-verification needed",
        133_008 => "Too many two step verification PIN guesses",
        133_009 => "Two step verification PIN Guessed Too Fast",
        // Meta's table titles it "Phone number Not Registered"; the answers people pasted
        // (pywa, whatsapp-api-js issues) read "Account not registered": the answers win.
        133_010 => "Account not registered",
        133_015 => "Please wait a few minutes before attempting to register this phone number",
        133_016 => "Account register deregister rate limit exceeded",
        135_000 => "Generic user error",
        136_024 => "Request code error",
        136_025 => "Verify code error",
        _ => "An unknown error occurred",
    }
}
