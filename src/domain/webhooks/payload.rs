//! The bytes Meta sends: the `whatsapp_business_account` envelope, written compact with Meta's
//! escaping (every character past ASCII as `\uXXXX`, `/` as `\/`: what breaks a verifier that
//! signs its own re-serialization instead of the bytes received), and its signatures
//! (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`, `X-Hub-Signature: sha1=<hex HMAC-SHA1>`,
//! keyed with the app secret, over exactly those bytes).

use std::io;

use ring::hmac;
use serde::Serialize;
use serde_json::Value;
use serde_json::ser::Formatter;

use super::Field;
use super::config::SignatureMode;

/// The envelope of one change, in the order Meta writes its keys.
#[derive(Serialize)]
struct Envelope<'a> {
    object: &'static str,
    entry: [Entry<'a>; 1],
}

#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    time: u64,
    changes: [Change<'a>; 1],
}

#[derive(Serialize)]
struct Change<'a> {
    value: &'a Value,
    field: Field,
}

/// serde_json's compact writer with Meta's escapes.
struct MetaEscapes;

impl Formatter for MetaEscapes {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain = 0;
        for (i, ch) in fragment.char_indices() {
            if ch.is_ascii() && ch != '/' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain..i])?;
            if ch == '/' {
                writer.write_all(b"\\/")?;
            } else {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
            plain = i + ch.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }
}

/// The body of one change of account `waba_id` at `time` (Unix seconds), as Meta writes it.
pub fn body(waba_id: &str, time: u64, field: Field, value: &Value) -> String {
    let envelope = Envelope {
        object: "whatsapp_business_account",
        entry: [Entry {
            id: waba_id,
            time,
            changes: [Change { value, field }],
        }],
    };
    let mut out = Vec::with_capacity(256);
    let mut writer = serde_json::Serializer::with_formatter(&mut out, MetaEscapes);
    envelope
        .serialize(&mut writer)
        .expect("a JSON value always serializes");
    String::from_utf8(out).expect("escaped JSON is ASCII")
}

/// `sha256=<hex>` of `body` keyed with `secret`.
pub fn sha256(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    format!("sha256={}", hex(hmac::sign(&key, body).as_ref()))
}

/// `sha1=<hex>` of `body` keyed with `secret` (Meta still sends it beside the SHA-256 one).
pub fn sha1(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    format!("sha1={}", hex(hmac::sign(&key, body).as_ref()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What is sent for a body made as `body`: the bytes and the two signature headers, as the
/// app's `signature` mode has them (`None`: not sent).
pub struct Signed {
    /// The exact text sent.
    pub body: String,
    /// `X-Hub-Signature-256`.
    pub sha256: Option<String>,
    /// `X-Hub-Signature`.
    pub sha1: Option<String>,
}

/// Signs `body` with `secret` as `mode` says: `Valid` signs it; `Missing` sends no signature;
/// `WrongSecret` signs it with a key that is not the app's; `Tampered` signs it, then sends it
/// with its `time` changed (what an attacker replaying a modified body sends).
pub fn sign(body: String, secret: &str, mode: SignatureMode) -> Signed {
    let with = |key: &str, bytes: &[u8]| (Some(sha256(key, bytes)), Some(sha1(key, bytes)));
    let (sha256, sha1, body) = match mode {
        SignatureMode::Valid => {
            let (a, b) = with(secret, body.as_bytes());
            (a, b, body)
        }
        SignatureMode::Missing => (None, None, body),
        SignatureMode::WrongSecret => {
            let (a, b) = with(&format!("not-{secret}"), body.as_bytes());
            (a, b, body)
        }
        SignatureMode::Tampered => {
            let (a, b) = with(secret, body.as_bytes());
            (a, b, tamper(&body))
        }
    };
    Signed { body, sha256, sha1 }
}

/// `body` with the first digit of its `time` changed.
fn tamper(body: &str) -> String {
    let Some(at) = body.find("\"time\":").map(|i| i + "\"time\":".len()) else {
        return format!("{body} ");
    };
    let mut bytes = body.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'9' {
        b'1'
    } else {
        bytes[at] + 1
    };
    String::from_utf8(bytes).expect("a digit replaced by a digit")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_body_is_compact_with_metas_escapes() {
        let value = json!({"requested_verified_name": "Caffè Sport 😀", "url": "https://x/y"});
        let body = body(
            "102290129340398",
            1739321024,
            Field::PhoneNumberNameUpdate,
            &value,
        );
        assert_eq!(
            body,
            r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1739321024,"changes":[{"value":{"requested_verified_name":"Caff\u00e8 Sport \ud83d\ude00","url":"https:\/\/x\/y"},"field":"phone_number_name_update"}]}]}"#
        );
        // The escapes read back to the same value.
        let back: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(back["entry"][0]["changes"][0]["value"], value);
    }

    #[test]
    fn signatures_are_hex_hmacs_of_the_bytes_sent() {
        // RFC 4231's test case 2 for HMAC-SHA256, and RFC 2202's for HMAC-SHA1.
        assert_eq!(
            sha256("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            sha1("Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        let body = || {
            r#"{"object":"whatsapp_business_account","entry":[{"id":"1","time":1700000000,"changes":[]}]}"#.to_owned()
        };
        let valid = sign(body(), "s3cret", SignatureMode::Valid);
        assert_eq!(valid.sha256, Some(sha256("s3cret", valid.body.as_bytes())));
        let missing = sign(body(), "s3cret", SignatureMode::Missing);
        assert_eq!((missing.sha256, missing.sha1), (None, None));
        let wrong = sign(body(), "s3cret", SignatureMode::WrongSecret);
        assert_ne!(wrong.sha256, Some(sha256("s3cret", wrong.body.as_bytes())));
        let tampered = sign(body(), "s3cret", SignatureMode::Tampered);
        assert_ne!(tampered.body, body());
        assert_eq!(tampered.sha256, Some(sha256("s3cret", body().as_bytes())));
        assert!(tampered.body.contains("\"time\":2700000000"));
    }
}
