//! What happens in the emulator, as a stream of events for whoever listens: codes sent, requests
//! journaled, state changes and resets (`GET /_emulator/events`).
//!
//! One broadcast channel of [`CAPACITY`] events serves every subscriber. Publishing never waits:
//! a subscriber that falls behind loses the oldest events (counted, and told to it), so a slow or
//! vanished subscriber can neither hold the emulator back nor grow its memory. With nobody
//! subscribed, nothing is even built.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::broadcast;

/// Events buffered for the slowest subscriber.
pub const CAPACITY: usize = 1024;

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A code was "sent" (the outbox record).
    CodeSent,
    /// A vendor request was journaled (the journal entry).
    Request,
    /// Something of a cluster's state changed (`{"cluster", "what"}`).
    State,
    /// A cluster, or every cluster, was reset.
    Reset,
    /// A cluster was removed, by `DELETE` or because it was idle (`{"cluster", "reason"}`).
    Deleted,
    /// A webhook delivery was made or attempted (`{"cluster", "id", "field", "status", "url",
    /// "attempts"}`).
    Webhook,
}

impl Kind {
    /// The name subscribers see as `event:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CodeSent => "code_sent",
            Self::Request => "request",
            Self::State => "state",
            Self::Reset => "reset",
            Self::Deleted => "deleted",
            Self::Webhook => "webhook",
        }
    }
}

/// Where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// In one cluster.
    Cluster(Arc<str>),
    /// In every cluster (a reset of all).
    All,
}

impl Scope {
    /// Whether a subscriber to cluster `only` (or to all, `None`) is told.
    pub fn concerns(&self, only: Option<&str>) -> bool {
        match (self, only) {
            (Self::All, _) | (_, None) => true,
            (Self::Cluster(cluster), Some(only)) => **cluster == *only,
        }
    }
}

/// One event, its server-sent-events frame made once for every subscriber.
#[derive(Debug, Clone)]
pub struct Event {
    /// Where it happened.
    pub scope: Scope,
    /// What happened.
    pub kind: Kind,
    /// `event: <kind>` and one line of `data:` JSON.
    pub frame: Bytes,
}

/// A server-sent-events frame: `data` serialized straight into it, with no JSON tree between.
pub fn frame(kind: &str, data: &impl Serialize) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    // Event data are plain structs and maps: serializing them cannot fail.
    let _ = serde_json::to_writer(&mut out, data);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// The publishing side.
#[derive(Debug)]
pub struct Events {
    sender: broadcast::Sender<Event>,
    dropped: AtomicU64,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            sender: broadcast::Sender::new(CAPACITY),
            dropped: AtomicU64::new(0),
        }
    }
}

impl Events {
    /// Publishes the event `make` builds, only when somebody listens; it is serialized once,
    /// whoever listens.
    pub fn publish<T: Serialize>(&self, scope: Scope, kind: Kind, make: impl FnOnce() -> T) {
        if !self.listening() {
            return;
        }
        let event = Event {
            scope,
            kind,
            frame: frame(kind.as_str(), &make()),
        };
        let _ = self.sender.send(event);
    }

    /// Whether anybody listens (so that nothing is built for nobody).
    pub fn listening(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// A new subscription, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Counts events a subscriber lost by falling behind.
    pub fn lost(&self, count: u64) {
        self.dropped.fetch_add(count, Ordering::Relaxed);
    }

    /// Events lost by slow subscribers since startup.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_hears_its_cluster_and_what_concerns_all() {
        let a = Scope::Cluster("a".into());
        assert!(a.concerns(Some("a")) && a.concerns(None));
        assert!(!a.concerns(Some("b")));
        assert!(Scope::All.concerns(Some("b")) && Scope::All.concerns(None));
        let event = frame(Kind::CodeSent.as_str(), &serde_json::json!({"code": "1"}));
        assert_eq!(&event[..], b"event: code_sent\ndata: {\"code\":\"1\"}\n\n");
    }
}

#[cfg(test)]
mod sharing {
    use super::*;

    /// An event is serialized once, whoever listens: every subscriber gets the same bytes.
    #[test]
    fn every_subscriber_gets_the_one_frame() {
        let events = Events::default();
        let (mut a, mut b) = (events.subscribe(), events.subscribe());
        let mut made = 0;
        events.publish(Scope::All, Kind::Reset, || {
            made += 1;
            serde_json::json!({"cluster": "*"})
        });
        assert_eq!(made, 1);
        let (a, b) = (a.try_recv().unwrap(), b.try_recv().unwrap());
        assert_eq!(a.frame.as_ptr(), b.frame.as_ptr(), "one buffer, shared");
        assert!(a.frame.starts_with(b"event: reset\ndata: "));
    }
}
