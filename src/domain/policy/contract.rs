//! What a policy is: the trait every policy implements, what it may look at, and the decisions
//! it returns.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::scripted::RuleSpec;
use crate::domain::VendorError;
use crate::domain::cloud::Operation;
use crate::domain::phone::Number;
use crate::domain::request::CodeRequest;

/// What the registration server says no with: 403/1005 `Unknown error: <reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The On-Premises API is retired (`biz_link_on_prem_reg_blocked`).
    Blocked,
    /// Too many code requests for this number and method in the window.
    TooMany,
    /// Wrong two-step pin.
    PinMismatch,
    /// `/verify` with no code pending.
    NoPendingCode,
    /// `/verify` with the wrong code.
    Mismatch,
    /// `/verify` after the code's lifetime.
    Stale,
    /// The pending code was voided by too many wrong guesses.
    TooManyGuesses,
    /// A shards request for a number that is not the registered one.
    NumberMismatch,
    /// A shards request whose certificate names another business than the registered number's.
    CertMismatch,
    /// More shards than running Coreapps.
    NotEnoughCoreapps,
}

impl Refusal {
    /// The reason as it appears in `details` after `Unknown error: `.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "biz_link_on_prem_reg_blocked",
            Self::TooMany => "too_many",
            Self::PinMismatch => "pin_mismatch",
            Self::NoPendingCode => "no_pending_code",
            Self::Mismatch => "mismatch",
            Self::Stale => "stale",
            Self::TooManyGuesses => "too_many_guesses",
            Self::NumberMismatch => "number_mismatch",
            Self::CertMismatch => "cert_mismatch",
            Self::NotEnoughCoreapps => "not_enough_coreapps",
        }
    }

    /// The rule name sent as `X-Emulator-Reason`.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Blocked => "policy.sunset",
            Self::TooMany => "refusal.too_many",
            Self::PinMismatch => "refusal.pin_mismatch",
            Self::NoPendingCode => "refusal.no_pending_code",
            Self::Mismatch => "refusal.mismatch",
            Self::Stale => "refusal.stale",
            Self::TooManyGuesses => "refusal.too_many_guesses",
            Self::NumberMismatch => "refusal.number_mismatch",
            Self::CertMismatch => "refusal.cert_mismatch",
            Self::NotEnoughCoreapps => "refusal.not_enough_coreapps",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request's two-step pin stands against the number's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    /// Two-step verification is off, or the pin is right.
    Passed,
    /// Two-step verification is on and no pin was given.
    Missing,
    /// The pin is wrong.
    Wrong,
}

/// Checks `given` against the number's pin `expected` (none: two-step verification is off), in
/// constant time. The one pin rule of code requests and shards requests alike.
pub fn check_pin(expected: Option<&str>, given: Option<&str>) -> PinCheck {
    use subtle::ConstantTimeEq;
    match (expected, given) {
        (None, _) => PinCheck::Passed,
        (Some(_), None) => PinCheck::Missing,
        (Some(expected), Some(given))
            if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) =>
        {
            PinCheck::Passed
        }
        (Some(_), Some(_)) => PinCheck::Wrong,
    }
}

/// What a policy may look at when a code is requested.
#[derive(Debug, Clone, Copy)]
pub struct NumberState<'a> {
    /// The number is this cluster's registered account.
    pub registered_here: bool,
    /// The number's two-step pin, if two-step verification is on.
    pub pin: Option<&'a str>,
    /// When codes were sent to this number by this method (oldest first; old ones may be pruned).
    pub sends: &'a [SystemTime],
    /// The cluster's current time.
    pub now: SystemTime,
}

/// A policy's answer to a code request.
#[derive(Debug, Clone)]
pub enum CodeDecision {
    /// 201: the number is already this deployment's account.
    AlreadyRegistered,
    /// 202: send a code and answer with the verified name.
    SendCode,
    /// 400/1008: two-step verification is on and the request has no pin.
    PinRequired,
    /// 403/1005 with a reason.
    Refuse(Refusal),
    /// Any other error answer (scripted outcomes).
    Fail(Box<VendorError>),
}

/// What a policy may look at when a code is verified.
#[derive(Debug, Clone, Copy)]
pub struct PendingView<'a> {
    /// The code that was sent.
    pub code: &'a str,
    /// When it stops being valid.
    pub expires_at: SystemTime,
    /// Wrong guesses so far.
    pub wrong_guesses: u32,
}

/// A policy's answer to a verify.
#[derive(Debug, Clone)]
pub enum VerifyDecision {
    /// 201: register the pending number.
    Register,
    /// 403/1005 with a reason; [`Refusal::Mismatch`] counts a wrong guess.
    Refuse(Refusal),
    /// Any other error answer (scripted outcomes).
    Fail(Box<VendorError>),
}

/// Decides registration outcomes. Implementations must be pure: no I/O, no clock, no state of
/// their own that a request changes.
pub trait RegistrationPolicy: Send + Sync + fmt::Debug {
    /// The name shown by `GET /_emulator/clusters/{cluster}/policy`.
    fn name(&self) -> &str;

    /// The rules of a rule-based policy, for `GET /_emulator/clusters/{cluster}/policy`.
    fn rules(&self) -> Option<Vec<RuleSpec>> {
        None
    }

    /// How long to hold a code request before deciding (a slow registration server). The handler
    /// waits without holding any lock.
    fn delay(&self, _request: &CodeRequest) -> Option<Duration> {
        None
    }

    /// Decides `POST /v1/account`.
    fn request_code(&self, request: &CodeRequest, number: &NumberState<'_>) -> CodeDecision;

    /// Decides `POST /v1/account/verify` for `code` (6 digits), given what is pending.
    fn verify(
        &self,
        code: &str,
        pending: Option<&PendingView<'_>>,
        now: SystemTime,
    ) -> VerifyDecision;

    /// What the policy forces on a Cloud API operation for `number` (scripted rules with
    /// `surface = "cloud"`); nothing by default.
    fn cloud(&self, _operation: Operation, _number: &Number) -> CloudForced {
        CloudForced::default()
    }
}

/// What a policy forces on a Cloud API operation: a wait (holding no lock), then perhaps an
/// error instead of the operation.
#[derive(Debug, Clone, Default)]
pub struct CloudForced {
    /// How long to hold the request first.
    pub delay: Duration,
    /// The error to answer instead.
    pub error: Option<Box<VendorError>>,
}
