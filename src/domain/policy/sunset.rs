//! `sunset`: the real API since 23 October 2025. Every registration is refused.

use std::time::SystemTime;

use super::{CodeDecision, NumberState, PendingView, Refusal, RegistrationPolicy, VerifyDecision};
use crate::domain::request::CodeRequest;

/// Refuses every code request and every verify with `biz_link_on_prem_reg_blocked`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sunset;

impl RegistrationPolicy for Sunset {
    fn name(&self) -> &str {
        "sunset"
    }

    fn request_code(&self, _: &CodeRequest, _: &NumberState<'_>) -> CodeDecision {
        CodeDecision::Refuse(Refusal::Blocked)
    }

    fn verify(&self, _: &str, _: Option<&PendingView<'_>>, _: SystemTime) -> VerifyDecision {
        VerifyDecision::Refuse(Refusal::Blocked)
    }
}
