//! A cluster's WhatsApp Business Account: its phone numbers, and the ids and display forms the
//! Graph API gives them.

use serde::{Deserialize, Serialize};

use super::number::CloudNumber;
use crate::domain::phone::Number;

/// The phone numbers of a cluster's WhatsApp Business Account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waba {
    /// In the order they were added.
    pub numbers: Vec<CloudNumber>,
}

impl Waba {
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

/// `display_phone_number`: `+1 631-555-0000` for North American numbers, else `+cc national`.
pub fn display(number: &Number) -> String {
    let national = number.phone_number();
    if number.cc() == "1" && national.len() == 10 {
        format!(
            "+1 {}-{}-{}",
            &national[..3],
            &national[3..6],
            &national[6..]
        )
    } else {
        format!("+{} {national}", number.cc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            display(&Number::from_e164("447911123456").unwrap()),
            "+44 7911123456"
        );
    }
}
