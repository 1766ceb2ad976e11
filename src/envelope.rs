//! The vendor's success envelope: every `/v1` answer carries `meta`.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `{"api_status": "stable", "version": "v2.45.1"}`, with the configured version.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    api_status: &'static str,
    version: Arc<str>,
    /// `"meta":{…}` as JSON text, made once: every answer ends with it.
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
}

/// A success answer: the body's own fields followed by `meta`.
#[derive(Debug)]
pub struct Reply<T: Serialize> {
    status: StatusCode,
    body: T,
    meta: Meta,
}

/// A body with no fields besides `meta`.
#[derive(Debug, Serialize)]
pub struct Empty {}

impl<T: Serialize> Reply<T> {
    /// An answer with `status` and `body`.
    pub fn new(status: StatusCode, body: T, meta: &Meta) -> Self {
        Self {
            status,
            body,
            meta: meta.clone(),
        }
    }
}

impl Reply<Empty> {
    /// An answer whose body is only `{"meta": …}`.
    pub fn empty(status: StatusCode, meta: &Meta) -> Self {
        Self::new(status, Empty {}, meta)
    }
}

impl<T: Serialize> IntoResponse for Reply<T> {
    /// The body's fields, then `meta`: the body (always a struct, so a JSON object) is written
    /// and the prepared `"meta":{…}` spliced in before its closing brace.
    fn into_response(self) -> Response {
        let mut bytes = Vec::with_capacity(64 + self.meta.field.len());
        if serde_json::to_writer(&mut bytes, &self.body).is_err() || bytes.pop() != Some(b'}') {
            return crate::error::ApiError::Internal("an answer could not be serialized".into())
                .into_response();
        }
        if bytes.len() > 1 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(self.meta.field.as_bytes());
        bytes.push(b'}');
        let mut response = (self.status, bytes).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
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

    async fn text(reply: Reply<impl Serialize>) -> String {
        let body = reply.into_response().into_body();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn meta_follows_the_body_fields() {
        let meta = Meta::new("v2.45.1");
        let full = text(Reply::new(StatusCode::OK, Body { a: 1, b: "x" }, &meta)).await;
        assert_eq!(
            full,
            r#"{"a":1,"b":"x","meta":{"api_status":"stable","version":"v2.45.1"}}"#
        );
        let empty = text(Reply::empty(StatusCode::CREATED, &meta)).await;
        assert_eq!(
            empty,
            r#"{"meta":{"api_status":"stable","version":"v2.45.1"}}"#
        );
    }
}
