//! A phone number of the Cloud API: its states, its pending code, and the rules of its
//! registration (the register and deregister limits, the two-step pin).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::error::{CloudError, Counted, PIN_GUESSES};
use crate::domain::clock::{later, rfc3339};
use crate::domain::phone::{Method, Number};

/// The moving window of the register and deregister limits.
pub const LIMIT_WINDOW: Duration = Duration::from_secs(72 * 3600);
/// Register (and, counted apart, deregister) requests a number may make in the window.
pub const LIMIT: usize = 10;
/// How long a number that passed a limit is blocked.
pub const BLOCKED_FOR: Duration = Duration::from_secs(72 * 3600);
/// How long after a deregistration a number cannot be registered again.
pub const REREGISTER_WAIT: Duration = Duration::from_secs(5 * 60);
/// How long after a wrong pin another pin is refused as guessed too fast.
pub const PIN_PAUSE: Duration = Duration::from_secs(10);
/// How long pins are refused after [`PIN_GUESSES`] wrong ones in a row.
pub const PIN_LOCKOUT: Duration = Duration::from_secs(12 * 3600);

/// `platform_type` of a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Platform {
    /// Registered on the Cloud API.
    CloudApi,
    /// Registered on an On-Premises deployment (the cluster's own).
    OnPremise,
    /// Registered nowhere.
    NotApplicable,
}

/// `code_verification_status` of a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CodeStatus {
    /// No code verified yet.
    NotVerified,
    /// A code was verified (or the number came with an On-Premises backup).
    Verified,
    /// A code was sent and went stale unverified.
    Expired,
}

/// `status` of a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NumberStatus {
    /// Never registered.
    Pending,
    /// Registered and serving.
    Connected,
    /// Registered once, not now.
    Disconnected,
}
/// A code sent by `request_code` and not yet verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudCode {
    /// The 6 digits.
    pub code: Arc<str>,
    /// SMS or voice.
    pub method: Method,
    /// When it goes stale.
    pub expires_at: SystemTime,
}

/// A phone number of the cluster's WhatsApp Business Account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudNumber {
    /// Its id (digits).
    pub id: String,
    /// The number.
    pub number: Number,
    /// Its display name.
    pub verified_name: String,
    /// Whether a code was verified.
    pub verified: bool,
    /// The code awaiting `verify_code`.
    pub code: Option<CloudCode>,
    /// Whether it is registered on the Cloud API.
    pub registered: bool,
    /// Whether it was ever registered.
    pub ever_registered: bool,
    /// The two-step verification pin.
    pub pin: Option<String>,
    /// When register requests were counted (the last 72 hours).
    pub registers: Vec<SystemTime>,
    /// When deregister requests were counted (the last 72 hours).
    pub deregisters: Vec<SystemTime>,
    /// Until when register and deregister are refused.
    pub blocked_until: Option<SystemTime>,
    /// When it was last deregistered.
    pub deregistered_at: Option<SystemTime>,
    /// When a wrong pin was last tried.
    pub wrong_pin_at: Option<SystemTime>,
    /// Wrong pins in a row.
    #[serde(default)]
    pub wrong_pins: u32,
    /// Until when pins are refused, after too many wrong ones.
    #[serde(default)]
    pub pin_locked_until: Option<SystemTime>,
    /// `data_localization_region` of its registration.
    pub data_localization_region: Option<String>,
    /// Whether it was a multiconnect number (2 or more shards) migrated from On-Premises:
    /// upgraded to high throughput.
    pub high_throughput: bool,
    /// Whether it came from the On-Premises deployment, its display name approved with the
    /// certificate it had there.
    #[serde(default)]
    pub certified: bool,
    /// When it last registered (Graph's `last_onboarded_time`).
    #[serde(default)]
    pub registered_at: Option<SystemTime>,
    /// The certificate of its approved name, for a number that came from On-Premises
    /// (Graph's `certificate`).
    #[serde(default)]
    pub certificate: Option<String>,
    /// Where this number's changes go instead of the account's or the app's URL
    /// (`webhook_configuration.override_callback_uri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_override: Option<String>,
    /// The outcome of a review of its current name (`name_status`), once one was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_decision: Option<NameStatus>,
    /// A display name change asked with `new_display_name`, and where its review stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_change: Option<NameChange>,
}

