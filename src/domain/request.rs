//! Request bodies, checked field by field into typed values.
//!
//! Every failure names its field: 1010 for a field the endpoint does not take, 1008 for a missing
//! one, 1009 for a wrong type or value. Unknown fields are reported first, then missing ones in
//! the order the vendor documents them, then values.

use super::Error;
use super::cert::{self, DecodedCert};
use super::json::{Field, Object};
use super::phone::{self, MAX_E164_DIGITS, Method, Number};

/// `POST /v1/account`, validated.
#[derive(Debug, Clone)]
pub struct CodeRequest<'a> {
    /// The number to register.
    pub number: Number,
    /// How to deliver the code.
    pub method: Method,
    /// The decoded certificate.
    pub cert: DecodedCert,
    /// The two-step pin, if given.
    pub pin: Option<&'a str>,
}

/// Reads the fields of one body, refusing any it does not list.
pub struct Fields<'o, 'a> {
    body: &'o Object<'a>,
}

impl<'o, 'a> Fields<'o, 'a> {
    /// Checks that `body` has no field outside `allowed` (naming the first such, in sorted order).
    pub fn new(body: &'o Object<'a>, allowed: &[&str]) -> Result<Self, Error> {
        if let Some(extra) = body.keys().filter(|k| !allowed.contains(k)).min() {
            return Err(Error::Unexpected {
                field: extra.to_owned(),
            });
        }
        Ok(Self { body })
    }

    /// Fails with 1008 for the first of `names` that is absent (or `null`).
    pub fn require(&self, names: &[&'static str]) -> Result<(), Error> {
        match names
            .iter()
            .find(|n| self.body.get(n).is_none_or(Field::is_null))
        {
            Some(&"cert") => Err(Error::Missing {
                field: "cert",
                hint: Some(MAKE_A_CERT),
            }),
            Some(name) => Err(Error::missing(name)),
            None => Ok(()),
        }
    }

    /// The value of `name`, if present and not `null`.
    pub fn get(&self, name: &str) -> Option<&'o Field<'a>> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    /// The string field `name`; `None` when absent or `null`, 1009 when not a string.
    pub fn opt_str(&self, name: &'static str) -> Result<Option<&'o str>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(Field::Str(s)) => Ok(Some(s)),
            Some(other) => Err(Error::invalid(
                name,
                "not_string",
                format!(
                    "Parameter '{name}' must be a string (got {})",
                    other.type_name()
                ),
            )),
        }
    }

    /// The string field `name`, which must be present.
    pub fn str(&self, name: &'static str) -> Result<&'o str, Error> {
        self.opt_str(name)?.ok_or_else(|| Error::missing(name))
    }

    /// The number field `name` as a duration of 0 to `max_seconds` seconds; `None` when absent
    /// or `null`, 1009 otherwise.
    pub fn opt_seconds(
        &self,
        name: &'static str,
        max_seconds: u32,
    ) -> Result<Option<std::time::Duration>, Error> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        value
            .as_f64()
            .filter(|s| s.is_finite() && (0.0..=f64::from(max_seconds)).contains(s))
            .map(std::time::Duration::from_secs_f64)
            .map(Some)
            .ok_or_else(|| {
                Error::invalid(
                    name,
                    "range",
                    format!(
                        "Parameter '{name}' must be a number of seconds from 0 to {max_seconds}"
                    ),
                )
            })
    }

    /// The whole number `name`, from 1 to `max`, if sent.
    pub fn opt_whole(&self, name: &'static str, max: u32) -> Result<Option<u32>, Error> {
        self.get(name)
            .map(|value| {
                value
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && (1.0..=f64::from(max)).contains(n))
                    .map(|n| n as u32)
                    .ok_or_else(|| {
                        Error::invalid(
                            name,
                            "range",
                            format!("Parameter '{name}' must be a whole number from 1 to {max}"),
                        )
                    })
            })
            .transpose()
    }
}

/// Where a certificate comes from, now that WhatsApp Manager issues none.
const MAKE_A_CERT: &str = "make one with POST /_emulator/certs {\"vname\": \"Your Business\"} or `wa-onprem-emulator cert --vname NAME`";

