//! Where cluster state lasts: nowhere (in memory, the default) or an embedded database
//! (`--data-dir`).
//!
//! Every operation that changes a cluster describes its changes as [`Change`]s and submits them
//! while it still holds the cluster's lock, so they reach the database in the order they happened.
//! The request then waits on the returned [`Ticket`] before answering: with a database, an answer
//! is only sent once its changes (and everything before them) are committed to disk. Commits are
//! grouped: one fsync serves every request that arrived meanwhile.

mod durable;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

pub use durable::{Durable, FILE_NAME};

use super::{Session, User};
use crate::domain::cloud::Waba;
use crate::domain::model::{Account, Pending, SentCode};
use crate::domain::phone::Method;
use crate::domain::policy::RuleSpec;
use crate::domain::{Error, Result};

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

/// The changes one operation makes, collected only when they will be stored: in memory, the
/// emulator does not even build them.
#[derive(Debug, Default)]
pub struct Log {
    enabled: bool,
    changes: Vec<Change>,
}

impl Log {
    /// A log that keeps changes when `enabled`.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            changes: Vec::new(),
        }
    }

    /// Records the change `make` builds, if changes are kept.
    pub fn push(&mut self, make: impl FnOnce() -> Change) {
        if self.enabled {
            self.changes.push(make());
        }
    }

    /// Whether changes are kept.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The changes recorded.
    pub fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}

/// Waits until submitted changes are durable.
#[must_use = "an answer must wait until its changes are durable"]
pub struct Ticket(Option<oneshot::Receiver<Result<(), String>>>);

impl Ticket {
    /// Already durable (nothing to wait for).
    pub fn ready() -> Self {
        Self(None)
    }

    /// Resolves once the changes are on disk; an error when they could not be written.
    pub async fn durable(self) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(rx) => match rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Error::Storage(e)),
                Err(_) => Err(Error::Storage("the storage writer stopped".into())),
            },
        }
    }
}

/// A place for cluster state to last.
pub trait Persistence: Send + Sync + fmt::Debug {
    /// Queues `changes`; called under the cluster's lock so that order is kept.
    fn submit(&self, changes: Vec<Change>) -> Ticket;

    /// Whether changes are stored at all (if not, operations skip building them).
    fn is_durable(&self) -> bool {
        true
    }

    /// Everything stored, by cluster name.
    fn load(&self) -> Result<HashMap<String, ClusterRecord>, String>;

    /// Flushes and closes; later submissions fail.
    fn close(&self) {}
}

/// Nothing lasts: the default, in-memory emulator.
#[derive(Debug, Default)]
pub struct Volatile;

impl Persistence for Volatile {
    fn submit(&self, _: Vec<Change>) -> Ticket {
        Ticket::ready()
    }

    fn load(&self) -> Result<HashMap<String, ClusterRecord>, String> {
        Ok(HashMap::new())
    }

    fn is_durable(&self) -> bool {
        false
    }
}
