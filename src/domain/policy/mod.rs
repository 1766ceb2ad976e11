//! Registration policies: who decides what `POST /v1/account` and `/verify` answer.
//!
//! A policy is pure: it looks at the validated request and at the state of the number (or of the
//! pending code) and returns a decision. The store applies the decision's effects (recording a
//! code, counting a wrong guess, registering the number) and the handler turns it into HTTP.
//! Each cluster holds an `Arc<dyn RegistrationPolicy>`, switched at run time through the control
//! API.

mod classic;
mod contract;
mod kind;
pub mod scripted;
mod sunset;

pub use classic::{Classic, ClassicRules};
pub use contract::{
    CloudForced, CodeDecision, NumberState, PendingView, PinCheck, Refusal, RegistrationPolicy,
    VerifyDecision, check_pin,
};
pub use kind::{PolicyError, PolicyKind};
pub use scripted::{RuleSpec, Scripted};
pub use sunset::Sunset;
