//! Signed tokens (HS256), each bound to the account's current password hash so that a password
//! change or reset retires every token issued before it: password-reset links ([`reset`]) and API
//! bearer tokens ([`api`]). Time is passed in, so that expiry is tested without waiting.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Keys for signed tokens, derived from the site's secret so that one secret configures
/// everything and each use has its own key.
pub(crate) struct SigningKeys {
    /// Password-reset links.
    pub(crate) reset: [u8; 32],
    /// API bearer tokens.
    pub(crate) auth: [u8; 32],
}

impl SigningKeys {
    pub(crate) fn derive(secret: &str) -> Self {
        let derive = |purpose: &str| -> [u8; 32] {
            let mut hash = Sha256::new();
            hash.update(b"gazette\0");
            hash.update(purpose.as_bytes());
            hash.update(b"\0");
            hash.update(secret.as_bytes());
            hash.finalize().into()
        };
        Self { reset: derive("password-reset"), auth: derive("api-auth") }
    }
}

fn fingerprint(password_hash: &str) -> String {
    Sha256::digest(password_hash.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Whether a token's password fingerprint matches the account's current hash.
fn matches_password(fingerprint_in_token: &str, password_hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(fingerprint_in_token.as_bytes().ct_eq(fingerprint(password_hash).as_bytes()))
}

fn expiry(now: DateTime<Utc>, ttl_seconds: u64) -> i64 {
    now.timestamp().saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX))
}

/// Signature and required claims checked by the library; expiry by us, against `now`.
fn validation(required: &[&str]) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(required);
    validation
}

/// Password-reset tokens: time-limited, and dead once the password changes (so also once used).
pub(crate) mod reset {
    use super::*;

    const PURPOSE: &str = "password-reset";

    #[derive(Debug, Serialize, Deserialize)]
    struct Claims {
        sub: String,
        iat: i64,
        exp: i64,
        /// What the token is for, so that no other token of ours passes as one.
        purpose: String,
        pwd: String,
    }

    /// A reset token for `user_id`, valid for `ttl_seconds` from `now` while the hash stays.
    pub(crate) fn issue(
        key: &[u8],
        user_id: i64,
        password_hash: &str,
        ttl_seconds: u64,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expiry(now, ttl_seconds),
            purpose: PURPOSE.into(),
            pwd: fingerprint(password_hash),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key))
    }

    /// The account a token names and its password fingerprint, if its signature holds and it
    /// has not expired at `now`.
    pub(crate) fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Option<(i64, String)> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation(&["exp", "sub"])).ok()?;
        if data.claims.purpose != PURPOSE || data.claims.exp <= now.timestamp() {
            return None;
        }
        Some((data.claims.sub.parse().ok()?, data.claims.pwd))
    }

    /// Whether the fingerprint from [`verify`] is the account's current password's.
    pub(crate) fn still_valid_for(fingerprint_in_token: &str, password_hash: &str) -> bool {
        matches_password(fingerprint_in_token, password_hash)
    }
}

/// API bearer tokens: `sub`, `iat`, `exp`, a unique `jti` that logging out revokes, and the
/// password fingerprint.
pub mod api {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    struct Claims {
        sub: String,
        iat: i64,
        exp: i64,
        jti: String,
        pwd: String,
    }

    /// A token whose signature and expiry hold.
    #[derive(Debug, Clone)]
    pub struct Verified {
        /// The account it was issued for.
        pub user_id: i64,
        /// Its unique id, what logging out revokes.
        pub jti: String,
        /// When it stops working anyway.
        pub expires_at: DateTime<Utc>,
        pwd: String,
    }

    impl Verified {
        /// Whether the account's password is still the one the token was issued against.
        pub(crate) fn password_unchanged(&self, password_hash: &str) -> bool {
            matches_password(&self.pwd, password_hash)
        }
    }

