//! Request bodies, checked field by field into typed values.
//!
//! Every failure names its field: 1010 for a field the endpoint does not take, 1008 for a missing
//! one, 1009 for a wrong type or value. Unknown fields are reported first, then missing ones in
//! the order the vendor documents them, then values.

use serde_json::{Map, Value};

use crate::cert::{self, DecodedCert};
use crate::error::ApiError;
use crate::phone::{self, MAX_E164_DIGITS, Method, Number};

/// A JSON object body.
pub type Body = Map<String, Value>;

/// `POST /v1/account`, validated.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    /// The number to register.
    pub number: Number,
    /// How to deliver the code.
    pub method: Method,
    /// The decoded certificate.
    pub cert: DecodedCert,
    /// The two-step pin, if given.
    pub pin: Option<String>,
}

/// Reads the fields of one body, refusing any it does not list.
pub struct Fields<'a> {
    body: &'a Body,
}

impl<'a> Fields<'a> {
    /// Checks that `body` has no field outside `allowed`.
    pub fn new(body: &'a Body, allowed: &[&str]) -> Result<Self, ApiError> {
        if let Some(extra) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::UnexpectedParameter {
                field: extra.clone(),
            });
        }
        Ok(Self { body })
    }

    /// Fails with 1008 for the first of `names` that is absent (or `null`).
    pub fn require(&self, names: &[&'static str]) -> Result<(), ApiError> {
        match names
            .iter()
            .find(|n| self.body.get(**n).is_none_or(Value::is_null))
        {
            Some(name) => Err(ApiError::missing(name)),
            None => Ok(()),
        }
    }

    /// The string field `name`; `None` when absent or `null`, 1009 when not a string.
    pub fn opt_str(&self, name: &'static str) -> Result<Option<&'a str>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ApiError::invalid(
                name,
                "not_string",
                format!(
                    "Parameter '{name}' must be a string (got {})",
                    json_type(other)
                ),
            )),
        }
    }

    /// The string field `name`, which must be present.
    pub fn str(&self, name: &'static str) -> Result<&'a str, ApiError> {
        self.opt_str(name)?.ok_or(ApiError::missing(name))
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Validates `POST /v1/account`.
pub fn code_request(body: &Body) -> Result<CodeRequest, ApiError> {
    let fields = Fields::new(body, &["cc", "phone_number", "method", "cert", "pin"])?;
    fields.require(&["cc", "phone_number", "method", "cert"])?;

    let cc = fields.str("cc")?;
    if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "cc",
            "format",
            format!("Parameter 'cc' must be 1 to 3 digits, without '+' (got {cc:?})"),
        ));
    }
    if !phone::is_calling_code(cc) {
        return Err(ApiError::invalid(
            "cc",
            "unknown_country",
            format!("Parameter 'cc' is not an ITU country calling code (got {cc:?})"),
        ));
    }

    let phone_number = fields.str("phone_number")?;
    if phone_number.is_empty() || !phone_number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "phone_number",
            "not_digits",
            format!(
                "Parameter 'phone_number' must be digits only, without '+', spaces or dashes (got {phone_number:?})"
            ),
        ));
    }
    let total = cc.len() + phone_number.len();
    if total > MAX_E164_DIGITS {
        return Err(ApiError::invalid(
            "phone_number",
            "too_long",
            format!(
                "Parameter 'phone_number' is too long: cc and phone_number together have {total} digits, E.164 allows {MAX_E164_DIGITS}"
            ),
        ));
    }

    let method_text = fields.str("method")?;
    let method = Method::parse(method_text).ok_or_else(|| {
        ApiError::invalid(
            "method",
            "unknown",
            format!("Parameter 'method' must be \"sms\" or \"voice\" (got {method_text:?})"),
        )
    })?;

    let cert = cert::decode(fields.str("cert")?).map_err(|e| {
        ApiError::invalid(
            "cert",
            e.rule(),
            format!("Parameter 'cert' is not valid: {e}; paste the base64 certificate from WhatsApp Manager or one made by the emulator"),
        )
    })?;

    let pin = fields.opt_str("pin")?.map(|p| pin("pin", p)).transpose()?;

    Ok(CodeRequest {
        number: Number {
            cc: cc.into(),
            phone_number: phone_number.into(),
        },
        method,
        cert,
        pin,
    })
}

