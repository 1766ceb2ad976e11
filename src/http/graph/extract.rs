//! What Graph's handlers take besides the cluster and the parameters: the object's `{id}`, and
//! the access token, checked (with its `appsecret_proof`). Both refuse in Graph's envelope.

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::GraphError;
use super::params::Params;
use crate::domain::Error;
use crate::domain::clock::pacific;
use crate::domain::cloud::CloudError;
use crate::http::common::AppState;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{Addressed, LeftBody, PathParams, bearer};

/// `{id}` of a Graph path: a phone number's, or the business account's.
pub struct GraphId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for GraphId {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, GraphError> {
        let own = PathParams::read(parts).await?.own;
        Ok(Self(own.as_deref().unwrap_or_default().to_owned()))
    }
}

/// A Graph access token the request carries (`Authorization: Bearer`, or `access_token` in the
/// query or the body) that this emulator takes: any non-empty one, or exactly the
/// `--graph-token`, or one made for the cluster to expire, until it does; with `--app-secret`,
/// its `appsecret_proof` checked.
pub struct GraphToken;

impl FromRequestParts<AppState> for GraphToken {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, GraphError> {
        // The parameters, read here for the token and its proof only (the handler reads them
        // again, refusing what it cannot read).
        let params = match parts.extensions.get::<LeftBody>() {
            Some(LeftBody { parsed, .. }) => {
                let query = parts.uri.query().unwrap_or("");
                Params::read(query, &parts.headers, parsed.clone())
                    .await
                    .ok()
            }
            None => None,
        };
        let given = match bearer(&parts.headers) {
            Ok(token) => Some(token.to_owned()),
            Err(_) => params.as_ref().and_then(Params::access_token),
        };
        let Some(given) = given else {
            return Err(Error::Cloud(CloudError::Token { missing: true }).into());
        };
        let Some(Addressed(cluster)) = parts.extensions.get::<Addressed>() else {
            return Err(ApiError::Unlayered("The cluster addressed").into());
        };
        if let Some(end) = cluster.graph_token_end(&given) {
            let now = cluster.now();
            if now >= end {
                return Err(Error::Cloud(CloudError::TokenExpired {
                    expired: pacific(end),
                    now: pacific(now),
                })
                .into());
            }
        } else if let Some(expected) = &state.graph_token
            && !bool::from(subtle::ConstantTimeEq::ct_eq(
                given.as_bytes(),
                expected.as_bytes(),
            ))
        {
            return Err(Error::Cloud(CloudError::Token { missing: false }).into());
        }
        check_proof(state, &given, params.as_ref())?;
        Ok(Self)
    }
}

/// With `--app-secret`, the call's `appsecret_proof`: the hex HMAC-SHA256 of the token keyed
/// with the secret, of `TOKEN|appsecret_time` when the call sends `appsecret_time` (Meta,
/// "Securing Graph API Requests"); a missing one refused only with `--require-appsecret-proof`.
fn check_proof(state: &AppState, token: &str, params: Option<&Params>) -> Result<(), Error> {
    let Some(secret) = &state.app_secret else {
        return Ok(());
    };
    let text = |name| params.and_then(|p| p.text(name).ok().flatten());
    let Some(proof) = text("appsecret_proof") else {
        return match state.require_appsecret_proof {
            true => Err(CloudError::AppSecretProof { missing: true }.into()),
            false => Ok(()),
        };
    };
    let signed = match text("appsecret_time") {
        Some(time) => format!("{token}|{time}"),
        None => token.to_owned(),
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let expected: String = ring::hmac::sign(&key, signed.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let given = proof.to_ascii_lowercase();
    match bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    )) {
        true => Ok(()),
        false => Err(CloudError::AppSecretProof { missing: false }.into()),
    }
}
