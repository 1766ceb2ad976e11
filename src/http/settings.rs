//! `/v1/settings`: the registered number's two-step pin, and backup and restore.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::extract::{Admin, JsonBody};
use crate::backup;
use crate::envelope::{Empty, Reply};
use crate::error::ApiError;
use crate::request::{self, Fields};

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

#[derive(Serialize)]
pub struct BackupAnswer {
    settings: BackupData,
}

#[derive(Serialize)]
struct BackupData {
    data: String,
}

fn backup_password(fields: &Fields<'_>) -> Result<String, ApiError> {
    let password = fields.str("password")?;
    if password.is_empty() {
        return Err(ApiError::invalid(
            "password",
            "empty",
            "Parameter 'password' must not be empty",
        ));
    }
    Ok(password.to_owned())
}

/// `POST /v1/settings/backup {"password"}`: the registration, encrypted under the password.
pub async fn backup(
    State(state): State<AppState>,
    Admin(auth): Admin,
    JsonBody(body): JsonBody,
) -> Result<Reply<BackupAnswer>, ApiError> {
    let fields = Fields::new(&body, &["password"])?;
    fields.require(&["password"])?;
    let password = backup_password(&fields)?;
    let payload = auth.cluster.backup()?;
    // Key derivation takes milliseconds of CPU: off the async workers.
    let data = tokio::task::spawn_blocking(move || backup::seal(&payload, &password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let answer = BackupAnswer {
        settings: BackupData { data },
    };
    Ok(Reply::new(StatusCode::OK, answer, &state.meta))
}

/// `POST /v1/settings/restore {"password", "data"}`: onto a deployment with no number.
pub async fn restore(
    State(state): State<AppState>,
    Admin(auth): Admin,
    JsonBody(body): JsonBody,
) -> Result<Reply<Empty>, ApiError> {
    let fields = Fields::new(&body, &["password", "data"])?;
    fields.require(&["password", "data"])?;
    let password = backup_password(&fields)?;
    let data = fields.str("data")?.to_owned();
    let payload = tokio::task::spawn_blocking(move || backup::open(&data, &password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| {
            let rule = match e {
                backup::OpenError::Format => "not_a_backup",
                backup::OpenError::Authentication => "undecryptable",
            };
            ApiError::invalid(
                "data",
                rule,
                format!("Parameter 'data' cannot be restored: {e}"),
            )
        })?;
    auth.cluster.restore_backup(payload).await?;
    Ok(Reply::empty(StatusCode::OK, &state.meta))
}
