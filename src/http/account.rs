//! `/v1/account`: request a registration code, and verify it.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::extract::{Admin, JsonBody};
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::journal::Decided;
use crate::request;
use crate::store::registration::CodeOutcome;

#[derive(Serialize)]
struct CodeSent {
    account: [VName; 1],
}

#[derive(Serialize)]
struct VName {
    vname: std::sync::Arc<str>,
}

/// `POST /v1/account`: 201 when already registered, 202 with the verified name when a code
/// was sent, 4xx otherwise.
pub async fn request_code(
    State(state): State<AppState>,
    Admin(auth): Admin,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request = request::code_request(&body)?;
    Ok(match auth.cluster.request_code(&request).await? {
        CodeOutcome::AlreadyRegistered => (
            Extension(Decided("account.already_registered")),
            Reply::empty(StatusCode::CREATED, &state.meta),
        )
            .into_response(),
        CodeOutcome::CodeSent { vname } => {
            let body = CodeSent {
                account: [VName { vname }],
            };
            (
                Extension(Decided("account.code_sent")),
                Reply::new(StatusCode::ACCEPTED, body, &state.meta),
            )
                .into_response()
        }
    })
}

/// `POST /v1/account/verify {"code"}`: 201 once the number is registered.
pub async fn verify(
    State(state): State<AppState>,
    Admin(auth): Admin,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let code = request::verify_request(&body)?;
    let account = auth.cluster.verify(&code).await?;
    tracing::info!(cluster = auth.cluster.name(), number = %account.number, "number registered");
    Ok((
        Extension(Decided("account.registered")),
        Reply::empty(StatusCode::CREATED, &state.meta),
    )
        .into_response())
}
