//! What decides where a change goes: the app's webhook (its callback URL, verify token, app
//! secret and fields, as the App Dashboard holds them), the account's subscription of that app
//! (`POST /{WABA_ID}/subscribed_apps`, perhaps with an override URL) and each number's override
//! (`POST /{PHONE_NUMBER_ID}` with `webhook_configuration`).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{Delivery, Field};

/// How deliveries are signed: `valid` as Meta signs them, or one of the ways an attacker's
/// request differs, so that a test proves the app refuses it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMode {
    /// `X-Hub-Signature-256` and `X-Hub-Signature` of the bytes sent, keyed with the app secret.
    #[default]
    Valid,
    /// No signature header.
    Missing,
    /// Signed with a key that is not the app secret.
    WrongSecret,
    /// Signed, then the body changed after signing.
    Tampered,
}

impl SignatureMode {
    /// The names taken.
    pub const NAMES: &str = "valid, missing, wrong_secret, tampered";

    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "valid" => Some(Self::Valid),
            "missing" => Some(Self::Missing),
            "wrong_secret" => Some(Self::WrongSecret),
            "tampered" => Some(Self::Tampered),
            _ => None,
        }
    }
}

/// The app's webhook, as its App Dashboard holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppWebhook {
    /// Where changes are sent (and the verification request first).
    pub callback_url: String,
    /// What the verification request carries as `hub.verify_token`.
    pub verify_token: String,
    /// The key of the signatures.
    pub app_secret: String,
    /// The fields the app subscribed to.
    pub fields: Vec<Field>,
    /// How deliveries are signed.
    #[serde(default)]
    pub signature: SignatureMode,
}

/// The account's subscription of the app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Where this account's changes go instead of the app's callback URL.
    pub override_callback_uri: Option<String>,
}

/// Deliveries kept per cluster; the oldest are dropped beyond it.
pub const DELIVERY_LIMIT: usize = 500;

/// A cluster's webhooks: the app's, the account's subscription and the deliveries made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhooks {
    /// The app's webhook; none until `PUT /_emulator/clusters/{c}/webhooks` or `--webhook-url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppWebhook>,
    /// Whether (and how) the app subscribed to the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Subscription>,
    /// Deliveries, oldest first.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub deliveries: VecDeque<Delivery>,
    /// The id of the last delivery made.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_id: u64,
    /// Deliveries made under the cluster's lock, handed to the courier once it is released.
    #[serde(skip)]
    pub outgoing: Vec<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Webhooks {
    /// Whether nothing is configured: changes of such a cluster are not even built.
    pub fn is_off(&self) -> bool {
        self.app.is_none() && self.subscribed.is_none()
    }

    /// Whether it holds nothing at all (left out of state documents).
    pub fn is_empty(&self) -> bool {
        self.is_off() && self.deliveries.is_empty() && self.last_id == 0
    }

    /// Keeps `delivery`, dropping the oldest beyond [`DELIVERY_LIMIT`].
    pub fn keep(&mut self, delivery: Delivery) {
        if self.deliveries.len() >= DELIVERY_LIMIT {
            self.deliveries.pop_front();
        }
        self.deliveries.push_back(delivery);
    }

    /// The delivery `id`.
    pub fn delivery(&mut self, id: u64) -> Option<&mut Delivery> {
        self.deliveries.iter_mut().find(|d| d.id == id)
    }
}

/// Whether `url` is one the emulator can send to: `http://host[:port]/path`, with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed: http::Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    match parsed.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "{url:?}: the emulator sends webhooks over plain http (Meta requires https of a public endpoint; a test receiver listens on http://)"
            ));
        }
        _ => {
            return Err(format!(
                "{url:?} must be an absolute http:// URL (http://app:8000/webhook)"
            ));
        }
    }
    if parsed.host().is_none_or(str::is_empty) {
        return Err(format!("{url:?} names no host"));
    }
    Ok(())
}
