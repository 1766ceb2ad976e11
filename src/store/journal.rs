//! The request journal: what each cluster received and how it was answered, bounded, with
//! secrets redacted before anything is kept.
//!
//! Entries are kept compact (the redacted body as JSON text rather than a parsed tree, the time
//! as a number) because every cluster has a journal and a test run may create thousands of
//! clusters. What a client can make a journal hold is bounded: [`BODY_KEPT`] bytes of each body
//! and [`BUDGET`] bytes in all, besides the entry count (`--journal-limit`).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::domain::Surface;
use crate::domain::clock::rfc3339;

/// Bytes of a body's redacted text a journal entry keeps; a longer body is cut there (at a
/// character boundary) and shown as a string with `body_truncated: true`.
pub const BODY_KEPT: usize = 4 * 1024;

/// Bytes one cluster's journal may hold, entries and bodies together; the oldest entries are
/// dropped beyond it.
pub const BUDGET: usize = 256 * 1024;

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
    /// not JSON.
    pub body: Option<Box<str>>,
    /// Whether `body` was cut at [`BODY_KEPT`] bytes.
    pub truncated: bool,
}

impl Entry {
    /// What the entry costs the journal's budget.
    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.body.as_ref().map_or(0, |b| b.len()) + self.path.len()
    }

    /// Cuts the body to [`BODY_KEPT`] bytes.
    fn truncate(&mut self) {
        if let Some(body) = self.body.as_mut().filter(|b| b.len() > BODY_KEPT) {
            let mut end = BODY_KEPT;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            *body = body[..end].into();
            self.truncated = true;
        }
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_in(None, serializer)
    }
}

/// An entry with the cluster it was recorded in, as the event stream sends it.
pub struct InCluster<'a>(pub &'a str, pub &'a Entry);

impl Serialize for InCluster<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.1.serialize_in(Some(self.0), serializer)
    }
}

impl Entry {
    fn serialize_in<S: Serializer>(
        &self,
        cluster: Option<&str>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(cluster) = cluster {
            map.serialize_entry("cluster", cluster)?;
        }
        map.serialize_entry("time", &rfc3339(self.at))?;
        map.serialize_entry("method", &*self.method)?;
        map.serialize_entry("path", &*self.path)?;
        map.serialize_entry("status", &self.status)?;
        if let Some(reason) = &self.reason {
            map.serialize_entry("reason", &**reason)?;
        }
        match &self.body {
            Some(body) if self.truncated => {
                map.serialize_entry("body", &**body)?;
                map.serialize_entry("body_truncated", &true)?;
            }
            // Redacted JSON text already: sent as it is, not parsed into a tree again.
            Some(body) => match serde_json::from_str::<&RawValue>(body) {
                Ok(raw) => map.serialize_entry("body", raw)?,
                Err(_) => map.serialize_entry("body", &Value::Null)?,
            },
            None => {}
        }
        map.end()
    }
}

/// Whether a request answered for `reason` is one no route took or that was refused as
/// unreadable: a wrong path or method, a body that is not JSON (or not an object, or of the
/// wrong type), an unknown field. What a test should hear about, as WireMock's near misses.
pub fn is_unmatched(reason: &str) -> bool {
    matches!(
        reason,
        "not_found.route"
            | "not_emulated"
            | "route.method_not_allowed"
            | "validation.unexpected_parameter"
            | "cloud.param.unexpected"
            | "cloud.param.body"
            | "cloud.unknown_object"
    ) || reason
        .strip_prefix("request.")
        .is_some_and(|rule| !matches!(rule, "too_large" | "body_timeout"))
}

/// Which entries to list, count or wait for; each filter left `None` (or empty) matches any.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// This method (any case).
    pub method: Option<String>,
    /// This path, `*` standing for any one segment (`/v23.0/*/register`).
    pub path: Option<String>,
    /// This status.
    pub status: Option<u16>,
    /// This `X-Emulator-Reason`.
    pub reason: Option<String>,
    /// This surface.
    pub surface: Option<Surface>,
    /// Arrived at or after this time (the cluster's clock, which stamps the entries).
    pub since: Option<SystemTime>,
    /// Fields of the redacted body and the text of their values: `cc` = `1` matches `"1"` and
    /// `1`; `a.b` reaches into an object.
    pub body: Vec<(String, String)>,
    /// Only the requests no route took or that were refused as unreadable.
    pub unmatched: bool,
}

impl EntryFilter {
    /// Whether `entry` passes every filter.
    pub fn matches(&self, entry: &Entry) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| entry.method.eq_ignore_ascii_case(m))
            && self
                .path
                .as_deref()
                .is_none_or(|p| path_matches(p, &entry.path))
            && self.status.is_none_or(|s| entry.status == s)
            && self
                .reason
                .as_deref()
                .is_none_or(|r| entry.reason.as_deref() == Some(r))
            && self
                .surface
                .is_none_or(|s| Surface::of_journaled(&entry.path) == s)
            && self.since.is_none_or(|since| entry.at >= since)
            && (!self.unmatched || entry.reason.as_deref().is_some_and(is_unmatched))
            && (self.body.is_empty() || self.body_matches(entry))
    }

    fn body_matches(&self, entry: &Entry) -> bool {
        let Some(body) = entry
            .body
            .as_deref()
            .filter(|_| !entry.truncated)
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
        else {
            return false;
        };
        self.body.iter().all(|(field, expected)| {
            let found = field
                .split('.')
                .try_fold(&body, |value, key| value.get(key));
            match found {
                Some(Value::String(text)) => text == expected,
                Some(Value::Null) | None => false,
                Some(other) => serde_json::from_str::<Value>(expected).is_ok_and(|e| e == *other),
            }
        })
    }
}

