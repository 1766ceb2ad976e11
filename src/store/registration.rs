//! Registration of one cluster: code requests, verification, two-step pins and health.
//!
//! The cluster's policy decides; these functions apply the decision's effects under the
//! cluster's lock, so that a code is used at most once and counters stay exact.

use std::sync::Arc;

use rand::Rng;

use super::Cluster;
use super::data::ClusterData;
use super::events::Kind;
use super::persist::{Change, Log};
use crate::domain::backup;
use crate::domain::clock::later;
use crate::domain::model::{Account, Pending, SentBy, SentCode};
use crate::domain::phone::Method;
use crate::domain::policy::{CodeDecision, NumberState, PendingView, Refusal, VerifyDecision};
use crate::domain::request::CodeRequest;
use crate::domain::{Error, Result};

/// Which codes of an outbox to look at; `None` matches any.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeFilter<'a> {
    /// Country calling code.
    pub cc: Option<&'a str>,
    /// National number.
    pub phone_number: Option<&'a str>,
    /// Delivery method.
    pub method: Option<Method>,
}

impl CodeFilter<'_> {
    /// Whether `sent` passes the filter.
    pub fn matches(&self, sent: &SentCode) -> bool {
        sent.number.matches(self.cc, self.phone_number)
            && self.method.is_none_or(|m| m == sent.method)
    }
}

/// The answer to a code request that was not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOutcome {
    /// 201: already this deployment's number.
    AlreadyRegistered,
    /// 202: a code was sent; the certificate's verified name.
    CodeSent {
        /// The verified name.
        vname: Arc<str>,
    },
}

/// `gateway_status` of `/v1/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayStatus {
    /// No number registered.
    Unregistered,
    /// Coreapp is restarting.
    Connecting,
    /// A number is registered and serving.
    Connected,
    /// This node is not connected to WhatsApp (stopped, or a standby in high availability).
    Disconnected,
}

impl GatewayStatus {
    /// The vendor's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unregistered => "unregistered",
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
        }
    }
}

fn no_registered_number() -> Error {
    Error::not_found(
        "registered_number",
        "No number is registered on this deployment: register one with POST /v1/account first",
    )
}

impl Cluster {
    /// A new code: the `--fixed-code`, or 6 random digits.
    pub(super) fn new_code(&self) -> Arc<str> {
        match &self.settings.fixed_code {
            Some(code) => code.clone(),
            None => format!("{:06}", rand::rng().random_range(0..1_000_000)).into(),
        }
    }

    /// Puts `sent` in the locked outbox `c` as its newest code (numbered here; the oldest dropped
    /// beyond the limit), each change logged. Answers the record for the event stream when anyone
    /// listens.
    pub(super) fn post_code(
        &self,
        c: &mut ClusterData,
        mut sent: SentCode,
        log: &mut Log,
    ) -> Option<SentCode> {
        while c.outbox.len() >= self.settings.outbox_limit {
            if let Some(old) = c.outbox.pop_front() {
                log.push(|| Change::Code(self.key(), old.seq, None));
            }
        }
        c.outbox_seq += 1;
        sent.seq = c.outbox_seq;
        self.settings.codes_sent.add(sent.surface, sent.method);
        log.push(|| Change::Code(self.key(), sent.seq, Some(sent.clone())));
        let announced = self.settings.events.listening().then(|| sent.clone());
        c.outbox.push_back(sent);
        announced
    }

    /// Once a code's changes are stored: wakes those waiting for one, and tells the event stream.
    pub(super) fn code_sent(&self, announced: Option<SentCode>) {
        self.arrivals.notify_waiters();
        if let Some(sent) = announced {
            self.settings
                .events
                .publish(self.scope(), Kind::CodeSent, || sent.view(self.name()));
        }
    }