/// A name's review status, as Graph's `name_status` and `new_name_status` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NameStatus {
    /// Under review.
    PendingReview,
    /// Approved.
    Approved,
    /// Rejected.
    Declined,
    /// Approved, and not applied by a re-registration within 14 days: to be asked again.
    Expired,
}

impl NameStatus {
    /// Graph's name of it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingReview => "PENDING_REVIEW",
            Self::Approved => "APPROVED",
            Self::Declined => "DECLINED",
            Self::Expired => "EXPIRED",
        }
    }
}

/// How long after its approval a new display name waits for the number to register again
/// (Meta: "After the display name change is approved, you have 14 days to re-register the
/// phone number").
pub const NAME_CHANGE_WINDOW: Duration = Duration::from_secs(14 * 24 * 3600);

/// A display name change asked with `POST /{PHONE_NUMBER_ID} {"new_display_name"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameChange {
    /// The name asked for.
    pub name: String,
    /// Where its review stands.
    pub status: NameStatus,
    /// When it was approved (the 14 days to re-register count from then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<SystemTime>,
}

impl NameChange {
    /// `new_name_status` at `now`: an approved change not applied within 14 days has expired.
    pub fn status_at(&self, now: SystemTime) -> NameStatus {
        match (self.status, self.approved_at) {
            (NameStatus::Approved, Some(at)) if now >= later(at, NAME_CHANGE_WINDOW) => {
                NameStatus::Expired
            }
            (status, _) => status,
        }
    }
}

impl CloudNumber {
    /// A number just added to the account.
    pub fn new(id: String, number: Number, verified_name: String) -> Self {
        Self {
            id,
            number,
            verified_name,
            verified: false,
            code: None,
            registered: false,
            ever_registered: false,
            pin: None,
            registers: Vec::new(),
            deregisters: Vec::new(),
            blocked_until: None,
            deregistered_at: None,
            wrong_pin_at: None,
            wrong_pins: 0,
            pin_locked_until: None,
            data_localization_region: None,
            high_throughput: false,
            certified: false,
            registered_at: None,
            certificate: None,
            webhook_override: None,
            name_decision: None,
            name_change: None,
        }
    }

    /// `code_verification_status` at `now`.
    pub fn code_status(&self, now: SystemTime) -> CodeStatus {
        if self.verified {
            CodeStatus::Verified
        } else if self.code.as_ref().is_some_and(|c| now >= c.expires_at) {
            CodeStatus::Expired
        } else {
            CodeStatus::NotVerified
        }
    }

    /// `status`.
    pub fn status(&self) -> NumberStatus {
        if self.registered {
            NumberStatus::Connected
        } else if self.ever_registered {
            NumberStatus::Disconnected
        } else {
            NumberStatus::Pending
        }
    }

