//! What tests steer and read a cluster with besides its API: armed faults and the request journal
//! (production code the control API serves; named for what it does, not for who calls it).

use super::Cluster;
use super::events::Kind;
use std::sync::atomic::Ordering;

use super::journal::{Entry, EntryFilter, InCluster};
use crate::domain::faults::{ArmedFault, FaultSpec};

/// A count held on the journal (see [`Cluster::hold_journal`]).
pub(super) struct JournalHold<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for JournalHold<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Cluster {
    /// Arms `specs`, returning them as armed.
    pub fn arm_faults(&self, specs: Vec<FaultSpec>) -> Vec<ArmedFault> {
        let armed = self.with(|c| c.faults.arm(specs));
        self.changed("faults");
        armed
    }

    /// Every fault, armed or spent.
    pub fn faults(&self) -> Vec<ArmedFault> {
        self.with(|c| c.faults.list().to_vec())
    }

    /// Disarms and forgets every fault.
    pub fn clear_faults(&self) {
        self.with(|c| c.faults.clear());
        self.changed("faults");
    }

    /// Whether the journal keeps anything.
    pub fn journal_enabled(&self) -> bool {
        self.settings.journal_limit > 0
    }

    /// Records a request in the journal.
    pub fn record(&self, entry: Entry) {
        self.settings
            .events
            .publish(self.scope(), Kind::Request, || {
                InCluster(self.name(), &entry)
            });
        let limit = self.settings.journal_limit;
        self.with(|c| c.journal.record(entry, limit));
        // Only a held count is woken: the request path pays one atomic load otherwise.
        if self.journal_waiters.load(Ordering::SeqCst) > 0 {
            self.arrivals.notify_waiters();
        }
    }

    /// The journal's entries matching `filter`, oldest first.
    pub fn requests(&self, filter: &EntryFilter) -> Vec<Entry> {
        self.with(|c| c.journal.list(filter))
    }

    /// How many of the journal's entries match `filter`.
    pub fn count_requests(&self, filter: &EntryFilter) -> usize {
        self.with(|c| c.journal.count(filter))
    }

    /// Marks a count held on the journal until the guard is dropped: meanwhile every request
    /// journaled wakes the cluster's waiters.
    pub(super) fn hold_journal(&self) -> JournalHold<'_> {
        self.journal_waiters.fetch_add(1, Ordering::SeqCst);
        JournalHold(&self.journal_waiters)
    }

    /// Empties the journal.
    pub fn clear_requests(&self) {
        self.with(|c| c.journal.clear());
    }
}
