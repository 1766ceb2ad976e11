//! The app's webhook and its deliveries, under `/_emulator/clusters/{cluster}/webhooks`: the
//! configuration (kept only once Meta's verification request passes), the journal of
//! deliveries (held reads like `requests/count`), redelivery, events on demand, and the
//! display-name review that Meta's reviewers decide.

use axum::extract::State;
use serde::Deserialize;

use super::answers;
use super::steering::Held;
use crate::domain::Error;
use crate::domain::request::Fields;
use crate::domain::webhooks::{AppWebhook, DeliveryStatus, Field, SignatureMode, config};
use crate::http::AppState;
use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{ClusterName, InCluster, JsonBody, PathId, Query};
use crate::store::webhooks::DeliveryFilter;

/// `GET /_emulator/clusters/{cluster}/webhooks`: the app's webhook, the secret redacted.
pub async fn get_webhooks(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    match cluster.app_webhook() {
        Some(view) => Ok(Reply::control(&view)),
        None => Err(Error::not_found(
            "webhooks",
            format!(
                "Cluster {} has no app webhook: PUT /_emulator/clusters/{}/webhooks {{\"callback_url\", \"verify_token\", \"app_secret\"}}",
                cluster.name(),
                cluster.name()
            ),
        )
        .into()),
    }
}

/// The fields named by `value` (every field when absent).
fn fields_of(value: Option<serde_json::Value>) -> Result<Vec<Field>, Error> {
    let Some(value) = value else {
        return Ok(Field::ALL.to_vec());
    };
    let names = value.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
        Error::invalid(
            "fields",
            "not_list",
            format!(
                "Parameter 'fields' must be a non-empty list of webhook fields, of {}",
                Field::names()
            ),
        )
    })?;
    let mut fields = Vec::new();
    for name in names {
        let name = name.as_str().unwrap_or_default();
        let field =
            Field::parse(name).map_err(|message| Error::invalid("fields", "unknown", message))?;
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    Ok(fields)
}

/// `PUT /_emulator/clusters/{cluster}/webhooks {"callback_url", "verify_token", "app_secret",
/// "fields"?, "signature"?}`: Meta's verification request first; kept only when it passes.
pub async fn put_webhooks(
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let fields = Fields::new(
        body.object(),
        &[
            "callback_url",
            "verify_token",
            "app_secret",
            "fields",
            "signature",
        ],
    )?;
    fields.require(&["callback_url", "verify_token", "app_secret"])?;
    let callback_url = fields.str("callback_url")?.to_owned();
    config::check_url(&callback_url)
        .map_err(|message| Error::invalid("callback_url", "url", message))?;
    let verify_token = fields.str("verify_token")?.to_owned();
    let app_secret = fields.str("app_secret")?.to_owned();
    if app_secret.is_empty() {
        return Err(Error::invalid(
            "app_secret",
            "empty",
            "Parameter 'app_secret' must not be empty: deliveries are signed with it",
        )
        .into());
    }
    let wanted = fields_of(fields.get("fields").map(|f| f.to_json()))?;
    let signature = match fields.opt_str("signature")? {
        None => SignatureMode::Valid,
        Some(name) => SignatureMode::parse(name).ok_or_else(|| {
            Error::invalid(
                "signature",
                "enum",
                format!(
                    "Parameter 'signature' must be one of {} (got {name:?})",
                    SignatureMode::NAMES
                ),
            )
        })?,
    };
    crate::courier::verify(&callback_url, &verify_token, state.webhook_timeout)
        .await
        .map_err(|e| Error::invalid("callback_url", "verification", e.message))?;
    cluster
        .set_app_webhook(AppWebhook {
            callback_url,
            verify_token,
            app_secret,
            fields: wanted,
            signature,
        })
        .await?;
    get_webhooks(InCluster(cluster)).await
}

