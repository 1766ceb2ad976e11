//! Passwords: the vendor's strength rules, and hashing so that none is stored in clear.
//!
//! Argon2id with deliberately small parameters: this is a test tool, logins happen in every test,
//! and the hashes never leave the emulator. The parameters live here, in one place, and a hash
//! that arrives from outside (a state document, a seed) must have exactly them ([`check_hash`]):
//! Argon2's cost is in its parameters, and one hash with `t=4294967295` would hold a thread for
//! hours. Hashing and checking run on tokio's blocking threads, a few at a time ([`off_workers`]),
//! so that logins never hold the runtime's workers: health and every other cluster keep answering.

use std::cell::RefCell;
use std::sync::{LazyLock, OnceLock};

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::Error;

/// The built-in administrator's name.
pub const ADMIN: &str = "admin";
/// The built-in administrator's factory password, which must be changed at first login.
pub const DEFAULT_ADMIN_PASSWORD: &str = "secret";

/// Argon2's memory in KiB, passes and lanes: 1 MiB, one pass, cheap enough for thousands of
/// logins in a test suite.
const M_COST: u32 = 1024;
const T_COST: u32 = 1;
const P_COST: u32 = 1;
/// What [`check_hash`] says a hash must look like.
pub const HASH_FORM: &str = "$argon2id$v=19$m=1024,t=1,p=1$SALT$HASH";

fn hasher() -> Argon2<'static> {
    let params =
        Params::new(M_COST, T_COST, P_COST, None).expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Whether `hash` is one this emulator could have made: a PHC string of Argon2id, version 19,
/// with the emulator's own parameters, a salt and an output of 16 to 64 bytes. Anything else is
/// refused, saying what it must be: a hash with other parameters could cost a login minutes of
/// a thread or gigabytes of memory.
pub fn check_hash(hash: &str) -> Result<(), String> {
    let refused = |why: &str| {
        Err(format!(
            "{why}: a password hash must be one this emulator made, {HASH_FORM} (GET …/state gives one; or write the short form's admin_password)"
        ))
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return refused("not a PHC string");
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return refused(&format!("algorithm {} is not argon2id", parsed.algorithm));
    }
    if parsed.version != Some(0x13) {
        return refused("the version is not v=19");
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return refused("its parameters are not Argon2's");
    };
    if (params.m_cost(), params.t_cost(), params.p_cost()) != (M_COST, T_COST, P_COST) {
        return refused(&format!(
            "parameters m={},t={},p={} are not the emulator's m={M_COST},t={T_COST},p={P_COST}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        ));
    }
    match (&parsed.salt, &parsed.hash) {
        (Some(_), Some(output)) if (16..=64).contains(&output.len()) => Ok(()),
        _ => refused("it has no salt, or no output of 16 to 64 bytes"),
    }
}

/// Runs `work` (a hash or a check) on tokio's blocking threads, at most as many at once as the
/// machine has cores (at least two): logins beyond that wait their turn, and the runtime's
/// workers stay free for every other request. `None` only when the runtime is shutting down.
pub async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    static SLOTS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new(cores.max(2))
    });
    let _slot = SLOTS.acquire().await.ok()?;
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => Some(done),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash(password: &str) -> String {
    hasher()
        .hash_password(password.as_bytes())
        .expect("hashing with valid parameters and a fresh salt cannot fail")
        .to_string()
}

thread_local! {
    /// Argon2's working memory (1 MiB), kept per thread and reused by every login on it.
    /// Allocating it per login cost page faults on each, and once glibc stopped mapping it
    /// separately, left 1 MiB holes between long-lived cluster state.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// A keyed digest of a password that has already passed [`verify`] against `hash`, so that the
/// next login with the same password can be checked in microseconds instead of a full Argon2 run.
///
/// The key is random per process and never leaves it; the digest covers the hash too, so a
/// changed password (a new hash) never matches an old digest. Nothing here is stored on disk, and
/// no password is kept in clear.
pub fn remembered(password: &str, hash: &str) -> [u8; 32] {
    static KEY: OnceLock<ring::hmac::Key> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes)
    });
    let mut context = ring::hmac::Context::with_key(key);
    context.update(hash.as_bytes());
    context.update(&[0]);
    context.update(password.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(context.sign().as_ref());
    out
}

