//! The state of one emulated deployment.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::Settings;
use crate::faults::Faults;
use crate::journal::Entry;
use crate::password::ADMIN;
use crate::persist::RegistrationRecord;
use crate::phone::{Method, Number};
use crate::policy::RegistrationPolicy;

/// A user of the deployment's API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Argon2 PHC string; shared between clusters while it is the startup default.
    pub password_hash: Arc<str>,
    /// The factory password is still set and must be changed at the next login.
    pub must_change_password: bool,
}

/// The users of a deployment: a handful at most (admin and a few operators), so a list beats a
/// hash map, which would cost a few hundred bytes in every one of thousands of test clusters.
#[derive(Debug, Clone, Default)]
pub struct Users(Vec<(Box<str>, User)>);

impl Users {
    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, u)| u)
    }

    /// The user called `name`, to change.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut User> {
        self.0
            .iter_mut()
            .find(|(n, _)| &**n == name)
            .map(|(_, u)| u)
    }

    /// Whether `name` exists.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Adds or replaces `name`.
    pub fn insert(&mut self, name: String, user: User) {
        match self.get_mut(&name) {
            Some(existing) => *existing = user,
            None => self.0.push((name.into(), user)),
        }
    }

    /// Removes `name`, returning it.
    pub fn remove(&mut self, name: &str) -> Option<User> {
        let i = self.0.iter().position(|(n, _)| &**n == name)?;
        Some(self.0.swap_remove(i).1)
    }
}

/// A login token, stored under the SHA-256 of its text so no token is kept in clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Whose token it is.
    pub username: String,
    /// When it stops working.
    pub expires_at: SystemTime,
}

/// The number registered on this deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The number.
    pub number: Number,
    /// Its verified name.
    pub vname: Arc<str>,
}

/// A code sent and not yet used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The number it was sent to.
    pub number: Number,
    /// The verified name of the request's certificate.
    pub vname: Arc<str>,
    /// The 6 digits.
    pub code: Arc<str>,
    /// When it goes stale.
    pub expires_at: SystemTime,
    /// Wrong guesses so far.
    pub wrong_guesses: u32,
}

/// A code as the outbox records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentCode {
    /// Position in the cluster's outbox, increasing.
    #[serde(default)]
    pub seq: u64,
    /// Where it went.
    pub number: Number,
    /// How.
    pub method: Method,
    /// The 6 digits.
    pub code: Arc<str>,
    /// The verified name of the request's certificate.
    pub vname: Arc<str>,
    /// When it was sent.
    pub sent_at: SystemTime,
    /// When it goes stale.
    pub expires_at: SystemTime,
}

/// Everything one cluster knows. Plain data: the rules that change it live in the store's
/// operation modules and in the policy.
#[derive(Debug)]
pub struct Cluster {
    /// Users by name.
    pub users: Users,
    /// Live tokens by SHA-256 of the token text.
    pub sessions: HashMap<[u8; 32], Session>,
    /// The registered number, if any.
    pub registered: Option<Account>,
    /// Two-step pins by E.164 number: they belong to the number, not to the registration.
    pub pins: HashMap<String, String>,
    /// The code awaiting `/verify`, if any.
    pub pending: Option<Pending>,
    /// When codes were sent, by E.164 number and method, for rate limits.
    pub sends: HashMap<(String, Method), Vec<SystemTime>>,
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
    /// The last requests, oldest first, bounded by `Settings::journal_limit`.
    pub journal: VecDeque<Entry>,
}

impl Cluster {
    /// A deployment as it is after installation: only `admin`, nothing registered.
    pub fn fresh(settings: &Settings) -> Self {
        let admin = User {
            password_hash: settings.admin_hash.clone(),
            must_change_password: settings.admin_must_change,
        };
        Self {
            users: Users(vec![(ADMIN.into(), admin)]),
            sessions: HashMap::new(),
            registered: None,
            pins: HashMap::new(),
            pending: None,
            sends: HashMap::new(),
            outbox: VecDeque::new(),
            outbox_seq: 0,
            policy: settings.default_policy.clone(),
            restarting_until: None,
            faults: Faults::default(),
            journal: VecDeque::new(),
        }
    }

    /// The registration part of the state, as it is stored.
    pub fn registration_record(&self) -> RegistrationRecord {
        RegistrationRecord {
            registered: self.registered.clone(),
            pins: self.pins.clone(),
            pending: self.pending.clone(),
            restarting_until: self.restarting_until,
        }
    }

    /// Records a request in the journal, dropping the oldest beyond `limit`.
    pub fn record(&mut self, entry: Entry, limit: usize) {
        if limit == 0 {
            return;
        }
        while self.journal.len() >= limit {
            self.journal.pop_front();
        }
        grow_exactly_while_small(&mut self.journal);
        self.journal.push_back(entry);
    }

    /// Whether a simulated restart is under way at `now`.
    pub fn is_restarting(&self, now: SystemTime) -> bool {
        self.restarting_until.is_some_and(|until| now < until)
    }
}

/// Most clusters of a test run see a handful of codes and requests: grow their queues one slot at
/// a time up to a few entries (instead of jumping to four), then double as usual.
pub fn grow_exactly_while_small<T>(queue: &mut VecDeque<T>) {
    const SMALL: usize = 8;
    if queue.len() == queue.capacity() && queue.len() < SMALL {
        queue.reserve_exact(1);
    }
}
