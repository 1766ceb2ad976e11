//! The Cloud API's registration operations, as scripted rules and the journal name them.

use serde::{Deserialize, Serialize};

/// The Cloud API's registration operations, as scripted rules name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `POST /{id}/request_code`.
    RequestCode,
    /// `POST /{id}/verify_code`.
    VerifyCode,
    /// `POST /{id}/register` (a migration included).
    Register,
    /// `POST /{id}/deregister`.
    Deregister,
    /// `POST /{id}` with a pin.
    SetPin,
    /// `POST /{id}` with `webhook_configuration` or `new_display_name`.
    UpdateNumber,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Self; 6] = [
        Self::RequestCode,
        Self::VerifyCode,
        Self::Register,
        Self::Deregister,
        Self::SetPin,
        Self::UpdateNumber,
    ];

    /// Its name in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestCode => "request_code",
            Self::VerifyCode => "verify_code",
            Self::Register => "register",
            Self::Deregister => "deregister",
            Self::SetPin => "set_pin",
            Self::UpdateNumber => "update_number",
        }
    }

    /// The operation named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == text)
    }
}