/// [`hash`], on the blocking threads ([`off_workers`]); `None` when the runtime is stopping.
pub async fn hashed(password: &str) -> Option<std::sync::Arc<str>> {
    let password = password.to_owned();
    off_workers(move || hash(&password).into()).await
}

/// [`verify`], on the blocking threads ([`off_workers`]).
pub async fn verified(password: &str, hash: &std::sync::Arc<str>) -> bool {
    let (password, hash) = (password.to_owned(), hash.clone());
    off_workers(move || verify(&password, &hash))
        .await
        .unwrap_or(false)
}

/// Whether `password` matches the PHC string `hash`; the outputs are compared in constant time.
/// A hash with other parameters than the emulator's ([`check_hash`]) matches nothing, unrun.
pub fn verify(password: &str, hash: &str) -> bool {
    if check_hash(hash).is_err() {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut buffer = [0u8; 64];
    let Some(out) = buffer.get_mut(..expected.as_bytes().len()) else {
        return false;
    };
    let blocks = params.block_count();
    let computed = MEMORY.with_borrow_mut(|memory| {
        memory.resize(blocks, Block::default());
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..])
            .is_ok()
    });
    computed && bool::from(out.ct_eq(expected.as_bytes()))
}

/// Checks the vendor's rules: 8–64 characters with a digit, an upper-case letter, a lower-case
/// letter and a special character. `field` names the body field in the error.
pub fn check_strength(field: &'static str, password: &str) -> Result<(), Error> {
    match weakness(password) {
        None => Ok(()),
        Some((rule, problem)) => Err(Error::invalid(
            field,
            rule,
            format!("Parameter '{field}' {problem}"),
        )),
    }
}

/// What keeps `password` from meeting the vendor's rules, as the rule's name and a phrase
/// ("must contain a digit"); `None` when it meets them.
pub fn weakness(password: &str) -> Option<(&'static str, String)> {
    let len = password.chars().count();
    if !(8..=64).contains(&len) {
        return Some((
            "length",
            format!("must be 8 to 64 characters long (got {len})"),
        ));
    }
    let mut missing = Vec::new();
    if !password.chars().any(|c| c.is_ascii_digit()) {
        missing.push("a digit");
    }
    if !password.chars().any(char::is_uppercase) {
        missing.push("an upper-case letter");
    }
    if !password.chars().any(char::is_lowercase) {
        missing.push("a lower-case letter");
    }
    if !password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
    {
        missing.push("a special character");
    }
    (!missing.is_empty()).then(|| ("weak", format!("must contain {}", missing.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_password() {
        let h = hash("S3cret!pass");
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("S3cret!pass"));
        assert!(verify("S3cret!pass", &h));
        assert!(!verify("S3cret!pasS", &h));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn only_the_emulators_own_hashes_pass() {
        assert_eq!(check_hash(&hash("S3cret!pass")), Ok(()));
        let made = hash("S3cret!pass");
        let costly = made.replace("m=1024,t=1,p=1", "m=8,t=4294967295,p=1");
        let err = check_hash(&costly).unwrap_err();
        assert!(
            err.contains("m=8,t=4294967295,p=1 are not the emulator's"),
            "{err}"
        );
        // Refused unrun: this returns at once rather than hash for hours.
        assert!(!verify("S3cret!pass", &costly));
        let argon2i = made.replace("$argon2id$", "$argon2i$");
        assert!(check_hash(&argon2i).unwrap_err().contains("not argon2id"));
        assert!(
            check_hash("plain text")
                .unwrap_err()
                .contains("not a PHC string")
        );
    }

    #[test]
    fn strength_rules_name_what_is_missing() {
        assert!(check_strength("password", "Str0ng!pass").is_ok());
        let short = check_strength("password", "S0!a").unwrap_err();
        assert!(short.details().contains("8 to 64"), "{}", short.details());
        let weak = check_strength("new_password", "alllowercase").unwrap_err();
        let details = weak.details();
        assert!(details.starts_with("Parameter 'new_password'"));
        assert!(details.contains("a digit"));
        assert!(details.contains("an upper-case letter"));
        assert!(details.contains("a special character"));
        assert!(!details.contains("a lower-case letter"));
        let long = "Aa1!".repeat(17);
        assert!(check_strength("password", &long).is_err());
    }
}
