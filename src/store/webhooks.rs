//! A cluster's webhooks: the app's configuration, the account's and numbers' subscriptions, the
//! changes made into deliveries (under the cluster's lock, as every other operation) and what
//! each attempt came to. The sending is the [`Courier`]'s, outside every lock: the store hands
//! it a delivery's id once the lock is released, and the courier asks for the bytes, sends them
//! and records the answer here.

use std::collections::BTreeMap;
use std::sync::{Mutex, Weak};
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Value, json};

use super::data::ClusterData;
use super::events::Kind;
use super::persist::{Change, Log};
use super::{Cluster, Store};
use crate::domain::clock::{rfc3339, unix_millis};
use crate::domain::webhooks::{
    AppWebhook, Delivery, DeliveryStatus, Field, Subscription, fields, payload,
};
use crate::domain::{Error, Result};

/// Who sends deliveries: given a delivery's id once it is made (or due again), it sends it on
/// its own tasks and records each attempt with [`Cluster::record_attempt`].
pub trait Courier: Send + Sync + std::fmt::Debug {
    /// Sends delivery `id` of `cluster` (now, or when its next attempt is due).
    fn send(&self, cluster: Weak<Cluster>, id: u64);
}

/// Deliveries that reached each status, by field, since the emulator started
/// (`wa_emulator_webhook_deliveries_total`).
#[derive(Debug, Default)]
pub struct DeliveryCounts(Mutex<BTreeMap<(Field, &'static str), u64>>);

impl DeliveryCounts {
    fn add(&self, field: Field, status: DeliveryStatus) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry((field, status.as_str())).or_default() += 1;
    }

    /// `(field, status, count)` of each.
    pub fn counts(&self) -> Vec<(Field, &'static str, u64)> {
        let counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        counts.iter().map(|(&(f, s), &n)| (f, s, n)).collect()
    }
}

/// What the courier sends for one attempt.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Where.
    pub url: String,
    /// The exact text.
    pub body: String,
    /// `X-Hub-Signature-256`.
    pub signature: Option<String>,
    /// `X-Hub-Signature`.
    pub signature_sha1: Option<String>,
}

/// What the courier should do next with a delivery.
#[derive(Debug)]
pub enum Next {
    /// Send it now.
    Send(Outgoing),
    /// Wait until the cluster's clock reads this.
    WaitUntil(SystemTime),
    /// Nothing: delivered, failed, or gone.
    Done,
}

/// A delivery as the control API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeliveryView {
    /// Its id in the cluster.
    pub id: u64,
    /// The webhook field.
    pub field: Field,
    /// Where it was sent.
    pub url: Option<String>,
    /// The exact text sent.
    pub body: String,
    /// `X-Hub-Signature-256` as sent (`null`: not sent).
    pub signature: Option<String>,
    /// `X-Hub-Signature` as sent.
    pub signature_sha1: Option<String>,
    /// pending, delivered, retrying, failed or not_subscribed.
    pub status: DeliveryStatus,
    /// Why it was not sent, or given up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Each attempt: when, and the status answered or the error.
    pub attempts: Vec<AttemptView>,
    /// When it was made (the cluster's clock).
    pub created_at: String,
    /// When the next attempt is due, while retrying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

/// One attempt, as the control API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AttemptView {
    /// When (the cluster's clock).
    pub time: String,
    /// The HTTP status answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why no status came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id,
            field: d.field,
            url: d.url.clone(),
            body: d.body.clone(),
            signature: d.signature.clone(),
            signature_sha1: d.signature_sha1.clone(),
            status: d.status,
            reason: d.reason.clone(),
            attempts: d
                .attempts
                .iter()
                .map(|a| AttemptView {
                    time: rfc3339(a.time),
                    status: a.status,
                    error: a.error.clone(),
                })
                .collect(),
            created_at: rfc3339(d.created_at),
            next_attempt_at: d.next_attempt_at.map(rfc3339),
        }
    }
}

/// Which deliveries a read takes.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeliveryFilter {
    /// Of this field only.
    pub field: Option<Field>,
    /// In this status only.
    pub status: Option<DeliveryStatus>,
}

