//! What Graph's handlers take besides the cluster and the parameters: the object's `{id}`, and
//! the access token, checked. Both refuse in Graph's envelope.

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::GraphError;
use crate::domain::Error;
use crate::domain::clock::pacific;
use crate::domain::cloud::CloudError;
use crate::http::common::AppState;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{Addressed, PathParams, bearer, query_value};

/// `{id}` of a Graph path: a phone number's, or the business account's.
pub struct GraphId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for GraphId {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, GraphError> {
        let own = PathParams::read(parts).await?.own;
        Ok(Self(own.as_deref().unwrap_or_default().to_owned()))
    }
}

/// A Graph access token the request carries (`Authorization: Bearer` or `?access_token=`)
/// that this emulator takes: any non-empty one, or exactly the `--graph-token`, or one made for
/// the cluster to expire, until it does.
pub struct GraphToken;

impl FromRequestParts<AppState> for GraphToken {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, GraphError> {
        let given = match bearer(&parts.headers) {
            Ok(token) => Some(token.to_owned()),
            Err(_) => query_value(&parts.uri, "access_token").filter(|t| !t.is_empty()),
        };
        let Some(given) = given else {
            return Err(Error::Cloud(CloudError::Token { missing: true }).into());
        };
        let Some(Addressed(cluster)) = parts.extensions.get::<Addressed>() else {
            return Err(ApiError::Unlayered("The cluster addressed").into());
        };
        if let Some(end) = cluster.graph_token_end(&given) {
            let now = cluster.now();
            if now < end {
                return Ok(Self);
            }
            return Err(Error::Cloud(CloudError::TokenExpired {
                expired: pacific(end),
                now: pacific(now),
            })
            .into());
        }
        match &state.graph_token {
            Some(expected)
                if !bool::from(subtle::ConstantTimeEq::ct_eq(
                    given.as_bytes(),
                    expected.as_bytes(),
                )) =>
            {
                Err(Error::Cloud(CloudError::Token { missing: false }).into())
            }
            _ => Ok(Self),
        }
    }
}
