//! Emulated deployments ("clusters") and where their state lives.
//!
//! The [`Store`] maps cluster names to [`ClusterSlot`]s, created on first use. Each slot guards
//! its [`Cluster`] state with a mutex that is only ever held for a few field updates, never across
//! an `.await` or a password hash. Domain operations live beside it: [`users`] for accounts and
//! tokens, [`registration`] for codes, verification and pins.

mod cluster;
pub mod registration;
pub mod users;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

pub use cluster::{Account, Cluster, Pending, SentCode, User};

use crate::clock::Clock;
use crate::policy::{ClassicRules, RegistrationPolicy};

/// The cluster that plain `/v1/...` addresses.
pub const DEFAULT_CLUSTER: &str = "default";

/// Whether `name` is a valid cluster name: 1–64 of `[A-Za-z0-9._-]`.
pub fn is_valid_cluster_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Which codes of an outbox to look at; `None` matches any.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeFilter<'a> {
    /// Country calling code.
    pub cc: Option<&'a str>,
    /// National number.
    pub phone_number: Option<&'a str>,
    /// Delivery method.
    pub method: Option<crate::phone::Method>,
}

/// What every cluster starts from, and the limits every operation applies.
#[derive(Debug)]
pub struct Settings {
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// The policy a new or reset cluster gets.
    pub default_policy: Arc<dyn RegistrationPolicy>,
    /// The limits of the classic flow (also how long send history is kept).
    pub rules: ClassicRules,
    /// Lifetime of a login token.
    pub token_ttl: Duration,
    /// Lifetime of a registration code.
    pub code_ttl: Duration,
    /// Every code sent is this one, when set.
    pub fixed_code: Option<String>,
    /// How long a simulated Coreapp restart lasts.
    pub restart_duration: Duration,
    /// Codes kept in a cluster's outbox; the oldest are dropped beyond it.
    pub outbox_limit: usize,
    /// Requests kept in a cluster's journal; the oldest are dropped beyond it.
    pub journal_limit: usize,
    /// Hash of the admin password every new cluster starts with, computed once.
    pub admin_hash: Arc<str>,
    /// Whether the admin must change that password at first login (the factory default).
    pub admin_must_change: bool,
}

/// One cluster: its state and the means to wait for its outbox.
#[derive(Debug)]
pub struct ClusterSlot {
    name: Arc<str>,
    settings: Arc<Settings>,
    state: Mutex<Cluster>,
    arrivals: Notify,
    /// How far this cluster's virtual clock is ahead of the real one, in milliseconds. Outside
    /// the mutex: every operation reads it.
    offset_ms: AtomicU64,
}

impl ClusterSlot {
    fn new(name: &str, settings: Arc<Settings>) -> Self {
        Self {
            name: name.into(),
            state: Mutex::new(Cluster::fresh(&settings)),
            settings,
            arrivals: Notify::new(),
            offset_ms: AtomicU64::new(0),
        }
    }

    /// The cluster's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Locks the state. The guard must not be held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, Cluster> {
        // A panic while holding the lock leaves plain data behind, still consistent field by
        // field; serving on is better than failing every later request.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the locked state.
    pub fn with<R>(&self, f: impl FnOnce(&mut Cluster) -> R) -> R {
        f(&mut self.lock())
    }

    /// Resolves when a code arrives in this cluster's outbox or the cluster is reset.
    pub fn arrivals(&self) -> &Notify {
        &self.arrivals
    }

    /// The settings this cluster runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The cluster's current time: the clock plus the cluster's virtual advance.
    pub fn now(&self) -> SystemTime {
        self.settings.clock.now() + self.offset()
    }

    /// How far the cluster's time has been advanced.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the cluster's time forward: codes go stale, windows roll, tokens expire.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Starts a simulated Coreapp restart lasting `duration` from now.
    pub fn restart(&self, duration: Duration) -> SystemTime {
        let until = self.now() + duration;
        self.with(|c| c.restarting_until = Some(until));
        until
    }
}

/// Every cluster of this emulator.
#[derive(Debug)]
pub struct Store {
    settings: Arc<Settings>,
    clusters: RwLock<HashMap<Arc<str>, Arc<ClusterSlot>>>,
}

impl Store {
    /// An empty store; clusters appear on first use.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings: Arc::new(settings),
            clusters: RwLock::default(),
        }
    }

    /// The settings every cluster shares.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The cluster `name`, created fresh if it does not exist. The name must be valid.
    pub fn cluster(&self, name: &str) -> Arc<ClusterSlot> {
        if let Some(slot) = self.read().get(name) {
            return slot.clone();
        }
        let mut clusters = self.write();
        clusters
            .entry(name.into())
            .or_insert_with(|| Arc::new(ClusterSlot::new(name, self.settings.clone())))
            .clone()
    }

    /// Names of the clusters that exist, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    }

    /// Returns cluster `name` to a fresh state (users, tokens, number, pins, codes, policy).
    pub fn reset(&self, name: &str) {
        let slot = self.read().get(name).cloned();
        if let Some(slot) = slot {
            *slot.lock() = Cluster::fresh(&self.settings);
            slot.offset_ms.store(0, Ordering::Relaxed);
            slot.arrivals.notify_waiters();
        }
    }

    /// Forgets every cluster; each is created fresh again on next use.
    pub fn reset_all(&self) {
        let old = std::mem::take(&mut *self.write());
        for slot in old.values() {
            slot.arrivals.notify_waiters();
        }
    }

    /// The newest code of cluster `name` matching `filter`, waiting until one arrives or
    /// `deadline` passes. Woken by arrivals, not by polling.
    pub async fn wait_for_code(
        &self,
        name: &str,
        filter: CodeFilter<'_>,
        deadline: tokio::time::Instant,
    ) -> Option<SentCode> {
        loop {
            // Looked up each round: a reset of every cluster replaces the slot.
            let slot = self.cluster(name);
            let arrival = slot.arrivals().notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if let Some(sent) = slot
                .codes(filter.cc, filter.phone_number, filter.method)
                .pop()
            {
                return Some(sent);
            }
            tokio::select! {
                () = &mut arrival => {}
                () = tokio::time::sleep_until(deadline) => return None,
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Arc<ClusterSlot>>> {
        self.clusters.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Arc<str>, Arc<ClusterSlot>>> {
        self.clusters.write().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names() {
        for ok in ["default", "a", "test-1.suite_B", &"x".repeat(64)] {
            assert!(is_valid_cluster_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65)] {
            assert!(!is_valid_cluster_name(bad), "{bad}");
        }
    }
}
