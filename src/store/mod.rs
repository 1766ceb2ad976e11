//! Emulated deployments ("clusters") and where their state lives.
//!
//! The [`Store`] maps cluster names to [`Cluster`]s, created on first use. Each cluster guards
//! its state with a mutex that is only ever held for a few field updates, never across an
//! `.await` or a password hash, and only inside this module: callers use operations, as
//! mini-redis's `Db` does. They live beside it: [`users`] for accounts and tokens,
//! [`registration`] for codes, verification and pins, [`testing`] for faults, the journal, the
//! clock and restarts.

mod cluster;
pub mod deployment;
pub mod events;
pub mod journal;
pub mod persist;
pub mod registration;
mod small_map;
pub mod testing;
pub mod users;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

pub use cluster::{Session, User};

use self::cluster::State;
use self::persist::{Change, ClusterRecord, Log, MetaRecord, Persistence, Ticket};
use crate::domain::clock::{Clock, later, latest};
use crate::domain::model::SentCode;
use crate::domain::phone::{Method, Number};
use crate::domain::policy::{ClassicRules, PolicyKind, RegistrationPolicy, scripted};
use crate::domain::{Error, Result};

/// The cluster that plain `/v1/...` addresses.
pub const DEFAULT_CLUSTER: &str = "default";

/// Whether `name` is a valid cluster name: 1–64 of `[A-Za-z0-9._-]`.
pub fn is_valid_cluster_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        // `.` and `..` are path steps: clients normalise `/clusters/../v1` away.
        && !name.bytes().all(|b| b == b'.')
}

/// Which codes of an outbox to look at; `None` matches any.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeFilter<'a> {
    /// Country calling code.
    pub cc: Option<&'a str>,
    /// National number.
    pub phone_number: Option<&'a str>,
    /// Delivery method.
    pub method: Option<Method>,
}

impl CodeFilter<'_> {
    /// Whether `sent` passes the filter.
    pub fn matches(&self, sent: &SentCode) -> bool {
        sent.number.matches(self.cc, self.phone_number)
            && self.method.is_none_or(|m| m == sent.method)
    }
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
    pub fixed_code: Option<Arc<str>>,
    /// How long a simulated Coreapp restart lasts.
    pub restart_duration: Duration,
    /// Codes kept in a cluster's outbox; the oldest are dropped beyond it.
    pub outbox_limit: usize,
    /// Requests kept in a cluster's journal; the oldest are dropped beyond it.
    pub journal_limit: usize,
    /// Clusters that may exist at once.
    pub max_clusters: usize,
    /// Where events go (`GET /_emulator/events`).
    pub events: events::Events,
    /// Coreapps of a new cluster's deployment (1: a single instance).
    pub coreapps: u16,
    /// How long a shard whose Coreapp stopped stays down before another takes over.
    pub failover_delay: Duration,
    /// Where state lasts (nowhere, or the `--data-dir` database).
    pub persist: Arc<dyn Persistence>,
    /// Hash of the admin password every new cluster starts with, computed once.
    pub admin_hash: Arc<str>,
    /// Whether the admin must change that password at first login (the factory default).
    pub admin_must_change: bool,
}

/// One cluster: its state and the means to wait for its outbox.
#[derive(Debug)]
pub struct Cluster {
    name: Arc<str>,
    settings: Arc<Settings>,
    state: Mutex<State>,
    arrivals: Notify,
    /// How far this cluster's virtual clock is ahead of the real one, in milliseconds. Outside
    /// the mutex: every operation reads it.
    offset_ms: AtomicU64,
}

impl Cluster {
    fn new(name: &str, settings: Arc<Settings>) -> Self {
        Self {
            name: name.into(),
            state: Mutex::new(State::fresh(&settings)),
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
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind, still consistent field by
        // field; serving on is better than failing every later request.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the locked state.
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.lock())
    }

    /// Runs `f` on the locked state and submits the changes it logs before unlocking, so they
    /// are stored in the order they happened. An empty log is a barrier: the answer still waits
    /// until everything before it is stored, since it may depend on it.
    fn write<R>(&self, f: impl FnOnce(&mut State, &mut Log) -> R) -> (R, Ticket) {
        let mut guard = self.lock();
        let mut log = Log::new(self.settings.persist.is_durable());
        let result = f(&mut guard, &mut log);
        let ticket = if log.enabled() {
            self.settings.persist.submit(log.into_changes())
        } else {
            Ticket::ready()
        };
        drop(guard);
        (result, ticket)
    }

    /// The name as stored in changes.
    fn key(&self) -> Arc<str> {
        self.name.clone()
    }

    /// The policy and clock record of the locked state `c`.
    fn meta_record(&self, c: &State) -> MetaRecord {
        MetaRecord {
            policy: c.policy.name().to_owned(),
            rules: c.policy.rules(),
            offset_ms: self.offset_ms.load(Ordering::Relaxed),
        }
    }

