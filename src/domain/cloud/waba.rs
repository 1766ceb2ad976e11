//! A cluster's WhatsApp Business Account: its phone numbers, and the ids and display forms the
//! Graph API gives them.

use serde::{Deserialize, Serialize};

use phonenumber::metadata::Database;

use super::number::CloudNumber;
use super::territories;
use crate::domain::phone::Number;

/// The phone numbers of a cluster's WhatsApp Business Account, and the access tokens made to
/// expire for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waba {
    /// In the order they were added.
    pub numbers: Vec<CloudNumber>,
    /// Access tokens made with an end (`POST /_emulator/clusters/{c}/graph/tokens`).
    #[serde(default)]
    pub tokens: Vec<GraphToken>,
    /// The app's webhook, the account's subscription of it and the deliveries made; boxed, and
    /// none at all in a cluster that never had webhooks (which so pays 8 bytes for them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Box<crate::domain::webhooks::Webhooks>>,
}

/// An access token that expires on the cluster's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphToken {
    /// The token.
    pub token: String,
    /// When it expires.
    pub expires_at: std::time::SystemTime,
}

impl Waba {
    /// The webhooks, made empty when there are none yet.
    pub fn hooks_mut(&mut self) -> &mut crate::domain::webhooks::Webhooks {
        self.webhooks.get_or_insert_default()
    }

    /// Whether nothing decides where a change goes: such a cluster builds no change.
    pub fn hooks_off(&self) -> bool {
        self.webhooks.as_deref().is_none_or(|h| h.is_off())
    }

    /// The number with `id`.
    pub fn by_id(&mut self, id: &str) -> Option<&mut CloudNumber> {
        self.numbers.iter_mut().find(|n| n.id == id)
    }

    /// The entry of `number`.
    pub fn by_number(&self, number: &Number) -> Option<&CloudNumber> {
        self.numbers.iter().find(|n| n.number == *number)
    }
}

/// An id of 15 digits made from `parts`: the same cluster and number always get the same id,
/// so tests can write ids down. Fits a JavaScript number (the Node SDK parses it as one).
fn digits_id(parts: &[&str]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(part.as_bytes());
        context.update(&[0]);
    }
    let digest = context.finish();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest.as_ref()[..8]);
    let n = u64::from_be_bytes(head) % 900_000_000_000_000 + 100_000_000_000_000;
    n.to_string()
}

/// The id of `number`'s phone number in `cluster`.
pub fn phone_id(cluster: &str, number: &Number) -> String {
    digits_id(&["phone", cluster, number.e164()])
}

/// The id of `cluster`'s WhatsApp Business Account.
pub fn waba_id(cluster: &str) -> String {
    digits_id(&["waba", cluster])
}

/// `display_phone_number`, as Meta shows it: libphonenumber's international format
/// (`+1 631-555-0000`, `+44 7700 900123`, `+55 11 91234-5678`), `+cc national` for a number
/// its metadata cannot format. The format is chosen as the `phonenumber` crate's formatter
/// chooses it, from the main territory of the number's calling code, whose rules libphonenumber
/// formats with; not through that formatter, which loads the crate's whole database even when
/// given another (`unwrap_or(&DATABASE)` in `Formatter::fmt`), and locks its regex cache on each
/// use.
pub fn display(number: &Number) -> String {
    let (code, national) = (number.cc(), number.phone_number());
    code.parse()
        .ok()
        .and_then(territories::formats)
        .and_then(|formats| formats.show(national))
        .map_or_else(
            || format!("+{code} {national}"),
            |shown| format!("+{code} {shown}"),
        )
}

/// The country of `number` (ISO 3166-1 alpha-2, `US`, `CA` for +1 416…), read with every
/// territory of its calling code; none for a number the metadata cannot place.
pub fn country_code(number: &Number) -> Option<String> {
    let database = territories::every_territory(number.cc().parse().ok()?)?;
    let parsed = phonenumber::parse_with(&database, None, format!("+{}", number.e164())).ok()?;
    let id = parsed.metadata(&database)?.id();
    (id != "001").then(|| id.to_owned())
}

