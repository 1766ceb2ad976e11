//! What one connection is doing, for its deadlines, and the body
//! that keeps an answer's request in flight until it is written.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::limits::Limits;

/// What one connection is doing, for the deadlines hyper does not keep: the first request
/// (TLS handshake and HTTP/2 preface included, before hyper is handed the connection) within
/// the header timeout, and no connection without a request in flight for longer than the idle
/// timeout. A request in flight, such as a held `codes/latest?wait=`, is never idleness. Each
/// next HTTP/1 request's headers are hyper's (`header_read_timeout`, see `accept`).
pub(super) struct Activity {
    opened: Instant,
    started: AtomicU64,
    in_flight: AtomicU64,
    /// Milliseconds after `opened` when the last request ended.
    last_ms: AtomicU64,
}

impl Activity {
    pub(super) fn new() -> Self {
        Self {
            opened: Instant::now(),
            started: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            last_ms: AtomicU64::new(0),
        }
    }

    /// A request begins; it is in flight until the returned guard is dropped, with its answer.
    pub(super) fn begin(self: &Arc<Self>) -> InFlight {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Resolves when the connection has broken a deadline, saying which.
    pub(super) async fn watch(&self, limits: Limits) -> &'static str {
        // Activity changes without waking this: look again at least this often.
        let check =
            (limits.header_timeout.min(limits.idle_timeout) / 2).max(Duration::from_millis(10));
        loop {
            let deadline = if self.started.load(Ordering::Relaxed) == 0 {
                self.opened + limits.header_timeout
            } else if self.in_flight.load(Ordering::Relaxed) == 0 {
                self.last_ended() + limits.idle_timeout
            } else {
                Instant::now() + limits.idle_timeout
            };
            tokio::time::sleep_until(deadline.min(Instant::now() + check).into()).await;
            let now = Instant::now();
            if self.started.load(Ordering::Relaxed) == 0 {
                if now >= self.opened + limits.header_timeout {
                    return "no request within the header timeout";
                }
            } else if self.in_flight.load(Ordering::Relaxed) == 0
                && now >= self.last_ended() + limits.idle_timeout
            {
                return "idle";
            }
        }
    }

    fn last_ended(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// A request in flight on a connection; ends with it.
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_ms.store(ms, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A body with what must live as long as it does.
pub(super) struct Holding<B> {
    pub(super) body: B,
    pub(super) _keep: Option<InFlight>,
}

impl<B: http_body::Body + Unpin> http_body::Body for Holding<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
