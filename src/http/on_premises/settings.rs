//! `/v1/settings`: the registered number's two-step pin, and backup and restore.

use http::StatusCode;
use serde::Serialize;

use crate::domain::request::{self, Fields};
use crate::domain::{Error, backup};
use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{InCluster, JsonBody};

/// `POST /v1/settings/account/two-step {"pin"}`: sets or changes the pin.
pub async fn set_pin(InCluster(cluster): InCluster, body: JsonBody) -> Result<Reply, ApiError> {
    let pin = request::pin_request(body.object())?;
    cluster.set_pin(pin).await?;
    Ok(Reply::empty(StatusCode::OK))
}

/// `DELETE /v1/settings/account/two-step`: turns two-step verification off.
pub async fn remove_pin(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    cluster.remove_pin().await?;
    Ok(Reply::empty(StatusCode::OK))
}

#[derive(Serialize)]
struct BackupAnswer {
    settings: BackupData,
}

#[derive(Serialize)]
struct BackupData {
    data: String,
}

fn backup_password(fields: &Fields<'_, '_>) -> Result<String, Error> {
    let password = fields.str("password")?;
    if password.is_empty() {
        return Err(Error::invalid(
            "password",
            "empty",
            "Parameter 'password' must not be empty",
        ));
    }
    Ok(password.to_owned())
}

/// Runs costly key derivation off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Storage(format!("backup task: {e}")))
}

/// `POST /v1/settings/backup {"password"}`: the registration, encrypted under the password.
pub async fn backup(InCluster(cluster): InCluster, body: JsonBody) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["password"])?;
    fields.require(&["password"])?;
    let password = backup_password(&fields)?;
    let payload = cluster.backup()?;
    let data = blocking(move || backup::seal(&payload, &password)).await?;
    let answer = BackupAnswer {
        settings: BackupData { data },
    };
    Ok(Reply::vendor(StatusCode::OK, &answer))
}

/// `POST /v1/settings/restore {"password", "data"}`: onto a deployment with no number.
pub async fn restore(InCluster(cluster): InCluster, body: JsonBody) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["password", "data"])?;
    fields.require(&["password", "data"])?;
    let password = backup_password(&fields)?;
    let data = fields.str("data")?.to_owned();
    let payload = blocking(move || backup::open(&data, &password))
        .await?
        .map_err(|e| {
            let rule = match e {
                backup::OpenError::Format => "not_a_backup",
                backup::OpenError::Authentication => "undecryptable",
            };
            Error::invalid(
                "data",
                rule,
                format!("Parameter 'data' cannot be restored: {e}"),
            )
        })?;
    cluster.restore_backup(payload).await?;
    Ok(Reply::empty(StatusCode::OK))
}
