//! Users, logins and tokens of one cluster.
//!
//! Password hashing and checking run outside the cluster's lock: it takes milliseconds, and other
//! requests to the cluster should not wait for it.

use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::Cluster;
use super::data::{ClusterData, Session, User};
use super::persist::Change;
use crate::domain::clock::later;
use crate::domain::password::{self, ADMIN};
use crate::domain::{Error, Result};

/// A user's role, as `GET /v1/users/{u}` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The built-in `admin`.
    Admin,
    /// Any user made through `POST /v1/users`.
    User,
}

impl Role {
    /// `ROLE_ADMIN` or `ROLE_USER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "ROLE_ADMIN",
            Self::User => "ROLE_USER",
        }
    }

    fn of(username: &str) -> Self {
        if username == ADMIN {
            Self::Admin
        } else {
            Self::User
        }
    }
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The opaque token text.
    pub token: String,
    /// When it expires.
    pub expires_at: SystemTime,
}

/// SHA-256 of a token, with ring's assembly implementation: it runs for every new token a cluster
/// is shown, and on CPUs without SHA extensions the portable one was 5 % of the 202 path.
fn digest(token: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    key.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
    key
}

/// [`digest`] of `token`, taken from `last` when it is the same token, and remembered there.
fn remembered_digest(last: &mut Option<(Box<str>, [u8; 32])>, token: &str) -> [u8; 32] {
    if let Some((text, key)) = last
        && **text == *token
    {
        return *key;
    }
    let key = digest(token);
    *last = Some((token.into(), key));
    key
}

const fn unauthenticated(rule: &'static str, message: &'static str) -> Error {
    Error::Unauthenticated { rule, message }
}

const BAD_CREDENTIALS: Error = unauthenticated("bad_credentials", "Wrong username or password");

/// `password` hashed off the runtime's workers; refused only while the emulator stops.
async fn hashed(password: &str) -> Result<Arc<str>> {
    password::hashed(password).await.ok_or(Error::Unavailable {
        rule: "stopping",
        message: "The emulator is stopping".into(),
    })
}

impl Cluster {
    /// Whether `admin`'s password is no longer the one this start gave fresh clusters (changed
    /// by a login, or set by an earlier start with another `--admin-password`): what a data
    /// directory holds then wins.
    pub fn admin_password_stored(&self) -> bool {
        let fresh = self.settings().admin_hash.clone();
        self.with(|c| {
            c.users
                .get(crate::domain::password::ADMIN)
                .is_some_and(|admin| *admin.password_hash != *fresh)
        })
    }

