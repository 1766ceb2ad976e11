//! What never reaches the journal: the values of secret fields (passwords, pins, codes,
//! certificates, backups), replaced at any depth; and the journal's copy of a body, written with
//! them replaced in one allocation.

use std::borrow::Cow;
use std::cell::RefCell;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::json::{Field, Object};
use super::reuse;

/// Body fields whose values never reach the journal, matched in any case.
const SECRET_FIELDS: &[&str] = &["password", "new_password", "pin", "code", "cert", "data"];

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// [`REDACTED`] as a JSON string.
const REDACTED_JSON: &str = "\"[redacted]\"";

/// Whether the values of `key` are secret.
pub fn is_secret(key: &str) -> bool {
    SECRET_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(key))
}

/// `object` as JSON text with the values of secret fields replaced, at any depth, as
/// serde_json writes it (in one allocation, the strings copied as they are where they need no
/// escaping).
pub fn redacted(object: &Object<'_>) -> Box<str> {
    written(|text| {
        text.push('{');
        for (i, (key, value)) in object.fields().iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            push_json_str(text, key, matches!(key, Cow::Borrowed(_)));
            text.push(':');
            match value {
                _ if is_secret(key) => text.push_str(REDACTED_JSON),
                Field::Str(s) => push_json_str(text, s, matches!(s, Cow::Borrowed(_))),
                Field::Json(v) => push_json(text, &Redacted(v)),
            }
        }
        text.push('}');
    })
}

/// `value` as JSON text, in one allocation of its size.
pub fn text_of(value: &impl Serialize) -> Box<str> {
    written(|text| push_json(text, value))
}

/// Text that `write` writes, in one allocation of its size: it is written into a buffer each
/// thread reuses, then copied out (`serde_json::to_string` grows a buffer, which would then be
/// shrunk).
fn written(write: impl FnOnce(&mut String)) -> Box<str> {
    thread_local! {
        static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
    }
    reuse::with(&SCRATCH, |text| {
        text.clear();
        write(text);
        Box::from(text.as_str())
    })
}

/// `value` as JSON, appended to `text`.
fn push_json(text: &mut String, value: &impl Serialize) {
    // The values written here are strings and `serde_json::Value`s: serializing cannot fail.
    if let Ok(json) = serde_json::to_string(value) {
        text.push_str(&json);
    }
}

/// `s` as a JSON string, appended to `text`, as serde_json writes it: between quotes as it is
/// when nothing in it needs escaping. A string borrowed from the body (`from_body`) had no
/// escapes there (the parser borrows only those, and refuses raw control characters).
fn push_json_str(text: &mut String, s: &str, from_body: bool) {
    if from_body || !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        text.reserve(s.len() + 2);
        text.push('"');
        text.push_str(s);
        text.push('"');
    } else {
        push_json(text, &s);
    }
}

/// Serializes a JSON value with the values of secret fields replaced, at any depth, without
/// copying it.
pub struct Redacted<'a>(pub &'a Value);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    if is_secret(key) {
                        map.serialize_entry(key, REDACTED)?;
                    } else {
                        map.serialize_entry(key, &Redacted(value))?;
                    }
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Redacted(item))?;
                }
                seq.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, json};

    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_in_any_case() {
        let bytes = br#"{"cc": "1", "cert": "Q0VSVA==", "Pin": "123456", "PASSWORD": "x",
                         "nested": [{"password": "x", "ok": 1}]}"#;
        let body = Object::parse(bytes).unwrap().unwrap();
        let red: Value = serde_json::from_str(&redacted(&body)).unwrap();
        assert_eq!(red["cc"], "1");
        assert_eq!(red["cert"], REDACTED);
        assert_eq!(red["Pin"], REDACTED);
        assert_eq!(red["PASSWORD"], REDACTED);
        assert_eq!(red["nested"][0]["password"], REDACTED);
        assert_eq!(red["nested"][0]["ok"], 1);
        assert!(!redacted(&body).contains("123456"));
        assert_eq!(body.to_map()["nested"], json!([{"password": "x", "ok": 1}]));
    }

    /// The redacted text as serde_json writes it: each key and value serialized on its own.
    fn serde_redacted(pairs: &[(String, Value)]) -> String {
        let fields: Vec<String> = pairs
            .iter()
            .map(|(key, value)| {
                let value = if is_secret(key) {
                    serde_json::to_string(REDACTED)
                } else {
                    serde_json::to_string(&Redacted(value))
                };
                format!("{}:{}", serde_json::to_string(key).unwrap(), value.unwrap())
            })
            .collect();
        format!("{{{}}}", fields.join(","))
    }

    proptest! {
        #[test]
        fn the_redacted_text_is_what_serde_json_writes(
            pairs in proptest::collection::vec(
                ("(?s).{0,12}|pin|Cert", prop_oneof![
                    "(?s).{0,24}".prop_map(Value::from),
                    any::<i64>().prop_map(Value::from),
                    "(?s).{0,8}".prop_map(|s| json!([s, {"password": s, "n": null}])),
                ]),
                0..6,
            )
        ) {
            let body: Map<String, Value> = pairs.into_iter().collect();
            let text = serde_json::to_vec(&body).unwrap();
            let object = Object::parse(&text).unwrap().unwrap();
            // The fields as parsed, in the order of the text.
            let sent: Vec<(String, Value)> = body.into_iter().collect();
            prop_assert_eq!(&*redacted(&object), serde_redacted(&sent));
        }
    }
}
