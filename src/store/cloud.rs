//! The Cloud API's phone numbers of one cluster: adding numbers to its WhatsApp Business
//! Account, codes and two-step pins, under the cluster's lock as every other operation.
//! Registering them (and migrating the On-Premises number) is in [`super::migration`].
//!
//! The cluster's On-Premises registration is one source of truth: its number appears in the
//! account as `ON_PREMISE` without an entry of its own until a Cloud operation touches it.

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use super::Cluster;
use super::data::ClusterData;
use super::persist::{Change, Log};
use crate::domain::clock::{later, rfc3339};
use crate::domain::cloud::{
    CloudCode, CloudError, CloudNumber, CodeStatus, GraphToken, NumberStatus, Operation, Platform,
    display, phone_id, waba_id,
};
use crate::domain::model::{SentBy, SentCode};
use crate::domain::phone::{Method, Number};
use crate::domain::{Error, Result};

/// A phone number as the Graph surface and the control API show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PhoneView {
    /// Its id.
    pub id: String,
    /// Country calling code.
    pub cc: String,
    /// National number.
    pub phone_number: String,
    /// `+1 631-555-0000`.
    pub display_phone_number: String,
    /// Its display name.
    pub verified_name: String,
    /// NOT_VERIFIED, VERIFIED or EXPIRED.
    pub code_verification_status: CodeStatus,
    /// CLOUD_API, ON_PREMISE or NOT_APPLICABLE.
    pub platform_type: Platform,
    /// PENDING, CONNECTED or DISCONNECTED.
    pub status: NumberStatus,
    /// Whether a two-step verification pin is set.
    pub is_pin_enabled: bool,
    /// STANDARD, or HIGH for a multiconnect number migrated from On-Premises.
    pub throughput: &'static str,
    /// GREEN for a number that came from On-Premises, UNKNOWN for one added here (no messages
    /// sent yet to rate it).
    pub quality_rating: &'static str,
    /// APPROVED for a number that came from On-Premises (its certificate's name), else
    /// AVAILABLE_WITHOUT_REVIEW (usable while Meta reviews it).
    pub name_status: &'static str,
    /// Where its data rests, when registration named a region.
    pub data_localization_region: Option<String>,
    /// The code awaiting `verify_code` (the control API's view only).
    pub pending_code: Option<PendingCode>,
    /// Until when register and deregister are refused (the control API's view only).
    pub blocked_until: Option<String>,
    /// Until when pins are refused after too many wrong ones (133008; the control API's view
    /// only).
    pub pin_locked_until: Option<String>,
    /// When it last registered on the Cloud API (Graph's `last_onboarded_time`).
    #[serde(skip)]
    pub registered_at: Option<SystemTime>,
    /// Its certificate, for a number that came from On-Premises (Graph's `certificate`).
    #[serde(skip)]
    pub certificate: Option<String>,
    /// Where a display name change asked with `new_display_name` stands: NONE,
    /// PENDING_REVIEW, APPROVED (applied at the next registration), DECLINED or EXPIRED.
    pub new_name_status: &'static str,
    /// The display name asked for, while its change stands.
    pub new_display_name: Option<String>,
    /// Where its changes go (Graph's `webhook_configuration`: `application`,
    /// `whatsapp_business_account`, `phone_number`, those set).
    #[serde(skip)]
    pub webhook_configuration: Option<serde_json::Value>,
}

/// A code awaiting `verify_code`, as the control API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PendingCode {
    /// The 6 digits.
    pub code: String,
    /// sms or voice.
    pub method: Method,
    /// When it goes stale.
    pub expires_at: String,
}

impl ClusterData {
    /// Whether the On-Premises deployment serves now (running, not restarting).
    pub(super) fn on_prem_connected(&mut self, now: SystemTime) -> bool {
        self.topology.settle(now);
        self.registered.is_some() && self.topology.has_serving_coreapp() && !self.is_restarting(now)
    }

