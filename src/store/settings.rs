//! What every cluster starts from, and the limits every operation applies.

use std::sync::Arc;
use std::time::Duration;

use super::events;
use super::persist::Persistence;
use crate::domain::clock::Clock;
use crate::domain::policy::{ClassicRules, RegistrationPolicy};

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
    /// A cluster no request addressed for this long is removed (`--cluster-idle-ttl`); never
    /// when `None`.
    pub cluster_idle_ttl: Option<Duration>,
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
    /// How long a migration to the Cloud API takes, on the cluster's clock.
    pub migration_delay: Duration,
    /// Codes sent, by surface and method, since the emulator started.
    pub codes_sent: CodesSent,
    /// Who sends webhook deliveries.
    pub courier: Arc<dyn super::webhooks::Courier>,
    /// The app's webhook every new or reset cluster starts with (`--webhook-url`).
    pub webhook_default: Option<crate::domain::webhooks::AppWebhook>,
    /// Deliveries by field and status, since the emulator started.
    pub deliveries_counted: super::webhooks::DeliveryCounts,
}

/// Codes sent by every cluster, by surface and method (`GET /_emulator/metrics`).
#[derive(Debug, Default)]
pub struct CodesSent([std::sync::atomic::AtomicU64; 4]);

impl CodesSent {
    fn index(surface: crate::domain::model::SentBy, method: crate::domain::phone::Method) -> usize {
        use crate::domain::model::SentBy;
        use crate::domain::phone::Method;
        match (surface, method) {
            (SentBy::OnPremises, Method::Sms) => 0,
            (SentBy::OnPremises, Method::Voice) => 1,
            (SentBy::Cloud, Method::Sms) => 2,
            (SentBy::Cloud, Method::Voice) => 3,
        }
    }

    /// Counts one code.
    pub fn add(&self, surface: crate::domain::model::SentBy, method: crate::domain::phone::Method) {
        self.0[Self::index(surface, method)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// `(surface, method, count)` of each.
    pub fn counts(&self) -> [(&'static str, &'static str, u64); 4] {
        let at = |i: usize| self.0[i].load(std::sync::atomic::Ordering::Relaxed);
        [
            ("on_premises", "sms", at(0)),
            ("on_premises", "voice", at(1)),
            ("cloud", "sms", at(2)),
            ("cloud", "voice", at(3)),
        ]
    }
}