/// Validates `POST /v1/account`.
pub fn code_request<'o>(body: &'o Object<'_>) -> Result<CodeRequest<'o>, Error> {
    let fields = Fields::new(body, &["cc", "phone_number", "method", "cert", "pin"])?;
    fields.require(&["cc", "phone_number", "method", "cert"])?;

    let number = number(&fields)?;

    let method_text = fields.str("method")?;
    let method = Method::parse(method_text).ok_or_else(|| {
        Error::invalid(
            "method",
            "unknown",
            format!("Parameter 'method' must be \"sms\" or \"voice\" (got {method_text:?})"),
        )
    })?;

    let cert = cert::decode(fields.str("cert")?).map_err(|e| {
        Error::invalid(
            "cert",
            e.rule(),
            format!("Parameter 'cert' is not valid: {e}; paste the base64 certificate from WhatsApp Manager, or {MAKE_A_CERT}"),
        )
    })?;

    let pin = fields.opt_str("pin")?.map(|p| pin("pin", p)).transpose()?;

    Ok(CodeRequest {
        number,
        method,
        cert,
        pin,
    })
}

/// `cc` and `phone_number` of a body: a real calling code and at most 15 digits in all.
fn number(fields: &Fields<'_, '_>) -> Result<Number, Error> {
    vendor_number(fields.str("cc")?, fields.str("phone_number")?)
}

/// An On-Premises number as `POST /v1/account` takes it: `cc` a real calling code (digits, no
/// `+`), `phone_number` digits, at most 15 digits in all; refused with the vendor's errors.
pub fn vendor_number(cc: &str, phone_number: &str) -> Result<Number, Error> {
    if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            "cc",
            "format",
            format!("Parameter 'cc' must be 1 to 3 digits, without '+' (got {cc:?})"),
        ));
    }
    if !phone::is_calling_code(cc) {
        return Err(Error::invalid(
            "cc",
            "unknown_country",
            format!("Parameter 'cc' is not an ITU country calling code (got {cc:?})"),
        ));
    }

    if phone_number.is_empty() || !phone_number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            "phone_number",
            "not_digits",
            format!(
                "Parameter 'phone_number' must be digits only, without '+', spaces or dashes (got {phone_number:?})"
            ),
        ));
    }
    let total = cc.len() + phone_number.len();
    if total > MAX_E164_DIGITS {
        return Err(Error::invalid(
            "phone_number",
            "too_long",
            format!(
                "Parameter 'phone_number' is too long: cc and phone_number together have {total} digits, E.164 allows {MAX_E164_DIGITS}"
            ),
        ));
    }

    Ok(Number::new(cc, phone_number))
}

/// `POST /v1/account/shards`, validated.
#[derive(Debug, Clone)]
pub struct ShardsRequest<'a> {
    /// The registered number.
    pub number: Number,
    /// 1, 2, 4, 8, 16 or 32.
    pub shards: u8,
    /// The number's certificate (required from v2.45).
    pub cert: Option<DecodedCert>,
    /// The two-step pin, if given.
    pub pin: Option<&'a str>,
}

/// Whether the API version reported (`v2.45.1`) is v2.45 or later, from which "the cert
/// parameter is now required" on the shards node.
pub fn shards_need_cert(api_version: &str) -> bool {
    let mut parts = api_version.trim_start_matches('v').split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (2, 45)
}

/// Validates `POST /v1/account/shards` for the reported `api_version` (see [`shards_need_cert`]).
pub fn shards_request<'o>(
    body: &'o Object<'_>,
    api_version: &str,
) -> Result<ShardsRequest<'o>, Error> {
    let cert_required = shards_need_cert(api_version);
    let fields = Fields::new(body, &["cc", "phone_number", "shards", "pin", "cert"])?;
    fields.require(&["cc", "phone_number", "shards"])?;
    if cert_required {
        fields.require(&["cert"]).map_err(|_| Error::Missing {
            field: "cert",
            hint: Some("from API v2.45 on, the shards node needs the number's certificate"),
        })?;
    }
    let number = number(&fields)?;
    let options = "1, 2, 4, 8, 16 or 32";
    let shards = match fields.get("shards") {
        Some(Field::Json(value)) if value.is_number() => value
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .filter(|n| super::topology::SHARD_OPTIONS.contains(n))
            .ok_or_else(|| {
                Error::invalid(
                    "shards",
                    "not_allowed",
                    format!("Parameter 'shards' must be {options} (got {value})"),
                )
            })?,
        other => {
            let got = other.map_or("nothing", Field::type_name);
            return Err(Error::invalid(
                "shards",
                "not_integer",
                format!("Parameter 'shards' must be an integer, {options} (got {got})"),
            ));
        }
    };
    let cert = fields
        .opt_str("cert")?
        .map(|text| {
            cert::decode(text).map_err(|e| {
                Error::invalid(
                    "cert",
                    e.rule(),
                    format!(
                        "Parameter 'cert' is not valid: {e}; paste the number's base64 certificate"
                    ),
                )
            })
        })
        .transpose()?;
    let pin = fields.opt_str("pin")?.map(|p| pin("pin", p)).transpose()?;
    Ok(ShardsRequest {
        number,
        shards,
        cert,
        pin,
    })
}