    fn view(&mut self, number: &CloudNumber, now: SystemTime, control: bool) -> PhoneView {
        let on_prem = self
            .registered
            .as_ref()
            .is_some_and(|a| a.number == number.number);
        let (platform, status) = if number.registered {
            (Platform::CloudApi, number.status())
        } else if on_prem {
            let connected = self.on_prem_connected(now);
            (
                Platform::OnPremise,
                if connected {
                    NumberStatus::Connected
                } else {
                    NumberStatus::Disconnected
                },
            )
        } else {
            (Platform::NotApplicable, number.status())
        };
        let pin = if number.registered || !on_prem {
            number.pin.is_some()
        } else {
            self.pins.contains_key(number.number.e164())
        };
        PhoneView {
            id: number.id.clone(),
            cc: number.number.cc().to_string(),
            phone_number: number.number.phone_number().to_string(),
            display_phone_number: display(&number.number),
            registered_at: number.registered_at.filter(|_| number.registered),
            certificate: number.certificate.clone(),
            verified_name: number.verified_name.clone(),
            code_verification_status: number.code_status(now),
            platform_type: platform,
            status,
            is_pin_enabled: pin,
            throughput: if number.high_throughput {
                "HIGH"
            } else {
                "STANDARD"
            },
            quality_rating: if on_prem || number.certified {
                "GREEN"
            } else {
                "UNKNOWN"
            },
            name_status: match number.name_decision {
                Some(decided) => decided.as_str(),
                None if on_prem || number.certified => "APPROVED",
                None => "AVAILABLE_WITHOUT_REVIEW",
            },
            new_name_status: number
                .name_change
                .as_ref()
                .map_or("NONE", |change| change.status_at(now).as_str()),
            new_display_name: number
                .name_change
                .as_ref()
                .map(|change| change.name.clone()),
            webhook_configuration: self.webhook_configuration(number),
            data_localization_region: number.data_localization_region.clone(),
            pending_code: control
                .then(|| {
                    number.code.as_ref().map(|c| PendingCode {
                        code: c.code.to_string(),
                        method: c.method,
                        expires_at: rfc3339(c.expires_at),
                    })
                })
                .flatten(),
            blocked_until: control
                .then(|| number.blocked_until.filter(|u| now < *u).map(rfc3339))
                .flatten(),
            pin_locked_until: control
                .then(|| number.pin_locked_until.filter(|u| now < *u).map(rfc3339))
                .flatten(),
        }
    }

    /// Graph's `webhook_configuration` of `number`: the URLs set at each level.
    fn webhook_configuration(&self, number: &CloudNumber) -> Option<serde_json::Value> {
        let hooks = self.waba.webhooks.as_deref();
        let mut map = serde_json::Map::new();
        if let Some(app) = hooks.and_then(|h| h.app.as_ref()) {
            map.insert("application".into(), app.callback_url.clone().into());
        }
        if let Some(uri) = hooks
            .and_then(|h| h.subscribed.as_ref())
            .and_then(|s| s.override_callback_uri.clone())
        {
            map.insert("whatsapp_business_account".into(), uri.into());
        }
        if let Some(uri) = &number.webhook_override {
            map.insert("phone_number".into(), uri.clone().into());
        }
        (!map.is_empty()).then_some(serde_json::Value::Object(map))
    }

    /// The entry the On-Premises number would have, when it has none yet.
    fn on_prem_entry(&self, cluster: &str) -> Option<CloudNumber> {
        let account = self.registered.as_ref()?;
        if self.waba.by_number(&account.number).is_some() {
            return None;
        }
        Some(CloudNumber::new(
            phone_id(cluster, &account.number),
            account.number.clone(),
            account.vname.to_string(),
        ))
    }

    /// Every number of the account, the On-Premises one included.
    fn views(&mut self, cluster: &str, now: SystemTime, control: bool) -> Vec<PhoneView> {
        let mut numbers = self.waba.numbers.clone();
        numbers.extend(self.on_prem_entry(cluster));
        numbers.iter().map(|n| self.view(n, now, control)).collect()
    }

    /// The index of the number `id`, its entry made for the On-Premises number when needed.
    fn entry(&mut self, cluster: &str, id: &str) -> Result<usize, CloudError> {
        if let Some(i) = self.waba.numbers.iter().position(|n| n.id == id) {
            return Ok(i);
        }
        match self.on_prem_entry(cluster) {
            Some(entry) if entry.id == id => {
                self.waba.numbers.push(entry);
                Ok(self.waba.numbers.len() - 1)
            }
            _ => Err(CloudError::UnknownObject {
                id: id.to_owned(),
                method: "post",
            }),
        }
    }

