//! `/v1/settings`: the registered number's two-step pin, and backup and restore.

use http::StatusCode;
use serde::Serialize;

use crate::domain::request::{self, Fields};
use crate::domain::{Error, backup};
use crate::http::call::{Answer, Call};
use crate::http::envelope::Reply;

/// `POST /v1/settings/account/two-step {"pin"}`: sets or changes the pin.
pub fn set_pin<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let pin = request::pin_request(call.object())?;
        call.cluster.set_pin(pin).await?;
        Ok(Reply::empty(StatusCode::OK))
    })
}

/// `DELETE /v1/settings/account/two-step`: turns two-step verification off.
pub fn remove_pin<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        call.cluster.remove_pin().await?;
        Ok(Reply::empty(StatusCode::OK))
    })
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
pub fn backup<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let fields = Fields::new(call.object(), &["password"])?;
        fields.require(&["password"])?;
        let password = backup_password(&fields)?;
        let payload = call.cluster.backup()?;
        let data = blocking(move || backup::seal(&payload, &password)).await?;
        let answer = BackupAnswer {
            settings: BackupData { data },
        };
        Ok(Reply::vendor(StatusCode::OK, &answer))
    })
}

/// `POST /v1/settings/restore {"password", "data"}`: onto a deployment with no number.
pub fn restore<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let fields = Fields::new(call.object(), &["password", "data"])?;
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
        call.cluster.restore_backup(payload).await?;
        Ok(Reply::empty(StatusCode::OK))
    })
}
