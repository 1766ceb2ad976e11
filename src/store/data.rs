//! What one emulated deployment holds ([`ClusterData`]): plain data, private to the store. The
//! operations that change it live in [`super::users`], [`super::registration`] and
//! [`super::steering`].

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::Settings;
use super::journal::Journal;
use super::persist::{Change, Log, RegistrationRecord};
use crate::domain::cloud::Waba;
use crate::domain::faults::Faults;
use crate::domain::model::{Account, Pending, SentCode};
use crate::domain::password::ADMIN;
use crate::domain::phone::Method;
use crate::domain::policy::RegistrationPolicy;
use crate::domain::topology::Topology;

/// A user of the deployment's API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Argon2 PHC string; shared between clusters while it is the startup default.
    pub password_hash: Arc<str>,
    /// The factory password is still set and must be changed at the next login.
    pub must_change_password: bool,
    /// A keyed digest of the password that last passed Argon2 against this hash (see
    /// [`crate::domain::password::remembered`]); never stored.
    #[serde(skip)]
    pub remembered: Option<[u8; 32]>,
}

/// A login token, stored under the SHA-256 of its text so no token is kept in clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Whose token it is.
    pub username: String,
    /// When it stops working.
    pub expires_at: SystemTime,
}

/// When codes were sent to one number by one method.
pub type SendTimes = Vec<SystemTime>;

/// A map of what one cluster holds, looked up on every request: hashed with foldhash, which
/// costs a fifth of std's SipHash on these short keys (a token's 32-byte digest, a user name, a
/// number), seeded per process.
pub type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Everything one cluster knows.
#[derive(Debug)]
pub(super) struct ClusterData {
    /// Users by name: admin and perhaps a few operators.
    pub users: Map<Box<str>, User>,
    /// Live tokens by SHA-256 of the token text.
    pub sessions: Map<[u8; 32], Session>,
    /// The last token checked and its SHA-256: a client sends the same token request after
    /// request, so most checks skip the hash. Kept in memory only, like the token itself.
    pub last_token: Option<(Box<str>, [u8; 32])>,
    /// The registered number, if any.
    pub registered: Option<Account>,
    /// Two-step pins by E.164 number: they belong to the number, not to the registration.
    pub pins: HashMap<String, String>,
    /// The code awaiting `/verify`, if any.
    pub pending: Option<Pending>,
    /// When codes were sent, by E.164 number and method, for rate limits.
    /// Keyed by the E.164 digits as an integer (`Number::key`).
    pub sends: Map<(u64, Method), SendTimes>,
    /// When send history and sessions were last swept of what has expired.
    pub swept_at: Option<SystemTime>,
    /// Codes sent, oldest first, bounded by `Settings::outbox_limit`.
    pub outbox: VecDeque<SentCode>,
    /// Sequence number of the last code sent.
    pub outbox_seq: u64,
    /// Who decides registrations here.
    pub policy: Arc<dyn RegistrationPolicy>,
    /// Until when a simulated Coreapp restart lasts.
    pub restarting_until: Option<SystemTime>,
    /// One-shot faults armed through the control API.
    pub faults: Faults,
    /// The last requests.
    pub journal: Journal,
    /// Masters, Coreapps and shards.
    pub topology: Topology,
    /// The Cloud API's phone numbers of the cluster's WhatsApp Business Account.
    pub waba: Waba,
}

impl ClusterData {
    /// A deployment as it is after installation: only `admin`, nothing registered.
    pub fn fresh(settings: &Settings) -> Self {
        let admin = User {
            password_hash: settings.admin_hash.clone(),
            must_change_password: settings.admin_must_change,
            remembered: None,
        };
        Self {
            users: Map::from_iter([(ADMIN.into(), admin)]),
            sessions: Map::default(),
            last_token: None,
            registered: None,
            pins: HashMap::new(),
            pending: None,
            sends: Map::default(),
            swept_at: None,
            outbox: VecDeque::new(),
            outbox_seq: 0,
            policy: settings.default_policy.clone(),
            restarting_until: None,
            faults: Faults::default(),
            journal: Journal::default(),
            topology: Topology::new(settings.coreapps, settings.failover_delay),
            waba: Waba {
                webhooks: settings.webhook_default.clone().map(|app| {
                    Box::new(crate::domain::webhooks::Webhooks {
                        app: Some(app),
                        ..Default::default()
                    })
                }),
                ..Waba::default()
            },
        }
    }

    /// The registration part of the state, as it is stored.
    pub fn registration_record(&self) -> RegistrationRecord {
        RegistrationRecord {
            registered: self.registered.clone(),
            pins: self.pins.clone(),
            pending: self.pending.clone(),
            restarting_until: self.restarting_until,
            shards: self.topology.shards(),
        }
    }

    /// Drops, at most once a minute of the cluster's time (virtual time included), the send
    /// history that no rate `window` counts any more and the sessions that have expired: a load
    /// test of fresh numbers, or of logins whose tokens are never used again, keeps a bounded
    /// state. What is dropped is dropped from storage too.
    pub fn sweep(&mut self, now: SystemTime, window: Duration, cluster: &Arc<str>, log: &mut Log) {
        let every = (window / 4).min(Duration::from_secs(60));
        let due = self
            .swept_at
            .is_none_or(|at| now.duration_since(at).is_ok_and(|age| age >= every));
        if !due {
            return;
        }
        self.swept_at = Some(now);
        self.sends.retain(|(number, method), times| {
            let live = times
                .iter()
                .any(|t| now.duration_since(*t).map_or(true, |age| age < window));
            if !live {
                log.push(|| {
                    Change::Sends(cluster.clone(), number.to_string(), *method, Vec::new())
                });
            }
            live
        });
        self.sessions.retain(|key, session| {
            let live = now < session.expires_at;
            if !live {
                log.push(|| Change::Session(cluster.clone(), *key, None));
            }
            live
        });
    }

    /// Whether a simulated restart is under way at `now`.
    pub fn is_restarting(&self, now: SystemTime) -> bool {
        self.restarting_until.is_some_and(|until| now < until)
    }
}
