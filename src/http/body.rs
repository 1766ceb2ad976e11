//! The body of every answer: complete bytes, or the event stream of `GET /_emulator/events`.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::Full;
use tokio::sync::mpsc;

/// An answer's body, without a box for the usual, complete one.
#[derive(Debug)]
pub struct Body(Kind);

enum Kind {
    Full(Full<Bytes>),
    /// The chunks, and what must live as long as the stream does.
    Stream {
        chunks: mpsc::Receiver<Bytes>,
        _keep: Option<Box<dyn Send + Sync>>,
    },
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full(full) => full.fmt(f),
            Self::Stream { .. } => f.write_str("Stream"),
        }
    }
}

impl Body {
    /// A complete body.
    pub fn full(bytes: Bytes) -> Self {
        Self(Kind::Full(Full::new(bytes)))
    }

    /// No body.
    pub fn empty() -> Self {
        Self::full(Bytes::new())
    }

    /// A body of the chunks `chunks` receives, until its sender is dropped.
    pub fn stream(chunks: mpsc::Receiver<Bytes>) -> Self {
        Self(Kind::Stream {
            chunks,
            _keep: None,
        })
    }

    /// Keeps `keep` alive as long as a streamed body lasts (the server's mark that the connection
    /// has a request in flight); a complete body is returned as it is.
    pub fn holding(self, keep: impl Send + Sync + 'static) -> Self {
        match self.0 {
            Kind::Stream { chunks, .. } => Self(Kind::Stream {
                chunks,
                _keep: Some(Box::new(keep)),
            }),
            full => Self(full),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.get_mut().0 {
            Kind::Full(full) => Pin::new(full).poll_frame(cx),
            Kind::Stream { chunks, .. } => chunks
                .poll_recv(cx)
                .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Full(full) => full.is_end_stream(),
            Kind::Stream { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(full) => full.size_hint(),
            Kind::Stream { .. } => SizeHint::default(),
        }
    }
}