/// The country calling code an international number begins with (`16315551000`,
/// `+44 7700 900123`), when libphonenumber's metadata has it.
pub fn calling_code(phone_number: &str) -> Option<String> {
    let digits: String = phone_number.chars().filter(char::is_ascii_digit).collect();
    territories::code_of(&digits).map(|code| code.to_string())
}

/// Why a phone number of the Cloud API cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// `cc` is not a country calling code.
    #[error("Param cc must be a country calling code, such as 1 or 44 (got {0:?})")]
    CallingCode(String),
    /// `phone_number` is not a phone number at all.
    #[error("Param phone_number must be a phone number, such as 6315550000 (got {0:?})")]
    NotANumber(String),
    /// `phone_number` has its own country code, not `cc`.
    #[error(
        "Param phone_number is a number of country code {given} ({number}), but cc is {cc}: send the national number, or the cc it belongs to"
    )]
    OtherCountry {
        /// The number read.
        number: String,
        /// Its country code.
        given: u16,
        /// The `cc` sent.
        cc: String,
    },
    /// No number of the country has this many digits.
    #[error(
        "{number} is not a valid phone number of country code {cc}: no number there has {digits} digits after the country code"
    )]
    Length {
        /// The number read.
        number: String,
        /// Its country code.
        cc: u16,
        /// Its national digits.
        digits: usize,
    },
}

