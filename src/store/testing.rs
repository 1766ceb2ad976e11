//! What tests steer a cluster with besides its API: armed faults and the request journal.

use super::Cluster;
use super::events::Kind;
use super::journal::{Entry, EntryFilter, InCluster};
use crate::domain::faults::{ArmedFault, FaultSpec};

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
    }

    /// The journal's entries matching `filter`, oldest first.
    pub fn requests(&self, filter: EntryFilter<'_>) -> Vec<Entry> {
        self.with(|c| c.journal.list(filter))
    }

    /// Empties the journal.
    pub fn clear_requests(&self) {
        self.with(|c| c.journal.clear());
    }
}
