//! Reading a request body once: whole, up to its surface's [`BodyLimit`] (http-body-util's
//! `Limited`) and
//! within the body timeout, parsed once; and the journal's redacted copy of it.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::Body as HttpBody;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use yoke::{Yoke, Yokeable};

use super::error::{ApiError, invalid_request};
use crate::domain::json::{Object, ParseError};
use crate::domain::redact::{Redacted, RedactedBody, redacted};

/// Largest request body the vendor and Graph surfaces accept, in bytes; larger ones get
/// 413/1025.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How large a body may be, and the flag that sets it (none for the vendor's fixed limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    /// In bytes.
    pub bytes: usize,
    /// The flag that raises it, named in the 413.
    pub flag: Option<&'static str>,
}

impl BodyLimit {
    /// The vendor API's, which Graph shares.
    pub const VENDOR: Self = Self {
        bytes: BODY_LIMIT,
        flag: None,
    };

    /// The control API's writes (`--control-body-limit`): large enough for any state a cluster
    /// holds, so that a snapshot always restores.
    pub fn control(bytes: usize) -> Self {
        Self {
            bytes,
            flag: Some("--control-body-limit"),
        }
    }

    fn exceeded(self) -> ApiError {
        ApiError::PayloadTooLarge {
            limit: self.bytes,
            flag: self.flag,
        }
    }
}

/// A boxed error of a request body.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads a body whole, up to [`BODY_LIMIT`] and within `timeout`; a body in one piece is not
/// copied. A body announced larger than the limit is refused before any of it is read.
pub async fn read_body<B>(body: B, timeout: Duration, limit: BodyLimit) -> Result<Bytes, ApiError>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if body.size_hint().lower() > limit.bytes as u64 {
        return Err(limit.exceeded());
    }
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let mut reading = std::pin::pin!(collect(body, limit));
    // A body that has already arrived (the usual case) is read without arming a timer.
    if let Poll::Ready(read) =
        std::future::poll_fn(|cx| Poll::Ready(reading.as_mut().poll(cx))).await
    {
        return read;
    }
    tokio::time::timeout(timeout, reading)
        .await
        .unwrap_or(Err(ApiError::BodyTimeout(timeout)))
}

/// Whether `error`, or what it wraps, is the body limit's.
fn over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

async fn collect<B>(body: B, limit: BodyLimit) -> Result<Bytes, ApiError>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let body = Limited::new(body, limit.bytes);
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut more: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if over_limit(&*e) {
                limit.exceeded()
            } else {
                invalid_request("body_unreadable", "The request body could not be read")
            }
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match (&mut first, &mut more) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut joined = BytesMut::with_capacity(head.len() + data.len());
                joined.extend_from_slice(head);
                joined.extend_from_slice(&data);
                more = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
    }
    Ok(match more {
        Some(joined) => joined.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// A body parsed as a JSON object, borrowing the bytes it was read from.
#[derive(Clone, Yokeable)]
pub struct Parsed<'a>(pub Result<Option<Object<'a>>, ParseError>);

/// A request body as read, with its one parse as a JSON object, handed on together: the
/// object's strings borrow the bytes rather than copy them (`yoke` keeps the two together).
/// Kept for speed: a parse into owned `serde_json` values cost the 202 path about 4,500
/// instructions and ten allocations more (see the performance chapter).
#[derive(Clone)]
pub struct ParsedBody(Yoke<Parsed<'static>, Option<Arc<Bytes>>>);

impl ParsedBody {
    /// Parses `raw` once, keeping the bytes.
    pub fn parse(raw: Bytes) -> Self {
        if raw.is_empty() {
            return Self(Yoke::new_owned(Parsed(Ok(None))));
        }
        let parsed = Yoke::attach_to_cart(Arc::new(raw), |raw: &Bytes| Parsed(Object::parse(raw)));
        Self(parsed.wrap_cart_in_option())
    }

    /// The bytes, as sent.
    pub fn raw(&self) -> &Bytes {
        static EMPTY: Bytes = Bytes::new();
        self.0.backing_cart().as_deref().unwrap_or(&EMPTY)
    }

    /// The bytes as a JSON object: `None` when empty, or why they are not one.
    pub fn object(&self) -> &Result<Option<Object<'_>>, ParseError> {
        &self.0.get().0
    }

    /// The journal's copy of the body: redacted JSON text; `None` for a body that is empty or
    /// not JSON.
    pub fn journal_text(&self) -> Option<Box<str>> {
        let room = self.raw().len();
        match self.object() {
            Ok(object) => object
                .as_ref()
                .map(|object| redacted(&RedactedBody(object), room)),
            // JSON that is not an object (a list, a string): rare, read again as a tree.
            Err(ParseError::NotObject) => serde_json::from_slice(self.raw())
                .ok()
                .map(|value| redacted(&Redacted(&value), room)),
            Err(ParseError::NotJson(_)) => None,
        }
    }
}
