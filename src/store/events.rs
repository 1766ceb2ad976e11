//! What happens in the emulator, as a stream of events for whoever listens: codes sent, requests
//! journaled, state changes and resets (`GET /_emulator/events`).
//!
//! One broadcast channel of [`CAPACITY`] events serves every subscriber. Publishing never waits:
//! a subscriber that falls behind loses the oldest events (counted, and told to it), so a slow or
//! vanished subscriber can neither hold the emulator back nor grow its memory. With nobody
//! subscribed, nothing is even built.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use tokio::sync::broadcast;

/// Events buffered for the slowest subscriber.
pub const CAPACITY: usize = 1024;

/// One event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The cluster it happened in.
    pub cluster: Arc<str>,
    /// `code_sent`, `request`, `state` or `reset`.
    pub kind: &'static str,
    /// What happened, as JSON.
    pub data: Arc<Value>,
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
    /// Publishes the event `make` builds, only when somebody listens.
    pub fn publish(&self, cluster: &Arc<str>, kind: &'static str, make: impl FnOnce() -> Value) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let event = Event {
            cluster: cluster.clone(),
            kind,
            data: Arc::new(make()),
        };
        let _ = self.sender.send(event);
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
