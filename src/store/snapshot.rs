//! A cluster's whole state as one JSON document: `GET /_emulator/clusters/{c}/state` answers it,
//! `PUT` makes a cluster exactly that (any cluster, of any emulator of the same format version).
//! The document is what the data directory keeps of a cluster (users and password hashes,
//! tokens by their digest, the registration, pins, the pending code, the outbox, the rate
//! counters, the policy and rules, the clock, the Cloud account), with what it does not keep
//! (the Coreapps and failover delay, armed faults).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::Cluster;
use super::persist::{Change, MetaRecord, RegistrationRecord, digest_from_hex, digest_hex};
use super::state::{Session, State, User};
use crate::domain::cloud::Waba;
use crate::domain::faults::FaultSpec;
use crate::domain::model::SentCode;
use crate::domain::phone::{Method, Number};
use crate::domain::policy::{PolicyKind, scripted};
use crate::domain::{Error, Result};

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

fn invalid(message: String) -> Error {
    Error::invalid("state", "document", message)
}

impl Cluster {
    /// The cluster's whole state.
    pub fn snapshot(&self) -> StateDocument {
        self.with(|c| StateDocument {
            version: FORMAT_VERSION,
            cluster: Some(self.name().to_owned()),
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
            meta: self.meta_record(c),
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
        })
    }

    /// Makes the cluster exactly `document` (stored with `--data-dir`); nothing changes when
    /// the document cannot be used.
    pub async fn restore_state(&self, document: StateDocument) -> Result<()> {
        if document.version > FORMAT_VERSION {
            return Err(invalid(format!(
                "This state document has format version {}, newer than this emulator's ({FORMAT_VERSION}): read it with a newer emulator",
                document.version
            )));
        }
        let mut state = State::fresh(self.settings());
        for (name, user) in &document.users {
            state.users.insert(name.as_str().into(), user.clone());
        }
        for entry in &document.tokens {
            let digest = digest_from_hex(&entry.digest).ok_or_else(|| {
                invalid(format!(
                    "tokens: digest {:?} is not 64 hexadecimal digits",
                    entry.digest
                ))
            })?;
            state.sessions.insert(digest, entry.session.clone());
        }
        let registration = document.registration.clone();
        state.registered = registration.registered.clone();
        state.pins = registration.pins.clone();
        state.pending = registration.pending.clone();
        state.restarting_until = registration.restarting_until;
        let now = self.now();
        let coreapps = document
            .topology
            .coreapps
            .max(u16::from(registration.shards.max(1)));
        state.topology.set_coreapps(coreapps, now).map_err(|_| {
            invalid(format!(
                "topology: {coreapps} Coreapps cannot be set (1 to {})",
                crate::domain::topology::MAX_COREAPPS
            ))
        })?;
        state
            .topology
            .set_shards(registration.shards.max(1))
            .map_err(|_| invalid(format!("registration: {} shards", registration.shards)))?;
        let delay = document.topology.failover_delay_seconds;
        if !(delay.is_finite() && (0.0..=3600.0).contains(&delay)) {
            return Err(invalid(format!(
                "topology: failover_delay_seconds {delay} is not from 0 to 3600"
            )));
        }
        state.topology.failover_delay = Duration::from_secs_f64(delay);
        for entry in &document.sends {
            let number = Number::from_e164(&entry.number).ok_or_else(|| {
                invalid(format!(
                    "sends: {:?} is not a number's E.164 digits",
                    entry.number
                ))
            })?;
            state
                .sends
                .insert((number.key(), entry.method), entry.times.clone());
        }
        state.outbox = document.outbox.iter().cloned().collect();
        state.outbox_seq = document.outbox.iter().map(|c| c.seq).max().unwrap_or(0);
        let kind: PolicyKind = document
            .meta
            .policy
            .parse()
            .map_err(|_| invalid(format!("meta: unknown policy {:?}", document.meta.policy)))?;
        let rules = document
            .meta
            .rules
            .clone()
            .map(|specs| {
                specs
                    .into_iter()
                    .enumerate()
                    .map(|(i, spec)| scripted::Rule::new(spec, i + 1))
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|e| invalid(format!("meta: rules: {e}")))?;
        state.policy = kind
            .build(self.settings().rules, rules)
            .map_err(|e| invalid(format!("meta: {e}")))?;
        for (i, spec) in document.faults.iter().enumerate() {
            spec.check()
                .map_err(|e| invalid(format!("faults[{i}]: {e}")))?;
        }
        state.faults.arm(document.faults.clone());
        state.waba = document.cloud.clone();
        let key = self.key();
        let ((), ticket) = self.write(|c, log| {
            *c = state;
            self.offset_ms
                .store(document.meta.offset_ms, Ordering::Relaxed);
            log.push(|| Change::ResetCluster(key.clone()));
            for (name, user) in &document.users {
                log.push(|| Change::User(key.clone(), name.clone(), Some(user.clone())));
            }
            for (digest, session) in &c.sessions {
                log.push(|| Change::Session(key.clone(), *digest, Some(session.clone())));
            }
            log.push(|| Change::Registration(key.clone(), c.registration_record()));
            for entry in &document.sends {
                log.push(|| {
                    Change::Sends(
                        key.clone(),
                        entry.number.clone(),
                        entry.method,
                        entry.times.clone(),
                    )
                });
            }
            for code in &c.outbox {
                log.push(|| Change::Code(key.clone(), code.seq, Some(code.clone())));
            }
            log.push(|| Change::Meta(key.clone(), self.meta_record(c)));
            log.push(|| Change::Cloud(key.clone(), c.waba.clone()));
        });
        self.arrivals.notify_waiters();
        ticket.durable().await?;
        self.changed("state");
        Ok(())
    }
}