    /// Counts one register or deregister request at `now`: refused while the number is
    /// blocked; the request past the limit blocks it for 72 hours.
    pub fn count(&mut self, counted: Counted, now: SystemTime) -> Result<(), CloudError> {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Err(CloudError::RateLimited {
                    counted,
                    until: rfc3339(until),
                });
            }
            self.blocked_until = None;
        }
        let times = match counted {
            Counted::Register => &mut self.registers,
            Counted::Deregister => &mut self.deregisters,
        };
        times.retain(|t| {
            now.duration_since(*t)
                .map_or(true, |age| age < LIMIT_WINDOW)
        });
        if times.len() >= LIMIT {
            let until = later(now, BLOCKED_FOR);
            self.blocked_until = Some(until);
            return Err(CloudError::RateLimited {
                counted,
                until: rfc3339(until),
            });
        }
        times.push(now);
        Ok(())
    }

    /// Checks `given` against the pin `expected` (none: any pin passes): a pin tried within
    /// 10 seconds of a wrong one is refused unchecked, and every pin for 12 hours after
    /// [`PIN_GUESSES`] wrong ones in a row; a wrong pin is remembered.
    pub fn check_pin(
        &mut self,
        expected: Option<&str>,
        given: &str,
        now: SystemTime,
    ) -> Result<(), CloudError> {
        let Some(expected) = expected else {
            return Ok(());
        };
        if let Some(until) = self.pin_locked_until.filter(|until| now < *until) {
            return Err(CloudError::PinLocked {
                until: rfc3339(until),
            });
        }
        if self
            .wrong_pin_at
            .is_some_and(|at| now.duration_since(at).is_ok_and(|d| d < PIN_PAUSE))
        {
            return Err(CloudError::PinTooFast);
        }
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            given.as_bytes(),
        )) {
            self.wrong_pin_at = None;
            self.wrong_pins = 0;
            Ok(())
        } else {
            self.wrong_pin_at = Some(now);
            self.wrong_pins += 1;
            if self.wrong_pins >= PIN_GUESSES {
                self.wrong_pins = 0;
                self.pin_locked_until = Some(later(now, PIN_LOCKOUT));
            }
            Err(CloudError::PinMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number() -> CloudNumber {
        CloudNumber::new(
            "1".into(),
            Number::from_e164("16315550000").unwrap(),
            "Acme".into(),
        )
    }

    #[test]
    fn the_eleventh_request_in_72_hours_blocks_for_72_hours() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut n = number();
        for i in 0..10 {
            n.count(Counted::Register, later(start, Duration::from_secs(i)))
                .unwrap();
        }
        let eleventh = later(start, Duration::from_secs(60));
        assert!(matches!(
            n.count(Counted::Register, eleventh),
            Err(CloudError::RateLimited { .. })
        ));
        // Deregisters are counted apart, but the block covers both.
        assert!(n.count(Counted::Deregister, eleventh).is_err());
        let after = later(eleventh, BLOCKED_FOR);
        assert!(n.count(Counted::Register, after).is_ok());
    }

    #[test]
    fn a_window_moves() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut n = number();
        for i in 0..10 {
            n.count(
                Counted::Deregister,
                later(start, Duration::from_secs(i * 3600)),
            )
            .unwrap();
        }
        // 72 hours after the first, it no longer counts.
        assert!(
            n.count(Counted::Deregister, later(start, LIMIT_WINDOW))
                .is_ok()
        );
    }

    #[test]
    fn a_wrong_pin_then_a_fast_one() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut n = number();
        assert_eq!(n.check_pin(None, "000000", now), Ok(()));
        assert_eq!(
            n.check_pin(Some("123456"), "000000", now),
            Err(CloudError::PinMismatch)
        );
        let soon = later(now, Duration::from_secs(3));
        assert_eq!(
            n.check_pin(Some("123456"), "123456", soon),
            Err(CloudError::PinTooFast)
        );
        let after = later(now, PIN_PAUSE);
        assert_eq!(n.check_pin(Some("123456"), "123456", after), Ok(()));
    }

    #[test]
    fn too_many_wrong_pins_in_a_row_lock_pins_for_twelve_hours() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut n = number();
        let mut at = start;
        for _ in 0..PIN_GUESSES {
            assert_eq!(
                n.check_pin(Some("123456"), "000000", at),
                Err(CloudError::PinMismatch)
            );
            at = later(at, PIN_PAUSE);
        }
        // Locked: even the right pin is refused, until 12 hours after the last wrong one.
        assert!(matches!(
            n.check_pin(Some("123456"), "123456", at),
            Err(CloudError::PinLocked { .. })
        ));
        let unlocked = later(start, PIN_LOCKOUT + PIN_PAUSE * PIN_GUESSES);
        assert_eq!(n.check_pin(Some("123456"), "123456", unlocked), Ok(()));
    }
}
