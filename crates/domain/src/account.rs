//! Usernames, email addresses and personal names.

use std::fmt;

/// A username: 2 to 20 letters, digits, `_`, `-` or `.`. Unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Fewer than 2 or more than 20 characters.
    #[error("Username must be between 2 and 20 characters long.")]
    Length,
    /// A character outside letters, digits, `_`, `-`, `.`.
    #[error("Username may contain only letters, digits and the characters _ - .")]
    Characters,
    /// Punctuation only: such names make odd addresses (`/user/..`).
    #[error("Username must contain at least one letter or digit.")]
    NoLetterOrDigit,
}

impl Username {
    /// Shortest accepted username, in characters.
    pub const MIN: usize = 2;
    /// Longest accepted username, in characters.
    pub const MAX: usize = 20;

    /// Checks a username as typed (surrounding spaces are dropped).
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&len) {
            return Err(UsernameError::Length);
        }
        if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            return Err(UsernameError::Characters);
        }
        if !name.chars().any(char::is_alphanumeric) {
            return Err(UsernameError::NoLetterOrDigit);
        }
        Ok(Self(name.to_owned()))
    }

    /// The username as the user spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A username made from an email's local part, for clients that register with an email
    /// alone: the characters a username allows, cut to fit, padded when too short.
    pub fn from_email(email: &Email) -> Self {
        let local = email.as_str().split('@').next().unwrap_or_default();
        let mut name: String =
            local.chars().filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')).take(Self::MAX - 4).collect();
        if !name.chars().any(char::is_alphanumeric) {
            name = format!("user{name}");
        }
        while name.chars().count() < Self::MIN {
            name.push('0');
        }
        Self(name)
    }

    /// This name with a number after it, still within the length limit: `ann2`, `ann3`...
    pub fn numbered(&self, n: u32) -> Self {
        let suffix = n.to_string();
        let keep = Self::MAX - suffix.len();
        Self(self.0.chars().take(keep).chain(suffix.chars()).collect())
    }

    /// What makes two usernames the same: the name in lower case.
    pub fn key(&self) -> String {
        Self::key_of(&self.0)
    }

    /// The key of any name typed, checked or not (for look-ups).
    pub fn key_of(name: &str) -> String {
        name.trim().to_lowercase()
    }

    /// What the name looks like: its Unicode confusable skeleton (UTS #39), then lower-cased. Two
    /// names with one skeleton can pass for each other (`alice`, `аlice` with a Cyrillic `а`,
    /// `aIice`, `a1ice`), so a name whose skeleton another account has counts as taken. (Names
    /// that differ only in case, `ALICE`, already share a [`Username::key`].)
    pub fn skeleton(&self) -> String {
        Self::skeleton_of(&self.0)
    }

    /// The skeleton of any name typed.
    pub fn skeleton_of(name: &str) -> String {
        unicode_security::skeleton(name.trim()).collect::<String>().to_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, kept in lower case so that one mailbox has one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Not an address mail can be sent to.
    #[error("Invalid email address.")]
    Invalid,
    /// Longer than any real address (RFC 5321 allows 254 characters).
    #[error("Email address must be at most 254 characters long.")]
    TooLong,
}

impl Email {
    /// Longest accepted address, in characters.
    pub const MAX: usize = 254;

    /// Checks an address as typed; the result is lower-cased.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        if email.chars().count() > Self::MAX {
            return Err(EmailError::TooLong);
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            &email,
            email_address::Options::default().without_display_text().without_domain_literal(),
        )
        .map_err(|_| EmailError::Invalid)?;
        // A bare host ("me@localhost") is valid to the RFC but no public mailbox.
        if !parsed.domain().contains('.') {
            return Err(EmailError::Invalid);
        }
        Ok(Self(email))
    }

    /// The address, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An optional first or last name: at most 30 characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(Option<String>);

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// More than 30 characters.
    #[error("Name must be at most 30 characters long.")]
    TooLong,
}

impl PersonName {
    /// Longest accepted name, in characters.
    pub const MAX: usize = 30;

    /// Checks a name as typed; blank input is no name.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim();
        if name.chars().count() > Self::MAX {
            return Err(NameError::TooLong);
        }
        Ok(Self((!name.is_empty()).then(|| name.to_owned())))
    }

    /// The name, if one was given.
    pub fn into_inner(self) -> Option<String> {
        self.0
    }
}

/// A profile's short biography: optional, at most [`Bio::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(Option<String>);

/// Why a profile field was refused (the messages complete "bio ..." / "image ...", as the
/// RealWorld API words its errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The bio is over [`Bio::MAX`] characters.
    #[error("must be at most 1000 characters long")]
    BioTooLong,
    /// The picture address is not an http(s) URL of at most [`ImageUrl::MAX`] characters.
    #[error("must be an http(s) URL of at most 1000 characters")]
    ImageUrl,
}

impl Bio {
    /// Longest accepted bio, in characters.
    pub const MAX: usize = 1000;

    /// Checks a bio as typed; blank input is no bio.
    pub fn parse(raw: &str) -> Result<Self, ProfileError> {
        let bio = raw.trim();
        if bio.chars().count() > Self::MAX {
            return Err(ProfileError::BioTooLong);
        }
        Ok(Self((!bio.is_empty()).then(|| bio.to_owned())))
    }

    /// The bio, if one was given.
    pub fn into_inner(self) -> Option<String> {
        self.0
    }
}

