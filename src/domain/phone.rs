//! Phone numbers: ITU country calling codes, E.164 lengths, and the delivery method.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Country calling codes assigned to geographic areas by the ITU (E.164 Annex), so 0 and 999 are
/// not. NANP areas (US, Canada, Antigua, …) all share `1`. Non-geographic codes (800, 870, 881, …)
/// are left out: no WhatsApp Business number lives there.
const CALLING_CODES: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211,
    212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
    299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
    378, 379, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505,
    506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675,
    676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 850, 852, 853,
    855, 856, 880, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975,
    976, 977, 992, 993, 994, 995, 996, 998,
];

/// Every assigned geographic country calling code, as text.
pub fn calling_codes() -> impl Iterator<Item = String> {
    CALLING_CODES.iter().map(u16::to_string)
}

/// Whether `cc` (digits only) is an assigned geographic country calling code.
pub fn is_calling_code(cc: &str) -> bool {
    cc.bytes().all(|b| b.is_ascii_digit())
        && !cc.starts_with('0')
        && cc
            .parse::<u16>()
            .is_ok_and(|n| CALLING_CODES.binary_search(&n).is_ok())
}

/// E.164 allows at most 15 digits, country code included.
pub const MAX_E164_DIGITS: usize = 15;

/// How the registration code is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A text message.
    Sms,
    /// A phone call reading the code out.
    Voice,
}

impl Method {
    /// Parses `sms` or `voice`, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("sms") {
            Some(Self::Sms)
        } else if text.eq_ignore_ascii_case("voice") {
            Some(Self::Voice)
        } else {
            None
        }
    }

    /// `sms` or `voice`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phone number, already validated: country calling code and national number, digits only.
/// Stored as its E.164 digits in one shared string (a number is kept in the pending code, the
/// outbox and the registration at once, and made once per request); it reads and writes as
/// `{"cc", "phone_number"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    digits: Arc<str>,
    /// How many of `digits` are the calling code.
    cc_len: usize,
}

impl Number {
    /// The number of calling code `cc` and national number `phone_number`.
    pub fn new(cc: &str, phone_number: &str) -> Self {
        let len = cc.len() + phone_number.len();
        // E.164 numbers fit on the stack: one allocation, the shared string.
        let mut on_stack = [0u8; 32];
        let digits: Arc<str> = match on_stack.get_mut(..len) {
            Some(buffer) => {
                buffer[..cc.len()].copy_from_slice(cc.as_bytes());
                buffer[cc.len()..].copy_from_slice(phone_number.as_bytes());
                // Two strings end to end are a string.
                std::str::from_utf8(buffer).unwrap_or_default().into()
            }
            None => format!("{cc}{phone_number}").into(),
        };
        Self {
            digits,
            cc_len: cc.len(),
        }
    }

    /// Country calling code, such as `1`.
    pub fn cc(&self) -> &str {
        &self.digits[..self.cc_len]
    }

    /// National number, such as `6315550000`.
    pub fn phone_number(&self) -> &str {
        &self.digits[self.cc_len..]
    }

    /// The number in E.164 digits (`16315550000`); unambiguous since calling codes are prefix-free.
    pub fn e164(&self) -> &str {
        &self.digits
    }

    /// The E.164 digits as one integer: unique per number (a calling code never starts with 0,
    /// and E.164 has at most 15 digits), and a key that needs no allocation.
    pub fn key(&self) -> u64 {
        self.digits.bytes().fold(0u64, |n, b| {
            n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
        })
    }

    /// The number of E.164 `digits`, split at its calling code; `None` when no assigned calling
    /// code starts it.
    pub fn from_e164(digits: &str) -> Option<Self> {
        (1..=3.min(digits.len())).find_map(|n| {
            let (cc, rest) = digits.split_at(n);
            (is_calling_code(cc) && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
                .then(|| Self::new(cc, rest))
        })
    }

    /// Whether the E.164 digits of this number start with `prefix` (or are `prefix`, when
    /// `whole`), without building them.
    pub fn starts_with(&self, prefix: &str, whole: bool) -> bool {
        let (cc, national) = (self.cc().as_bytes(), self.phone_number().as_bytes());
        let prefix = prefix.as_bytes();
        if whole && prefix.len() != cc.len() + national.len() {
            return false;
        }
        if prefix.len() <= cc.len() {
            cc.starts_with(prefix)
        } else {
            prefix.starts_with(cc) && national.starts_with(&prefix[cc.len()..])
        }
    }

    /// Whether this number is `cc` + `phone_number` (either may be absent in a filter).
    pub fn matches(&self, cc: Option<&str>, phone_number: Option<&str>) -> bool {
        cc.is_none_or(|cc| cc == self.cc()) && phone_number.is_none_or(|p| p == self.phone_number())
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{} {}", self.cc(), self.phone_number())
    }
}

impl Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Fields<'a> {
            cc: &'a str,
            phone_number: &'a str,
        }
        Fields {
            cc: self.cc(),
            phone_number: self.phone_number(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            cc: String,
            phone_number: String,
        }
        let fields = Fields::deserialize(deserializer)?;
        Ok(Self::new(&fields.cc, &fields.phone_number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_codes_are_sorted_for_binary_search() {
        assert!(CALLING_CODES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn real_codes_pass_and_unassigned_fail() {
        for cc in ["1", "39", "44", "81", "7", "852", "998"] {
            assert!(is_calling_code(cc), "{cc}");
        }
        for cc in ["0", "999", "01", "001", "28", "800", "", "1a", "+1"] {
            assert!(!is_calling_code(cc), "{cc}");
        }
    }

    #[test]
    fn e164_digits_split_back_and_match_prefixes() {
        let number = Number::from_e164("16315550000").unwrap();
        assert_eq!((number.cc(), number.phone_number()), ("1", "6315550000"));
        assert_eq!(
            serde_json::to_value(&number).unwrap(),
            serde_json::json!({"cc": "1", "phone_number": "6315550000"})
        );
        let back: Number =
            serde_json::from_str(r#"{"cc": "1", "phone_number": "6315550000"}"#).unwrap();
        assert_eq!(back, number);
        let italy = Number::from_e164("390612345678").unwrap();
        assert_eq!(italy.cc(), "39");
        assert_eq!(italy.e164(), "390612345678");
        assert!(Number::from_e164("999").is_none());
        assert_eq!(italy.key(), 390_612_345_678);
        assert_ne!(
            italy.key(),
            Number::from_e164("3906123456789").unwrap().key()
        );
        for (prefix, whole, expected) in [
            ("1", false, true),
            ("163", false, true),
            ("16315550000", true, true),
            ("16315550000", false, true),
            ("1631555000", true, false),
            ("2", false, false),
            ("163155500001", false, false),
            ("", false, true),
        ] {
            assert_eq!(
                number.starts_with(prefix, whole),
                expected,
                "{prefix} {whole}"
            );
        }
    }

    #[test]
    fn method_accepts_upper_case() {
        assert_eq!(Method::parse("SMS"), Some(Method::Sms));
        assert_eq!(Method::parse("Voice"), Some(Method::Voice));
        assert_eq!(Method::parse("fax"), None);
    }
}
