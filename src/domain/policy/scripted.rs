//! `scripted`: outcomes forced per number, from a TOML file or from the control API.
//!
//! Rules are tried in order. A rule matches a number exactly (`cc` + `phone_number`) or by
//! `prefix` of its E.164 digits, and optionally a `method`. `delay` rules add up and fall through
//! to the rules below them; the first other matching rule decides: `already_registered` (201),
//! `error` (any vendor code, title, details and HTTP status) or `classic`. Requests no rule decides
//! fall through to `classic`.
//!
//! ```toml
//! [[rule]]
//! name = "retired"
//! cc = "1"
//! phone_number = "6315550100"
//! outcome = "error"
//! status = 403
//! code = 1005
//! details = "Unknown error: biz_link_on_prem_reg_blocked"
//! ```

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{
    Classic, ClassicRules, CloudForced, CodeDecision, NumberState, PendingView, RegistrationPolicy,
    VerifyDecision,
};
use crate::domain::VendorError;
use crate::domain::cloud::Operation;
use crate::domain::phone::{Method, Number};
use crate::domain::request::CodeRequest;

/// What a rule forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 201, as for the registered number.
    AlreadyRegistered,
    /// Any vendor error.
    Error,
    /// Wait, then let the next rules (or classic) decide.
    Delay,
    /// The classic flow.
    Classic,
}

/// A rule as written in the file or sent to the control API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Shown in `X-Emulator-Reason` as `scripted.<name>`; defaults to `rule<N>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Country calling code of an exact number (with `phone_number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<String>,
    /// National number of an exact number (with `cc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Leading E.164 digits (`1631555` matches +1 631 555 …); instead of `cc`/`phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `sms` or `voice`; both when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// What to answer.
    pub outcome: Outcome,
    /// `error`: HTTP status (400–599).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `error`: vendor error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    /// `error`: vendor title; defaults to the code's own title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `error`: vendor details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// `delay`: how long, as `1500ms`, `2s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    /// `cloud`: the rule applies to the Cloud API's operations instead of `POST /v1/account`;
    /// `on_premises` (the default) to the On-Premises API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<String>,
    /// With `surface = "cloud"`: the one operation it applies to (`request_code`, `verify_code`,
    /// `register`, `deregister`, `set_pin`); every one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    spec: RuleSpec,
    name: String,
    digits: Option<(String, bool)>,
    method: Option<Method>,
    delay: Duration,
    status: u16,
    /// Whether it applies to the Cloud API.
    cloud: bool,
    operation: Option<Operation>,
}

fn digits_only(field: &str, value: &str) -> Result<(), String> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("`{field}` must be digits only (got {value:?})"))
    }
}

