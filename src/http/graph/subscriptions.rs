//! The account's webhook subscription, as Graph serves it: `GET`, `POST` and `DELETE
//! /{WABA_ID}/subscribed_apps` (Meta: an app receives an account's changes only once it is
//! subscribed to the account), and a number's override in `POST /{PHONE_NUMBER_ID}
//! {"webhook_configuration"}`.

use axum::extract::State;
use serde_json::{Value, json};

use super::params::Params;
use super::{GraphError, GraphId, GraphToken};
use crate::domain::Error;
use crate::domain::cloud::CloudError;
use crate::domain::webhooks::config::check_url;
use crate::http::common::extract::InCluster;
use crate::http::common::{AppState, Reply};
use crate::store::Cluster;

/// The emulated app's id: the one app of every cluster.
pub const APP_ID: &str = "1000000000000001";

fn the_account(cluster: &Cluster, id: &str, method: &'static str) -> Result<(), Error> {
    if id == cluster.waba_id() {
        Ok(())
    } else {
        Err(CloudError::UnknownObject {
            id: id.to_owned(),
            method,
        }
        .into())
    }
}

/// Verifies `uri` with `verify_token` as Meta does before it takes an override: (#2200) with
/// what came back when it fails, (#100) when it is no URL the emulator can send to.
pub async fn verified(state: &AppState, uri: &str, verify_token: &str) -> Result<(), Error> {
    check_url(uri).map_err(|e| CloudError::invalid("override_callback_uri", e))?;
    crate::courier::verify(uri, verify_token, state.webhook_timeout)
        .await
        .map_err(|e| CloudError::CallbackVerification { message: e.message })?;
    Ok(())
}

/// `GET /{WABA_ID}/subscribed_apps`: the app, when it subscribed (`data: []` otherwise).
pub async fn list(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&[])?;
    the_account(&cluster, &id, "get")?;
    let data: Vec<Value> = cluster
        .subscription()
        .map(|s| {
            let mut app = json!({
                "whatsapp_business_api_data": {
                    "id": APP_ID,
                    "link": format!("https://www.facebook.com/games/?app_id={APP_ID}"),
                    "name": format!("Emulated app ({})", cluster.name()),
                },
            });
            if let Some(uri) = s.override_callback_uri {
                app["override_callback_uri"] = json!(uri);
            }
            app
        })
        .into_iter()
        .collect();
    Ok(Reply::control(&json!({ "data": data })))
}

/// `POST /{WABA_ID}/subscribed_apps {"override_callback_uri"?, "verify_token"?}`: subscribes
/// the app; an override is verified first, as Meta verifies it.
pub async fn subscribe(
    _: GraphToken,
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&["override_callback_uri", "verify_token"])?;
    the_account(&cluster, &id, "post")?;
    let uri = params
        .text("override_callback_uri")?
        .filter(|u| !u.is_empty());
    if let Some(uri) = &uri {
        let Some(token) = params.text("verify_token")? else {
            return Err(Error::from(CloudError::MissingParameter {
                name: "verify_token".into(),
            })
            .into());
        };
        verified(&state, uri, &token).await?;
    }
    cluster.subscribe_app(uri).await?;
    Ok(Reply::control(&json!({"success": true})))
}

/// `DELETE /{WABA_ID}/subscribed_apps`: the app stops receiving the account's changes.
pub async fn unsubscribe(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&[])?;
    the_account(&cluster, &id, "delete")?;
    cluster.unsubscribe_app().await?;
    Ok(Reply::control(&json!({"success": true})))
}
