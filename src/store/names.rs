//! The review of a phone number's display name, as Meta's reviewers decide it: a change asked
//! with `POST /{PHONE_NUMBER_ID} {"new_display_name"}` (`new_name_status` `PENDING_REVIEW`),
//! decided through the control API, told to the app as `phone_number_name_update`, and applied
//! when the number registers again within 14 days (Meta's display-names page).

use std::time::SystemTime;

use serde::Serialize;
use serde_json::json;

use super::Cluster;
use super::data::ClusterData;
use crate::domain::cloud::{NameChange, NameStatus, Operation};
use crate::domain::webhooks::Field;
use crate::domain::webhooks::fields::{NAME_DECISIONS, REJECTION_REASONS};
use crate::domain::{Error, Result};

impl Cluster {
    /// `POST /{PHONE_NUMBER_ID} {"new_display_name"}`: the name goes to review
    /// (`new_name_status` `PENDING_REVIEW`), decided by [`Cluster::decide_name`].
    pub async fn ask_name_change(&self, id: &str, name: String) -> Result<()> {
        self.on_number(Operation::UpdateNumber, id, |c, i, _, _| {
            c.waba.numbers[i].name_change = Some(NameChange {
                name,
                status: NameStatus::PendingReview,
                approved_at: None,
            });
            Ok(())
        })
        .await
    }

    /// `POST /_emulator/clusters/{c}/cloud/numbers/{id}/name-review {"decision",
    /// "rejection_reason"?}`: decides the review of the number's asked name change (or, with
    /// none asked, of its current name) and sends `phone_number_name_update`. An approved
    /// change is applied when the number registers again within 14 days, as Meta says.
    pub async fn decide_name(
        &self,
        id: &str,
        decision: &str,
        rejection_reason: Option<String>,
    ) -> Result<NameReviewOutcome> {
        if !NAME_DECISIONS.contains(&decision) {
            return Err(Error::invalid(
                "decision",
                "enum",
                format!(
                    "Parameter 'decision' must be one of {} (got {decision:?})",
                    NAME_DECISIONS.join(", ")
                ),
            ));
        }
        let reason = match (decision, rejection_reason) {
            ("REJECTED", None) => Some("UNKNOWN".to_owned()),
            ("REJECTED", Some(r)) if REJECTION_REASONS.contains(&r.as_str()) => Some(r),
            ("REJECTED", Some(r)) => {
                return Err(Error::invalid(
                    "rejection_reason",
                    "enum",
                    format!(
                        "Parameter 'rejection_reason' must be one of {} (got {r:?})",
                        REJECTION_REASONS.join(", ")
                    ),
                ));
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "rejection_reason",
                    "only_rejected",
                    "Parameter 'rejection_reason' goes with the decision REJECTED only",
                ));
            }
            (_, None) => None,
        };
        let decision = decision.to_owned();
        self.on_number_as_is(id, |c, i, now, _| {
            let number = &mut c.waba.numbers[i];
            let status = match decision.as_str() {
                "APPROVED" => Some(NameStatus::Approved),
                "REJECTED" => Some(NameStatus::Declined),
                _ => None,
            };
            let requested = match &mut number.name_change {
                Some(change) => {
                    if let Some(status) = status {
                        change.status = status;
                        change.approved_at = (status == NameStatus::Approved).then_some(now);
                    }
                    change.name.clone()
                }
                None => {
                    number.name_decision = status.or(Some(NameStatus::PendingReview));
                    number.verified_name.clone()
                }
            };
            let digits = number.number.e164().trim_start_matches('+').to_owned();
            let outcome = NameReviewOutcome {
                id: number.id.clone(),
                requested_verified_name: requested.clone(),
                decision: decision.clone(),
                rejection_reason: reason.clone(),
                verified_name: number.verified_name.clone(),
                applies_at_next_registration: number.name_change.is_some()
                    && decision == "APPROVED",
            };
            let hook = number.webhook_override.clone();
            c.emit(self, now, Field::PhoneNumberNameUpdate, hook, || {
                json!({
                    "display_phone_number": digits,
                    "decision": decision,
                    "requested_verified_name": requested,
                    "rejection_reason": reason,
                })
            });
            Ok(outcome)
        })
        .await
    }
}

/// What a name review decided.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct NameReviewOutcome {
    /// The number's id.
    pub id: String,
    /// The name reviewed.
    pub requested_verified_name: String,
    /// APPROVED, DEFERRED, PENDING or REJECTED.
    pub decision: String,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// The number's display name now.
    pub verified_name: String,
    /// Whether the approved name becomes the display name when the number registers again
    /// (within 14 days).
    pub applies_at_next_registration: bool,
}

impl ClusterData {
    /// At a registration of number `i` at `now`: an approved name change not yet expired
    /// becomes its name.
    pub(super) fn apply_approved_name(&mut self, i: usize, now: SystemTime) {
        let number = &mut self.waba.numbers[i];
        if let Some(change) = &number.name_change
            && change.status_at(now) == NameStatus::Approved
        {
            number.verified_name = change.name.clone();
            number.name_decision = Some(NameStatus::Approved);
            number.name_change = None;
        }
    }
}
