//! The vendor's success envelope: every `/v1` answer carries `meta`.

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `{"api_status": "stable", "version": "v2.45.1"}`, with the configured version.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    api_status: &'static str,
    version: Arc<str>,
}

impl Meta {
    /// Meta for the given reported API version.
    pub fn new(version: &str) -> Self {
        Self {
            api_status: "stable",
            version: version.into(),
        }
    }
}

/// A success answer: the body's own fields followed by `meta`.
#[derive(Debug, Serialize)]
pub struct Reply<T: Serialize> {
    #[serde(skip)]
    status: StatusCode,
    #[serde(flatten)]
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
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}
