//! What a use case can answer instead of its result: what happened, never which status. Each
//! door maps these onto its own shape.

use std::time::Duration;

/// Why a use case did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A value broke a rule; `field` names it (as the use case's input calls it).
    #[error("{field}: {message}")]
    Invalid {
        /// The input field to blame.
        field: &'static str,
        /// What is wrong, for a person to read.
        message: String,
    },
    /// Another account has this `username` or `email` already (or one that looks the same).
    #[error("{0} is taken")]
    Taken(&'static str),
    /// No such thing (or none this caller may know of): `"account"`, `"post"`, `"comment"`,
    /// `"reset token"` or `"page"`.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// It exists, but it is not this caller's to change.
    #[error("forbidden")]
    Forbidden,
    /// The post's comments are closed: no new comment is taken.
    #[error("comments are closed")]
    CommentsClosed,
    /// The caller could not be told apart from anyone: wrong credentials, or a refused token.
    #[error("not authenticated: {0:?}")]
    Unauthenticated(Unauthenticated),
    /// Too many attempts lately: try again after this long.
    #[error("throttled for {0:?}")]
    Throttled(Duration),
    /// Something failed that the caller cannot fix (the database, the disk, a template).
    #[error("internal: {0}")]
    Internal(String),
}

/// Why nobody is signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unauthenticated {
    /// Unknown email or wrong password (which of the two is never said).
    WrongCredentials,
    /// No `Authorization` header.
    MissingToken,
    /// Not `<scheme> <token>`.
    MalformedToken,
    /// Past its `exp`.
    ExpiredToken,
    /// Bad signature, garbage, or its account is gone.
    InvalidToken,
    /// Logged out, or issued before the password last changed.
    RevokedToken,
}

impl AppError {
    /// [`AppError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, message: impl ToString) -> Self {
        Self::Invalid { field, message: message.to_string() }
    }

    /// [`AppError::Internal`], logged where it happens.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::Internal(what.to_string())
    }
}

impl From<persistence::DbErr> for AppError {
    fn from(e: persistence::DbErr) -> Self {
        Self::Internal(format!("database: {e}"))
    }
}

impl From<persistence::users::WriteError> for AppError {
    fn from(e: persistence::users::WriteError) -> Self {
        use persistence::users::WriteError;
        match e {
            WriteError::UsernameTaken => Self::Taken("username"),
            WriteError::EmailTaken => Self::Taken("email"),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(format!("io: {e}"))
    }
}

impl From<mail::MailError> for AppError {
    fn from(e: mail::MailError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// What every use case returns.
pub type AppResult<T> = Result<T, AppError>;