/// `DELETE /_emulator/clusters/{cluster}/webhooks`: removes the app's webhook.
pub async fn delete_webhooks(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    let deleted = cluster.delete_app_webhook().await?;
    Ok(Reply::control(&answers::WebhooksDeleted { deleted }))
}

/// The query of `GET …/webhooks/deliveries`.
#[derive(Debug, Default, Deserialize)]
pub struct DeliveriesQuery {
    field: Option<String>,
    status: Option<String>,
    at_least: Option<String>,
    wait: Option<String>,
}

impl DeliveriesQuery {
    fn filter(&self) -> Result<DeliveryFilter, Error> {
        let field = self
            .field
            .as_deref()
            .map(|name| Field::parse(name).map_err(|m| Error::invalid("field", "unknown", m)))
            .transpose()?;
        let status = self
            .status
            .as_deref()
            .map(|name| {
                DeliveryStatus::parse(name).ok_or_else(|| {
                    Error::invalid(
                        "status",
                        "enum",
                        format!(
                            "Query 'status' must be one of {} (got {name:?})",
                            DeliveryStatus::NAMES
                        ),
                    )
                })
            })
            .transpose()?;
        Ok(DeliveryFilter { field, status })
    }
}

/// `GET /_emulator/clusters/{cluster}/webhooks/deliveries?field=&status=[&at_least=N&wait=S]`:
/// the deliveries, oldest first; with `at_least`, held until that many match (woken by each
/// delivery made or attempted, up to `wait` seconds, at most 300).
pub async fn list_deliveries(
    State(state): State<AppState>,
    ClusterName(name): ClusterName,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Reply, ApiError> {
    let filter = query.filter()?;
    let Held {
        at_least,
        deadline,
        made_by,
    } = Held::read(query.at_least.as_deref(), query.wait.as_deref())?;
    let cluster = state.store.existing(&name, made_by).await?;
    let reached = match at_least {
        Some(n) => {
            let count = state
                .store
                .wait_for_deliveries(cluster.name(), filter, n as usize, deadline)
                .await;
            Some(count >= n as usize)
        }
        None => None,
    };
    Ok(Reply::control(&answers::Deliveries {
        deliveries: cluster.deliveries(filter),
        reached,
    }))
}

/// `POST /_emulator/clusters/{cluster}/webhooks/deliveries/{id}/redeliver`.
pub async fn redeliver(
    InCluster(cluster): InCluster,
    PathId(id): PathId,
) -> Result<Reply, ApiError> {
    let id: u64 = id.parse().map_err(|_| {
        Error::not_found(
            "delivery",
            format!("No delivery {id:?}: delivery ids are whole numbers"),
        )
    })?;
    Ok(Reply::control(&cluster.redeliver(id).await?))
}

/// `POST /_emulator/clusters/{cluster}/webhooks/events {"field", "value"}`: a documented change
/// sent as if it happened.
pub async fn send_event(InCluster(cluster): InCluster, body: JsonBody) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["field", "value"])?;
    fields.require(&["field", "value"])?;
    let field = Field::parse(fields.str("field")?)
        .map_err(|message| Error::invalid("field", "unknown", message))?;
    let value = fields.get("value").map(|v| v.to_json()).unwrap_or_default();
    let delivery = cluster.send_event(field, value).await?;
    Ok(Reply::control(&answers::EventSent { delivery }))
}

/// `POST /_emulator/clusters/{cluster}/cloud/numbers/{id}/name-review {"decision",
/// "rejection_reason"?}`: Meta's reviewers decide a display name.
pub async fn name_review(
    InCluster(cluster): InCluster,
    PathId(id): PathId,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["decision", "rejection_reason"])?;
    fields.require(&["decision"])?;
    let decision = fields.str("decision")?;
    let reason = fields.opt_str("rejection_reason")?.map(str::to_owned);
    Ok(Reply::control(
        &cluster.decide_name(&id, decision, reason).await?,
    ))
}
