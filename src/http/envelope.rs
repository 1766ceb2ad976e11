//! Successful answers: what a handler returns ([`Reply`]) and the vendor's `meta`, which the
//! application adds to every vendor answer in one place.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
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

/// Whose answer this is: the vendor's carry `meta`, the control API's do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `/v1` answer: `meta` is added.
    Vendor,
    /// A `/_emulator` answer, as it is.
    Control,
}

/// A successful answer, before `meta`. A handler returns it; its `IntoResponse` (in
/// [`super::respond`]) puts it in the response's extensions, where the pipeline takes it and
/// writes the answer.
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
    }
}
