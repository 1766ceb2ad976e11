//! `classic`: registration as it worked before the retirement.

use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;

use super::{
    CodeDecision, NumberState, PendingView, PinCheck, Refusal, RegistrationPolicy, VerifyDecision,
    check_pin,
};
use crate::domain::request::CodeRequest;

/// The limits of the classic flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassicRules {
    /// Codes that may be sent to one number by one method within `window`.
    pub max_codes_per_window: u32,
    /// The rate-limit window.
    pub window: Duration,
    /// Wrong guesses after which the pending code is void.
    pub max_wrong_guesses: u32,
}

impl Default for ClassicRules {
    fn default() -> Self {
        Self {
            max_codes_per_window: 5,
            window: Duration::from_secs(3600),
            max_wrong_guesses: 5,
        }
    }
}

/// Already registered → 201; pin checks; rate limit per number and method; otherwise a code.
/// Verify: the pending code, once, in time, with at most `max_wrong_guesses` wrong tries.
#[derive(Debug, Clone, Default)]
pub struct Classic {
    rules: ClassicRules,
}

impl Classic {
    /// A classic policy with these limits.
    pub fn new(rules: ClassicRules) -> Self {
        Self { rules }
    }

    /// How many of `sends` fall in the window ending at `now`.
    fn recent(&self, sends: &[SystemTime], now: SystemTime) -> usize {
        sends
            .iter()
            .filter(|t| {
                // A send stamped after `now` (by a request that read the clock later) is recent.
                now.duration_since(**t)
                    .map_or(true, |age| age < self.rules.window)
            })
            .count()
    }
}

impl RegistrationPolicy for Classic {
    fn name(&self) -> &str {
        "classic"
    }

    fn request_code(&self, request: &CodeRequest, number: &NumberState<'_>) -> CodeDecision {
        if number.registered_here {
            return CodeDecision::AlreadyRegistered;
        }
        match check_pin(number.pin, request.pin) {
            PinCheck::Passed => {}
            PinCheck::Missing => return CodeDecision::PinRequired,
            PinCheck::Wrong => return CodeDecision::Refuse(Refusal::PinMismatch),
        }
        if self.recent(number.sends, number.now) >= self.rules.max_codes_per_window as usize {
            return CodeDecision::Refuse(Refusal::TooMany);
        }
        CodeDecision::SendCode
    }

    fn verify(
        &self,
        code: &str,
        pending: Option<&PendingView<'_>>,
        now: SystemTime,
    ) -> VerifyDecision {
        let Some(pending) = pending else {
            return VerifyDecision::Refuse(Refusal::NoPendingCode);
        };
        if pending.wrong_guesses >= self.rules.max_wrong_guesses {
            return VerifyDecision::Refuse(Refusal::TooManyGuesses);
        }
        if now > pending.expires_at {
            return VerifyDecision::Refuse(Refusal::Stale);
        }
        if bool::from(code.as_bytes().ct_eq(pending.code.as_bytes())) {
            VerifyDecision::Register
        } else {
            VerifyDecision::Refuse(Refusal::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::domain::cert::DecodedCert;
    use crate::domain::phone::{Method, Number};

    fn request(pin: Option<&str>) -> CodeRequest<'_> {
        CodeRequest {
            number: Number::new("1", "6315550000"),
            method: Method::Sms,
            cert: DecodedCert {
                vname: "Acme".into(),
                localized_names: vec![],
            },
            pin,
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn state<'a>(pin: Option<&'a str>, sends: &'a [SystemTime], now: u64) -> NumberState<'a> {
        NumberState {
            registered_here: false,
            pin,
            sends,
            now: at(now),
        }
    }

    fn decide(req: &CodeRequest, st: &NumberState<'_>) -> String {
        format!("{:?}", Classic::default().request_code(req, st))
    }

    #[test]
    fn registered_number_is_201_before_any_other_rule() {
        let sends = [at(1); 9];
        let mut st = state(Some("123456"), &sends, 10);
        st.registered_here = true;
        assert_eq!(decide(&request(None), &st), "AlreadyRegistered");
    }

    #[test]
    fn pin_is_required_then_checked() {
        let st = state(Some("123456"), &[], 10);
        assert_eq!(decide(&request(None), &st), "PinRequired");
        assert_eq!(decide(&request(Some("654321")), &st), "Refuse(PinMismatch)");
        assert_eq!(decide(&request(Some("123456")), &st), "SendCode");
    }

    #[test]
    fn five_codes_per_hour_then_too_many_until_the_window_rolls() {
        let sends: Vec<_> = (0..5).map(|i| at(1000 + i)).collect();
        assert_eq!(
            decide(&request(None), &state(None, &sends[..4], 2000)),
            "SendCode"
        );
        assert_eq!(
            decide(&request(None), &state(None, &sends, 2000)),
            "Refuse(TooMany)"
        );
        assert_eq!(
            decide(&request(None), &state(None, &sends, 1001 + 3600)),
            "SendCode"
        );
    }

    #[test]
    fn a_send_stamped_after_now_still_counts() {
        let sends: Vec<_> = (0..5).map(|i| at(2000 + i)).collect();
        assert_eq!(
            decide(&request(None), &state(None, &sends, 1999)),
            "Refuse(TooMany)"
        );
    }

    #[test]
    fn verify_outcomes() {
        let policy = Classic::default();
        let pending = |wrong| PendingView {
            code: "123456",
            expires_at: at(600),
            wrong_guesses: wrong,
        };
        let v = |code, p: Option<PendingView<'_>>, now| {
            format!("{:?}", policy.verify(code, p.as_ref(), at(now)))
        };
        assert_eq!(v("123456", None, 1), "Refuse(NoPendingCode)");
        assert_eq!(v("123456", Some(pending(0)), 1), "Register");
        assert_eq!(v("123457", Some(pending(0)), 1), "Refuse(Mismatch)");
        assert_eq!(v("123456", Some(pending(0)), 601), "Refuse(Stale)");
        assert_eq!(v("123456", Some(pending(4)), 1), "Register");
        assert_eq!(v("123456", Some(pending(5)), 1), "Refuse(TooManyGuesses)");
    }
}