/// Checks a two-step pin: exactly 6 digits.
pub fn pin(field: &'static str, text: &str) -> Result<String, ApiError> {
    if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(ApiError::invalid(
            field,
            "not_six_digits",
            format!("Parameter '{field}' must be exactly 6 digits"),
        ))
    }
}

/// Validates `POST /v1/account/verify`, returning the 6-digit code with any hyphen removed.
pub fn verify_request(body: &Body) -> Result<String, ApiError> {
    let fields = Fields::new(body, &["code"])?;
    fields.require(&["code"])?;
    let code = fields.str("code")?;
    let digits: String = match code.split_once('-') {
        Some((a, b)) if a.len() == 3 && b.len() == 3 => format!("{a}{b}"),
        _ => code.to_owned(),
    };
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(ApiError::invalid(
            "code",
            "not_six_digits",
            "Parameter 'code' must be 6 digits, as 123456 or 123-456",
        ))
    }
}

/// Validates a body made of one required pin (`POST /v1/settings/account/two-step`).
pub fn pin_request(body: &Body) -> Result<String, ApiError> {
    let fields = Fields::new(body, &["pin"])?;
    fields.require(&["pin"])?;
    pin("pin", fields.str("pin")?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Body {
        value.as_object().unwrap().clone()
    }

    fn valid() -> Value {
        json!({"cc": "1", "phone_number": "6315550000", "method": "sms",
               "cert": cert::make("Acme", &[], 1)})
    }

    fn err(value: Value) -> ApiError {
        code_request(&body(value)).unwrap_err()
    }

    #[test]
    fn a_valid_request_is_typed() {
        let req = code_request(&body(valid())).unwrap();
        assert_eq!(req.number.e164(), "16315550000");
        assert_eq!(req.method, Method::Sms);
        assert_eq!(req.cert.vname, "Acme");
        assert_eq!(req.pin, None);
    }

    #[test]
    fn each_field_failure_names_the_field() {
        let mut v = valid();
        v["extra"] = json!(1);
        assert_eq!(err(v).code(), 1010);
        for field in ["cc", "phone_number", "method", "cert"] {
            let mut v = valid();
            v.as_object_mut().unwrap().remove(field);
            let e = err(v);
            assert_eq!(e.code(), 1008, "{field}");
            assert!(e.details().contains(field));
            let mut v = valid();
            v[field] = json!(12);
            let e = err(v);
            assert_eq!(e.code(), 1009, "{field}");
            assert_eq!(e.reason(), format!("validation.{field}.not_string"));
        }
        for (field, value, rule) in [
            ("cc", "+1", "format"),
            ("cc", "1234", "format"),
            ("cc", "999", "unknown_country"),
            ("cc", "0", "unknown_country"),
            ("phone_number", "+6315550000", "not_digits"),
            ("phone_number", "631 555 0000", "not_digits"),
            ("phone_number", "631-555-0000", "not_digits"),
            ("phone_number", "123456789012345", "too_long"),
            ("method", "fax", "unknown"),
            ("cert", "", "empty"),
            ("cert", "%%%", "not_base64"),
            ("pin", "12345", "not_six_digits"),
        ] {
            let mut v = valid();
            v[field] = json!(value);
            let e = err(v);
            assert_eq!(e.code(), 1009, "{field}={value}");
            assert_eq!(e.reason(), format!("validation.{field}.{rule}"));
            assert!(e.details().contains(field), "{}", e.details());
        }
    }

    #[test]
    fn verify_accepts_the_hyphen_as_the_sms_shows_it() {
        assert_eq!(
            verify_request(&body(json!({"code": "123-456"}))).unwrap(),
            "123456"
        );
        assert_eq!(
            verify_request(&body(json!({"code": "123456"}))).unwrap(),
            "123456"
        );
        for bad in ["12345", "1234567", "12-3456", "abcdef", "123 456"] {
            assert_eq!(
                verify_request(&body(json!({"code": bad})))
                    .unwrap_err()
                    .code(),
                1009
            );
        }
        assert_eq!(verify_request(&body(json!({}))).unwrap_err().code(), 1008);
    }
}