impl DeliveryFilter {
    fn takes(&self, d: &Delivery) -> bool {
        self.field.is_none_or(|f| f == d.field) && self.status.is_none_or(|s| s == d.status)
    }
}

/// The app's webhook as the control API shows it: the secret redacted.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AppWebhookView {
    /// Where changes are sent.
    pub callback_url: String,
    /// What the verification request carries.
    pub verify_token: String,
    /// Always `"<redacted>"`: the secret is never shown.
    pub app_secret: &'static str,
    /// The fields the app takes.
    pub fields: Vec<Field>,
    /// How deliveries are signed.
    pub signature: crate::domain::webhooks::SignatureMode,
    /// Whether the app subscribed to the account (`POST /{WABA_ID}/subscribed_apps`).
    pub subscribed: bool,
    /// The account's override of the callback URL, when it has one.
    pub override_callback_uri: Option<String>,
}

impl ClusterData {
    /// The deliveries matching `filter`, oldest first.
    fn matching(&self, filter: DeliveryFilter) -> impl Iterator<Item = &Delivery> {
        self.waba
            .webhooks
            .iter()
            .flat_map(|h| &h.deliveries)
            .filter(move |d| filter.takes(d))
    }

    /// Makes a delivery of `field` with the value `make` builds, when webhooks are on (a
    /// cluster without them builds nothing): sent to `number_override` if the number has one,
    /// else the account's override, else the app's URL; kept as `not_subscribed`, with why,
    /// when the app did not subscribe to the account or to the field.
    pub(super) fn emit(
        &mut self,
        cluster: &Cluster,
        now: SystemTime,
        field: Field,
        number_override: Option<String>,
        make: impl FnOnce() -> Value,
    ) {
        let Some(hooks) = self.waba.webhooks.as_deref().filter(|h| !h.is_off()) else {
            return;
        };
        let waba = cluster.waba_id();
        let body = payload::body(&waba, unix_millis(now) / 1000, field, &make());
        let url = number_override
            .or_else(|| hooks.subscribed.as_ref()?.override_callback_uri.clone())
            .or_else(|| hooks.app.as_ref().map(|a| a.callback_url.clone()));
        let refusal = match (&hooks.app, &hooks.subscribed) {
            (None, _) => Some(format!(
                "No app webhook in cluster {}: PUT /_emulator/clusters/{}/webhooks (or start with --webhook-url)",
                cluster.name(),
                cluster.name()
            )),
            (Some(_), None) => Some(format!(
                "The app is not subscribed to WhatsApp Business Account {waba}: Meta sends an account's changes only to the apps subscribed to it (POST /{waba}/subscribed_apps)"
            )),
            (Some(app), Some(_)) if !app.fields.contains(&field) => Some(format!(
                "The app's webhook fields ({}) do not include {field}",
                app.fields
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        };
        let (signed, status) = match (&hooks.app, &refusal) {
            (Some(app), None) => (
                payload::sign(body, &app.app_secret, app.signature),
                DeliveryStatus::Pending,
            ),
            _ => (
                payload::Signed {
                    body,
                    sha256: None,
                    sha1: None,
                },
                DeliveryStatus::NotSubscribed,
            ),
        };
        let hooks = self.waba.hooks_mut();
        hooks.last_id += 1;
        let id = hooks.last_id;
        hooks.keep(Delivery {
            id,
            field,
            url,
            body: signed.body,
            signature: signed.sha256,
            signature_sha1: signed.sha1,
            status,
            reason: refusal,
            attempts: Vec::new(),
            created_at: now,
            next_attempt_at: None,
        });
        cluster.settings.deliveries_counted.add(field, status);
        if status == DeliveryStatus::Pending {
            hooks.outgoing.push(id);
        }
        cluster.delivery_event(self, id);
    }
}

impl Cluster {
    /// Hands deliveries `ids` to the courier.
    pub(super) fn dispatch(&self, ids: Vec<u64>) {
        for id in ids {
            self.settings.courier.send(self.me.clone(), id);
        }
        // A held wait on the journal of deliveries counts the new ones.
        self.arrivals.notify_waiters();
    }

    /// Tells subscribers of the event stream where delivery `id` stands.
    fn delivery_event(&self, c: &ClusterData, id: u64) {
        self.settings
            .events
            .publish(self.scope(), Kind::Webhook, || {
                let d = c
                    .waba
                    .webhooks
                    .iter()
                    .flat_map(|h| &h.deliveries)
                    .find(|d| d.id == id);
                json!({
                    "cluster": self.name(),
                    "id": id,
                    "field": d.map(|d| d.field),
                    "status": d.map(|d| d.status),
                    "url": d.and_then(|d| d.url.clone()),
                    "attempts": d.map_or(0, |d| d.attempts.len()),
                })
            });
    }

    fn log_webhooks(&self, c: &ClusterData, log: &mut Log) {
        log.push(|| Change::Cloud(self.key(), c.waba.clone()));
    }

    /// The app's webhook (`GET /_emulator/clusters/{c}/webhooks`), the secret redacted.
    pub fn app_webhook(&self) -> Option<AppWebhookView> {
        self.with(|c| {
            let hooks = c.waba.webhooks.as_deref()?;
            hooks.app.as_ref().map(|app| AppWebhookView {
                callback_url: app.callback_url.clone(),
                verify_token: app.verify_token.clone(),
                app_secret: "<redacted>",
                fields: app.fields.clone(),
                signature: app.signature,
                subscribed: hooks.subscribed.is_some(),
                override_callback_uri: hooks
                    .subscribed
                    .as_ref()
                    .and_then(|s| s.override_callback_uri.clone()),
            })
        })
    }

    /// Sets the app's webhook (verified by the caller first).
    pub async fn set_app_webhook(&self, app: AppWebhook) -> Result<()> {
        let ((), ticket) = self.write(|c, log| {
            c.waba.hooks_mut().app = Some(app);
            self.log_webhooks(c, log);
        });
        ticket.durable().await?;
        self.changed("webhooks");
        Ok(())
    }

    /// Removes the app's webhook; whether there was one.
    pub async fn delete_app_webhook(&self) -> Result<bool> {
        let (had, ticket) = self.write(|c, log| {
            let had = c
                .waba
                .webhooks
                .as_deref_mut()
                .and_then(|h| h.app.take())
                .is_some();
            self.log_webhooks(c, log);
            had
        });
        ticket.durable().await?;
        self.changed("webhooks");
        Ok(had)
    }

    /// `POST /{WABA_ID}/subscribed_apps`: the app subscribes to the account (with an override
    /// URL, verified by the caller first).
    pub async fn subscribe_app(&self, override_callback_uri: Option<String>) -> Result<()> {
        let ((), ticket) = self.write(|c, log| {
            c.waba.hooks_mut().subscribed = Some(Subscription {
                override_callback_uri,
            });
            self.log_webhooks(c, log);
        });
        ticket.durable().await?;
        self.changed("webhooks");
        Ok(())
    }

    /// `DELETE /{WABA_ID}/subscribed_apps`.
    pub async fn unsubscribe_app(&self) -> Result<()> {
        let ((), ticket) = self.write(|c, log| {
            if let Some(hooks) = c.waba.webhooks.as_deref_mut() {
                hooks.subscribed = None;
            }
            self.log_webhooks(c, log);
        });
        ticket.durable().await?;
        self.changed("webhooks");
        Ok(())
    }

    /// The account's subscription: `None` when the app did not subscribe.
    pub fn subscription(&self) -> Option<Subscription> {
        self.with(|c| c.waba.webhooks.as_deref()?.subscribed.clone())
    }

    /// The deliveries matching `filter`, oldest first.
    pub fn deliveries(&self, filter: DeliveryFilter) -> Vec<DeliveryView> {
        self.with(|c| c.matching(filter).map(DeliveryView::from).collect())
    }

    /// How many deliveries match `filter`.
    pub fn count_deliveries(&self, filter: DeliveryFilter) -> usize {
        self.with(|c| c.matching(filter).count())
    }

    /// `POST …/webhooks/deliveries/{id}/redeliver`: sends delivery `id` again now, the same
    /// bytes, as a new round of attempts (a delivered or failed one too).
    pub async fn redeliver(&self, id: u64) -> Result<DeliveryView> {
        let (view, ticket) = self.write(|c, log| {
            let hooks = c.waba.hooks_mut();
            let has_app = hooks.app.is_some();
            let Some(d) = hooks.delivery(id) else {
                return Err(Error::not_found(
                    "delivery",
                    format!(
                        "No delivery {id} in cluster {} (GET /_emulator/clusters/{}/webhooks/deliveries lists them)",
                        self.name(),
                        self.name()
                    ),
                ));
            };
            if d.url.is_none() || !has_app || d.status == DeliveryStatus::NotSubscribed {
                return Err(Error::invalid(
                    "id",
                    "not_sent",
                    format!(
                        "Delivery {id} was never sent ({}): a delivery that was not subscribed cannot be sent again",
                        d.reason.as_deref().unwrap_or("no app webhook")
                    ),
                ));
            }
            d.status = DeliveryStatus::Pending;
            d.next_attempt_at = None;
            d.reason = None;
            let view = DeliveryView::from(&*d);
            c.waba.hooks_mut().outgoing.push(id);
            self.log_webhooks(c, log);
            Ok(view)
        });
        ticket.durable().await?;
        view
    }

    /// `POST …/webhooks/events {"field", "value"}`: a change of `field`, checked against its
    /// documented shape, delivered as if it happened; its delivery.
    pub async fn send_event(&self, field: Field, value: Value) -> Result<Option<DeliveryView>> {
        fields::check(field, &value)
            .map_err(|message| Error::invalid("value", "shape", message))?;
        let (view, ticket) = self.write(|c, log| {
            let before = c.waba.webhooks.as_deref().map_or(0, |h| h.last_id);
            c.emit(self, self.now(), field, None, || value);
            self.log_webhooks(c, log);
            let hooks = c.waba.webhooks.as_deref()?;
            let id = hooks.last_id;
            (id != before)
                .then(|| {
                    hooks
                        .deliveries
                        .iter()
                        .find(|d| d.id == id)
                        .map(DeliveryView::from)
                })
                .flatten()
        });
        ticket.durable().await?;
        Ok(view)
    }

    /// What the courier does next with delivery `id`.
    pub fn next_attempt(&self, id: u64) -> Next {
        if self.is_retired() {
            return Next::Done;
        }
        let now = self.now();
        self.with(|c| {
            let found = c.waba.webhooks.iter().flat_map(|h| &h.deliveries);
            let Some(d) = found.into_iter().find(|d| d.id == id) else {
                return Next::Done;
            };
            match (d.status, &d.url) {
                (DeliveryStatus::Pending, Some(url)) => Next::Send(Outgoing {
                    url: url.clone(),
                    body: d.body.clone(),
                    signature: d.signature.clone(),
                    signature_sha1: d.signature_sha1.clone(),
                }),
                (DeliveryStatus::Retrying, Some(url)) if d.due(now) => Next::Send(Outgoing {
                    url: url.clone(),
                    body: d.body.clone(),
                    signature: d.signature.clone(),
                    signature_sha1: d.signature_sha1.clone(),
                }),
                (DeliveryStatus::Retrying, _) => {
                    d.next_attempt_at.map_or(Next::Done, Next::WaitUntil)
                }
                _ => Next::Done,
            }
        })
    }

    /// Records an attempt of delivery `id`, answered `status` or failed with `error`.
    pub async fn record_attempt(&self, id: u64, status: Option<u16>, error: Option<String>) {
        let now = self.now();
        let ((), ticket) = self.write(|c, log| {
            let Some(d) = c.waba.webhooks.as_deref_mut().and_then(|h| h.delivery(id)) else {
                return;
            };
            d.record(now, status, error);
            self.settings.deliveries_counted.add(d.field, d.status);
            self.log_webhooks(c, log);
            self.delivery_event(c, id);
        });
        self.arrivals.notify_waiters();
        // A delivery's record that is not stored is made again by the next attempt.
        let _ = ticket.durable().await;
    }

    /// Gives delivery `id` up without an attempt, saying why (the courier has too many in hand).
    pub async fn give_up_delivery(&self, id: u64, reason: String) {
        let ((), ticket) = self.write(|c, log| {
            let Some(d) = c.waba.webhooks.as_deref_mut().and_then(|h| h.delivery(id)) else {
                return;
            };
            d.status = DeliveryStatus::Failed;
            d.next_attempt_at = None;
            d.reason = Some(reason);
            self.settings.deliveries_counted.add(d.field, d.status);
            self.log_webhooks(c, log);
            self.delivery_event(c, id);
        });
        self.arrivals.notify_waiters();
        let _ = ticket.durable().await;
    }

    /// Hands every delivery still under way to the courier (after a restart from `--data-dir`).
    pub fn resume_deliveries(&self) {
        let ids: Vec<u64> = self.with(|c| {
            c.waba
                .webhooks
                .iter()
                .flat_map(|h| &h.deliveries)
                .filter(|d| matches!(d.status, DeliveryStatus::Pending | DeliveryStatus::Retrying))
                .map(|d| d.id)
                .collect()
        });
        if !ids.is_empty() {
            self.dispatch(ids);
        }
    }

    /// `POST /{PHONE_NUMBER_ID} {"webhook_configuration": {"override_callback_uri"}}` (an
    /// empty URI removes the override), verified by the caller first.
    pub async fn set_number_webhook(&self, id: &str, uri: Option<String>) -> Result<()> {
        self.on_number(
            crate::domain::cloud::Operation::UpdateNumber,
            id,
            |c, i, _, _| {
                c.waba.numbers[i].webhook_override = uri;
                Ok(())
            },
        )
        .await
    }
}

impl ClusterData {
    /// At a registration of number `i` at `now`: sends `phone_number_quality_update`
    /// `ONBOARDING` (and `THROUGHPUT_UPGRADE` for a number that came with high throughput).
    pub(super) fn registered_webhooks(&mut self, cluster: &Cluster, i: usize, now: SystemTime) {
        if self.waba.hooks_off() {
            return;
        }
        let number = &self.waba.numbers[i];
        let digits = number.number.e164().trim_start_matches('+').to_owned();
        let limit = if number.certified {
            "TIER_1K"
        } else {
            "TIER_250"
        };
        let high = number.high_throughput;
        let hook = number.webhook_override.clone();
        self.emit(
            cluster,
            now,
            Field::PhoneNumberQualityUpdate,
            hook.clone(),
            || {
                json!({
                    "display_phone_number": digits,
                    "event": "ONBOARDING",
                    "current_limit": limit,
                    "max_daily_conversations_per_business": limit,
                })
            },
        );
        if high {
            self.emit(cluster, now, Field::PhoneNumberQualityUpdate, hook, || {
                json!({
                    "display_phone_number": digits,
                    "event": "THROUGHPUT_UPGRADE",
                    "current_limit": "TIER_UNLIMITED",
                    "max_daily_conversations_per_business": limit,
                })
            });
        }
    }
}

impl Store {
    /// How many deliveries of cluster `name` match `filter` once at least `at_least` do, or
    /// when `deadline` passes; woken by each delivery made or attempted.
    pub async fn wait_for_deliveries(
        &self,
        name: &str,
        filter: DeliveryFilter,
        at_least: usize,
        deadline: tokio::time::Instant,
    ) -> usize {
        self.wait_on(name, deadline, false, |slot| {
            slot.count_deliveries(filter) >= at_least
        })
        .await
        .map_or(0, |slot| slot.count_deliveries(filter))
    }

    /// Hands every delivery under way to the courier (after loading `--data-dir`).
    pub fn resume_deliveries(&self) {
        for name in self.names() {
            if let Some(cluster) = self.find(&name) {
                cluster.resume_deliveries();
            }
        }
    }
}
