//! What never reaches the journal: the values of secret fields (passwords, pins, codes,
//! certificates, backups), replaced at any depth as the journal's copy of a body is written.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::json::{Field, Object};

/// Body fields whose values never reach the journal, matched in any case.
const SECRET_FIELDS: &[&str] = &["password", "new_password", "pin", "code", "cert", "data"];

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether the values of `key` are secret.
pub fn is_secret(key: &str) -> bool {
    SECRET_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(key))
}

/// `value` (a [`Redacted`], a [`RedactedObject`] or a [`RedactedBody`]) as JSON text, written
/// into room for `room` bytes: the length of the body it was read from is usually enough.
pub fn redacted(value: &impl Serialize, room: usize) -> Box<str> {
    let mut text = Vec::with_capacity(room);
    // A `Value` (string keys, finite numbers) always serializes, and as UTF-8.
    match serde_json::to_writer(&mut text, value) {
        Ok(()) => String::from_utf8(text).unwrap_or_default().into_boxed_str(),
        Err(_) => Box::default(),
    }
}

/// Serializes a JSON value with the values of secret fields replaced, at any depth, without
/// copying it.
pub struct Redacted<'a>(pub &'a Value);

/// Serializes a JSON object as [`Redacted`] does.
pub struct RedactedObject<'a>(pub &'a Map<String, Value>);

/// Serializes a request body as [`Redacted`] does, its strings as they were sent.
pub struct RedactedBody<'a>(pub &'a Object<'a>);

impl Serialize for RedactedBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = self.0.fields();
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, value) in fields {
            match value {
                _ if is_secret(key) => map.serialize_entry(key, REDACTED)?,
                Field::Str(text) => map.serialize_entry(key, text)?,
                Field::Json(value) => map.serialize_entry(key, &Redacted(value))?,
            }
        }
        map.end()
    }
}

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(fields) => RedactedObject(fields).serialize(serializer),
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

impl Serialize for RedactedObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            if is_secret(key) {
                map.serialize_entry(key, REDACTED)?;
            } else {
                map.serialize_entry(key, &Redacted(value))?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_in_any_case() {
        let body = json!({"cc": "1", "cert": "Q0VSVA==", "Pin": "123456", "PASSWORD": "x",
                          "nested": [{"password": "x", "ok": 1}]});
        let red: Value = serde_json::from_str(&redacted(&Redacted(&body), 0)).unwrap();
        assert_eq!(red["cc"], "1");
        assert_eq!(red["cert"], REDACTED);
        assert_eq!(red["Pin"], REDACTED);
        assert_eq!(red["PASSWORD"], REDACTED);
        assert_eq!(red["nested"][0]["password"], REDACTED);
        assert_eq!(red["nested"][0]["ok"], 1);
        assert!(!redacted(&Redacted(&body), 0).contains("123456"));
    }

    #[test]
    fn a_body_is_redacted_as_its_tree_is_in_the_order_sent() {
        let text = br#"{"z": "a\"b", "cert": "Q0VSVA==", "n": [{"pin": 1}], "a": 2}"#;
        let body = Object::parse(text).unwrap().unwrap();
        let red = redacted(&RedactedBody(&body), text.len());
        assert_eq!(
            &*red,
            r#"{"z":"a\"b","cert":"[redacted]","n":[{"pin":"[redacted]"}],"a":2}"#
        );
    }
}