    /// Takes the number away from the On-Premises deployment, which disconnects and shuts down.
    pub(super) fn shut_down_on_prem(&mut self, now: SystemTime, release: bool) {
        if release {
            self.registered = None;
            self.pending = None;
        }
        self.topology.stop_all(now);
    }
}

/// Which number of the account an operation is for.
fn unknown(id: &str, method: &'static str) -> Error {
    CloudError::UnknownObject {
        id: id.to_owned(),
        method,
    }
    .into()
}

impl Cluster {
    /// The id of the cluster's WhatsApp Business Account.
    pub fn waba_id(&self) -> String {
        waba_id(self.name())
    }

    /// Every phone number of the account (`control`: with the pending code and block).
    pub fn phone_numbers(&self, control: bool) -> Vec<PhoneView> {
        let now = self.now();
        self.with(|c| c.views(self.name(), now, control))
    }

    /// The phone number `id`.
    pub fn phone_number(&self, id: &str) -> Result<PhoneView> {
        self.phone_numbers(false)
            .into_iter()
            .find(|n| n.id == id)
            .ok_or_else(|| unknown(id, "get"))
    }

    /// Adds `number` to the account (`POST /{waba_id}/phone_numbers`); a number already there
    /// keeps its entry and id.
    pub async fn add_phone_number(&self, number: Number, verified_name: String) -> Result<String> {
        let (id, ticket) = self.write(|c, log| {
            let id = phone_id(self.name(), &number);
            if c.waba.numbers.iter().all(|n| n.id != id) {
                c.waba
                    .numbers
                    .push(CloudNumber::new(id.clone(), number, verified_name));
                self.log_cloud(c, log);
            }
            id
        });
        ticket.durable().await?;
        self.changed("cloud");
        Ok(id)
    }

    /// Makes `token` an access token of this cluster that expires `lifetime` from now on the
    /// cluster's clock (a token made again gets the new end); when it expires.
    pub async fn make_graph_token(
        &self,
        token: String,
        lifetime: std::time::Duration,
    ) -> Result<SystemTime> {
        let expires_at = later(self.now(), lifetime);
        let ((), ticket) = self.write(|c, log| {
            c.waba.tokens.retain(|t| t.token != token);
            // A suite making a token per test keeps the newest thousand.
            if c.waba.tokens.len() >= 1000 {
                c.waba.tokens.remove(0);
            }
            c.waba.tokens.push(GraphToken { token, expires_at });
            self.log_cloud(c, log);
        });
        ticket.durable().await?;
        Ok(expires_at)
    }

    /// When `token` expires, if it is a token of this cluster made to expire.
    pub fn graph_token_end(&self, token: &str) -> Option<SystemTime> {
        self.with(|c| {
            c.waba
                .tokens
                .iter()
                .find(|t| t.token == token)
                .map(|t| t.expires_at)
        })
    }

    fn log_cloud(&self, c: &ClusterData, log: &mut Log) {
        log.push(|| Change::Cloud(self.key(), c.waba.clone()));
    }

    /// What the policy forces on `operation` for the number `id`: its delay is waited out
    /// here (holding no lock); its error is returned.
    async fn forced(&self, operation: Operation, id: &str) -> Result<()> {
        let number = self.with(|c| {
            c.waba
                .numbers
                .iter()
                .find(|n| n.id == id)
                .map(|n| n.number.clone())
                .or_else(|| {
                    c.on_prem_entry(self.name())
                        .filter(|e| e.id == id)
                        .map(|e| e.number)
                })
        });
        let Some(number) = number else {
            return Ok(());
        };
        let forced = self.policy().cloud(operation, &number);
        if !forced.delay.is_zero() {
            tokio::time::sleep(forced.delay).await;
        }
        match forced.error {
            Some(error) => Err(Error::Vendor(error)),
            None => Ok(()),
        }
    }

