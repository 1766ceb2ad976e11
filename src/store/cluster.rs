//! The state of one emulated deployment.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
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
    /// Users by name: admin and perhaps a few operators.
    pub users: SmallMap<Box<str>, User>,
    /// Live tokens by SHA-256 of the token text.
    pub sessions: SmallMap<[u8; 32], Session>,
    /// The registered number, if any.
    pub registered: Option<Account>,
    /// Two-step pins by E.164 number: they belong to the number, not to the registration.
    pub pins: HashMap<String, String>,
    /// The code awaiting `/verify`, if any.
    pub pending: Option<Pending>,
    /// When codes were sent, by E.164 number and method, for rate limits.
    pub sends: SmallMap<(String, Method), Vec<SystemTime>>,
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
            users: SmallMap::Few(vec![(ADMIN.into(), admin)]),
            sessions: SmallMap::default(),
            registered: None,
            pins: HashMap::new(),
            pending: None,
            sends: SmallMap::default(),
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

/// A map kept as a plain list while it holds a few entries, and as a hash map beyond: most
/// clusters of a test run have one user, one token and one number, and a hash map costs a few
/// hundred bytes in each of thousands of clusters, while a cluster that sees thousands of numbers
/// (a load test) still gets constant-time lookups.
#[derive(Debug, Clone)]
pub enum SmallMap<K, V> {
    /// Up to [`SmallMap::FEW`] entries, searched in order.
    Few(Vec<(K, V)>),
    /// More.
    Many(HashMap<K, V>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl<K: Eq + Hash, V> SmallMap<K, V> {
    /// Entries kept as a list.
    pub const FEW: usize = 8;

    /// The value of `key`.
    pub fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        match self {
            Self::Few(list) => list.iter().find(|(k, _)| k.borrow() == key).map(|(_, v)| v),
            Self::Many(map) => map.get(key),
        }
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        match self {
            Self::Few(list) => list
                .iter_mut()
                .find(|(k, _)| (*k).borrow() == key)
                .map(|(_, v)| v),
            Self::Many(map) => map.get_mut(key),
        }
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: K, value: V) {
        if let Some(slot) = self.get_mut(key.borrow()) {
            *slot = value;
        } else {
            self.entry_with(key, || value);
        }
    }

    /// The value of `key`, inserting the default first if there is none.
    pub fn entry_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        self.entry_with(key, V::default)
    }

    fn entry_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let promote = matches!(self, Self::Few(list)
            if list.len() >= Self::FEW && !list.iter().any(|(k, _)| *k == key));
        if promote && let Self::Few(list) = self {
            let map: HashMap<K, V> = std::mem::take(list).into_iter().collect();
            *self = Self::Many(map);
        }
        match self {
            Self::Few(list) => {
                let i = match list.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        // Exact growth: most of these lists never hold more than one entry.
                        if list.len() == list.capacity() {
                            list.reserve_exact(1);
                        }
                        list.push((key, make()));
                        list.len() - 1
                    }
                };
                &mut list[i].1
            }
            Self::Many(map) => map.entry(key).or_insert_with(make),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        match self {
            Self::Few(list) => {
                let i = list.iter().position(|(k, _)| k.borrow() == key)?;
                Some(list.swap_remove(i).1)
            }
            Self::Many(map) => map.remove(key),
        }
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        match self {
            Self::Few(list) => list.retain_mut(|(k, v)| keep(k, v)),
            Self::Many(map) => map.retain(|k, v| keep(k, v)),
        }
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        match self {
            Self::Few(list) => list.len(),
            Self::Many(map) => map.len(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Eq + Hash, V> Extend<(K, V)> for SmallMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, entries: I) {
        for (key, value) in entries {
            self.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SmallMap;

    #[test]
    fn a_small_map_behaves_as_a_map_on_both_sides_of_the_switch() {
        let mut map: SmallMap<u32, u32> = SmallMap::default();
        for i in 0..20 {
            map.insert(i, i);
            map.insert(i, i * 10);
            assert_eq!(map.len(), i as usize + 1);
            assert!(matches!(map, SmallMap::Few(_)) == (i < 8), "{i}");
        }
        assert_eq!(map.get(&7), Some(&70));
        *map.entry_or_default(7) += 1;
        *map.entry_or_default(99) += 5;
        assert_eq!((map.get(&7), map.get(&99)), (Some(&71), Some(&5)));
        assert_eq!(map.remove(&3), Some(30));
        assert_eq!(map.get(&3), None);
        map.retain(|k, _| k % 2 == 0);
        assert_eq!(map.len(), 10);
        assert!((0..20).all(|k| map.get(&k) == (k % 2 == 0).then_some(&(k * 10))));
        assert!(!map.contains_key(&99));
    }
}
