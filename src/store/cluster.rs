//! [`Cluster`]: one emulated deployment, its state behind a mutex that is held only for a few
//! field updates (never across an `.await` or a password hash), its virtual clock and policy.
//! Its operations live beside it by area: [`super::users`], [`super::registration`],
//! [`super::deployment`] and [`super::steering`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

use super::Settings;
use super::data::ClusterData;
use super::events::{Kind, Scope};
use super::persist::{Change, ClusterRecord, Log, MetaRecord, Ticket};
use crate::domain::clock::{later, latest};
use crate::domain::phone::Number;
use crate::domain::policy::{PolicyKind, RegistrationPolicy, scripted};
use crate::domain::{Error, Result};

/// One cluster: its state and the means to wait for its outbox.
#[derive(Debug)]
pub struct Cluster {
    pub(super) name: Arc<str>,
    pub(super) settings: Arc<Settings>,
    state: Mutex<ClusterData>,
    pub(super) arrivals: Notify,
    /// Counts held on the journal (`requests/count?wait=`): requests wake them only then.
    pub(super) journal_waiters: std::sync::atomic::AtomicUsize,
    /// How far this cluster's virtual clock is ahead of the real one, in milliseconds. Outside
    /// the mutex: every operation reads it.
    pub(super) offset_ms: AtomicU64,
    /// When a request last addressed it, in milliseconds since the Unix epoch on the emulator's
    /// clock (not the cluster's virtual one): what `--cluster-idle-ttl` measures. Kept only
    /// when that flag is set.
    last_seen_ms: AtomicU64,
    /// Set, under the state's lock, once the cluster is deleted or every cluster is reset: a
    /// request still holding it then stores nothing, so a deleted cluster never comes back
    /// from the data directory.
    retired: AtomicBool,
    /// Set when it is deleted (not when every cluster is reset): a request waiting on its
    /// outbox stops waiting rather than bring it back.
    deleted: AtomicBool,
    /// Itself, for the webhook deliveries it hands to the courier: a delivery of a cluster
    /// that is gone is dropped.
    pub(super) me: Weak<Cluster>,
}

impl Cluster {
    pub(super) fn new(name: &str, settings: Arc<Settings>) -> Arc<Self> {
        Arc::new_cyclic(|me| Self::with_self(name, settings, me.clone()))
    }

    fn with_self(name: &str, settings: Arc<Settings>, me: Weak<Self>) -> Self {
        let cluster = Self {
            name: name.into(),
            state: Mutex::new(ClusterData::fresh(&settings)),
            arrivals: Notify::new(),
            journal_waiters: std::sync::atomic::AtomicUsize::new(0),
            offset_ms: AtomicU64::new(0),
            last_seen_ms: AtomicU64::new(0),
            retired: AtomicBool::new(false),
            deleted: AtomicBool::new(false),
            me,
            settings,
        };
        // Made by a request: it counts as addressed now.
        cluster.touch();
        cluster
    }

    /// Notes that a request addressed the cluster now, when idle clusters expire.
    pub fn touch(&self) {
        if self.settings.cluster_idle_ttl.is_some() {
            let now = crate::domain::clock::unix_millis(self.settings.clock.now());
            self.last_seen_ms.store(now, Ordering::Relaxed);
        }
    }

