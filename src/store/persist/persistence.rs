//! The place where state lasts, as the store sees it: changes submitted in order, a ticket to
//! wait on until they are durable, and the in-memory place where nothing lasts.

use std::collections::HashMap;
use std::fmt;

use tokio::sync::oneshot;

use super::records::{Change, ClusterRecord};
use crate::domain::{Error, Result};

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
pub struct Ticket(pub(super) Option<oneshot::Receiver<Result<(), String>>>);

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
