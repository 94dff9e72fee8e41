//! The `/auth` services for programs. Two styles live side by side, as their clients expect:
//! session auth ([`sessions`]: form bodies, a `session_id` cookie naming a row in the same
//! `sessions` table the site uses) and token auth ([`tokens`]: JSON bodies, HS256 bearer tokens
//! that logging out revokes). Every answer is JSON, errors included: `{"message": ..}` from the
//! session service, `{"status": "fail", "message": ..}` from the token service.

mod sessions;
mod tokens;

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use serde::Serialize;
use utoipa::ToSchema;

use super::json::Answer;
use crate::config::AppConfig;

pub use sessions::SESSION_COOKIE;

pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Auth API", |rocket| async {
        if rocket.state::<AppConfig>().is_some_and(|c| c.auth_api) {
            rocket.mount("/auth", operations())
        } else {
            log::info!("the /auth services are off (auth_api = false)");
            rocket
        }
    })
}

super::openapi::documented_operations!(
    sessions::welcome,
    sessions::create_user,
    sessions::create_session,
    sessions::delete_session,
    sessions::profile,
    sessions::request_reset,
    sessions::reset_password,
    tokens::register,
    tokens::login,
    tokens::status,
    tokens::logout,
);

// ---- What goes over the wire ----

/// The session service's answers and refusals.
#[derive(Serialize, ToSchema)]
pub struct Message {
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmailMessage {
    email: String,
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionProfile {
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResetTokenIssued {
    email: String,
    reset_token: String,
}

/// `reset_token` is only answered when the server's `api_expose_reset_token` setting is on (for
/// testing clients); otherwise the token goes out by email.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ResetRequested {
    Mailed(EmailMessage),
    Exposed(ResetTokenIssued),
}

/// The token service's refusals (`status` is `"fail"`) and plain successes (`"success"`).
#[derive(Serialize, ToSchema)]
pub struct StatusMessage {
    status: String,
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenIssued {
    status: String,
    message: String,
    auth_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountStatus {
    status: String,
    data: Account,
}

#[derive(Serialize, ToSchema)]
pub struct Account {
    user_id: i64,
    username: String,
    email: String,
    admin: bool,
    #[schema(format = DateTime)]
    registered_on: String,
}

/// `{"message": "..."}`: the session service's answers (the catcher uses it too).
pub(crate) fn message(status: Status, text: &str) -> Answer {
    Answer::new(status, &Message { message: text.to_owned() })
}

fn email_message(email: &str, text: &str) -> Answer {
    Answer::ok(&EmailMessage { email: email.to_owned(), message: text.to_owned() })
}

/// `{"status": "fail", "message": "..."}`: the token service's refusals (the catcher uses it too).
pub(crate) fn fail(status: Status, text: &str) -> Answer {
    Answer::new(status, &StatusMessage { status: "fail".into(), message: text.to_owned() })
}

fn token_issued(status: Status, text: &str, auth_token: String) -> Answer {
    Answer::new(status, &TokenIssued { status: "success".into(), message: text.to_owned(), auth_token })
}

/// Which service answers, and so in which shape.
#[derive(Debug, Clone, Copy)]
enum Service {
    Sessions,
    Tokens,
}

/// A refusal of the `/auth` services, in its service's shape.
#[derive(Debug)]
pub struct AuthError {
    service: Service,
    status: Status,
    message: String,
}

impl AuthError {
    fn sessions(status: Status, message: impl Into<String>) -> Self {
        Self { service: Service::Sessions, status, message: message.into() }
    }

    fn tokens(status: Status, message: impl Into<String>) -> Self {
        Self { service: Service::Tokens, status, message: message.into() }
    }

    /// What no mapping of the handler's own covers: nothing internal is said.
    fn other(service: Service, e: app::AppError) -> Self {
        let status = match e {
            app::AppError::Invalid { field, message } => {
                return Self { service, status: Status::BadRequest, message: format!("{field}: {message}") };
            }
            app::AppError::Taken(field) => {
                return Self { service, status: Status::BadRequest, message: format!("{field} already registered") };
            }
            app::AppError::NotFound(_) => Status::NotFound,
            app::AppError::Forbidden | app::AppError::CommentsClosed => Status::Forbidden,
            app::AppError::Unauthenticated(_) => Status::Unauthorized,
            app::AppError::Throttled(_) => Status::TooManyRequests,
            app::AppError::Internal(e) => {
                log::error!("{e}");
                Status::InternalServerError
            }
        };
        Self { service, status, message: status.reason().unwrap_or("Error").to_owned() }
    }
}

impl<'r> Responder<'r, 'static> for AuthError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self.service {
            Service::Sessions => message(self.status, &self.message),
            Service::Tokens => fail(self.status, &self.message),
        }
        .respond_to(req)
    }
}

type AuthResult<T> = Result<T, AuthError>;

/// A required field, trimmed of nothing: missing or blank is `"<name> required"`.
fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, String> {
    value.as_deref().filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("{name} required"))
}