    /// `POST /v1/account`, after validation: waits out any delay the policy asks for (a slow
    /// registration server, holding no lock), then lets the policy decide.
    pub async fn request_code(&self, request: &CodeRequest<'_>) -> Result<CodeOutcome> {
        let policy = self.policy();
        if let Some(delay) = policy.delay(request) {
            tokio::time::sleep(delay).await;
        }
        let settings = self.settings();
        let key = (request.number.key(), request.method);
        let mut announced = None;
        let announce = &mut announced;
        let (outcome, ticket) = self.write(move |c, log| {
            // Read under the lock, so that times recorded in this cluster never go backwards.
            let now = self.now();
            let state = NumberState {
                registered_here: c
                    .registered
                    .as_ref()
                    .is_some_and(|a| a.number == request.number),
                // Most clusters have no pin at all: no digits to build then.
                pin: if c.pins.is_empty() {
                    None
                } else {
                    c.pins.get(request.number.e164()).map(String::as_str)
                },
                sends: c.sends.get(&key).map_or(&[], |times| times.as_slice()),
                now,
            };
            match c.policy.request_code(request, &state) {
                CodeDecision::AlreadyRegistered => Ok(CodeOutcome::AlreadyRegistered),
                CodeDecision::PinRequired => Err(Error::Missing {
                    field: "pin",
                    hint: Some("two-step verification is enabled on this number"),
                }),
                CodeDecision::Refuse(refusal) => Err(Error::Refused(refusal)),
                CodeDecision::Fail(error) => Err(Error::Vendor(error)),
                CodeDecision::SendCode => {
                    let code = self.new_code();
                    let vname = request.cert.vname.clone();
                    let expires_at = later(now, settings.code_ttl);
                    let method = key.1;
                    c.sweep(now, settings.rules.window, &self.key(), log);
                    let sends = c.sends.entry(key).or_default();
                    // Keep only what a rate window can still count.
                    sends.retain(|t| {
                        now.duration_since(*t)
                            .map_or(true, |a| a < settings.rules.window)
                    });
                    sends.push(now);
                    log.push(|| {
                        Change::Sends(
                            self.key(),
                            request.number.e164().to_owned(),
                            method,
                            sends.to_vec(),
                        )
                    });
                    c.pending = Some(Pending {
                        number: request.number.clone(),
                        vname: vname.clone(),
                        code: code.clone(),
                        expires_at,
                        wrong_guesses: 0,
                    });
                    log.push(|| Change::Registration(self.key(), c.registration_record()));
                    let sent = SentCode {
                        seq: 0,
                        number: request.number.clone(),
                        method: request.method,
                        code: code.into(),
                        vname: vname.clone().into(),
                        sent_at: now,
                        expires_at,
                        surface: SentBy::OnPremises,
                    };
                    *announce = self.post_code(c, sent, log);
                    Ok(CodeOutcome::CodeSent { vname })
                }
            }
        });
        ticket.durable().await?;
        if matches!(outcome, Ok(CodeOutcome::CodeSent { .. })) {
            self.code_sent(announced);
        }
        outcome
    }

    /// `POST /v1/account/verify` with a 6-digit code. On success the pending number becomes the
    /// registered one; replacing another number starts a simulated Coreapp restart.
    pub async fn verify(&self, code: &str) -> Result<Account> {
        let settings = self.settings();
        let (result, ticket) = self.write(|c, log| {
            let now = self.now();
            let view = c.pending.as_ref().map(|p| PendingView {
                code: &p.code,
                expires_at: p.expires_at,
                wrong_guesses: p.wrong_guesses,
            });
            let result = match c.policy.verify(code, view.as_ref(), now) {
                VerifyDecision::Register => {
                    let pending = c
                        .pending
                        .take()
                        .ok_or(Error::Refused(Refusal::NoPendingCode))?;
                    let account = Account {
                        number: pending.number,
                        vname: pending.vname,
                    };
                    let previous = c.registered.replace(account.clone());
                    if previous.is_some() && !settings.restart_duration.is_zero() {
                        c.restarting_until = Some(later(now, settings.restart_duration));
                    }
                    Ok(account)
                }
                VerifyDecision::Refuse(Refusal::Mismatch) => {
                    if let Some(pending) = c.pending.as_mut() {
                        pending.wrong_guesses += 1;
                    }
                    Err(Error::Refused(Refusal::Mismatch))
                }
                VerifyDecision::Refuse(refusal) => return Err(Error::Refused(refusal)),
                VerifyDecision::Fail(error) => return Err(Error::Vendor(error)),
            };
            log.push(|| Change::Registration(self.key(), c.registration_record()));
            result
        });
        ticket.durable().await?;
        if result.is_ok() {
            self.changed("registration");
        }
        result
    }