    /// Runs `f` on the number `id` under the lock, once what the policy forces on `operation`
    /// is done; the account is stored whatever `f` answers (a refused request may still have
    /// been counted).
    pub(super) async fn on_number<R>(
        &self,
        operation: Operation,
        id: &str,
        f: impl FnOnce(&mut ClusterData, usize, SystemTime, &mut Log) -> Result<R>,
    ) -> Result<R> {
        self.forced(operation, id).await?;
        self.on_number_as_is(id, f).await
    }

    /// [`Cluster::on_number`] with nothing forced: for the control API's own actions on a
    /// number (a display name's review), which no policy decides.
    pub(super) async fn on_number_as_is<R>(
        &self,
        id: &str,
        f: impl FnOnce(&mut ClusterData, usize, SystemTime, &mut Log) -> Result<R>,
    ) -> Result<R> {
        let (result, ticket) = self.write(|c, log| {
            let now = self.now();
            let result = c
                .entry(self.name(), id)
                .map_err(Error::from)
                .and_then(|i| f(c, i, now, log));
            self.log_cloud(c, log);
            log.push(|| Change::Registration(self.key(), c.registration_record()));
            result
        });
        ticket.durable().await?;
        self.changed("cloud");
        result
    }

    /// `POST /{id}/request_code`: a code to the number, in the outbox like any other.
    pub async fn cloud_request_code(&self, id: &str, method: Method) -> Result<()> {
        let settings = self.settings();
        let mut announced = None;
        let announce = &mut announced;
        self.on_number(Operation::RequestCode, id, |c, i, now, log| {
            let number = &mut c.waba.numbers[i];
            if number.registered {
                return Err(CloudError::RequestCode {
                    rule: "registered",
                    details: "This phone number is registered on the Cloud API: deregister it before verifying it again".into(),
                }
                .into());
            }
            let code = self.new_code();
            let expires_at = later(now, settings.code_ttl);
            number.code = Some(CloudCode {
                code: code.clone(),
                method,
                expires_at,
            });
            let sent = SentCode {
                seq: 0,
                number: number.number.clone(),
                method,
                code: code.into(),
                vname: Arc::<str>::from(number.verified_name.as_str()).into(),
                sent_at: now,
                expires_at,
                surface: SentBy::Cloud,
            };
            *announce = self.post_code(c, sent, log);
            Ok(())
        })
        .await?;
        self.code_sent(announced);
        Ok(())
    }

    /// `POST /{id}/verify_code`.
    pub async fn cloud_verify_code(&self, id: &str, code: &str) -> Result<()> {
        self.on_number(Operation::VerifyCode, id, |c, i, now, _| {
            let number = &mut c.waba.numbers[i];
            let refuse = |rule, details: &'static str| -> Error {
                CloudError::VerifyCode {
                    rule,
                    details: details.into(),
                }
                .into()
            };
            let Some(pending) = &number.code else {
                return Err(if number.verified {
                    refuse(
                        "already_verified",
                        "This phone number is already verified: register it (POST /{id}/register)",
                    )
                } else {
                    refuse(
                        "no_code",
                        "No code was requested for this phone number: request one with POST /{id}/request_code",
                    )
                });
            };
            if now >= pending.expires_at {
                return Err(refuse(
                    "expired",
                    "The code has expired: request a new one with POST /{id}/request_code",
                ));
            }
            if !bool::from(subtle::ConstantTimeEq::ct_eq(
                pending.code.as_bytes(),
                code.as_bytes(),
            )) {
                return Err(refuse(
                    "mismatch",
                    "The code does not match the last code sent to this phone number",
                ));
            }
            number.code = None;
            number.verified = true;
            Ok(())
        })
        .await
    }

    /// `POST /{id} {"pin"}`: sets or changes the two-step verification pin.
    pub async fn cloud_set_pin(&self, id: &str, pin: String) -> Result<()> {
        self.on_number(Operation::SetPin, id, |c, i, _, _| {
            let number = &mut c.waba.numbers[i];
            if !number.registered {
                return Err(CloudError::NotRegistered.into());
            }
            number.pin = Some(pin);
            Ok(())
        })
        .await
    }
}
