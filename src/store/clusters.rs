//! [`Store`]: every cluster of the emulator by name, created on first use, reset, and loaded from
//! and saved to where state lasts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::events::{Kind, Scope};
use super::persist::{Change, Log, Ticket};
use super::snapshot::{Checked, StateDocument, check};
use super::{Cluster, CodeFilter, Settings};
use crate::domain::model::SentCode;
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

/// The clusters by name, hashed with foldhash: looked up on every request, and bounded by
/// `--max-clusters`.
type Clusters = HashMap<Arc<str>, Arc<Cluster>, foldhash::fast::RandomState>;

/// Every cluster of this emulator.
#[derive(Debug)]
pub struct Store {
    settings: Arc<Settings>,
    clusters: RwLock<Clusters>,
    /// Set when the server begins to shut down: held requests stop waiting.
    closing: tokio::sync::watch::Sender<bool>,
    /// Woken when a cluster is made: a held wait on a cluster not made yet waits for it.
    made: Notify,
    /// Clusters an open request holds: never removed as idle meanwhile.
    held: Arc<Held>,
}

/// How many open requests (a held wait, an event stream) hold each cluster, by name: the
/// cluster need not exist yet.
#[derive(Debug, Default)]
struct Held(Mutex<HashMap<Box<str>, usize>>);

impl Held {
    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, usize>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Keeps a cluster from being removed as idle (`--cluster-idle-ttl`) while it lives: an open
/// request addresses its cluster for as long as it is open.
#[derive(Debug)]
#[must_use = "the cluster is held only while the Hold lives"]
pub struct Hold {
    held: Arc<Held>,
    name: Box<str>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut names = self.held.names();
        if let Some(count) = names.get_mut(&self.name) {
            *count -= 1;
            if *count == 0 {
                names.remove(&self.name);
            }
        }
    }
}

