//! The records of a registration: the registered account, the pending code, and a code as the
//! outbox keeps it.

use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::phone::{Method, Number};

/// The number registered on a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The number.
    pub number: Number,
    /// Its verified name.
    pub vname: Arc<str>,
}

/// A code sent and not yet used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The number it was sent to.
    pub number: Number,
    /// The verified name of the request's certificate.
    pub vname: Arc<str>,
    /// The 6 digits.
    pub code: Arc<str>,
    /// When it goes stale.
    pub expires_at: SystemTime,
    /// Wrong guesses so far.
    pub wrong_guesses: u32,
}

/// Shared text that reads and compares as a plain string: `assert_eq!(sent.code, "123456")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Text(Arc<str>);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<Arc<str>> for Text {
    fn from(text: Arc<str>) -> Self {
        Self(text)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

/// Which API sent a code.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SentBy {
    /// `POST /v1/account` of the On-Premises API.
    #[default]
    OnPremises,
    /// `POST /{PHONE_NUMBER_ID}/request_code` of the Cloud API.
    Cloud,
}

/// A code as the control API and the event stream show it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SentView<'a> {
    cluster: &'a str,
    surface: SentBy,
    cc: &'a str,
    phone_number: &'a str,
    /// The number as Meta shows it (`+1 631-555-0000`), as everywhere else: in the control
    /// API's answers, not in the event stream (which shows every code sent, and stays cheap).
    #[serde(skip_serializing_if = "Option::is_none")]
    display_phone_number: Option<String>,
    method: Method,
    code: &'a Text,
    vname: &'a Text,
    sent_at: String,
    expires_at: String,
}

/// A code as the outbox records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentCode {
    /// Position in the cluster's outbox, increasing.
    #[serde(default)]
    pub seq: u64,
    /// Where it went.
    pub number: Number,
    /// How.
    pub method: Method,
    /// The 6 digits.
    pub code: Text,
    /// The verified name of the request's certificate.
    pub vname: Text,
    /// When it was sent.
    pub sent_at: SystemTime,
    /// When it goes stale.
    pub expires_at: SystemTime,
    /// Which API sent it (On-Premises in records of earlier versions).
    #[serde(default)]
    pub surface: SentBy,
}

impl SentCode {
    /// The code as the control API shows it: [`SentCode::view`] with `display_phone_number`.
    pub fn shown<'a>(&'a self, cluster: &'a str) -> SentView<'a> {
        SentView {
            display_phone_number: Some(super::cloud::display(&self.number)),
            ..self.view(cluster)
        }
    }

    /// The code as the event stream shows it.
    pub fn view<'a>(&'a self, cluster: &'a str) -> SentView<'a> {
        use super::clock::rfc3339;
        SentView {
            cluster,
            surface: self.surface,
            cc: self.number.cc(),
            phone_number: self.number.phone_number(),
            display_phone_number: None,
            method: self.method,
            code: &self.code,
            vname: &self.vname,
            sent_at: rfc3339(self.sent_at),
            expires_at: rfc3339(self.expires_at),
        }
    }
}
