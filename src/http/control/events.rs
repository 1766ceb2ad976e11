//! `GET /_emulator/events`: server-sent events of what happens in the emulator, for a console or
//! for a test in any language that wants to wait for a code.
//!
//! Each event is `event: <kind>` and one line of `data:` JSON: `code_sent` (the outbox record),
//! `request` (the journal entry, with its cluster), `state` (`{"cluster", "what"}`: policy,
//! clock, restart, faults, registration, pins, shards, topology) and `reset`. The stream opens
//! with `ready` and sends a comment every 15 s; a subscriber that falls behind is sent `dropped`
//! with how many events it lost.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};

use crate::http::common::AppState;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{Query, cluster_name};
use crate::store::events::{Event, frame};

/// Chunks queued for one subscriber's connection.
const QUEUE: usize = 64;
/// Bytes of waiting events sent in one chunk at most.
const BATCH: usize = 64 * 1024;
/// How long the first event of a burst waits for the others.
const GATHER: Duration = Duration::from_millis(2);
/// Events already waiting that make a burst worth sending at once.
const BURST: usize = 64;
/// How often an idle stream sends a comment, so proxies and clients keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
pub struct EventsQuery {
    cluster: Option<String>,
}

/// `GET /_emulator/events?cluster=NAME`: the event stream, of one cluster or of all.
pub async fn stream(
    State(state): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let only = match q.cluster.as_deref() {
        Some(name) => Some(cluster_name(Some(name), &http::HeaderMap::new(), false)?.into_owned()),
        None => None,
    };
    let store = state.store.clone();
    let mut events = store.settings().events.subscribe();
    let mut closing = store.closing();
    let (chunks, body) = mpsc::channel(QUEUE);
    let ready = json!({"cluster": only, "dropped_since_start": store.settings().events.dropped()});
    // An open stream of one cluster addresses it: it is not removed as idle meanwhile.
    let hold = only.as_deref().map(|name| store.hold(name));
    tokio::spawn(async move {
        let _hold = hold;
        if chunks.send(frame("ready", &ready)).await.is_err() {
            return;
        }
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.tick().await;
        let wanted = |event: &Event| event.scope.concerns(only.as_deref());
        loop {
            let first = tokio::select! {
                event = events.recv() => event,
                _ = keep_alive.tick() => {
                    if chunks.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        break;
                    }
                    continue;
                }
                _ = closing.changed() => break,
                // The subscriber is gone: its cluster is no longer held, nothing is sent.
                () = chunks.closed() => break,
            };
            // Under load, events come a few microseconds apart: gathering them for a moment
            // turns a write per event into a write per burst, at a latency no reader sees.
            if events.len() < BURST {
                tokio::time::sleep(GATHER).await;
            }
            // Everything waiting goes out in one chunk.
            let mut batch = Vec::new();
            let mut next = Some(first);
            while let Some(event) = next.take() {
                match event {
                    Ok(event) if wanted(&event) => {
                        batch.extend_from_slice(&event.frame);
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(lost)) => {
                        store.settings().events.lost(lost);
                        batch.extend_from_slice(&frame("dropped", &json!({"dropped": lost})));
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
                if batch.len() < BATCH {
                    next = match events.try_recv() {
                        Ok(event) => Some(Ok(event)),
                        Err(broadcast::error::TryRecvError::Lagged(lost)) => {
                            Some(Err(broadcast::error::RecvError::Lagged(lost)))
                        }
                        Err(_) => None,
                    };
                }
            }
            if batch.is_empty() {
                continue;
            }
            let chunk = Bytes::from(batch);
            // A subscriber that does not read fills its queue; the broadcast then drops the
            // oldest events for it alone, and nothing else waits.
            if chunks.send(chunk).await.is_err() {
                break;
            }
        }
    });
    Ok(event_stream(body))
}

/// The answer of server-sent events: the chunks `chunks` receives, each written as it comes
/// (the server counts the connection busy until the stream ends, as for every answer until its
/// body is written). Not axum's `Sse`, which writes a frame per event: with a subscriber the
/// 202 path kept 40 % of its throughput through `Sse`, 84 % with the bursts above (see the
/// performance chapter); the floor asks for 75 %.
fn event_stream(mut chunks: mpsc::Receiver<Bytes>) -> Response {
    let frames = futures_util::stream::poll_fn(move |cx| {
        chunks
            .poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, Infallible>))
    });
    let headers = [
        (header::CONTENT_TYPE, "text/event-stream"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    (headers, Body::from_stream(frames)).into_response()
}
