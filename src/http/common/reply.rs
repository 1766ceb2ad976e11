//! Successful answers: what a handler returns ([`Reply`]), written whole by its `IntoResponse`;
//! and the vendor's `meta`, which only the vendor and control layers know (it is configured) and
//! add to the vendor answers that wait for it ([`Meta::complete`]).

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderValue};
use serde::Serialize;

/// `{"api_status": "stable", "version": "v2.45.1"}`, with the configured version.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    api_status: &'static str,
    version: Arc<str>,
    /// `"meta":{…}` as JSON text, made once: every vendor answer ends with it.
    #[serde(skip)]
    field: Arc<str>,
}

impl Meta {
    /// Meta for the given reported API version.
    pub fn new(version: &str) -> Self {
        let mut meta = Self {
            api_status: "stable",
            version: version.into(),
            field: "".into(),
        };
        let text = serde_json::to_string(&meta).unwrap_or_default();
        meta.field = format!("\"meta\":{text}").into();
        meta
    }

    /// The reported API version, such as `v2.45.1`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Gives a vendor answer that waits for it its `meta` (see [`Decision`]); any other answer
    /// is left as it is.
    pub fn complete(&self, response: &mut Response) {
        let Some(decision) = response.extensions_mut().get_mut::<Decision>() else {
            return;
        };
        let Some(slot) = decision.meta.take() else {
            return;
        };
        let body = match slot.first {
            true => self.prefix(&slot.fields),
            false => self.splice(&slot.fields),
        };
        *response.body_mut() = Body::from(body);
    }

    /// `fields`, a JSON object's text, with `"meta":{…}` added as its first field (the error
    /// envelope's order).
    pub fn prefix(&self, fields: &[u8]) -> Bytes {
        let rest = match fields.split_first() {
            Some((b'{', rest)) => rest,
            _ => b"}",
        };
        let comma = rest.first().is_some_and(|b| *b != b'}');
        let mut text = Vec::with_capacity(rest.len() + usize::from(comma) + self.field.len() + 1);
        text.push(b'{');
        text.extend_from_slice(self.field.as_bytes());
        if comma {
            text.push(b',');
        }
        text.extend_from_slice(rest);
        text.into()
    }

    /// `fields`, a JSON object's text, with `"meta":{…}` added as its last field: written into
    /// one allocation of the exact length, which the answer's body then owns.
    pub fn splice(&self, fields: &[u8]) -> Bytes {
        let open = match fields.split_last() {
            Some((b'}', open)) => open,
            _ => b"{",
        };
        let comma = open.len() > 1;
        let mut text = Vec::with_capacity(open.len() + usize::from(comma) + self.field.len() + 1);
        text.extend_from_slice(open);
        if comma {
            text.push(b',');
        }
        text.extend_from_slice(self.field.as_bytes());
        text.push(b'}');
        text.into()
    }
}

/// Whose answer this is: the vendor's carry `meta`, the others do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `/v1` answer: `meta` is added.
    Vendor,
    /// A Graph or `/_emulator` answer, as it is.
    Control,
}

/// Fields of a vendor answer that still wait for `meta`.
#[derive(Debug, Clone)]
pub struct MetaSlot {
    /// The answer's JSON object, without `meta`.
    pub fields: Bytes,
    /// Whether `meta` comes first (the error envelope) or last (a reply).
    pub first: bool,
}

/// What an answer tells the layers around its handler, in its extensions (a client never sees
/// it): the rule that decided it, for the journal, and the fields waiting for `meta`.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// The rule that decided the answer (`account.code_sent`, `auth.invalid_token`).
    pub rule: Option<Cow<'static, str>>,
    /// The fields of a vendor answer, waiting for `meta`.
    pub meta: Option<MetaSlot>,
}

impl Decision {
    /// The rule `response` was decided by, if its writer named one.
    pub fn rule_of(response: &Response) -> Option<Cow<'static, str>> {
        response.extensions().get::<Self>()?.rule.clone()
    }
}

