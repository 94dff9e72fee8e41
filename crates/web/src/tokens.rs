//! Password-reset tokens: signed (HS256) and time-limited, and bound to the account's current
//! password hash, so that a token stops working once it has been used to change the password
//! (or the password changes any other way).

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PURPOSE: &str = "password-reset";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The account's id.
    sub: String,
    iat: i64,
    exp: i64,
    /// What the token is for, so that no other token of ours passes as one.
    purpose: String,
    /// A fingerprint of the password hash the token was issued against.
    pwd: String,
}

fn fingerprint(password_hash: &str) -> String {
    Sha256::digest(password_hash.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A reset token for `user_id`, valid for `ttl_seconds` while the password hash stays the same.
pub fn issue(
    key: &[u8],
    user_id: i64,
    password_hash: &str,
    ttl_seconds: u64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: user_id.to_string(),
        iat: now,
        exp: now.saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX)),
        purpose: PURPOSE.into(),
        pwd: fingerprint(password_hash),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key))
}

/// The account a token was issued for, if its signature holds and it has not expired. The caller
/// still checks it against the account's current password hash with [`matches_password`].
pub fn user_id(key: &[u8], token: &str) -> Option<(i64, String)> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation).ok()?;
    if data.claims.purpose != PURPOSE {
        return None;
    }
    Some((data.claims.sub.parse().ok()?, data.claims.pwd))
}

/// Whether a token's password fingerprint matches the account's current hash.
pub fn matches_password(fingerprint_in_token: &str, password_hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(fingerprint_in_token.as_bytes().ct_eq(fingerprint(password_hash).as_bytes()))
}

/// API bearer tokens (HS256): `sub`, `iat`, `exp`, a unique `jti` that logging out revokes, and
/// the same password fingerprint as reset tokens, so that a password change or reset revokes
/// every token issued before it.
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

    /// A verified token.
    #[derive(Debug, Clone)]
    pub struct Verified {
        pub user_id: i64,
        pub jti: String,
        pub expires_at: chrono::DateTime<Utc>,
        pwd: String,
    }

    impl Verified {
        /// Whether the account's password is still the one the token was issued against.
        pub fn password_unchanged(&self, password_hash: &str) -> bool {
            matches_password(&self.pwd, password_hash)
        }
    }

    /// Why a token was refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Refusal {
        Expired,
        Invalid,
    }

    /// A token for `user_id`, valid for `ttl_seconds`.
    pub fn issue(
        key: &[u8],
        user_id: i64,
        password_hash: &str,
        ttl_seconds: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now.saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX)),
            jti: format!("{:032x}", rand::random::<u128>()),
            pwd: fingerprint(password_hash),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key))
    }

    /// Checks a token's signature and expiry.
    pub fn verify(key: &[u8], token: &str) -> Result<Verified, Refusal> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat", "jti"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation).map_err(|e| match e
                .kind()
            {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Refusal::Expired,
                _ => Refusal::Invalid,
            })?;
        let user_id = data.claims.sub.parse().map_err(|_| Refusal::Invalid)?;
        let expires_at = chrono::DateTime::from_timestamp(data.claims.exp, 0).ok_or(Refusal::Invalid)?;
        Ok(Verified { user_id, jti: data.claims.jti, expires_at, pwd: data.claims.pwd })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_names_its_account_while_the_password_is_unchanged() {
        let token = issue(KEY, 42, "$2b$hash-one", 60).unwrap();
        let (id, pwd) = user_id(KEY, &token).unwrap();
        assert_eq!(id, 42);
        assert!(matches_password(&pwd, "$2b$hash-one"));
        assert!(!matches_password(&pwd, "$2b$hash-two"));
    }

    #[test]
    fn api_tokens_carry_a_unique_id_and_tell_expired_from_invalid() {
        let a = api::issue(KEY, 7, "h", 60).unwrap();
        let b = api::issue(KEY, 7, "h", 60).unwrap();
        let (va, vb) = (api::verify(KEY, &a).unwrap(), api::verify(KEY, &b).unwrap());
        assert_eq!(va.user_id, 7);
        assert_ne!(va.jti, vb.jti);
        assert!(va.password_unchanged("h") && !va.password_unchanged("h2"));
        assert_eq!(api::verify(KEY, "x.y.z").unwrap_err(), api::Refusal::Invalid);
        assert_eq!(api::verify(b"another key of thirty-two bytes!", &a).unwrap_err(), api::Refusal::Invalid);
        // A reset token is no API token.
        let reset = issue(KEY, 7, "h", 60).unwrap();
        assert_eq!(api::verify(KEY, &reset).unwrap_err(), api::Refusal::Invalid);
        let old = api::issue(KEY, 7, "h", 0).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(api::verify(KEY, &old).unwrap_err(), api::Refusal::Expired);
    }

    #[test]
    fn tampered_foreign_and_expired_tokens_are_refused() {
        let token = issue(KEY, 42, "h", 60).unwrap();
        let mut tampered = token.clone().into_bytes();
        let i = tampered.len() - 3;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        assert!(user_id(KEY, std::str::from_utf8(&tampered).unwrap()).is_none());
        assert!(user_id(b"another key of thirty-two bytes!", &token).is_none());
        assert!(user_id(KEY, "garbage").is_none());
        let expired = issue(KEY, 42, "h", 0).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(user_id(KEY, &expired).is_none());
    }
}
