//! The state document's shape, and a cluster's state written as one ([`document_of`]) or put in
//! place from a checked one ([`Cluster::install`]).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::domain::Result;
use crate::domain::cloud::Waba;
use crate::domain::faults::FaultSpec;
use crate::domain::model::SentCode;
use crate::domain::phone::Method;
use crate::store::Cluster;
use crate::store::data::{ClusterData, Session, User};
use crate::store::persist::{Change, MetaRecord, RegistrationRecord, digest_hex};

/// The format of the documents this emulator writes; a newer one is refused.
pub const FORMAT_VERSION: u32 = 1;

/// A live token, by the SHA-256 of its text (the token itself is never kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenEntry {
    /// The SHA-256 of the token, hexadecimal.
    pub digest: String,
    /// Whose it is and until when.
    #[serde(flatten)]
    pub session: Session,
}

/// When codes were sent to one number by one method (the rate limit's counter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendsEntry {
    /// E.164 digits.
    pub number: String,
    /// sms or voice.
    pub method: Method,
    /// When.
    pub times: Vec<SystemTime>,
}

/// The deployment's shape beyond its shards (which the registration holds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologyEntry {
    /// Coreapps.
    pub coreapps: u16,
    /// How long a stopped Coreapp's shards stay down, in seconds.
    pub failover_delay_seconds: f64,
}

/// Everything one cluster holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    /// [`FORMAT_VERSION`] of the emulator that wrote it.
    pub version: u32,
    /// The cluster it was read from (informative: a `PUT` goes to the cluster of its path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Users by name, with their password hashes.
    pub users: BTreeMap<String, User>,
    /// Live tokens.
    #[serde(default)]
    pub tokens: Vec<TokenEntry>,
    /// The registration, pins, pending code, restart and shards.
    pub registration: RegistrationRecord,
    /// The rate limit's counters.
    #[serde(default)]
    pub sends: Vec<SendsEntry>,
    /// Codes sent, oldest first.
    #[serde(default)]
    pub outbox: Vec<SentCode>,
    /// Policy, rules and the clock's advance.
    pub meta: MetaRecord,
    /// Coreapps and failover delay.
    pub topology: TopologyEntry,
    /// Faults still armed, each with the times it will still fire.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// The Cloud API's account.
    #[serde(default)]
    pub cloud: Waba,
}

/// The state document of the locked state `c` of cluster `name`, whose clock is `offset_ms`
/// ahead.
pub(in crate::store) fn document_of(name: &str, c: &ClusterData, offset_ms: u64) -> StateDocument {
    StateDocument {
        version: FORMAT_VERSION,
        cluster: Some(name.to_owned()),
        users: c
            .users
            .iter()
            .map(|(name, user)| (name.to_string(), user.clone()))
            .collect(),
        tokens: {
            let mut tokens: Vec<TokenEntry> = c
                .sessions
                .iter()
                .map(|(digest, session)| TokenEntry {
                    digest: digest_hex(digest),
                    session: session.clone(),
                })
                .collect();
            tokens.sort_by(|a, b| a.digest.cmp(&b.digest));
            tokens
        },
        registration: c.registration_record(),
        sends: {
            let mut sends: Vec<SendsEntry> = c
                .sends
                .iter()
                .map(|((key, method), times)| SendsEntry {
                    number: key.to_string(),
                    method: *method,
                    times: times.clone(),
                })
                .collect();
            sends.sort_by(|a, b| {
                (&a.number, a.method.as_str()).cmp(&(&b.number, b.method.as_str()))
            });
            sends
        },
        outbox: c.outbox.iter().cloned().collect(),
        meta: MetaRecord {
            policy: c.policy.name().to_owned(),
            rules: c.policy.rules(),
            offset_ms,
        },
        topology: TopologyEntry {
            coreapps: c.topology.coreapps(),
            failover_delay_seconds: c.topology.failover_delay.as_secs_f64(),
        },
        faults: c
            .faults
            .list()
            .iter()
            .filter(|f| f.remaining > 0)
            .map(|f| FaultSpec {
                times: f.remaining,
                ..f.spec.clone()
            })
            .collect(),
        cloud: c.waba.clone(),
    }
}

impl Cluster {
    /// The cluster's whole state.
    pub fn snapshot(&self) -> StateDocument {
        self.with(|c| document_of(self.name(), c, self.offset_ms.load(Ordering::Relaxed)))
    }

    /// Makes the cluster exactly `checked` (stored with `--data-dir`); [`crate::store::Store::restore`]
    /// checks a document first.
    pub(in crate::store) async fn restore_checked(&self, checked: Checked) -> Result<()> {
        let ((), ticket) = self.write(|c, log| self.install(c, checked, log));
        self.arrivals.notify_waiters();
        ticket.durable().await?;
        self.changed("state");
        Ok(())
    }

    /// Puts `checked` in place of the locked state `c`, logging everything it holds.
    pub(in crate::store) fn install(
        &self,
        c: &mut ClusterData,
        checked: Checked,
        log: &mut crate::store::persist::Log,
    ) {
        *c = checked.state;
        self.offset_ms.store(checked.offset_ms, Ordering::Relaxed);
        let key = self.key();
        log.push(|| Change::ResetCluster(key.clone()));
        for (name, user) in &c.users {
            log.push(|| Change::User(key.clone(), name.to_string(), Some(user.clone())));
        }
        for (digest, session) in &c.sessions {
            log.push(|| Change::Session(key.clone(), *digest, Some(session.clone())));
        }
        log.push(|| Change::Registration(key.clone(), c.registration_record()));
        for ((number, method), times) in &c.sends {
            log.push(|| Change::Sends(key.clone(), number.to_string(), *method, times.clone()));
        }
        for code in &c.outbox {
            log.push(|| Change::Code(key.clone(), code.seq, Some(code.clone())));
        }
        log.push(|| Change::Meta(key.clone(), self.meta_record(c)));
        log.push(|| Change::Cloud(key.clone(), c.waba.clone()));
    }
}

/// A state document held to the rules of the API that would have made each of its values, and
/// made into a cluster's state; not in place yet.
#[derive(Debug)]
pub(in crate::store) struct Checked {
    pub(super) state: ClusterData,
    pub(super) offset_ms: u64,
}
