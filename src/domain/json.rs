//! A JSON object body, parsed once from the request's bytes into a [`serde_json::Map`].
//!
//! The request path reads every field it needs from this one parse: validation, the faults'
//! number filters and the journal's redacted copy (see [`super::redact`]).

use serde::de::IgnoredAny;
use serde_json::{Map, Value};

/// A JSON object body. (A name sent twice keeps its last value, as JSON parsers do.)
pub type Object = Map<String, Value>;

/// Why bytes are not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all.
    #[error("not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("not a JSON object")]
    NotObject,
}

/// Parses `bytes` as a JSON object; `None` when they are empty or only white space.
pub fn parse(bytes: &[u8]) -> Result<Option<Object>, ParseError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Ok(None),
        Some(b'{') => serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| ParseError::NotJson(e.to_string())),
        // Told apart from an object so that the answer can say which it is.
        Some(_) => match serde_json::from_slice::<IgnoredAny>(bytes) {
            Ok(_) => Err(ParseError::NotObject),
            Err(e) => Err(ParseError::NotJson(e.to_string())),
        },
    }
}

/// How a value's type is named in error messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_duplicate_wins() {
        let bytes = br#"{"cc": "1", "cc": "39", "n": 5, "esc": "a\"b", "x": null}"#;
        let body = parse(bytes).unwrap().unwrap();
        assert_eq!(body["cc"], "39");
        assert_eq!(body["esc"], "a\"b");
        assert_eq!(body["n"].as_f64(), Some(5.0));
        assert!(body["x"].is_null());
        assert_eq!(body.get("nope"), None);
    }

    #[test]
    fn empty_not_json_and_not_object_are_told_apart() {
        assert_eq!(parse(b"  \n").unwrap(), None);
        assert_eq!(parse(b"[1]"), Err(ParseError::NotObject));
        assert_eq!(parse(b"12"), Err(ParseError::NotObject));
        assert!(matches!(parse(b"{\"a\":"), Err(ParseError::NotJson(_))));
        assert!(matches!(parse(b"nope"), Err(ParseError::NotJson(_))));
        assert!(matches!(parse(b"{} x"), Err(ParseError::NotJson(_))));
    }
}