impl Store {
    /// A store with what `settings.persist` holds; other clusters appear on first use.
    pub fn new(settings: Settings) -> Result<Self, String> {
        let settings = Arc::new(settings);
        let mut clusters = Clusters::default();
        for (name, record) in settings.persist.load()? {
            let slot = Cluster::new(&name, settings.clone());
            slot.load_record(record)?;
            clusters.insert(Arc::from(name.as_str()), slot);
        }
        Ok(Self {
            settings,
            clusters: RwLock::new(clusters),
            closing: tokio::sync::watch::Sender::new(false),
            made: Notify::new(),
            held: Arc::default(),
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
            slot.touch();
            return Ok(slot);
        }
        let mut clusters = self.write_map();
        if let Some(slot) = clusters.get(name) {
            slot.touch();
            return Ok(slot.clone());
        }
        let limit = self.settings.max_clusters;
        if clusters.len() >= limit {
            return Err(Error::Limit {
                rule: "clusters",
                message: format!(
                    "This emulator already has {limit} clusters (--max-clusters): delete the ones a test is done with (DELETE /_emulator/clusters/{{cluster}}), let idle ones expire (--cluster-idle-ttl), or reset them all with POST /_emulator/reset"
                ),
            });
        }
        let slot = Cluster::new(name, self.settings.clone());
        clusters.insert(name.into(), slot.clone());
        drop(clusters);
        self.made.notify_waiters();
        Ok(slot)
    }

    /// Holds cluster `name` (made or not) against removal as idle while the guard lives.
    pub fn hold(&self, name: &str) -> Hold {
        *self.held.names().entry(name.into()).or_default() += 1;
        Hold {
            held: self.held.clone(),
            name: name.into(),
        }
    }

    /// The cluster `name` once it exists: at once when it does (`default` always does), else
    /// when a request makes it, until `deadline`; then 404 naming the closest cluster. Woken by
    /// each cluster made, not by polling.
    pub async fn existing(&self, name: &str, deadline: Instant) -> Result<Arc<Cluster>> {
        if name == DEFAULT_CLUSTER {
            return self.cluster(name);
        }
        let mut closing = self.closing.subscribe();
        loop {
            let made = self.made.notified();
            tokio::pin!(made);
            made.as_mut().enable();
            if let Some(cluster) = self.find(name) {
                cluster.touch();
                return Ok(cluster);
            }
            if *closing.borrow_and_update() {
                return Err(self.no_such_cluster(name));
            }
            tokio::select! {
                () = &mut made => {}
                () = tokio::time::sleep_until(deadline) => return Err(self.no_such_cluster(name)),
                _ = closing.changed() => {}
            }
        }
    }

    /// The cluster `name`, if it exists.
    pub fn find(&self, name: &str) -> Option<Arc<Cluster>> {
        self.read().get(name).cloned()
    }

    /// Names of the clusters that exist, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    }

    /// The error for a cluster `name` that does not exist, naming a few that do.
    pub fn no_such_cluster(&self, name: &str) -> Error {
        const NAMED: usize = 10;
        let names = self.names();
        let existing = match names.len() {
            0 => "no cluster exists".to_owned(),
            n if n <= NAMED => format!("the clusters are {}", names.join(", ")),
            n => format!(
                "{n} clusters exist, among them {} (GET /_emulator/clusters lists them)",
                names[..NAMED].join(", ")
            ),
        };
        let closest = names
            .iter()
            .map(|known| (strsim::levenshtein(known, name), known))
            .filter(|(distance, known)| *distance <= (known.len() / 3).max(2))
            .min();
        let hint = match closest {
            Some((_, known)) => format!("; did you mean {known}?"),
            None => String::new(),
        };
        Error::not_found(
            "cluster",
            format!(
                "No cluster named {name} exists: {existing}{hint} (a cluster is made by its first vendor or Graph request, or a PUT or POST of the control API)"
            ),
        )
    }

    /// How many clusters exist.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no cluster exists.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Removes cluster `name` and everything it holds, in memory and in the data directory;
    /// the next request naming it starts it fresh. `false` when no such cluster exists.
    pub async fn delete(&self, name: &str) -> Result<bool> {
        let removed = self.remove(|slot_name, _| slot_name == name);
        let Some((_, ticket)) = removed.into_iter().next() else {
            return Ok(false);
        };
        ticket.durable().await?;
        self.deleted(name, "deleted");
        Ok(true)
    }

    /// Removes every cluster that no request addressed for `--cluster-idle-ttl`; their names.
    pub async fn expire_idle(&self) -> Result<Vec<Arc<str>>> {
        let Some(ttl) = self.settings.cluster_idle_ttl else {
            return Ok(Vec::new());
        };
        let now = crate::domain::clock::unix_millis(self.settings.clock.now());
        let removed = {
            let held = self.held.names();
            self.remove(|name, slot| {
                if held.contains_key(name) {
                    // Addressed by a request still open: its idle time starts when that ends.
                    slot.touch();
                    return false;
                }
                slot.idle_for(ttl, now)
            })
        };
        let mut names = Vec::with_capacity(removed.len());
        for (name, ticket) in removed {
            ticket.durable().await?;
            self.deleted(&name, "idle");
            names.push(name);
        }
        Ok(names)
    }

    /// Takes the clusters `which` picks out of the map and out of service, with what is stored
    /// of them, under the map's lock: a cluster of the same name made afterwards stores its
    /// changes after their removal.
    fn remove(&self, which: impl Fn(&str, &Cluster) -> bool) -> Vec<(Arc<str>, Ticket)> {
        let mut clusters = self.write_map();
        let names: Vec<Arc<str>> = clusters
            .iter()
            .filter(|(name, slot)| which(name, slot))
            .map(|(name, _)| name.clone())
            .collect();
        let removed: Vec<_> = names
            .into_iter()
            .filter_map(|name| {
                let slot = clusters.remove(&name)?;
                Some((name, slot.retire(true)))
            })
            .collect();
        // A map that once held many clusters gives its room back as they go.
        if clusters.capacity() > 64 && clusters.len() < clusters.capacity() / 4 {
            clusters.shrink_to_fit();
        }
        removed
    }

    fn deleted(&self, name: &str, reason: &'static str) {
        self.settings.events.publish(
            Scope::Cluster(name.into()),
            Kind::Deleted,
            || serde_json::json!({"cluster": name, "reason": reason}),
        );
    }

    /// Makes cluster `name` exactly `document`, making the cluster if it does not exist: the
    /// document is checked first, so one that cannot be used changes and makes nothing.
    pub async fn restore(&self, name: &str, document: StateDocument) -> Result<Arc<Cluster>> {
        let checked = check(&self.settings, document)?;
        let cluster = self.cluster(name)?;
        cluster.restore_checked(checked).await?;
        Ok(cluster)
    }

    /// Makes the clusters of `seeded`, each exactly as checked, and stores them in one
    /// transaction: all of them or, when it fails, none.
    pub(super) async fn seed(&self, seeded: Vec<(String, Checked)>) -> Result<()> {
        let mut log = Log::new(self.settings.persist.is_durable());
        let names: Vec<String> = seeded.iter().map(|(name, _)| name.clone()).collect();
        {
            let mut clusters = self.write_map();
            let limit = self.settings.max_clusters;
            if clusters.len() + seeded.len() > limit {
                return Err(Error::Limit {
                    rule: "clusters",
                    message: format!(
                        "{} clusters to seed, and {} already exist: more than --max-clusters {limit}",
                        seeded.len(),
                        clusters.len()
                    ),
                });
            }
            for (name, checked) in seeded {
                let slot = Cluster::new(&name, self.settings.clone());
                slot.with(|c| slot.install(c, checked, &mut log));
                clusters.insert(name.into(), slot);
            }
        }
        self.made.notify_waiters();
        let ticket = self.settings.persist.submit(log.into_changes());
        if let Err(e) = ticket.durable().await {
            // Nothing of them was stored: nothing of them is served either.
            let mut clusters = self.write_map();
            for name in &names {
                clusters.remove(name.as_str());
            }
            return Err(e);
        }
        Ok(())
    }

    /// Returns cluster `name` to a fresh state (users, tokens, number, pins, codes, policy).
    pub async fn reset(&self, name: &str) -> Result<()> {
        let slot = self.read().get(name).cloned();
        match slot {
            Some(slot) => slot.reset().await,
            None => Ok(()),
        }
    }

    /// Forgets every cluster; each is created fresh again on next use.
    pub async fn reset_all(&self) -> Result<()> {
        let (old, ticket) = {
            let mut clusters = self.write_map();
            // Requests still holding an old cluster store nothing after the reset.
            for slot in clusters.values() {
                let _ = slot.retire(false);
            }
            let ticket = self.settings.persist.submit(vec![Change::ResetAll]);
            (std::mem::take(&mut *clusters), ticket)
        };
        ticket.durable().await?;
        self.settings.events.publish(Scope::All, Kind::Reset, || {
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
        let slot = self
            .wait_on(name, deadline, false, |slot| {
                slot.latest_code(filter).is_some()
            })
            .await?;
        slot.latest_code(filter)
    }

    /// How many requests of cluster `name` match `filter` once at least `at_least` do, or when
    /// `deadline` passes, the cluster is deleted or the emulator stops. Woken by each request
    /// journaled, not by polling.
    pub async fn wait_for_requests(
        &self,
        name: &str,
        filter: &super::journal::EntryFilter,
        at_least: usize,
        deadline: tokio::time::Instant,
    ) -> usize {
        self.wait_on(name, deadline, true, |slot| {
            slot.count_requests(filter) >= at_least
        })
        .await
        .map_or(0, |slot| slot.count_requests(filter))
    }

    /// Waits until `done` holds for cluster `name`, `deadline` passes, the cluster is deleted or
    /// the emulator stops, and gives the cluster as it then is. Woken by the cluster's
    /// arrivals (codes; with `journal`, every request journaled), not by polling. The cluster is
    /// looked up each round: a reset of every cluster replaces it, and wakes its waiters.
    pub(super) async fn wait_on(
        &self,
        name: &str,
        deadline: tokio::time::Instant,
        journal: bool,
        done: impl Fn(&Cluster) -> bool,
    ) -> Option<Arc<Cluster>> {
        let mut closing = self.closing.subscribe();
        let mut waited_on: Option<Arc<Cluster>> = None;
        let _hold = self.hold(name);
        loop {
            // A deleted cluster is not brought back by a request that was waiting on it.
            if waited_on.as_ref().is_some_and(|slot| slot.is_deleted()) {
                return waited_on;
            }
            let slot = self.cluster(name).ok()?;
            waited_on = Some(slot.clone());
            // Held while this round waits: only then do requests wake the cluster's waiters.
            let _held = journal.then(|| slot.hold_journal());
            let arrival = slot.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if done(&slot) || *closing.borrow_and_update() {
                return waited_on;
            }
            tokio::select! {
                () = &mut arrival => {}
                () = tokio::time::sleep_until(deadline) => return waited_on,
                _ = closing.changed() => return waited_on,
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Clusters> {
        self.clusters.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_map(&self) -> std::sync::RwLockWriteGuard<'_, Clusters> {
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