    /// `POST /v1/users/login`: checks the password, applies `new_password`, issues a token.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        new_password: Option<&str>,
    ) -> Result<Issued> {
        let user = self.with(|c| c.users.get(username).cloned());
        let Some(user) = user else {
            // Hash anyway, so an unknown name takes as long as a wrong password.
            password::verified(password, &self.settings().admin_hash).await;
            return Err(BAD_CREDENTIALS);
        };
        // A password that already passed Argon2 against this hash is known by its keyed digest.
        let remembered = password::remembered(password, &user.password_hash);
        let known = user
            .remembered
            .is_some_and(|r| bool::from(r.ct_eq(&remembered)));
        if !known && !password::verified(password, &user.password_hash).await {
            if username == password::ADMIN && password == password::DEFAULT_ADMIN_PASSWORD {
                return Err(unauthenticated(
                    "bad_credentials",
                    "Wrong username or password: admin's password is no longer \"secret\" (it was changed at the first login, or set with --admin-password)",
                ));
            }
            return Err(BAD_CREDENTIALS);
        }
        let user_hash = user.password_hash.clone();
        let new_hash = match new_password {
            Some(new) => {
                password::check_strength("new_password", new)?;
                Some(hashed(new).await?)
            }
            None if user.must_change_password => return Err(Error::PasswordChangeRequired),
            None => None,
        };
        let mut token_bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut token_bytes);
        let token = URL_SAFE_NO_PAD.encode(token_bytes);
        let expires_at = later(self.now(), self.settings().token_ttl);
        let (result, ticket) = self.write(|c, log| {
            let user = c.users.get_mut(username).ok_or(BAD_CREDENTIALS)?;
            if let Some(hash) = new_hash {
                user.password_hash = hash;
                user.must_change_password = false;
                user.remembered = None;
                log.push(|| Change::User(self.key(), username.to_owned(), Some(user.clone())));
            } else if user.password_hash == user_hash {
                user.remembered = Some(remembered);
            }
            c.sweep(self.now(), self.settings().rules.window, &self.key(), log);
            let session = Session {
                username: username.to_owned(),
                expires_at,
            };
            let key = digest(&token);
            log.push(|| Change::Session(self.key(), key, Some(session.clone())));
            c.sessions.insert(key, session);
            Ok(())
        });
        ticket.durable().await?;
        result.map(|()| Issued { token, expires_at })
    }

    /// `POST /v1/users/logout`: revokes this one token.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let key = digest(token);
        let ((), ticket) = self.write(|c, log| {
            c.sessions.remove(&key);
            log.push(|| Change::Session(self.key(), key, None));
        });
        ticket.durable().await
    }

    /// `POST /v1/users`: a new `ROLE_USER`.
    pub async fn create_user(&self, username: &str, password: &str) -> Result<()> {
        check_username(username)?;
        password::check_strength("password", password)?;
        if self.with(|c| c.users.contains_key(username)) {
            return Err(Error::UserExists);
        }
        let user = User {
            password_hash: hashed(password).await?,
            must_change_password: false,
            remembered: None,
        };
        let (result, ticket) = self.write(|c, log| {
            if c.users.contains_key(username) {
                return Err(Error::UserExists);
            }
            log.push(|| Change::User(self.key(), username.to_owned(), Some(user.clone())));
            c.users.insert(username.into(), user);
            Ok(())
        });
        ticket.durable().await?;
        result
    }

    /// `GET /v1/users/{u}`: the user's role.
    pub fn user_role(&self, username: &str) -> Result<Role> {
        if self.with(|c| c.users.contains_key(username)) {
            Ok(Role::of(username))
        } else {
            Err(no_such_user(username))
        }
    }

    /// `PUT /v1/users/{u}`: a new password.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<()> {
        password::check_strength("password", password)?;
        self.user_role(username)?;
        let hash = hashed(password).await?;
        let (result, ticket) = self.write(|c, log| {
            let user = c
                .users
                .get_mut(username)
                .ok_or_else(|| no_such_user(username))?;
            user.password_hash = hash;
            user.must_change_password = false;
            user.remembered = None;
            log.push(|| Change::User(self.key(), username.to_owned(), Some(user.clone())));
            Ok(())
        });
        ticket.durable().await?;
        result
    }

    /// `DELETE /v1/users/{u}`: removes the user and revokes its tokens. `admin` stays.
    pub async fn delete_user(&self, username: &str) -> Result<()> {
        if username == ADMIN {
            return Err(Error::Forbidden {
                rule: "admin_undeletable",
                message: "The admin user cannot be deleted",
            });
        }
        let (result, ticket) = self.write(|c, log| {
            c.users
                .remove(username)
                .ok_or_else(|| no_such_user(username))?;
            log.push(|| Change::User(self.key(), username.to_owned(), None));
            c.sessions.retain(|key, s| {
                let keep = s.username != username;
                if !keep {
                    log.push(|| Change::Session(self.key(), *key, None));
                }
                keep
            });
            Ok(())
        });
        ticket.durable().await?;
        result
    }
}

fn no_such_user(username: &str) -> Error {
    Error::not_found("user", format!("User '{username}' does not exist"))
}

/// Usernames are 4 to 32 characters, without white space or control characters.
pub(super) fn check_username(username: &str) -> Result<()> {
    let len = username.chars().count();
    if !(4..=32).contains(&len) {
        return Err(Error::invalid(
            "username",
            "length",
            format!("Parameter 'username' must be 4 to 32 characters long (got {len})"),
        ));
    }
    if username
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid(
            "username",
            "format",
            "Parameter 'username' must not contain white space or control characters",
        ));
    }
    Ok(())
}

impl ClusterData {
    /// The SHA-256 of `token`, from the last one checked when it is the same.
    pub(super) fn token_key(&mut self, token: &str) -> [u8; 32] {
        remembered_digest(&mut self.last_token, token)
    }

    /// The role of the session whose token hashes to `key`; 401 when it is unknown, expired or
    /// revoked (an expired one is forgotten).
    pub(super) fn session_role(&mut self, key: &[u8; 32], now: SystemTime) -> Result<Role> {
        let session = self.sessions.get(key).ok_or(unauthenticated(
            "invalid_token",
            "Invalid or revoked token: log in again with POST /v1/users/login (a token works only in the cluster that issued it)",
        ))?;
        if now >= session.expires_at {
            // Not stored: an expired token stays expired when it is loaded again.
            self.sessions.remove(key);
            return Err(unauthenticated(
                "expired_token",
                "Token expired: log in again with POST /v1/users/login",
            ));
        }
        Ok(Role::of(&session.username))
    }
}

#[cfg(test)]
mod tests {
    /// The memo of the last token gives each token its own digest, however tokens alternate.
    #[test]
    fn the_last_token_memo_is_only_a_shortcut() {
        let mut last = None;
        for token in ["first", "first", "second", "first", "second", "second"] {
            assert_eq!(
                super::remembered_digest(&mut last, token),
                super::digest(token),
                "{token}"
            );
        }
        assert_eq!(last.map(|(text, _)| text), Some("second".into()));
    }

    /// Stored sessions are keyed by this digest: it must stay plain SHA-256 (FIPS 180-2 vector).
    #[test]
    fn token_digest_is_sha256() {
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let hex = crate::store::persist::digest_hex(&super::digest("abc"));
        assert_eq!(hex, expected);
    }
}