/// The address of a profile picture kept elsewhere: an http(s) URL with no spaces, at most
/// [`ImageUrl::MAX`] characters; blank input is no picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(Option<String>);

impl ImageUrl {
    /// Longest accepted address, in characters.
    pub const MAX: usize = 1000;

    /// Checks an address as typed.
    pub fn parse(raw: &str) -> Result<Self, ProfileError> {
        let url = raw.trim();
        if url.is_empty() {
            return Ok(Self(None));
        }
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.chars().count() > Self::MAX
            || url.contains(char::is_whitespace)
        {
            return Err(ProfileError::ImageUrl);
        }
        Ok(Self(Some(url.to_owned())))
    }

    /// The address, if one was given.
    pub fn into_inner(self) -> Option<String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bio_is_optional_and_at_most_1000_characters() {
        assert_eq!(Bio::parse(" ").map(Bio::into_inner), Ok(None));
        assert_eq!(Bio::parse(&"é".repeat(1000)).map(Bio::into_inner), Ok(Some("é".repeat(1000))));
        assert_eq!(Bio::parse(&"x".repeat(1001)), Err(ProfileError::BioTooLong));
    }

    #[test]
    fn a_picture_address_is_an_http_url() {
        assert_eq!(ImageUrl::parse("").map(ImageUrl::into_inner), Ok(None));
        assert!(ImageUrl::parse("https://example.com/me.png").is_ok());
        assert_eq!(ImageUrl::parse("javascript:alert(1)"), Err(ProfileError::ImageUrl));
        assert_eq!(ImageUrl::parse("https://x/ y"), Err(ProfileError::ImageUrl));
        assert_eq!(ImageUrl::parse(&format!("https://{}", "x".repeat(1000))), Err(ProfileError::ImageUrl));
    }

    #[test]
    fn a_username_of_letters_digits_and_punctuation_is_accepted() {
        assert_eq!(Username::parse(" jo_e-1.x ").map(|u| u.to_string()), Ok("jo_e-1.x".into()));
        assert!(Username::parse("Zoë").is_ok());
    }

    #[test]
    fn a_username_outside_2_to_20_characters_is_refused() {
        assert_eq!(Username::parse("a"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"a".repeat(21)), Err(UsernameError::Length));
        assert!(Username::parse(&"a".repeat(20)).is_ok());
    }

    #[test]
    fn a_username_with_spaces_or_symbols_is_refused() {
        assert_eq!(Username::parse("jo e"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("<b>x</b>"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("a/b"), Err(UsernameError::Characters));
        assert_eq!(Username::parse(".."), Err(UsernameError::NoLetterOrDigit));
        assert_eq!(Username::parse("_-."), Err(UsernameError::NoLetterOrDigit));
    }

    #[test]
    fn usernames_made_from_emails_are_valid_usernames() {
        let cases = [
            ("ann.lee+blog@example.com", "ann.leeblog"),
            ("a@example.com", "a0"),
            ("+++@example.com", "user"),
            ("averyveryverylongname1234@example.com", "averyveryverylon"),
        ];
        for (email, expected) in cases {
            let name = Username::from_email(&Email::parse(email).unwrap());
            assert_eq!(name.as_str(), expected);
            assert!(Username::parse(name.as_str()).is_ok(), "{name}");
        }
        let long = Username::from_email(&Email::parse("averyveryverylongname1234@example.com").unwrap());
        assert_eq!(long.numbered(1234).as_str(), "averyveryverylon1234");
        assert!(Username::parse(long.numbered(99999).as_str()).is_ok());
    }

    #[test]
    fn look_alike_usernames_share_a_skeleton_and_others_do_not() {
        let alice = Username::parse("alice").unwrap().skeleton();
        for lookalike in ["\u{430}lice", "Alice", "aIice", "a1ice", "\u{251}lice"] {
            assert_eq!(Username::parse(lookalike).unwrap().skeleton(), alice, "{lookalike}");
        }
        for other in ["alicia", "alice2", "bob"] {
            assert_ne!(Username::skeleton_of(other), alice, "{other}");
        }
    }

    #[test]
    fn usernames_differing_only_in_case_have_one_key() {
        let a = Username::parse("ZOË").unwrap();
        let b = Username::parse("zoë").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(Username::key_of(" Zoë "), "zoë");
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(Email::parse(" Ann@Example.COM ").map(|e| e.to_string()), Ok("ann@example.com".into()));
        assert_eq!(Email::parse("not-an-email"), Err(EmailError::Invalid));
        assert_eq!(Email::parse("a@localhost"), Err(EmailError::Invalid));
        assert_eq!(Email::parse("Ann <ann@example.com>"), Err(EmailError::Invalid));
        assert_eq!(Email::parse(&format!("{}@example.com", "a".repeat(250))), Err(EmailError::TooLong));
    }

    #[test]
    fn names_are_optional_and_at_most_30_characters() {
        assert_eq!(PersonName::parse("  ").map(PersonName::into_inner), Ok(None));
        assert_eq!(PersonName::parse(" Ada ").map(PersonName::into_inner), Ok(Some("Ada".into())));
        assert_eq!(PersonName::parse(&"é".repeat(30)).map(PersonName::into_inner), Ok(Some("é".repeat(30))));
        assert_eq!(PersonName::parse(&"x".repeat(31)), Err(NameError::TooLong));
    }
}
