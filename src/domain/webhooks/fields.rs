//! The webhook fields of a WhatsApp Business Account the emulator sends, and the shape Meta's
//! reference pages give each one's `value` (`developers.facebook.com/documentation/
//! business-messaging/whatsapp/webhooks/reference/FIELD`): what `POST
//! /_emulator/clusters/{c}/webhooks/events` checks a value against.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A webhook field of the `whatsapp_business_account` object.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Changes to the account: verification, sharing with partners, violations, restrictions,
    /// deletion, offboarding and reconnection.
    AccountUpdate,
    /// The account's review decision.
    AccountReviewUpdate,
    /// The account's or its business's messaging capabilities.
    BusinessCapabilityUpdate,
    /// The outcome of a phone number's display-name review.
    PhoneNumberNameUpdate,
    /// A phone number's messaging limit or throughput (`ONBOARDING` when it registers).
    PhoneNumberQualityUpdate,
    /// A phone number's two-step verification (pin changed, reset requested or done).
    Security,
}

impl Field {
    /// Every field, in the order they are listed.
    pub const ALL: [Field; 6] = [
        Field::AccountUpdate,
        Field::AccountReviewUpdate,
        Field::BusinessCapabilityUpdate,
        Field::PhoneNumberNameUpdate,
        Field::PhoneNumberQualityUpdate,
        Field::Security,
    ];

    /// The name Meta gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::AccountUpdate => "account_update",
            Field::AccountReviewUpdate => "account_review_update",
            Field::BusinessCapabilityUpdate => "business_capability_update",
            Field::PhoneNumberNameUpdate => "phone_number_name_update",
            Field::PhoneNumberQualityUpdate => "phone_number_quality_update",
            Field::Security => "security",
        }
    }

    /// Every name, comma-separated, for messages.
    pub fn names() -> String {
        Self::ALL.map(Field::as_str).join(", ")
    }

    /// The field named `name`, or a message naming the known ones.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "Unknown webhook field {name:?}: the emulator sends {}",
                    Self::names()
                )
            })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `account_update` events, as Meta's reference and its clients' test data list them, with the
/// key each one's details come under (none for the bare ones).
pub const ACCOUNT_EVENTS: &[(&str, Option<&str>)] = &[
    ("ACCOUNT_DELETED", None),
    ("ACCOUNT_OFFBOARDED", None),
    ("ACCOUNT_RECONNECTED", None),
    ("ACCOUNT_RESTRICTION", Some("restriction_info")),
    ("ACCOUNT_VIOLATION", Some("violation_info")),
    ("AD_ACCOUNT_LINKED", Some("waba_info")),
    (
        "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE",
        Some("auth_international_rate_eligibility"),
    ),
    ("BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE", Some("country")),
    ("DISABLED_UPDATE", Some("ban_info")),
    ("MM_LITE_TERMS_SIGNED", Some("waba_info")),
    ("PARTNER_ADDED", Some("waba_info")),
    ("PARTNER_APP_INSTALLED", Some("waba_info")),
    ("PARTNER_APP_UNINSTALLED", Some("waba_info")),
    (
        "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE",
        Some("partner_client_certification_info"),
    ),
    ("PARTNER_REMOVED", Some("waba_info")),
    ("VERIFIED_ACCOUNT", None),
    ("VOLUME_BASED_PRICING_TIER_UPDATE", Some("volume_tier_info")),
];

/// `phone_number_name_update` decisions.
pub const NAME_DECISIONS: &[&str] = &["APPROVED", "DEFERRED", "PENDING", "REJECTED"];

/// `phone_number_name_update` rejection reasons (`null` when the name was accepted).
pub const REJECTION_REASONS: &[&str] = &[
    "NAME_EMPLOYEE_ISSUE",
    "NAME_ENDCLIENT_NOTRELATED",
    "NAME_FORMAT_UNACCEPTABLE",
    "NAME_INDIVIDUAL_ISSUE",
    "NAME_NOT_CONSISTENT",
    "UNKNOWN",
];

/// `phone_number_quality_update` events.
pub const QUALITY_EVENTS: &[&str] = &[
    "ONBOARDING",
    "THROUGHPUT_UPGRADE",
    "FLAGGED",
    "UNFLAGGED",
    "UPGRADE",
    "DOWNGRADE",
];

/// Messaging limits (`current_limit`, `old_limit`, `max_daily_conversations_per_business`).
pub const LIMITS: &[&str] = &[
    "TIER_50",
    "TIER_250",
    "TIER_1K",
    "TIER_2K",
    "TIER_10K",
    "TIER_100K",
    "TIER_NOT_SET",
    "TIER_UNLIMITED",
];

/// `security` events.
pub const SECURITY_EVENTS: &[&str] = &["PIN_CHANGED", "PIN_RESET_REQUEST", "PIN_REQUEST_SUCCESS"];

/// `account_review_update` decisions.
pub const REVIEW_DECISIONS: &[&str] = &["APPROVED", "REJECTED", "PENDING", "DEFERRED"];

/// Reads one value's keys, saying which is wrong and what it may be.
struct Shape<'a> {
    field: Field,
    value: &'a Map<String, Value>,
}