impl Rule {
    /// Checks a spec; `index` (from 1) names an unnamed rule.
    pub fn new(spec: RuleSpec, index: usize) -> Result<Self, String> {
        let digits = match (&spec.cc, &spec.phone_number, &spec.prefix) {
            (Some(cc), Some(phone), None) => {
                digits_only("cc", cc)?;
                digits_only("phone_number", phone)?;
                Some((format!("{cc}{phone}"), true))
            }
            (None, None, Some(prefix)) => {
                digits_only("prefix", prefix)?;
                Some((prefix.clone(), false))
            }
            (None, None, None) => None,
            _ => {
                return Err(
                    "match a number with both `cc` and `phone_number`, or with `prefix` alone"
                        .into(),
                );
            }
        };
        let method = match &spec.method {
            None => None,
            Some(m) => Some(
                Method::parse(m)
                    .ok_or_else(|| format!("`method` must be sms or voice (got {m:?})"))?,
            ),
        };
        let cloud = match spec.surface.as_deref() {
            None | Some("on_premises") => false,
            Some("cloud") => true,
            Some(other) => {
                return Err(format!(
                    "`surface` must be on_premises or cloud (got {other:?})"
                ));
            }
        };
        let operation = match &spec.operation {
            None => None,
            Some(_) if !cloud => {
                return Err("`operation` belongs to rules with surface = \"cloud\"".into());
            }
            Some(name) => Some(Operation::parse(name).ok_or_else(|| {
                format!(
                    "`operation` must be one of {} (got {name:?})",
                    Operation::ALL.map(Operation::as_str).join(", ")
                )
            })?),
        };
        if cloud && spec.method.is_some() {
            return Err(
                "`method` belongs to On-Premises rules; a cloud rule names an `operation`".into(),
            );
        }
        if cloud && spec.outcome == Outcome::AlreadyRegistered {
            return Err("`already_registered` is an On-Premises outcome; a cloud rule forces `error`, `delay` or `classic`".into());
        }
        let mut delay = Duration::ZERO;
        let mut status = 200;
        match spec.outcome {
            Outcome::Error => {
                let code = spec
                    .status
                    .ok_or("an `error` rule needs `status` (400-599)")?;
                if !(400..=599).contains(&code) {
                    return Err(format!("`status` must be 400-599 (got {code})"));
                }
                status = code;
                spec.code
                    .ok_or("an `error` rule needs `code` (such as 1005)")?;
                spec.details
                    .as_ref()
                    .ok_or("an `error` rule needs `details`")?;
            }
            Outcome::Delay => {
                let text = spec
                    .delay
                    .as_deref()
                    .ok_or("a `delay` rule needs `delay` (such as \"2s\")")?;
                delay = humantime::parse_duration(text)
                    .map_err(|e| format!("`delay` {text:?}: {e}"))?;
                if delay > Duration::from_secs(300) {
                    return Err(format!("`delay` {text:?} is longer than 300s"));
                }
            }
            Outcome::AlreadyRegistered | Outcome::Classic => {}
        }
        let name = spec.name.clone().unwrap_or_else(|| format!("rule{index}"));
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(format!(
                "`name` {name:?} may use only A-Z, a-z, 0-9, '.', '_', '-'"
            ));
        }
        Ok(Self {
            spec,
            name,
            digits,
            method,
            delay,
            status,
            cloud,
            operation,
        })
    }

    /// The rule as given.
    pub fn spec(&self) -> &RuleSpec {
        &self.spec
    }

    fn matches_number(&self, number: &Number) -> bool {
        match &self.digits {
            None => true,
            Some((digits, whole)) => number.starts_with(digits, *whole),
        }
    }

    fn matches(&self, request: &CodeRequest) -> bool {
        !self.cloud
            && self.matches_number(&request.number)
            && self.method.is_none_or(|m| m == request.method)
    }

    fn matches_cloud(&self, operation: Operation, number: &Number) -> bool {
        self.cloud && self.operation.is_none_or(|op| op == operation) && self.matches_number(number)
    }

    fn error(&self) -> Box<VendorError> {
        Box::new(VendorError {
            status: self.status,
            code: self.spec.code.unwrap_or(1000),
            title: self.spec.title.clone(),
            details: self.spec.details.clone().unwrap_or_default(),
            rule: format!("scripted.{}", self.name),
        })
    }
}

/// The rules of a TOML file: `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleSpec>>,
}

/// Parses a rules file's text; errors give the line and what is wrong.
pub fn parse_toml(text: &str) -> Result<Vec<Rule>, String> {
    let file: RulesFile = toml::from_str(text).map_err(|e| e.to_string())?;
    file.rule
        .into_iter()
        .enumerate()
        .map(|(i, spanned)| {
            let span = spanned.span();
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            Rule::new(spanned.into_inner(), i + 1)
                .map_err(|e| format!("rule {} (line {line}): {e}", i + 1))
        })
        .collect()
}

/// Parses rules sent as JSON to the control API.
pub fn parse_json(value: &serde_json::Value) -> Result<Vec<Rule>, String> {
    let items = value
        .as_array()
        .ok_or("`rules` must be a list of rule objects")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let spec: RuleSpec =
                serde_json::from_value(item.clone()).map_err(|e| format!("rules[{i}]: {e}"))?;
            Rule::new(spec, i + 1).map_err(|e| format!("rules[{i}]: {e}"))
        })
        .collect()
}

