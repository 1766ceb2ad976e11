//! What is stored about a cluster: its records, and the changes that write them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::domain::cloud::Waba;
use crate::domain::model::{Account, Pending, SentCode};
use crate::domain::phone::Method;
use crate::domain::policy::RuleSpec;
use crate::store::{Session, User};

/// The registration part of a cluster, written as one record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// The registered number.
    pub registered: Option<Account>,
    /// Two-step pins by E.164 number.
    pub pins: HashMap<String, String>,
    /// The pending code.
    pub pending: Option<Pending>,
    /// Until when a restart lasts.
    pub restarting_until: Option<SystemTime>,
    /// Multiconnect shards (`POST /v1/account/shards`); 1 in records of earlier versions.
    #[serde(default = "one_shard")]
    pub shards: u8,
}

fn one_shard() -> u8 {
    1
}

/// The policy and clock of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetaRecord {
    /// Policy name.
    pub policy: String,
    /// Its rules, when scripted.
    pub rules: Option<Vec<RuleSpec>>,
    /// Virtual clock advance, in milliseconds.
    pub offset_ms: u64,
}

/// One change to a cluster's lasting state. `None` deletes.
#[derive(Debug, Clone)]
pub enum Change {
    /// A user was written or removed.
    User(Arc<str>, String, Option<User>),
    /// A token was issued or revoked (keyed by its SHA-256).
    Session(Arc<str>, [u8; 32], Option<Session>),
    /// The registration record was written.
    Registration(Arc<str>, RegistrationRecord),
    /// Send times of a number and method.
    Sends(Arc<str>, String, Method, Vec<SystemTime>),
    /// An outbox entry was written or dropped.
    Code(Arc<str>, u64, Option<SentCode>),
    /// The outbox was emptied.
    ClearCodes(Arc<str>),
    /// Policy or clock changed.
    Meta(Arc<str>, MetaRecord),
    /// The Cloud API's phone numbers changed.
    Cloud(Arc<str>, Waba),
    /// The cluster was reset.
    ResetCluster(Arc<str>),
    /// Every cluster was reset.
    ResetAll,
}

/// Everything stored about one cluster, as loaded at startup.
#[derive(Debug, Default)]
pub struct ClusterRecord {
    /// Users that differ from a fresh cluster's.
    pub users: Vec<(String, User)>,
    /// Live tokens.
    pub sessions: Vec<([u8; 32], Session)>,
    /// The registration record.
    pub registration: Option<RegistrationRecord>,
    /// Send times.
    pub sends: Vec<(String, Method, Vec<SystemTime>)>,
    /// The outbox, by sequence number.
    pub codes: Vec<(u64, SentCode)>,
    /// Policy and clock.
    pub meta: Option<MetaRecord>,
    /// The Cloud API's phone numbers.
    pub cloud: Option<Waba>,
}

/// A token's digest as stored and shown: 64 lowercase hexadecimal digits.
pub fn digest_hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// [`digest_hex`] read back; `None` unless `text` is 64 hexadecimal digits.
pub fn digest_from_hex(text: &str) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_read_back() {
        let digest = [0xab; 32];
        assert_eq!(
            super::digest_from_hex(&super::digest_hex(&digest)),
            Some(digest)
        );
        assert_eq!(super::digest_from_hex("zz"), None);
        assert_eq!(super::digest_from_hex(&"g".repeat(64)), None);
    }
}
