//! The request journal: what each cluster received and how it was answered, bounded, with
//! secrets redacted before anything is stored.
//!
//! Entries are kept compact (a redacted JSON string rather than a parsed tree, the time as a
//! number) because every cluster has a journal and a test run may create thousands of clusters.

use std::borrow::Cow;
use std::time::SystemTime;

use axum::http::Method;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Body fields whose values never reach the journal.
const SECRET_FIELDS: &[&str] = &["password", "new_password", "pin", "code", "cert", "data"];

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// The rule that decided a successful answer, as a response extension, for the journal (errors
/// carry theirs in `X-Emulator-Reason`).
#[derive(Debug, Clone, Copy)]
pub struct Decided(pub &'static str);

/// One request as the journal keeps it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// When it arrived (the cluster's time).
    pub at: SystemTime,
    /// HTTP method.
    pub method: Method,
    /// Vendor path, without any `/clusters/{cluster}` prefix.
    pub path: Box<str>,
    /// HTTP status answered; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// The rule or reason that decided the answer.
    pub reason: Option<Cow<'static, str>>,
    /// The JSON body with secrets redacted, as JSON text; absent when there was none or it was
    /// not JSON.
    pub body: Option<Box<str>>,
}

impl Entry {
    /// Builds an entry; `body` must already be redacted (see [`redacted_text`]).
    pub fn new(
        at: SystemTime,
        method: Method,
        path: Box<str>,
        status: u16,
        reason: Option<Cow<'static, str>>,
        body: Option<Box<str>>,
    ) -> Self {
        Self {
            at,
            method,
            path,
            status,
            reason,
            body,
        }
    }
}

/// `value` as JSON text with its secrets redacted, as the journal stores bodies.
pub fn redacted_text(value: &Value) -> Option<Box<str>> {
    serde_json::to_string(&Redacted(value)).ok().map(Into::into)
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("time", &crate::clock::rfc3339(self.at))?;
        map.serialize_entry("method", self.method.as_str())?;
        map.serialize_entry("path", &*self.path)?;
        map.serialize_entry("status", &self.status)?;
        if let Some(reason) = &self.reason {
            map.serialize_entry("reason", &**reason)?;
        }
        if let Some(body) = &self.body {
            let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            map.serialize_entry("body", &value)?;
        }
        map.end()
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
                    if SECRET_FIELDS.contains(&key.as_str()) {
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

/// A redacted copy of `value`.
pub fn redact(value: &Value) -> Value {
    serde_json::to_value(Redacted(value)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let body = json!({"cc": "1", "cert": "Q0VSVA==", "pin": "123456",
                          "nested": [{"password": "x", "ok": 1}]});
        let red = redact(&body);
        assert_eq!(red["cc"], "1");
        assert_eq!(red["cert"], REDACTED);
        assert_eq!(red["pin"], REDACTED);
        assert_eq!(red["nested"][0]["password"], REDACTED);
        assert_eq!(red["nested"][0]["ok"], 1);
        let text = redacted_text(&body);
        let entry = Entry::new(
            SystemTime::UNIX_EPOCH,
            Method::POST,
            "/v1/account".into(),
            202,
            None,
            text,
        );
        let shown = serde_json::to_value(&entry).unwrap();
        assert_eq!(shown["body"], red);
        assert!(!entry.body.unwrap().contains("123456"));
    }
}