/// A successful answer. A handler returns it; its `IntoResponse` writes the answer whole (a
/// vendor answer's `meta` aside, which the vendor layer adds).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// The body's text: a JSON object, or the page's HTML.
    pub body: Bytes,
    /// Whose answer it is.
    pub kind: Kind,
    /// The rule that decided it, for the journal.
    pub decided: Option<&'static str>,
    /// The media type of `body`.
    pub content_type: &'static str,
    /// Where a redirection points.
    pub location: Option<&'static str>,
}

fn to_json(body: &impl Serialize) -> Bytes {
    // Room for most answers, written without growing the buffer on the way.
    let mut text = Vec::with_capacity(128);
    // Answers are plain structs and `serde_json::Value`s: serializing them cannot fail.
    match serde_json::to_writer(&mut text, body) {
        Ok(()) => text.into(),
        Err(_) => Bytes::from_static(b"{}"),
    }
}

impl Reply {
    /// A vendor answer with `status` and the fields of `body` (then `meta`).
    pub fn vendor(status: StatusCode, body: &impl Serialize) -> Self {
        Self {
            status,
            body: to_json(body),
            kind: Kind::Vendor,
            decided: None,
            content_type: "application/json",
            location: None,
        }
    }

    /// A vendor answer whose body is only `{"meta": …}`.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: Bytes::from_static(b"{}"),
            kind: Kind::Vendor,
            decided: None,
            content_type: "application/json",
            location: None,
        }
    }

    /// A control-API answer: `body` as it is, 200.
    pub fn control(body: &impl Serialize) -> Self {
        Self {
            status: StatusCode::OK,
            body: to_json(body),
            kind: Kind::Control,
            decided: None,
            content_type: "application/json",
            location: None,
        }
    }

    /// A control-API answer of JSON text made beforehand (the OpenAPI document).
    pub fn control_bytes(body: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            kind: Kind::Control,
            decided: None,
            content_type: "application/json",
            location: None,
        }
    }

    /// A page of HTML.
    pub fn html(page: &'static str) -> Self {
        Self {
            status: StatusCode::OK,
            body: Bytes::from_static(page.as_bytes()),
            kind: Kind::Control,
            decided: None,
            content_type: "text/html; charset=utf-8",
            location: None,
        }
    }

    /// A redirection (303) to `location`.
    pub fn see_other(location: &'static str) -> Self {
        Self {
            status: StatusCode::SEE_OTHER,
            body: Bytes::new(),
            kind: Kind::Control,
            decided: None,
            content_type: "text/plain",
            location: Some(location),
        }
    }

    /// Names the rule that decided the answer, for the journal.
    pub fn decided(mut self, rule: &'static str) -> Self {
        self.decided = Some(rule);
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Some(location) = self.location {
            headers.insert(header::LOCATION, HeaderValue::from_static(location));
        }
        let meta = (self.kind == Kind::Vendor).then(|| MetaSlot {
            fields: self.body,
            first: false,
        });
        if meta.is_some() || self.decided.is_some() {
            response.extensions_mut().insert(Decision {
                rule: self.decided.map(Cow::Borrowed),
                meta,
            });
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Body {
        a: u32,
        b: &'static str,
    }

    #[test]
    fn meta_follows_the_body_fields() {
        let meta = Meta::new("v2.45.1");
        let full = meta.splice(&Reply::vendor(StatusCode::OK, &Body { a: 1, b: "x" }).body);
        assert_eq!(
            full,
            r#"{"a":1,"b":"x","meta":{"api_status":"stable","version":"v2.45.1"}}"#
        );
        let empty = meta.splice(&Reply::empty(StatusCode::CREATED).body);
        assert_eq!(
            empty,
            r#"{"meta":{"api_status":"stable","version":"v2.45.1"}}"#
        );
        assert_eq!(
            meta.prefix(br#"{"errors":[]}"#),
            r#"{"meta":{"api_status":"stable","version":"v2.45.1"},"errors":[]}"#
        );
        assert_eq!(
            meta.prefix(b"{}"),
            r#"{"meta":{"api_status":"stable","version":"v2.45.1"}}"#
        );
    }
}