    /// Why a token was refused before its account was looked at.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Refusal {
        Expired,
        Invalid,
    }

    /// A token for `user_id`, valid for `ttl_seconds` from `now`.
    pub(crate) fn issue(
        key: &[u8],
        user_id: i64,
        password_hash: &str,
        ttl_seconds: u64,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expiry(now, ttl_seconds),
            jti: format!("{:032x}", rand::random::<u128>()),
            pwd: fingerprint(password_hash),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key))
    }

    /// Checks a token's signature, and its expiry at `now`.
    pub(crate) fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<Verified, Refusal> {
        let data = jsonwebtoken::decode::<Claims>(
            token,
            &DecodingKey::from_secret(key),
            &validation(&["exp", "sub", "iat", "jti"]),
        )
        .map_err(|_| Refusal::Invalid)?;
        let user_id = data.claims.sub.parse().map_err(|_| Refusal::Invalid)?;
        let expires_at = DateTime::from_timestamp(data.claims.exp, 0).ok_or(Refusal::Invalid)?;
        if data.claims.exp <= now.timestamp() {
            return Err(Refusal::Expired);
        }
        Ok(Verified { user_id, jti: data.claims.jti, expires_at, pwd: data.claims.pwd })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OTHER_KEY: &[u8] = b"another key of thirty-two bytes!";

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    #[test]
    fn a_reset_token_names_its_account_while_the_password_is_unchanged() {
        let token = reset::issue(KEY, 42, "$2b$hash-one", 60, now()).unwrap();
        let (id, pwd) = reset::verify(KEY, &token, now()).unwrap();
        assert_eq!(id, 42);
        assert!(reset::still_valid_for(&pwd, "$2b$hash-one"));
        assert!(!reset::still_valid_for(&pwd, "$2b$hash-two"));
    }

    #[test]
    fn api_tokens_carry_a_unique_id_and_tell_expired_from_invalid() {
        let issued = now();
        let a = api::issue(KEY, 7, "h", 60, issued).unwrap();
        let b = api::issue(KEY, 7, "h", 60, issued).unwrap();
        let (va, vb) = (api::verify(KEY, &a, issued).unwrap(), api::verify(KEY, &b, issued).unwrap());
        assert_eq!(va.user_id, 7);
        assert_ne!(va.jti, vb.jti);
        assert!(va.password_unchanged("h") && !va.password_unchanged("h2"));
        assert_eq!(api::verify(KEY, "x.y.z", issued).unwrap_err(), api::Refusal::Invalid);
        assert_eq!(api::verify(OTHER_KEY, &a, issued).unwrap_err(), api::Refusal::Invalid);
        // A reset token is no API token.
        let reset = reset::issue(KEY, 7, "h", 60, issued).unwrap();
        assert_eq!(api::verify(KEY, &reset, issued).unwrap_err(), api::Refusal::Invalid);
        // Good until its last second, expired from then on.
        let later = |s| issued + chrono::Duration::seconds(s);
        assert!(api::verify(KEY, &a, later(59)).is_ok());
        assert_eq!(api::verify(KEY, &a, later(60)).unwrap_err(), api::Refusal::Expired);
    }

    #[test]
    fn tampered_foreign_and_expired_reset_tokens_are_refused() {
        let issued = now();
        let token = reset::issue(KEY, 42, "h", 60, issued).unwrap();
        let mut tampered = token.clone().into_bytes();
        let i = tampered.len() - 3;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        assert!(reset::verify(KEY, std::str::from_utf8(&tampered).unwrap(), issued).is_none());
        assert!(reset::verify(OTHER_KEY, &token, issued).is_none());
        assert!(reset::verify(KEY, "garbage", issued).is_none());
        assert!(reset::verify(KEY, &token, issued + chrono::Duration::seconds(60)).is_none());
        // An API token is no reset token.
        let api = api::issue(KEY, 42, "h", 60, issued).unwrap();
        assert!(reset::verify(KEY, &api, issued).is_none());
    }

    #[test]
    fn each_use_has_its_own_key_and_the_secret_decides_them() {
        let (a, b) = (SigningKeys::derive("one"), SigningKeys::derive("two"));
        assert_ne!(a.reset, a.auth);
        assert_ne!(a.reset, b.reset);
        assert_eq!(a.auth, SigningKeys::derive("one").auth);
    }
}
