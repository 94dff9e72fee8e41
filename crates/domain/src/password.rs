//! The password policy and how passwords are hashed (bcrypt).

/// A password that meets the policy: at least 8 characters, at most 72 bytes (bcrypt reads no
/// further, so a longer one would be silently cut).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than 8 characters.
    #[error("Password must be at least 8 characters long.")]
    TooShort,
    /// More than 72 bytes.
    #[error("Password must be at most 72 bytes long (the limit of bcrypt, which stores it).")]
    TooLong,
    /// The confirmation differs.
    #[error("Passwords must match.")]
    Mismatch,
}

impl Password {
    /// Fewest characters accepted.
    pub const MIN_CHARS: usize = 8;
    /// Most bytes accepted (bcrypt's limit).
    pub const MAX_BYTES: usize = 72;

    /// Checks a new password against the policy.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }

    /// Checks that the confirmation repeats the password.
    pub fn confirm(raw: &str, confirmation: &str) -> Result<(), PasswordError> {
        if raw == confirmation { Ok(()) } else { Err(PasswordError::Mismatch) }
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Hashes and verifies passwords with bcrypt at a configured cost. Both calls take tens to
/// hundreds of milliseconds by design: callers run them off the async workers.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: u32,
}

/// Hashing failed: the cost is out of bcrypt's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bcrypt: {0}")]
pub struct HashError(String);

impl PasswordHasher {
    /// The cheapest cost bcrypt accepts (for tests only: far too cheap for real passwords).
    pub const MIN_COST: u32 = 4;
    /// The dearest cost bcrypt accepts.
    pub const MAX_COST: u32 = 31;

    /// A hasher for bcrypt cost `cost` (4 to 31).
    pub fn new(cost: u32) -> Result<Self, HashError> {
        if !(Self::MIN_COST..=Self::MAX_COST).contains(&cost) {
            return Err(HashError(format!("cost must be between {} and {}", Self::MIN_COST, Self::MAX_COST)));
        }
        Ok(Self { cost })
    }

    /// The cost in use.
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Hashes a password that met the policy.
    pub fn hash(&self, password: &Password) -> Result<String, HashError> {
        bcrypt::hash(password.expose(), self.cost).map_err(|e| HashError(e.to_string()))
    }

    /// Whether `candidate` matches `hash`. A malformed hash matches nothing.
    pub fn verify(&self, candidate: &str, hash: &str) -> bool {
        bcrypt::verify(candidate, hash).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_8_characters() {
        assert_eq!(Password::parse("1234567"), Err(PasswordError::TooShort));
        assert!(Password::parse("12345678").is_ok());
        // Eight characters, though more bytes.
        assert!(Password::parse("éééééééé").is_ok());
    }

    #[test]
    fn passwords_over_72_bytes_are_refused_and_say_why() {
        assert!(Password::parse(&"a".repeat(72)).is_ok());
        assert_eq!(Password::parse(&"a".repeat(73)), Err(PasswordError::TooLong));
        // 37 two-byte characters are 74 bytes.
        assert_eq!(Password::parse(&"é".repeat(37)), Err(PasswordError::TooLong));
        assert!(PasswordError::TooLong.to_string().contains("72 bytes"));
    }

    #[test]
    fn the_confirmation_must_repeat_the_password() {
        assert_eq!(Password::confirm("abcdefgh", "abcdefgH"), Err(PasswordError::Mismatch));
        assert!(Password::confirm("abcdefgh", "abcdefgh").is_ok());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hasher = PasswordHasher::new(4).unwrap();
        let hash = hasher.hash(&Password::parse("correct horse").unwrap()).unwrap();
        assert!(hasher.verify("correct horse", &hash));
        assert!(!hasher.verify("correct horsf", &hash));
        assert!(!hasher.verify("correct horse", "not a hash"));
    }

    #[test]
    fn the_cost_must_be_one_bcrypt_accepts() {
        assert!(PasswordHasher::new(3).is_err());
        assert!(PasswordHasher::new(32).is_err());
        assert_eq!(PasswordHasher::new(12).map(|h| h.cost()), Ok(12));
    }

    #[test]
    fn the_debug_form_hides_the_password() {
        assert_eq!(format!("{:?}", Password::parse("secret-secret").unwrap()), "Password(****)");
    }
}
