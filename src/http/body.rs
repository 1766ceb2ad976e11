//! The body of `GET /_emulator/events`: the chunks a channel receives, until its sender is
//! dropped. Every other answer is complete bytes in an `axum::body::Body`.
//!
//! Not axum's `Sse`, which writes a frame per event: with a subscriber the 202 path kept 40 % of
//! its throughput through `Sse`, 84 % with the bursts this body is sent in (see the performance
//! chapter); the floor asks for 75 %.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http_body::{Frame, SizeHint};
use tokio::sync::mpsc;

use super::Response;

/// A body of the chunks a channel receives.
#[derive(Debug)]
pub struct EventBody {
    chunks: mpsc::Receiver<Bytes>,
}

impl EventBody {
    /// The body of what `chunks` receives.
    pub fn new(chunks: mpsc::Receiver<Bytes>) -> Self {
        Self { chunks }
    }
}

impl axum::response::IntoResponse for EventBody {
    /// A stream of server-sent events (the server counts its connection busy until it ends, as
    /// it does for every answer until its body is written).
    fn into_response(self) -> Response {
        let mut response = Response::new(axum::body::Body::new(self));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

impl http_body::Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .chunks
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
