//! A JSON object body, parsed once from the request's bytes: top-level string values borrow from
//! the bytes (no copy unless they hold escapes), anything else is a [`serde_json::Value`].
//!
//! The request path reads every field it needs from this one parse: validation, the faults'
//! number filters and the journal's redacted copy (see [`super::redact`]).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A value of the top level of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<'a> {
    /// A string, borrowed from the bytes where it has no escapes.
    Str(Cow<'a, str>),
    /// Anything else: null, a boolean, a number, an array or an object.
    Json(Value),
}

impl Field<'_> {
    /// The value as a [`serde_json::Value`].
    pub fn to_json(&self) -> Value {
        match self {
            Self::Str(s) => Value::String(s.clone().into_owned()),
            Self::Json(v) => v.clone(),
        }
    }

    /// Whether it is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Json(Value::Null))
    }

    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::Json(_) => None,
        }
    }

    /// The number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Json(v) => v.as_f64(),
            Self::Str(_) => None,
        }
    }

    /// How the type is named in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Str(_) => "a string",
            Self::Json(Value::Null) => "null",
            Self::Json(Value::Bool(_)) => "a boolean",
            Self::Json(Value::Number(_)) => "a number",
            Self::Json(Value::String(_)) => "a string",
            Self::Json(Value::Array(_)) => "an array",
            Self::Json(Value::Object(_)) => "an object",
        }
    }
}

/// A JSON object body, its fields in the order sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a> {
    fields: Vec<(Cow<'a, str>, Field<'a>)>,
}

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

impl Object<'static> {
    /// An object with no fields: what an optional body that was not sent reads as.
    pub const EMPTY: Self = Self { fields: Vec::new() };
}

impl<'a> Object<'a> {
    /// Parses `bytes`; `None` when they are empty or only white space.
    pub fn parse(bytes: &'a [u8]) -> Result<Option<Self>, ParseError> {
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            None => Ok(None),
            Some(b'{') => match std::str::from_utf8(bytes) {
                // Text checked whole once, rather than each string as it is borrowed.
                Ok(text) => serde_json::from_str(text),
                // Not UTF-8: read as bytes, for serde_json's own account of where it fails.
                Err(_) => serde_json::from_slice(bytes),
            }
            .map(Some)
            .map_err(|e| ParseError::NotJson(e.to_string())),
            Some(_) => match serde_json::from_slice::<IgnoredAny>(bytes) {
                Ok(_) => Err(ParseError::NotObject),
                Err(e) => Err(ParseError::NotJson(e.to_string())),
            },
        }
    }

    /// The value of `name` (the last one, when a name is sent twice, as JSON parsers keep it).
    pub fn get(&self, name: &str) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The string value of `name`, when it is one.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Field::as_str)
    }

    /// The fields, in the order sent.
    pub fn fields(&self) -> &[(Cow<'a, str>, Field<'a>)] {
        &self.fields
    }

    /// The field names, in the order sent.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(key, _)| key.as_ref())
    }

    /// The object as a [`serde_json::Map`].
    pub fn to_map(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect()
    }
}

/// A string that borrows from the input when it can.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Field::Json(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Field::Json(Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Field::Json(Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Field::Json(Value::from(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Field::Json(Value::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Field::Json(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                Ok(Field::Json(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut object = Map::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    object.insert(key, value);
                }
                Ok(Field::Json(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(6).min(16));
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    let value = map.next_value::<Field<'de>>()?;
                    fields.push((key, value));
                }
                Ok(Object { fields })
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn strings_borrow_and_the_last_duplicate_wins() {
        let bytes = br#"{"cc": "1", "cc": "39", "n": 5, "esc": "a\"b", "x": null}"#;
        let body = Object::parse(bytes).unwrap().unwrap();
        assert_eq!(body.str("cc"), Some("39"));
        assert!(matches!(body.get("cc"), Some(Field::Str(Cow::Borrowed(_)))));
        assert_eq!(body.str("esc"), Some("a\"b"));
        assert_eq!(body.get("n").and_then(Field::as_f64), Some(5.0));
        assert!(body.get("x").unwrap().is_null());
        assert_eq!(body.get("nope"), None);
    }

    #[test]
    fn empty_not_json_and_not_object_are_told_apart() {
        assert_eq!(Object::parse(b"  \n").unwrap(), None);
        assert_eq!(Object::parse(b"[1]"), Err(ParseError::NotObject));
        assert_eq!(Object::parse(b"12"), Err(ParseError::NotObject));
        assert!(matches!(
            Object::parse(b"{\"a\":"),
            Err(ParseError::NotJson(_))
        ));
        assert!(matches!(
            Object::parse(b"nope"),
            Err(ParseError::NotJson(_))
        ));
        assert!(matches!(
            Object::parse(b"{} x"),
            Err(ParseError::NotJson(_))
        ));
    }

    /// Bodies that begin as an object's text: whole, cut, or with a byte changed (often into one
    /// that is not UTF-8).
    fn near_objects() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let text = r#"\{"cc": "1", "phone_number": "[0-9]{0,6}", "n": [0-9]{1,3}, "esc": "a\\"é", "x": \[null, \{"y": true\}\]\}"#;
        (
            text,
            any::<prop::sample::Index>(),
            any::<u8>(),
            any::<bool>(),
        )
            .prop_map(|(text, at, byte, change)| {
                let mut bytes = text.into_bytes();
                // The opening brace stays: what begins otherwise is read another way.
                let i = 1 + at.index(bytes.len() - 1);
                if change {
                    bytes[i] = byte;
                } else {
                    bytes.truncate(i);
                }
                bytes
            })
    }

    proptest::proptest! {
        /// Checking the text whole first changes nothing a client sees: the same fields, or the
        /// same error (line and column included) as parsing the bytes directly.
        #[test]
        fn parsing_checks_utf8_as_serde_json_does(bytes in near_objects()) {
            let direct = serde_json::from_slice::<Object<'_>>(&bytes)
                .map_err(|e| ParseError::NotJson(e.to_string()));
            proptest::prop_assert_eq!(Object::parse(&bytes), direct.map(Some));
        }
    }
}
