//! `/v1/account`: request a registration code, and verify it.

use std::sync::Arc;

use axum::extract::State;
use http::StatusCode;
use serde::Serialize;

use crate::domain::request;
use crate::http::common::AppState;
use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{InCluster, JsonBody};
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
pub async fn request_code(
    InCluster(cluster): InCluster,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let request = request::code_request(body.object())?;
    Ok(match cluster.request_code(&request).await? {
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
pub async fn set_shards(
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let request = request::shards_request(body.object(), state.meta.version())?;
    cluster.set_shards(&request).await?;
    Ok(Reply::empty(StatusCode::CREATED).decided("account.shards_set"))
}

/// `GET /v1/account/shards`: `{"account": {"shards": N}}`.
pub async fn get_shards(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    let body = Shards {
        account: ShardCount {
            shards: cluster.shards(),
        },
    };
    Ok(Reply::vendor(StatusCode::OK, &body))
}

/// `POST /v1/account/verify {"code"}`: 201 once the number is registered.
pub async fn verify(InCluster(cluster): InCluster, body: JsonBody) -> Result<Reply, ApiError> {
    let code = request::verify_request(body.object())?;
    let account = cluster.verify(&code).await?;
    tracing::info!(cluster = cluster.name(), number = %account.number, "number registered");
    Ok(Reply::empty(StatusCode::CREATED).decided("account.registered"))
}