impl Shape<'_> {
    fn string(&self, key: &str, required: bool) -> Result<Option<&str>, String> {
        match self.value.get(key) {
            Some(Value::String(s)) => Ok(Some(s)),
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => {
                Err(format!("{}'s value needs {key:?} (a string)", self.field))
            }
            Some(other) => Err(format!(
                "{}'s {key:?} must be a string (got {other})",
                self.field
            )),
        }
    }

    fn one_of(&self, key: &str, allowed: &[&str], required: bool) -> Result<(), String> {
        match self.string(key, required)? {
            Some(s) if !allowed.contains(&s) => Err(format!(
                "{}'s {key:?} must be one of {} (got {s:?})",
                self.field,
                allowed.join(", ")
            )),
            _ => Ok(()),
        }
    }

    fn digits(&self, key: &str) -> Result<(), String> {
        let s = self.string(key, true)?.unwrap_or_default();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{}'s {key:?} must be the number's digits with its country code, as Meta sends it (\"15550783881\"; got {s:?})",
                self.field
            ));
        }
        Ok(())
    }

    fn integer(&self, key: &str) -> Result<(), String> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(()),
            Some(v) if v.is_u64() => Ok(()),
            Some(other) => Err(format!(
                "{}'s {key:?} must be a whole number (got {other})",
                self.field
            )),
        }
    }
}

/// Checks `value` against `field`'s documented shape: the keys each field's reference page
/// requires, with the values it lists.
pub fn check(field: Field, value: &Value) -> Result<(), String> {
    let Some(map) = value.as_object() else {
        return Err(format!(
            "{field}'s value must be a JSON object (got {value})"
        ));
    };
    let shape = Shape { field, value: map };
    match field {
        Field::AccountUpdate => {
            let event = shape.string("event", true)?.unwrap_or_default();
            let Some((_, details)) = ACCOUNT_EVENTS.iter().find(|(e, _)| *e == event) else {
                return Err(format!(
                    "account_update's \"event\" must be one of {} (got {event:?})",
                    ACCOUNT_EVENTS
                        .iter()
                        .map(|(e, _)| *e)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if let Some(key) = details
                && map.get(*key).is_none_or(Value::is_null)
            {
                return Err(format!(
                    "account_update's {event} event carries {key:?}, as Meta's reference shows it"
                ));
            }
            Ok(())
        }
        Field::AccountReviewUpdate => shape.one_of("decision", REVIEW_DECISIONS, true),
        Field::BusinessCapabilityUpdate => {
            shape.integer("max_daily_conversation_per_phone")?;
            shape.integer("max_phone_numbers_per_business")?;
            shape.integer("max_phone_numbers_per_waba")?;
            shape.one_of("max_daily_conversations_per_business", LIMITS, false)?;
            if map.is_empty() {
                return Err(
                    "business_capability_update's value needs at least one of \"max_daily_conversation_per_phone\", \"max_phone_numbers_per_business\", \"max_daily_conversations_per_business\"".into(),
                );
            }
            Ok(())
        }
        Field::PhoneNumberNameUpdate => {
            shape.digits("display_phone_number")?;
            shape.one_of("decision", NAME_DECISIONS, true)?;
            shape.string("requested_verified_name", true)?;
            shape.one_of("rejection_reason", REJECTION_REASONS, false)
        }
        Field::PhoneNumberQualityUpdate => {
            shape.digits("display_phone_number")?;
            shape.one_of("event", QUALITY_EVENTS, true)?;
            shape.one_of("current_limit", LIMITS, false)?;
            shape.one_of("old_limit", LIMITS, false)?;
            shape.one_of("max_daily_conversations_per_business", LIMITS, false)
        }
        Field::Security => {
            shape.digits("display_phone_number")?;
            shape.one_of("event", SECURITY_EVENTS, true)?;
            shape.string("requester", false).map(drop)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documented_values_pass_and_others_are_named() {
        for (field, value) in [
            (Field::AccountUpdate, json!({"event": "ACCOUNT_DELETED"})),
            (
                Field::AccountUpdate,
                json!({"event": "ACCOUNT_VIOLATION", "violation_info": {"violation_type": "ADULT"}}),
            ),
            (
                Field::PhoneNumberNameUpdate,
                json!({"display_phone_number": "15550783881", "decision": "APPROVED", "requested_verified_name": "Lucky Shrub", "rejection_reason": null}),
            ),
            (
                Field::PhoneNumberQualityUpdate,
                json!({"display_phone_number": "15550783881", "event": "THROUGHPUT_UPGRADE", "current_limit": "TIER_UNLIMITED", "max_daily_conversations_per_business": "TIER_2K"}),
            ),
            (
                Field::Security,
                json!({"display_phone_number": "15550783881", "event": "PIN_RESET_REQUEST", "requester": "61555822107539"}),
            ),
            (Field::AccountReviewUpdate, json!({"decision": "APPROVED"})),
            (
                Field::BusinessCapabilityUpdate,
                json!({"max_daily_conversation_per_phone": 1000, "max_phone_numbers_per_business": 2}),
            ),
        ] {
            assert_eq!(check(field, &value), Ok(()), "{field} {value}");
        }
        let refused = |field, value: Value| check(field, &value).unwrap_err();
        assert!(
            refused(Field::AccountUpdate, json!({"event": "NOPE"})).contains("ACCOUNT_DELETED")
        );
        assert!(
            refused(Field::AccountUpdate, json!({"event": "ACCOUNT_VIOLATION"}))
                .contains("violation_info")
        );
        assert!(
            refused(
                Field::PhoneNumberNameUpdate,
                json!({"display_phone_number": "+1 555", "decision": "APPROVED", "requested_verified_name": "x"})
            )
            .contains("digits")
        );
        assert!(
            refused(
                Field::Security,
                json!({"display_phone_number": "1555", "event": "PIN_LOST"})
            )
            .contains("PIN_CHANGED")
        );
        assert!(refused(Field::AccountReviewUpdate, json!([])).contains("JSON object"));
        assert!(
            Field::parse("messages")
                .unwrap_err()
                .contains("account_update")
        );
        assert_eq!(Field::parse("security"), Ok(Field::Security));
    }
}
