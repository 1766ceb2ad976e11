//! `/v1/account`: request a registration code, and verify it.

use std::sync::Arc;

use http::StatusCode;
use serde::Serialize;

use crate::domain::request;
use crate::http::call::{Answer, Call};
use crate::http::envelope::Reply;
use crate::store::registration::CodeOutcome;

#[derive(Serialize)]
struct CodeSent {
    account: [VName; 1],
}

#[derive(Serialize)]
struct VName {
    vname: Arc<str>,
}

/// `POST /v1/account`: 201 when already registered, 202 with the verified name when a code
/// was sent, 4xx otherwise.
pub fn request_code<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let request = request::code_request(call.object())?;
        Ok(match call.cluster.request_code(&request).await? {
            CodeOutcome::AlreadyRegistered => {
                Reply::empty(StatusCode::CREATED).decided("account.already_registered")
            }
            CodeOutcome::CodeSent { vname } => {
                let body = CodeSent {
                    account: [VName { vname }],
                };
                Reply::vendor(StatusCode::ACCEPTED, &body).decided("account.code_sent")
            }
        })
    })
}

#[derive(Serialize)]
struct Shards {
    account: ShardCount,
}

#[derive(Serialize)]
struct ShardCount {
    shards: u8,
}

/// `POST /v1/account/shards`: 201 once the deployment has the shards asked for.
pub fn set_shards<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let request = request::shards_request(call.object(), call.state.meta.version())?;
        call.cluster.set_shards(&request).await?;
        Ok(Reply::empty(StatusCode::CREATED).decided("account.shards_set"))
    })
}

/// `GET /v1/account/shards`: `{"account": {"shards": N}}`.
pub fn get_shards<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let body = Shards {
            account: ShardCount {
                shards: call.cluster.shards(),
            },
        };
        Ok(Reply::vendor(StatusCode::OK, &body))
    })
}

/// `POST /v1/account/verify {"code"}`: 201 once the number is registered.
pub fn verify<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let code = request::verify_request(call.object())?;
        let account = call.cluster.verify(&code).await?;
        tracing::info!(cluster = call.cluster.name(), number = %account.number, "number registered");
        Ok(Reply::empty(StatusCode::CREATED).decided("account.registered"))
    })
}
