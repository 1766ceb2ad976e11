//! Backup and restore (`POST /v1/settings/backup`, `/restore`): the registration of a deployment,
//! encrypted with a key derived from the caller's password.
//!
//! Format (then standard base64): `WAEB` magic, a version byte, a 16-byte salt, a 12-byte nonce,
//! then the ChaCha20-Poly1305 ciphertext of the JSON payload, with the header as associated data.
//! The key is Argon2id(password, salt). Wrong password, truncation and tampering all fail the
//! authentication tag: nothing is restored from data that does not open whole.

use std::collections::HashMap;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{self, Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::model::Account;

const MAGIC: &[u8; 4] = b"WAEB";
const VERSION: u8 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = MAGIC.len() + 1 + SALT_LEN + NONCE_LEN;

/// What a backup carries: "the registration information should be transferred with the rest of
/// the deployment".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The registered number and its verified name.
    pub registered: Account,
    /// Two-step pins by E.164 number.
    pub pins: HashMap<String, String>,
    /// The shards the deployment ran when the backup was made (none in backups made before
    /// the emulator recorded them): it restores only onto a deployment running as many.
    #[serde(default)]
    pub shards: Option<u8>,
}

/// Why data could not be restored. Deliberately vague to the caller: which part failed is no
/// business of someone guessing passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not base64, too short, or not a backup of this emulator.
    #[error("not a backup made by this emulator (not base64, truncated or of another format)")]
    Format,
    /// The password is wrong, or the data was changed.
    #[error("wrong password, or the data was changed")]
    Authentication,
}

fn key(password: &str, salt: &[u8]) -> Key {
    // 8 MiB, 2 passes: backups are rare, so the key is costlier to guess than a login.
    let params = Params::new(8 * 1024, 2, 1, Some(32)).expect("static Argon2 parameters are valid");
    let mut key = Key::default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, &mut key)
        .expect("the salt and key lengths are valid");
    key
}

/// Encrypts `payload` under `password`.
pub fn seal(payload: &Payload, password: &str) -> String {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.push(VERSION);
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut nonce);
    header.extend_from_slice(&salt);
    header.extend_from_slice(&nonce);
    let plaintext = serde_json::to_vec(payload).expect("the payload serializes");
    let cipher = ChaCha20Poly1305::new(&key(password, &salt));
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            aead::Payload {
                msg: &plaintext,
                aad: &header,
            },
        )
        .expect("encryption of a bounded payload cannot fail");
    header.extend_from_slice(&sealed);
    STANDARD.encode(header)
}

/// Decrypts data made by [`seal`].
pub fn open(data: &str, password: &str) -> Result<Payload, OpenError> {
    let compact: String = data.split_ascii_whitespace().collect();
    let bytes = STANDARD.decode(compact).map_err(|_| OpenError::Format)?;
    if bytes.len() <= HEADER_LEN || &bytes[..4] != MAGIC || bytes[4] != VERSION {
        return Err(OpenError::Format);
    }
    let (header, sealed) = bytes.split_at(HEADER_LEN);
    let salt = &header[5..5 + SALT_LEN];
    let nonce: [u8; NONCE_LEN] = header[5 + SALT_LEN..]
        .try_into()
        .map_err(|_| OpenError::Format)?;
    let cipher = ChaCha20Poly1305::new(&key(password, salt));
    let plaintext = cipher
        .decrypt(
            &Nonce::from(nonce),
            aead::Payload {
                msg: sealed,
                aad: header,
            },
        )
        .map_err(|_| OpenError::Authentication)?;
    serde_json::from_slice(&plaintext).map_err(|_| OpenError::Format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::Number;

    fn payload() -> Payload {
        Payload {
            shards: Some(1),
            registered: Account {
                number: Number::new("1", "6315550000"),
                vname: "Acme".into(),
            },
            pins: HashMap::from([("16315550000".into(), "123456".into())]),
        }
    }

    #[test]
    fn round_trip_and_every_kind_of_damage() {
        let data = seal(&payload(), "B4ckup!pass");
        assert_eq!(open(&data, "B4ckup!pass").unwrap(), payload());
        assert!(!data.contains("6315550000"));
        assert_eq!(open(&data, "wrong"), Err(OpenError::Authentication));
        assert_eq!(
            open(&data[..data.len() - 8], "B4ckup!pass").unwrap_err(),
            OpenError::Authentication
        );
        let mut bytes = STANDARD.decode(&data).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            open(&STANDARD.encode(&bytes), "B4ckup!pass"),
            Err(OpenError::Authentication)
        );
        bytes[last] ^= 1;
        bytes[10] ^= 1; // the salt, bound as associated data
        assert_eq!(
            open(&STANDARD.encode(&bytes), "B4ckup!pass"),
            Err(OpenError::Authentication)
        );
        assert_eq!(open("not base64!", "x"), Err(OpenError::Format));
        assert_eq!(open(&STANDARD.encode(b"WAEB"), "x"), Err(OpenError::Format));
        assert_eq!(open("", "x"), Err(OpenError::Format));
    }
}
