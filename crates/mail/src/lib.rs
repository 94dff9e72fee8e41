//! Gazette's outgoing mail. For now it knows who mail comes from; sending arrives with the
//! account lifecycle (password reset by email).

/// The sender used when none is configured.
pub const DEFAULT_FROM: &str = "Gazette <noreply@localhost>";