/// Checks a two-step pin: exactly 6 digits.
pub fn pin<'t>(field: &'static str, text: &'t str) -> Result<&'t str, Error> {
    if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text)
    } else {
        Err(Error::invalid(
            field,
            "not_six_digits",
            format!("Parameter '{field}' must be exactly 6 digits"),
        ))
    }
}

/// Validates `POST /v1/account/verify`, returning the 6-digit code with any hyphen removed.
pub fn verify_request(body: &Object<'_>) -> Result<String, Error> {
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
        Err(Error::invalid(
            "code",
            "not_six_digits",
            "Parameter 'code' must be 6 digits, as 123456 or 123-456",
        ))
    }
}

/// Validates a body made of one required pin (`POST /v1/settings/account/two-step`).
pub fn pin_request(body: &Object<'_>) -> Result<String, Error> {
    let fields = Fields::new(body, &["pin"])?;
    fields.require(&["pin"])?;
    pin("pin", fields.str("pin")?).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn body(value: &Value) -> Object<'_> {
        let text = Box::leak(value.to_string().into_boxed_str());
        Object::parse(text.as_bytes()).unwrap().unwrap()
    }

    fn code(e: &Error) -> u32 {
        match e {
            Error::Missing { .. } => 1008,
            Error::Invalid { .. } => 1009,
            Error::Unexpected { .. } => 1010,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn valid() -> Value {
        json!({"cc": "1", "phone_number": "6315550000", "method": "sms",
               "cert": cert::make("Acme", &[], 1)})
    }

    fn err(value: Value) -> Error {
        code_request(&body(&value)).unwrap_err()
    }

    #[test]
    fn a_valid_request_is_typed() {
        let valid = valid();
        let body = body(&valid);
        let req = code_request(&body).unwrap();
        assert_eq!(req.number.e164(), "16315550000");
        assert_eq!(req.method, Method::Sms);
        assert_eq!(&*req.cert.vname, "Acme");
        assert_eq!(req.pin, None);
    }

    #[test]
    fn each_field_failure_names_the_field() {
        let mut v = valid();
        v["extra"] = json!(1);
        assert_eq!(code(&err(v)), 1010);
        for field in ["cc", "phone_number", "method", "cert"] {
            let mut v = valid();
            v.as_object_mut().unwrap().remove(field);
            let e = err(v);
            assert_eq!(code(&e), 1008, "{field}");
            assert!(e.details().contains(field));
            let mut v = valid();
            v[field] = json!(12);
            let e = err(v);
            assert_eq!(code(&e), 1009, "{field}");
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
            assert_eq!(code(&e), 1009, "{field}={value}");
            assert_eq!(e.reason(), format!("validation.{field}.{rule}"));
            assert!(e.details().contains(field), "{}", e.details());
        }
    }

    #[test]
    fn the_shards_certificate_is_required_from_v2_45() {
        for (version, needed) in [
            ("v2.45.1", true),
            ("v2.45", true),
            ("v2.46.0", true),
            ("v3.0.0", true),
            ("2.45.1", true),
            ("v2.44.9", false),
            ("v1.99.0", false),
            ("latest", false),
        ] {
            assert_eq!(shards_need_cert(version), needed, "{version}");
        }
    }

    #[test]
    fn verify_accepts_the_hyphen_as_the_sms_shows_it() {
        assert_eq!(
            verify_request(&body(&json!({"code": "123-456"}))).unwrap(),
            "123456"
        );
        assert_eq!(
            verify_request(&body(&json!({"code": "123456"}))).unwrap(),
            "123456"
        );
        for bad in ["12345", "1234567", "12-3456", "abcdef", "123 456"] {
            assert_eq!(
                code(&verify_request(&body(&json!({"code": bad}))).unwrap_err()),
                1009
            );
        }
        assert_eq!(code(&verify_request(&body(&json!({}))).unwrap_err()), 1008);
    }
}