/// The number that `cc` and `phone_number` name, read as Meta reads them with libphonenumber's
/// metadata: `phone_number` national (`6315550000`, `07700 900123`), or with its country code
/// (`16315550000`, `+1 631 555 0000`), formatting characters allowed; its length must be one
/// that numbers of its country have (the metadata's possible lengths: drama numbers such as
/// `+44 7700 900123` are taken, as a real number of their length would be).
pub fn read_number(cc: &str, phone_number: &str) -> Result<Number, NumberError> {
    let digits = cc.trim().trim_start_matches('+');
    let code: u16 = digits
        .parse()
        .ok()
        .filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| NumberError::CallingCode(cc.to_owned()))?;
    let main =
        territories::main_territory(code).ok_or_else(|| NumberError::CallingCode(cc.to_owned()))?;
    let region = main
        .region(&code)
        .and_then(|regions| regions.first().and_then(|r| r.parse().ok()))
        .ok_or_else(|| NumberError::CallingCode(cc.to_owned()))?;
    let parsed = match phonenumber::parse_with(&main, Some(region), phone_number) {
        Ok(parsed) => Some(parsed),
        // A number with a calling code the main territory's metadata does not have (`+33 …`
        // for cc 44): read with the whole metadata, to say which.
        Err(phonenumber::ParseError::InvalidCountryCode) => {
            phonenumber::parse(Some(region), phone_number).ok()
        }
        Err(_) => None,
    }
    .filter(|p| p.extension().is_none())
    .ok_or_else(|| NumberError::NotANumber(phone_number.to_owned()))?;
    let national = parsed.national().to_string();
    let e164 = format!("+{}{national}", parsed.code().value());
    if parsed.code().value() != code {
        return Err(NumberError::OtherCountry {
            number: e164,
            given: parsed.code().value(),
            cc: digits.to_owned(),
        });
    }
    let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
    let possible_in = |database: &Database| {
        database.by_code(&code).is_some_and(|regions| {
            regions.iter().any(|meta| {
                let kinds = meta.descriptors();
                [
                    Some(kinds.general()),
                    kinds.fixed_line(),
                    kinds.mobile(),
                    kinds.toll_free(),
                    kinds.premium_rate(),
                    kinds.shared_cost(),
                    kinds.personal_number(),
                    kinds.voip(),
                    kinds.pager(),
                    kinds.uan(),
                ]
                .into_iter()
                .flatten()
                .any(|kind| kind.possible_length().contains(&length))
            })
        })
    };
    // The main territory's lengths first; the code's other territories only when it has not
    // this one.
    if !possible_in(&main) {
        let every = territories::every_territory(code).unwrap_or(main);
        if !possible_in(&every) && !parsed.is_valid_with(&every) {
            return Err(NumberError::Length {
                number: e164,
                cc: code,
                digits: national.len(),
            });
        }
    }
    Ok(Number::new(&code.to_string(), &national))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example number of every territory of the metadata (libphonenumber's own) reads,
    /// shows and places the same, territory by territory, as with the crate's whole database.
    #[test]
    fn a_territory_at_a_time_answers_as_the_whole_database() {
        let xml = include_str!("../../../assets/libphonenumber/PhoneNumberMetadata.xml");
        let mut checked = 0;
        for territory in xml.split("<territory ").skip(1) {
            let head = &territory[..territory.find('>').unwrap()];
            let value = |name: &str| {
                let key = format!("{name}=\"");
                head.find(&key).map(|i| {
                    let rest = &head[i + key.len()..];
                    &rest[..rest.find('"').unwrap()]
                })
            };
            let (Some(id), Some(cc)) = (value("id"), value("countryCode")) else {
                continue;
            };
            if id == "001" {
                continue; // no territory, no WhatsApp Business number
            }
            // Read as the emulator reads: with the main territory of the calling code.
            let code: u16 = cc.parse().unwrap();
            let regions = phonenumber::metadata::DATABASE.region(&code).unwrap();
            let region: phonenumber::country::Id = regions[0].parse().unwrap();
            let body = &territory[..territory.find("</territory>").unwrap()];
            for example in body.split("<exampleNumber>").skip(1) {
                let national = &example[..example.find('<').unwrap()];
                let reference = phonenumber::parse(Some(region), national).unwrap();
                if reference.code().value() != code || !reference.is_valid() {
                    continue; // (an example of another territory of the code, read otherwise)
                }
                let read =
                    read_number(cc, national).unwrap_or_else(|e| panic!("{id} {national}: {e}"));
                assert_eq!(
                    format!("+{}", read.e164()),
                    reference.format().mode(phonenumber::Mode::E164).to_string(),
                    "{id} {national}"
                );
                assert_eq!(
                    display(&read),
                    reference
                        .format()
                        .mode(phonenumber::Mode::International)
                        .to_string(),
                    "{id} {national}"
                );
                assert_eq!(
                    country_code(&read),
                    reference.country().id().map(|c| c.as_ref().to_owned()),
                    "{id} {national}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked} example numbers");
    }

    #[test]
    fn ids_are_stable_fifteen_digits_and_differ() {
        let a = Number::from_e164("16315550000").unwrap();
        let b = Number::from_e164("16315550001").unwrap();
        let id = phone_id("default", &a);
        assert_eq!(id.len(), 15);
        assert_eq!(id, phone_id("default", &a));
        assert_ne!(id, phone_id("default", &b));
        assert_ne!(id, phone_id("other", &a));
        assert_ne!(waba_id("default"), waba_id("other"));
        assert_eq!(display(&a), "+1 631-555-0000");
    }

    #[test]
    fn numbers_are_read_and_shown_as_meta_does() {
        let shown = |cc: &str, phone: &str| display(&read_number(cc, phone).unwrap());
        assert_eq!(shown("1", "6315550000"), "+1 631-555-0000");
        assert_eq!(shown("44", "7700900123"), "+44 7700 900123");
        assert_eq!(shown("55", "11912345678"), "+55 11 91234-5678");
        assert_eq!(shown("91", "98765 43210"), "+91 98765 43210");
        // The country code inside phone_number, a national prefix, formatting: the same number.
        for (cc, phone) in [
            ("1", "16315550000"),
            ("+1", "+1 (631) 555-0000"),
            ("1", "631.555.0000"),
        ] {
            assert_eq!(read_number(cc, phone).unwrap().e164(), "16315550000");
        }
        assert_eq!(
            read_number("44", "07700 900123").unwrap().e164(),
            "447700900123"
        );
        assert!(matches!(
            read_number("44", "+16315550000"),
            Err(NumberError::OtherCountry { given: 1, .. })
        ));
        assert!(matches!(
            read_number("1", "555"),
            Err(NumberError::Length { .. })
        ));
        assert!(matches!(
            read_number("1", "not a number"),
            Err(NumberError::NotANumber(_))
        ));
        assert!(matches!(
            read_number("999", "6315550000"),
            Err(NumberError::CallingCode(_))
        ));
    }
}
