//! The request journal: what each cluster received and how it was answered, bounded, with
//! secrets redacted before anything is kept.
//!
//! Entries are kept compact (the redacted body as JSON text rather than a parsed tree, the time
//! as a number) because every cluster has a journal and a test run may create thousands of
//! clusters.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::small_map::grow_exactly_while_small;
use crate::domain::clock::rfc3339;

/// One request as the journal keeps it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// When it arrived (the cluster's time).
    pub at: SystemTime,
    /// HTTP method.
    pub method: Cow<'static, str>,
    /// Vendor path, without any `/clusters/{cluster}` prefix (shared between the entries of a
    /// route without parameters).
    pub path: Arc<str>,
    /// HTTP status answered; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// The rule or reason that decided the answer.
    pub reason: Option<Cow<'static, str>>,
    /// The JSON body with secrets redacted, as JSON text; absent when there was none or it was
    /// not a JSON object.
    pub body: Option<Box<str>>,
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("time", &rfc3339(self.at))?;
        map.serialize_entry("method", &*self.method)?;
        map.serialize_entry("path", &*self.path)?;
        map.serialize_entry("status", &self.status)?;
        if let Some(reason) = &self.reason {
            map.serialize_entry("reason", &**reason)?;
        }
        if let Some(body) = &self.body {
            let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            map.serialize_entry("body", &value)?;
        }
        map.end()
    }
}

/// Which entries to list; `None` matches any.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntryFilter<'a> {
    /// Exactly this vendor path.
    pub path: Option<&'a str>,
    /// Exactly this status.
    pub status: Option<u16>,
}

/// The last requests of one cluster, oldest first.
#[derive(Debug, Default)]
pub struct Journal {
    entries: VecDeque<Entry>,
}

impl Journal {
    /// Records `entry`, dropping the oldest beyond `limit` entries (none kept when 0).
    pub fn record(&mut self, entry: Entry, limit: usize) {
        if limit == 0 {
            return;
        }
        while self.entries.len() >= limit {
            self.entries.pop_front();
        }
        grow_exactly_while_small(&mut self.entries);
        self.entries.push_back(entry);
    }

    /// The entries matching `filter`, oldest first.
    pub fn list(&self, filter: EntryFilter<'_>) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| filter.path.is_none_or(|p| &*e.path == p))
            .filter(|e| filter.status.is_none_or(|s| e.status == s))
            .cloned()
            .collect()
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16) -> Entry {
        Entry {
            at: SystemTime::UNIX_EPOCH,
            method: "POST".into(),
            path: "/v1/account".into(),
            status,
            reason: None,
            body: Some(r#"{"cc":"1","cert":"[redacted]"}"#.into()),
        }
    }

    #[test]
    fn bounded_oldest_dropped_and_shown_as_json() {
        let mut journal = Journal::default();
        for status in [200, 201, 202] {
            journal.record(entry(status), 2);
        }
        let all = journal.list(EntryFilter::default());
        assert_eq!(all.iter().map(|e| e.status).collect::<Vec<_>>(), [201, 202]);
        let shown = serde_json::to_value(&all[0]).unwrap();
        assert_eq!(shown["body"]["cert"], "[redacted]");
        assert_eq!(shown["time"], "1970-01-01T00:00:00.000Z");
        let mut none = Journal::default();
        none.record(entry(200), 0);
        assert!(none.list(EntryFilter::default()).is_empty());
    }
}
