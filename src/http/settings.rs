//! `/v1/settings/account/two-step`: the registered number's two-step pin.

use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::extract::{Admin, JsonBody};
use crate::envelope::{Empty, Reply};
use crate::error::ApiError;
use crate::request;

/// `POST /v1/settings/account/two-step {"pin"}`: sets or changes the pin.
pub async fn set_pin(
    State(state): State<AppState>,
    Admin(auth): Admin,
    JsonBody(body): JsonBody,
) -> Result<Reply<Empty>, ApiError> {
    let pin = request::pin_request(&body)?;
    auth.cluster.set_pin(pin).await?;
    Ok(Reply::empty(StatusCode::OK, &state.meta))
}

/// `DELETE /v1/settings/account/two-step`: turns two-step verification off.
pub async fn remove_pin(
    State(state): State<AppState>,
    Admin(auth): Admin,
) -> Result<Reply<Empty>, ApiError> {
    auth.cluster.remove_pin().await?;
    Ok(Reply::empty(StatusCode::OK, &state.meta))
}
