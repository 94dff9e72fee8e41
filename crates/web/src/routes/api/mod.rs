//! The RealWorld ("Conduit") API under `/api`: users, profiles and follows, articles (Gazette's
//! posts) with tags, favourites and comments. Shapes, statuses and errors follow the spec in the
//! RealWorld repository; every answer is JSON. The types in [`wire`] are both what goes over the
//! wire and what `GET /api/openapi.json` describes.

mod articles;
mod comments;
mod profiles;
mod tags;
mod users;
pub mod wire;

use std::collections::BTreeMap;

use app::AppError;
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::{options, routes};

use crate::config::AppConfig;
use crate::routes::json::Answer;
use wire::Errors;

pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("RealWorld API", |rocket| async {
        let config = rocket.state::<AppConfig>();
        let spec =
            super::openapi::Spec::new(config.map_or("/", |c| c.public_url.as_str()), config.is_none_or(|c| c.auth_api));
        let mut mounted = routes![preflight, super::openapi::document];
        mounted.extend(crate::replay::remember(operations()));
        rocket.manage(spec).mount("/api", mounted)
    })
}

super::openapi::documented_operations!(
    users::login,
    users::register,
    users::current_user,
    users::update_user,
    profiles::profile,
    profiles::follow,
    profiles::unfollow,
    articles::list_articles,
    articles::feed,
    articles::article,
    articles::create_article,
    articles::update_article,
    articles::delete_article,
    comments::add_comment,
    comments::comments,
    comments::delete_comment,
    articles::favorite,
    articles::unfavorite,
    tags::tags,
);

/// Preflight requests for CORS (the headers themselves come from the CORS fairing).
#[options("/<_..>")]
fn preflight() -> Status {
    Status::NoContent
}

/// A refusal: its status and `{"errors": {"<field>": ["..."]}}` (`body` when no one field is to
/// blame).
#[derive(Debug)]
pub struct ApiError {
    status: Status,
    field: String,
    message: String,
}

impl ApiError {
    /// 422 naming the field.
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        Self { status: Status::UnprocessableEntity, field: field.to_owned(), message: message.to_string() }
    }

    /// A refusal not about one field.
    pub fn refused(status: Status, message: impl ToString) -> Self {
        Self { status, field: "body".to_owned(), message: message.to_string() }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid { field, message } => Self::invalid(field, message),
            AppError::Taken(field) => Self::invalid(field, "has already been taken"),
            AppError::NotFound(what) => {
                let what = match what {
                    "post" => "article",
                    "account" => "profile",
                    other => other,
                };
                Self::refused(Status::NotFound, format!("{what} not found"))
            }
            AppError::Forbidden => Self::refused(Status::Forbidden, "forbidden"),
            AppError::CommentsClosed => Self::refused(Status::Forbidden, "comments are closed"),
            AppError::Unauthenticated(_) => Self::refused(Status::Unauthorized, "email or password is invalid"),
            AppError::Throttled(wait) => Self::refused(
                Status::TooManyRequests,
                format!("too many failed logins: try again in {}", domain::throttle::describe_wait(wait)),
            ),
            AppError::Internal(e) => {
                log::error!("{e}");
                Self::refused(Status::InternalServerError, "Internal Server Error")
            }
        }
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        Answer::new(self.status, &Errors { errors: BTreeMap::from([(self.field, vec![self.message])]) }).respond_to(req)
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// `{"errors": {"body": ["..."]}}` with its status (the catcher answers in this shape).
pub(crate) fn refused(status: Status, message: &str) -> Answer {
    Answer::new(status, &Errors { errors: BTreeMap::from([("body".to_owned(), vec![message.to_owned()])]) })
}

/// Listings' `limit` when none is given, and the most one page may hold.
const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;
/// Comments answered at once, when `limit` is not given and at most.
const COMMENTS_LIMIT: u64 = 100;

/// `limit` and `offset` as sent: each a whole number from 0 to `i64::MAX` (what databases take),
/// or absent (`default` and 0); `limit` is capped at `most`.
fn window_of(limit: Option<&str>, offset: Option<&str>, default: u64, most: u64) -> ApiResult<(u64, u64)> {
    let number = |field: &str, raw: Option<&str>, default: u64| match raw {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<i64>().map(u64::try_from) {
            Ok(Ok(n)) => Ok(n),
            _ => Err(ApiError::invalid(field, "must be a whole number, 0 or more")),
        },
    };
    Ok((number("limit", limit, default)?.min(most), number("offset", offset, 0)?))
}