    /// Whether it was deleted (by `DELETE` or for being idle).
    pub(super) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Relaxed)
    }

    /// Whether it was taken out of service (deleted, or replaced when every cluster was reset):
    /// nothing it holds is sent any more.
    pub(super) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Relaxed)
    }

    /// Whether no request addressed the cluster for `ttl` by `now` (Unix milliseconds).
    pub(super) fn idle_for(&self, ttl: Duration, now_ms: u64) -> bool {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        now_ms.saturating_sub(self.last_seen_ms.load(Ordering::Relaxed)) >= ttl_ms
    }

    /// Takes the cluster out of service: from now on nothing it does is stored. With `forget`
    /// (it is deleted, not reset with every other), what is already stored of it is removed, in
    /// order after every change it made.
    pub(super) fn retire(&self, forget: bool) -> Ticket {
        let guard = self.lock();
        self.retired.store(true, Ordering::Relaxed);
        self.deleted.store(forget, Ordering::Relaxed);
        let ticket = if forget && self.settings.persist.is_durable() {
            self.settings
                .persist
                .submit(vec![Change::ResetCluster(self.key())])
        } else {
            Ticket::ready()
        };
        drop(guard);
        self.arrivals.notify_waiters();
        ticket
    }

    /// Resolves when the cluster's clock next moves, or something else arrives (a code, a
    /// delivery), or it is retired: a retry that waits for its time looks again then.
    pub fn clock_moved(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrivals.notified()
    }

    /// The cluster's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Locks the state. The guard must not be held across an `.await`.
    pub(super) fn lock(&self) -> MutexGuard<'_, ClusterData> {
        // A panic while holding the lock leaves plain data behind, still consistent field by
        // field; serving on is better than failing every later request.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the locked state.
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut ClusterData) -> R) -> R {
        f(&mut self.lock())
    }

    /// Runs `f` on the locked state and submits the changes it logs before unlocking, so they
    /// are stored in the order they happened. An empty log is a barrier: the answer still waits
    /// until everything before it is stored, since it may depend on it.
    pub(super) fn write<R>(&self, f: impl FnOnce(&mut ClusterData, &mut Log) -> R) -> (R, Ticket) {
        let mut guard = self.lock();
        let mut log = Log::new(self.settings.persist.is_durable());
        let result = f(&mut guard, &mut log);
        let ticket = if log.enabled() && !self.retired.load(Ordering::Relaxed) {
            self.settings.persist.submit(log.into_changes())
        } else {
            Ticket::ready()
        };
        // Deliveries made by `f` go once the lock is released (a cluster without webhooks has
        // none to look at).
        let outgoing = guard
            .waba
            .webhooks
            .as_deref_mut()
            .map(|h| std::mem::take(&mut h.outgoing));
        drop(guard);
        if let Some(outgoing) = outgoing.filter(|o| !o.is_empty()) {
            self.dispatch(outgoing);
        }
        (result, ticket)
    }

    /// Where its events happen.
    pub(super) fn scope(&self) -> Scope {
        Scope::Cluster(self.name.clone())
    }

    /// The name as stored in changes.
    pub(super) fn key(&self) -> Arc<str> {
        self.name.clone()
    }

    /// The policy and clock record of the locked state `c`.
    pub(super) fn meta_record(&self, c: &ClusterData) -> MetaRecord {
        MetaRecord {
            policy: c.policy.name().to_owned(),
            rules: c.policy.rules(),
            offset_ms: self.offset_ms.load(Ordering::Relaxed),
        }
    }

    /// Puts back what was stored about this cluster.
    pub(super) fn load_record(&self, record: ClusterRecord) -> Result<(), String> {
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
        if let Some(waba) = record.cloud {
            c.waba = waba;
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
        // A retry due at the new time, and a held wait, look again.
        self.arrivals.notify_waiters();
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
            self.scope(),
            Kind::State,
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

    /// Returns the cluster to a fresh state (users, tokens, number, pins, codes, policy, clock).
    pub(super) async fn reset(&self) -> Result<()> {
        let ((), ticket) = self.write(|c, log| {
            *c = ClusterData::fresh(&self.settings);
            self.offset_ms.store(0, Ordering::Relaxed);
            log.push(|| Change::ResetCluster(self.key()));
        });
        self.arrivals.notify_waiters();
        ticket.durable().await?;
        let name = self.name.clone();
        self.settings.events.publish(
            self.scope(),
            Kind::Reset,
            || serde_json::json!({"cluster": name}),
        );
        Ok(())
    }
}
