//! What can go wrong in a handler, and the status each answers with. The catchers render the
//! page; nothing internal reaches the response.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("unprocessable")]
    Unprocessable,
    #[error(transparent)]
    Db(#[from] persistence::DbErr),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<persistence::users::WriteError> for Error {
    fn from(e: persistence::users::WriteError) -> Self {
        match e {
            persistence::users::WriteError::Db(e) => Error::Db(e),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("io: {e}"))
    }
}

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Err(match self {
            Error::NotFound => Status::NotFound,
            Error::Forbidden => Status::Forbidden,
            Error::Unprocessable => Status::UnprocessableEntity,
            Error::Db(e) => {
                log::error!("database: {e}");
                Status::InternalServerError
            }
            Error::Internal(e) => {
                log::error!("{e}");
                Status::InternalServerError
            }
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