    /// `POST /v1/settings/account/two-step`: sets or changes the registered number's pin.
    pub async fn set_pin(&self, pin: String) -> Result<()> {
        let (result, ticket) = self.write(|c, log| {
            let number = c.registered.as_ref().ok_or_else(no_registered_number)?;
            c.pins.insert(number.number.e164().to_owned(), pin);
            log.push(|| Change::Registration(self.key(), c.registration_record()));
            Ok(())
        });
        ticket.durable().await?;
        if result.is_ok() {
            self.changed("pins");
        }
        result
    }

    /// `DELETE /v1/settings/account/two-step`: turns two-step verification off.
    pub async fn remove_pin(&self) -> Result<()> {
        let (result, ticket) = self.write(|c, log| {
            let number = c.registered.as_ref().ok_or_else(no_registered_number)?;
            c.pins.remove(number.number.e164());
            log.push(|| Change::Registration(self.key(), c.registration_record()));
            Ok(())
        });
        ticket.durable().await?;
        if result.is_ok() {
            self.changed("pins");
        }
        result
    }

    /// `POST /v1/settings/backup`: what a backup of this deployment carries.
    pub fn backup(&self) -> Result<backup::Payload> {
        self.with(|c| {
            let registered = c.registered.clone().ok_or_else(|| {
                Error::not_found(
                    "registered_number",
                    "No number is registered on this deployment: there is nothing to back up",
                )
            })?;
            Ok(backup::Payload {
                registered,
                pins: c.pins.clone(),
                shards: Some(c.topology.shards()),
            })
        })
    }

    /// `POST /v1/settings/restore`: brings a backed-up registration and its pins onto this
    /// deployment. Onto a deployment that has a number, as Meta documents it ("the application
    /// stops and you have to start it again"): the registration is replaced and every Coreapp
    /// stops until it is started again (control API or console). Answers whether it stopped.
    pub async fn restore_backup(&self, payload: backup::Payload) -> Result<bool> {
        let now = self.now();
        let (stopped, ticket) = self.write(|c, log| {
            let running = c.topology.shards();
            if let Some(made) = payload.shards.filter(|made| *made != running) {
                return Err(Error::invalid(
                    "data",
                    "shards",
                    format!(
                        "This backup was made on a deployment running {made} shard{}; this one runs {running}: restore it onto a deployment running {made} (POST /v1/account/shards, or PUT /_emulator/clusters/{{cluster}}/topology), as Meta's page says of a backup of two shards, \"you must have two shards running for the restore\"",
                        if made == 1 { "" } else { "s" }
                    ),
                ));
            }
            let stopped = c.registered.is_some();
            c.registered = Some(payload.registered);
            c.pins.extend(payload.pins);
            c.pending = None;
            if stopped {
                c.topology.stop_all(now);
            }
            log.push(|| Change::Registration(self.key(), c.registration_record()));
            Ok(stopped)
        });
        let stopped = stopped?;
        ticket.durable().await?;
        self.changed("registration");
        if stopped {
            self.changed("topology");
        }
        Ok(stopped)
    }

    /// Codes in the outbox matching `filter`, oldest first.
    pub fn codes(&self, filter: CodeFilter<'_>) -> Vec<SentCode> {
        self.with(|c| {
            c.outbox
                .iter()
                .filter(|s| filter.matches(s))
                .cloned()
                .collect()
        })
    }

    /// The newest code in the outbox matching `filter`.
    pub fn latest_code(&self, filter: CodeFilter<'_>) -> Option<SentCode> {
        self.with(|c| c.outbox.iter().rev().find(|s| filter.matches(s)).cloned())
    }

    /// Empties the outbox.
    pub async fn clear_codes(&self) -> Result<()> {
        let ((), ticket) = self.write(|c, log| {
            c.outbox.clear();
            log.push(|| Change::ClearCodes(self.key()));
        });
        ticket.durable().await
    }
}