/// Whether `path` matches `pattern`, where a `*` segment stands for any one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == path;
    }
    crate::domain::path::segment_wise(pattern, path, |want, have| want == "*" || want == have)
}

/// The last requests of one cluster, oldest first.
#[derive(Debug, Default)]
pub struct Journal {
    entries: VecDeque<Entry>,
    /// What the entries cost, by [`Entry::size`].
    bytes: usize,
}

impl Journal {
    /// Records `entry`, dropping the oldest beyond `limit` entries or [`BUDGET`] bytes (none
    /// kept when `limit` is 0).
    pub fn record(&mut self, mut entry: Entry, limit: usize) {
        if limit == 0 {
            return;
        }
        entry.truncate();
        let size = entry.size();
        while self.entries.len() >= limit || self.bytes + size > BUDGET {
            match self.entries.pop_front() {
                Some(old) => self.bytes -= old.size(),
                None => break,
            }
        }
        self.bytes += size;
        self.entries.push_back(entry);
    }

    /// The entries matching `filter`, oldest first.
    pub fn list(&self, filter: &EntryFilter) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect()
    }

    /// How many entries match `filter`.
    pub fn count(&self, filter: &EntryFilter) -> usize {
        self.entries.iter().filter(|e| filter.matches(e)).count()
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
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
            truncated: false,
        }
    }

    #[test]
    fn bounded_oldest_dropped_and_shown_as_json() {
        let mut journal = Journal::default();
        for status in [200, 201, 202] {
            journal.record(entry(status), 2);
        }
        let all = journal.list(&EntryFilter::default());
        assert_eq!(all.iter().map(|e| e.status).collect::<Vec<_>>(), [201, 202]);
        let shown = serde_json::to_value(&all[0]).unwrap();
        assert_eq!(shown["body"]["cert"], "[redacted]");
        assert_eq!(shown["time"], "1970-01-01T00:00:00.000Z");
        let mut none = Journal::default();
        none.record(entry(200), 0);
        assert!(none.list(&EntryFilter::default()).is_empty());
    }

    #[test]
    fn filters_on_every_part_of_an_entry() {
        let mut journal = Journal::default();
        journal.record(entry(201), 10);
        let mut graph = entry(400);
        graph.path = "/v23.0/123/register".into();
        graph.reason = Some("cloud.param.unexpected".into());
        graph.body = Some(r#"{"pin":"[redacted]","messaging_product":"whatsapp","n":2}"#.into());
        graph.at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(60);
        journal.record(graph, 10);
        let count = |f: EntryFilter| journal.count(&f);
        assert_eq!(count(EntryFilter::default()), 2);
        assert_eq!(
            count(EntryFilter {
                path: Some("/v23.0/*/register".into()),
                ..Default::default()
            }),
            1
        );
        assert_eq!(
            count(EntryFilter {
                path: Some("/v23.0/*".into()),
                ..Default::default()
            }),
            0,
            "one segment"
        );
        assert_eq!(
            count(EntryFilter {
                method: Some("post".into()),
                surface: Some(Surface::OnPremises),
                ..Default::default()
            }),
            1
        );
        assert_eq!(
            count(EntryFilter {
                body: vec![("cc".into(), "1".into())],
                ..Default::default()
            }),
            1
        );
        assert_eq!(
            count(EntryFilter {
                body: vec![("n".into(), "2".into())],
                unmatched: true,
                since: Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(60)),
                ..Default::default()
            }),
            1
        );
        assert_eq!(
            count(EntryFilter {
                reason: Some("cloud.param.unexpected".into()),
                status: Some(201),
                ..Default::default()
            }),
            0
        );
    }

    #[test]
    fn large_bodies_are_cut_and_the_budget_holds() {
        let mut journal = Journal::default();
        let big = format!("{{\"note\":\"{}\"}}", "é".repeat(30_000));
        for _ in 0..500 {
            let mut e = entry(400);
            e.body = Some(big.as_str().into());
            journal.record(e, 1000);
        }
        let all = journal.list(&EntryFilter::default());
        assert!(all.len() < 500, "the budget dropped the oldest");
        assert!(journal.bytes <= BUDGET);
        let body = all[0].body.as_deref().unwrap();
        assert!(body.len() <= BODY_KEPT && all[0].truncated);
        let shown = serde_json::to_value(&all[0]).unwrap();
        assert_eq!(shown["body_truncated"], true);
        assert!(shown["body"].as_str().unwrap().starts_with("{\"note\":\"é"));
    }
}
