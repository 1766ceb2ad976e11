//! The request journal: what each cluster received and how it was answered, bounded, with
//! secrets redacted before anything is stored.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

/// Body fields whose values never reach the journal.
const SECRET_FIELDS: &[&str] = &["password", "new_password", "pin", "code", "cert", "data"];

/// The rule that decided a successful answer, as a response extension, for the journal (errors
/// carry theirs in `X-Emulator-Reason`).
#[derive(Debug, Clone, Copy)]
pub struct Decided(pub &'static str);

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// One request as the journal keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// When it arrived (the cluster's time), RFC 3339.
    pub time: String,
    /// HTTP method.
    pub method: String,
    /// Vendor path, without any `/clusters/{cluster}` prefix.
    pub path: String,
    /// HTTP status answered; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// The rule or reason that decided the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The JSON body with secrets redacted; absent when there was none or it was not JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl Entry {
    /// Builds an entry; `body` is redacted here, before it is stored.
    pub fn new(
        at: SystemTime,
        method: &str,
        path: &str,
        status: u16,
        reason: Option<String>,
        body: Option<Value>,
    ) -> Self {
        Self {
            time: crate::clock::rfc3339(at),
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            reason,
            body: body.map(redact),
        }
    }
}

/// Replaces the values of secret fields, at any depth.
pub fn redact(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if SECRET_FIELDS.contains(&key.as_str()) {
                        *v = Value::String(REDACTED.into());
                    } else {
                        walk(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let body = json!({"cc": "1", "cert": "Q0VSVA==", "pin": "123456",
                          "nested": [{"password": "x", "ok": 1}]});
        let red = redact(body);
        assert_eq!(red["cc"], "1");
        assert_eq!(red["cert"], REDACTED);
        assert_eq!(red["pin"], REDACTED);
        assert_eq!(red["nested"][0]["password"], REDACTED);
        assert_eq!(red["nested"][0]["ok"], 1);
    }
}