/// Loads a rules file, naming it in every error.
pub fn load(path: &std::path::Path) -> Result<Vec<Rule>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("rules file {}: {e}", path.display()))?;
    parse_toml(&text).map_err(|e| format!("rules file {}: {e}", path.display()))
}

/// Forces outcomes by rule; everything else is classic.
#[derive(Debug, Clone)]
pub struct Scripted {
    rules: Vec<Rule>,
    classic: Classic,
}

impl Scripted {
    /// A scripted policy falling through to classic with `rules`.
    pub fn new(rules: Vec<Rule>, classic_rules: ClassicRules) -> Self {
        Self {
            rules,
            classic: Classic::new(classic_rules),
        }
    }

    fn deciding(&self, request: &CodeRequest) -> Option<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.spec.outcome != Outcome::Delay)
            .find(|r| r.matches(request))
    }
}

impl RegistrationPolicy for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn rules(&self) -> Option<Vec<RuleSpec>> {
        Some(self.rules.iter().map(|r| r.spec.clone()).collect())
    }

    fn delay(&self, request: &CodeRequest) -> Option<Duration> {
        let mut total = Duration::ZERO;
        for rule in self.rules.iter().filter(|r| r.matches(request)) {
            if rule.spec.outcome != Outcome::Delay {
                break;
            }
            total += rule.delay;
        }
        (!total.is_zero()).then_some(total)
    }

    fn request_code(&self, request: &CodeRequest, number: &NumberState<'_>) -> CodeDecision {
        match self.deciding(request) {
            Some(rule) if rule.spec.outcome == Outcome::AlreadyRegistered => {
                CodeDecision::AlreadyRegistered
            }
            Some(rule) if rule.spec.outcome == Outcome::Error => CodeDecision::Fail(rule.error()),
            _ => self.classic.request_code(request, number),
        }
    }

    fn verify(
        &self,
        code: &str,
        pending: Option<&PendingView<'_>>,
        now: SystemTime,
    ) -> VerifyDecision {
        self.classic.verify(code, pending, now)
    }

    fn cloud(&self, operation: Operation, number: &Number) -> CloudForced {
        let mut forced = CloudForced::default();
        for rule in self
            .rules
            .iter()
            .filter(|r| r.matches_cloud(operation, number))
        {
            match rule.spec.outcome {
                Outcome::Delay => forced.delay += rule.delay,
                Outcome::Error => {
                    forced.error = Some(rule.error());
                    break;
                }
                Outcome::Classic | Outcome::AlreadyRegistered => break,
            }
        }
        forced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_rule_names_its_line() {
        let text = "[[rule]]\nprefix = \"1\"\noutcome = \"classic\"\n\n[[rule]]\ncc = \"1\"\noutcome = \"error\"\n";
        let err = parse_toml(text).unwrap_err();
        assert!(err.contains("rule 2 (line 5)"), "{err}");
        assert!(err.contains("cc"), "{err}");
        let syntax = parse_toml("[[rule]]\noutcome = \n").unwrap_err();
        assert!(syntax.contains("line 2"), "{syntax}");
        let unknown = parse_toml("[[rule]]\noutcome = \"classic\"\ncolour = 1\n").unwrap_err();
        assert!(unknown.contains("colour"), "{unknown}");
        assert!(
            unknown.contains("line 3") || unknown.contains("line 1"),
            "{unknown}"
        );
    }

    #[test]
    fn error_rules_need_status_code_and_details() {
        let spec = |status: Option<u16>| RuleSpec {
            name: None,
            cc: None,
            phone_number: None,
            prefix: None,
            method: None,
            outcome: Outcome::Error,
            status,
            code: Some(1005),
            title: None,
            details: Some("x".into()),
            delay: None,
            surface: None,
            operation: None,
        };
        assert!(Rule::new(spec(Some(403)), 1).is_ok());
        assert!(
            Rule::new(spec(Some(200)), 1)
                .unwrap_err()
                .contains("400-599")
        );
        assert!(Rule::new(spec(None), 1).unwrap_err().contains("status"));
    }
}
