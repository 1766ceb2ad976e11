//! The built-in policies by name, as flags, the control API and the database spell them.

use std::fmt;
use std::sync::Arc;

use super::contract::RegistrationPolicy;
use super::{Classic, ClassicRules, Scripted, Sunset, scripted};

/// The built-in policies, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// The flow as it worked before retirement.
    Classic,
    /// Today's real behaviour: every registration is refused.
    Sunset,
    /// Outcomes forced per number by rules (`--rules`), classic otherwise.
    Scripted,
}

impl PolicyKind {
    /// Every built-in policy, in the order `--help` lists them.
    pub const ALL: [Self; 3] = [Self::Classic, Self::Sunset, Self::Scripted];

    /// The name, as flags and the control API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Classic => "classic",
            Self::Sunset => "sunset",
            Self::Scripted => "scripted",
        }
    }

    /// The policy to run when this one is asked for (`named`: by the user, not by default) and
    /// rules are or are not given: rules alone select `scripted`; with another policy named they
    /// are a mistake, said in the one message every entry point prints.
    pub fn with_rules(self, named: bool, has_rules: bool) -> Result<Self, PolicyError> {
        match (self, has_rules) {
            (Self::Scripted, _) | (_, false) => Ok(self),
            (_, true) if !named => Ok(Self::Scripted),
            (other, true) => Err(PolicyError::RulesNeedScripted(other)),
        }
    }

    /// Builds the policy; `scripted` needs its rules.
    pub fn build(
        self,
        classic: ClassicRules,
        rules: Option<Vec<scripted::Rule>>,
    ) -> Result<Arc<dyn RegistrationPolicy>, PolicyError> {
        Ok(match self {
            Self::Classic => Arc::new(Classic::new(classic)),
            Self::Sunset => Arc::new(Sunset),
            Self::Scripted => Arc::new(Scripted::new(
                rules.ok_or(PolicyError::ScriptedNeedsRules)?,
                classic,
            )),
        })
    }
}

/// Why a policy cannot run as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Rules were given with a policy other than `scripted`.
    #[error("--rules FILE goes with --policy scripted, not --policy {0}: drop one of them")]
    RulesNeedScripted(PolicyKind),
    /// `scripted` was asked for without rules.
    #[error("the scripted policy needs rules (--rules FILE)")]
    ScriptedNeedsRules,
    /// No policy has this name.
    #[error("{0:?} is not a policy: use \"classic\", \"sunset\" or \"scripted\"")]
    Unknown(String),
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PolicyKind {
    type Err = PolicyError;

    /// `classic`, `sunset` or `scripted`, in any case.
    fn from_str(text: &str) -> Result<Self, PolicyError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| PolicyError::Unknown(text.into()))
    }
}

#[cfg(test)]
mod kind_tests {
    use super::PolicyKind::{Classic, Scripted, Sunset};

    #[test]
    fn rules_select_scripted_unless_another_policy_is_named() {
        assert_eq!(Classic.with_rules(false, true), Ok(Scripted));
        assert_eq!(Scripted.with_rules(true, true), Ok(Scripted));
        assert_eq!(Sunset.with_rules(true, false), Ok(Sunset));
        assert_eq!(Classic.with_rules(true, false), Ok(Classic));
        let refused = Classic.with_rules(true, true).unwrap_err();
        assert_eq!(refused, super::PolicyError::RulesNeedScripted(Classic));
        assert!(
            refused.to_string().contains("not --policy classic"),
            "{refused}"
        );
        assert!(
            Sunset
                .with_rules(true, true)
                .unwrap_err()
                .to_string()
                .contains("not --policy sunset")
        );
    }
}