    /// Puts back what was stored about this cluster.
    fn load_record(&self, record: ClusterRecord) -> Result<(), String> {
        let mut c = self.lock();
        for (name, user) in record.users {
            c.users.insert(name.into(), user);
        }
        c.sessions.extend(record.sessions);
        if let Some(reg) = record.registration {
            c.registered = reg.registered;
            c.pins = reg.pins;
            c.pending = reg.pending;
            c.restarting_until = reg.restarting_until;
            // Enough Coreapps for the stored shards, whatever --coreapps says now.
            let shards = reg.shards.max(1);
            if u16::from(shards) > c.topology.coreapps() {
                let now = self.now();
                c.topology
                    .set_coreapps(u16::from(shards), now)
                    .map_err(|_| format!("cluster {}: stored shards {shards}", self.name))?;
            }
            c.topology
                .set_shards(shards)
                .map_err(|_| format!("cluster {}: stored shards {shards}", self.name))?;
        }
        for (e164, method, times) in record.sends {
            let number = Number::from_e164(&e164)
                .ok_or_else(|| format!("cluster {}: stored number {e164:?}", self.name))?;
            c.sends.insert((number.key(), method), times);
        }
        let mut codes = record.codes;
        codes.sort_by_key(|(seq, _)| *seq);
        c.outbox_seq = codes.last().map_or(0, |(seq, _)| *seq);
        c.outbox = codes.into_iter().map(|(_, code)| code).collect();
        if let Some(meta) = record.meta {
            self.offset_ms.store(meta.offset_ms, Ordering::Relaxed);
            let kind: PolicyKind = meta.policy.parse().map_err(|_| {
                format!(
                    "cluster {}: unknown stored policy {:?}",
                    self.name, meta.policy
                )
            })?;
            let rules = meta
                .rules
                .map(|specs| {
                    specs
                        .into_iter()
                        .enumerate()
                        .map(|(i, spec)| scripted::Rule::new(spec, i + 1))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(|e| format!("cluster {}: stored rules: {e}", self.name))?;
            c.policy = kind
                .build(self.settings.rules, rules)
                .map_err(|e| format!("cluster {}: {e}", self.name))?;
        }
        Ok(())
    }

    /// The settings this cluster runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The cluster's current time: the clock plus the cluster's virtual advance.
    pub fn now(&self) -> SystemTime {
        later(self.settings.clock.now(), self.offset())
    }

    /// How far the cluster's time has been advanced.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the cluster's time forward: codes go stale, windows roll, tokens expire. An advance
    /// past the last time the emulator can show (9999-12-31T23:59:59Z) is refused.
    pub async fn advance(&self, by: Duration) -> Result<()> {
        let room = latest()
            .duration_since(self.now())
            .unwrap_or(Duration::ZERO);
        if by > room {
            return Err(Error::invalid(
                "advance_seconds",
                "range",
                format!(
                    "Parameter 'advance_seconds' would move the cluster's time past 9999-12-31T23:59:59Z, the last time the emulator can show: at most {} seconds are left (reset the cluster to start over)",
                    room.as_secs()
                ),
            ));
        }
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let ((), ticket) = self.write(|c, log| {
            self.offset_ms.fetch_add(ms, Ordering::Relaxed);
            log.push(|| Change::Meta(self.key(), self.meta_record(c)));
        });
        ticket.durable().await?;
        self.changed("clock");
        Ok(())
    }

    /// Starts a simulated Coreapp restart lasting `duration` from now.
    pub async fn restart(&self, duration: Duration) -> Result<SystemTime> {
        let until = later(self.now(), duration);
        let ((), ticket) = self.write(|c, log| {
            c.restarting_until = Some(until);
            log.push(|| Change::Registration(self.key(), c.registration_record()));
        });
        ticket.durable().await?;
        self.changed("restart");
        Ok(until)
    }

    /// The cluster's policy.
    pub fn policy(&self) -> Arc<dyn RegistrationPolicy> {
        self.with(|c| c.policy.clone())
    }

    /// Tells subscribers that `what` changed in this cluster.
    pub fn changed(&self, what: &'static str) {
        self.settings.events.publish(
            &self.name,
            "state",
            || serde_json::json!({"cluster": &*self.name, "what": what}),
        );
    }

    /// Switches the cluster's policy.
    pub async fn set_policy(&self, policy: Arc<dyn RegistrationPolicy>) -> Result<()> {
        let ((), ticket) = self.write(|c, log| {
            c.policy = policy;
            log.push(|| Change::Meta(self.key(), self.meta_record(c)));
        });
        ticket.durable().await?;
        self.changed("policy");
        Ok(())
    }
}

/// Every cluster of this emulator.
#[derive(Debug)]
pub struct Store {
    settings: Arc<Settings>,
    clusters: RwLock<HashMap<Arc<str>, Arc<Cluster>>>,
    /// Set when the server begins to shut down: held requests stop waiting.
    closing: tokio::sync::watch::Sender<bool>,
    detached: std::sync::OnceLock<Arc<Cluster>>,
}

impl Store {
    /// A store with what `settings.persist` holds; other clusters appear on first use.
    pub fn new(settings: Settings) -> Result<Self, String> {
        let settings = Arc::new(settings);
        let mut clusters = HashMap::new();
        for (name, record) in settings.persist.load()? {
            let slot = Cluster::new(&name, settings.clone());
            slot.load_record(record)?;
            clusters.insert(Arc::from(name.as_str()), Arc::new(slot));
        }
        Ok(Self {
            settings,
            clusters: RwLock::new(clusters),
            closing: tokio::sync::watch::Sender::new(false),
            detached: std::sync::OnceLock::new(),
        })
    }

    /// Resolves (changes to `true`) when the server begins to shut down.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Tells held requests (`codes/latest?wait=`) to stop waiting: the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.closing.send_replace(true);
    }

    /// Stops storing: waits for the last changes, closes the database.
    pub fn close(&self) {
        self.settings.persist.close();
    }

    /// The settings every cluster shares.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The cluster `name`, created fresh if it does not exist (the name must be valid), unless
    /// `--max-clusters` already exist.
    pub fn cluster(&self, name: &str) -> Result<Arc<Cluster>> {
        if let Some(slot) = self.find(name) {
            return Ok(slot);
        }
        let mut clusters = self.write_map();
        if let Some(slot) = clusters.get(name) {
            return Ok(slot.clone());
        }
        let limit = self.settings.max_clusters;
        if clusters.len() >= limit {
            return Err(Error::Limit {
                rule: "clusters",
                message: format!(
                    "This emulator already has {limit} clusters (--max-clusters): reuse a cluster name, or reset them with POST /_emulator/reset"
                ),
            });
        }
        let slot = Arc::new(Cluster::new(name, self.settings.clone()));
        clusters.insert(name.into(), slot.clone());
        Ok(slot)
    }

    /// The cluster `name`, if it exists.
    pub fn find(&self, name: &str) -> Option<Arc<Cluster>> {
        self.read().get(name).cloned()
    }

    /// A cluster of no name that no listing shows, for the control routes that address none.
    pub fn detached(&self) -> Arc<Cluster> {
        self.detached
            .get_or_init(|| Arc::new(Cluster::new("", self.settings.clone())))
            .clone()
    }

    /// Names of the clusters that exist, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    }

    /// Returns cluster `name` to a fresh state (users, tokens, number, pins, codes, policy).
    pub async fn reset(&self, name: &str) -> Result<()> {
        let slot = self.read().get(name).cloned();
        if let Some(slot) = slot {
            let ((), ticket) = slot.write(|c, log| {
                *c = State::fresh(&self.settings);
                slot.offset_ms.store(0, Ordering::Relaxed);
                log.push(|| Change::ResetCluster(slot.key()));
            });
            slot.arrivals.notify_waiters();
            ticket.durable().await?;
            self.settings.events.publish(
                &slot.name,
                "reset",
                || serde_json::json!({"cluster": name}),
            );
        }
        Ok(())
    }

    /// Forgets every cluster; each is created fresh again on next use.
    pub async fn reset_all(&self) -> Result<()> {
        let (old, ticket) = {
            let mut clusters = self.write_map();
            let ticket = self.settings.persist.submit(vec![Change::ResetAll]);
            (std::mem::take(&mut *clusters), ticket)
        };
        for slot in old.values() {
            slot.arrivals.notify_waiters();
        }
        ticket.durable().await?;
        let every: Arc<str> = "*".into();
        self.settings.events.publish(&every, "reset", || {
            serde_json::json!({"cluster": "*", "clusters": old.keys().map(|k| &**k).collect::<Vec<_>>()})
        });
        Ok(())
    }

    /// The newest code of cluster `name` matching `filter`, waiting until one arrives or
    /// `deadline` passes. Woken by arrivals, not by polling.
    pub async fn wait_for_code(
        &self,
        name: &str,
        filter: CodeFilter<'_>,
        deadline: tokio::time::Instant,
    ) -> Option<SentCode> {
        let mut closing = self.closing.subscribe();
        loop {
            // Looked up each round: a reset of every cluster replaces the slot.
            let Ok(slot) = self.cluster(name) else {
                return None;
            };
            let arrival = slot.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if let Some(sent) = slot.latest_code(filter) {
                return Some(sent);
            }
            if *closing.borrow_and_update() {
                return None;
            }
            tokio::select! {
                () = &mut arrival => {}
                () = tokio::time::sleep_until(deadline) => return None,
                _ = closing.changed() => return None,
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Arc<Cluster>>> {
        self.clusters.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_map(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Arc<str>, Arc<Cluster>>> {
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
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65), ".", "..", "..."] {
            assert!(!is_valid_cluster_name(bad), "{bad}");
        }
    }
}
