//! The token service: JSON bodies, and HS256 bearer tokens that logging out revokes.

use app::{App, AppError, Unauthenticated, User};
use rocket::http::Status;
use rocket::{State, get, post};
use serde::Deserialize;
use utoipa::ToSchema;

use super::sessions::{USERNAME_TAKEN, new_account};
use super::{
    Account, AccountStatus, AuthError, AuthResult, Service, StatusMessage, TokenIssued, required, token_issued,
};
use crate::guards::AuthorizationHeader;
use crate::routes::body::JsonBody;
use crate::routes::json::Answer;

fn refused(status: Status, text: impl Into<String>) -> AuthError {
    AuthError::tokens(status, text)
}

fn other(e: AppError) -> AuthError {
    AuthError::other(Service::Tokens, e)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JsonCredentials {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
    /// At registration only; without one, a free username is made from the email's local part.
    #[schema(value_type = String)]
    username: Option<String>,
}

/// Registers an account and answers a token.
#[utoipa::path(
    tag = "Auth: tokens",
    request_body = JsonCredentials,
    responses(
        (status = 201, description = "`Successfully registered.`", body = TokenIssued),
        (status = 400, description = "A field is missing or invalid, or the body is not JSON", body = StatusMessage),
        (status = 409, description = "`User already exists. Please log in.`", body = StatusMessage),
        (status = 413, description = "The body is too large", body = StatusMessage),
        (status = 422, description = "A field has the wrong type", body = StatusMessage),
    )
)]
#[post("/register", data = "<body>")]
pub(super) async fn register(body: JsonBody<JsonCredentials>, app: &State<App>) -> AuthResult<Answer> {
    let bad = |m| refused(Status::BadRequest, m);
    let email = required(&body.email, "email").map_err(bad)?;
    let password = required(&body.password, "password").map_err(bad)?;
    let new = new_account(email, password, body.username.as_deref()).map_err(bad)?;
    let user = app::accounts::register(app, new).await.map_err(|e| match e {
        AppError::Taken("email") => refused(Status::Conflict, "User already exists. Please log in."),
        AppError::Taken(_) => bad(USERNAME_TAKEN.to_owned()),
        e => other(e),
    })?;
    let token = app::accounts::issue_token(app, &user).map_err(other)?;
    Ok(token_issued(Status::Created, "Successfully registered.", token))
}

/// Logs in and answers a token.
#[utoipa::path(
    tag = "Auth: tokens",
    request_body = JsonCredentials,
    responses(
        (status = 200, description = "`Successfully logged in.`", body = TokenIssued),
        (status = 400, description = "The body is not JSON", body = StatusMessage),
        (status = 401, description = "`Invalid email or password.`", body = StatusMessage),
        (status = 413, description = "The body is too large", body = StatusMessage),
        (status = 422, description = "A field has the wrong type", body = StatusMessage),
        (status = 429, description = "Too many failed logins for this account or address", body = StatusMessage),
    )
)]
#[post("/login", data = "<body>")]
pub(super) async fn login(
    body: JsonBody<JsonCredentials>,
    client: Option<std::net::IpAddr>,
    app: &State<App>,
) -> AuthResult<Answer> {
    let email = body.email.as_deref().unwrap_or_default();
    let password = body.password.as_deref().unwrap_or_default();
    let user = app::accounts::log_in(app, email, password, client).await.map_err(|e| match e {
        AppError::Unauthenticated(_) => refused(Status::Unauthorized, "Invalid email or password."),
        AppError::Throttled(wait) => refused(
            Status::TooManyRequests,
            format!("Too many failed logins. Please try again in {}.", domain::throttle::describe_wait(wait)),
        ),
        e => other(e),
    })?;
    let token = app::accounts::issue_token(app, &user).map_err(other)?;
    Ok(token_issued(Status::Ok, "Successfully logged in.", token))
}

/// The account a bearer token stands for, and the token; 401 with the service's words otherwise.
async fn bearer_user(app: &App, header: &AuthorizationHeader) -> AuthResult<(User, app::tokens::api::Verified)> {
    app::accounts::token_user(app, header.0.as_deref(), &["Bearer"]).await.map_err(|e| match e {
        AppError::Unauthenticated(why) => refused(
            Status::Unauthorized,
            match why {
                Unauthenticated::MissingToken => "Provide a valid auth token.",
                Unauthenticated::MalformedToken => "Bearer token malformatted.",
                Unauthenticated::ExpiredToken => "Signature expired. Please log in again.",
                Unauthenticated::RevokedToken => "Token blacklisted. Please log in again.",
                Unauthenticated::InvalidToken | Unauthenticated::WrongCredentials => {
                    "Invalid token. Please log in again."
                }
            },
        ),
        e => other(e),
    })
}

/// The token's account.
#[utoipa::path(
    tag = "Auth: tokens",
    security(("Bearer" = [])),
    responses(
        (status = 200, description = "The account", body = AccountStatus),
        (status = 401, description = "No token, or one malformed, expired, invalid or logged out", body = StatusMessage),
    )
)]
#[get("/status")]
pub(super) async fn status(header: AuthorizationHeader, app: &State<App>) -> AuthResult<Answer> {
    let (user, _) = bearer_user(app, &header).await?;
    Ok(Answer::ok(&AccountStatus {
        status: "success".into(),
        data: Account {
            user_id: user.id,
            registered_on: user.created_at.to_rfc3339(),
            username: user.username,
            email: user.email,
            admin: user.is_admin,
        },
    }))
}

/// Logs the token out: it is refused from then on.
#[utoipa::path(
    tag = "Auth: tokens",
    security(("Bearer" = [])),
    responses(
        (status = 200, description = "`Successfully logged out.`", body = StatusMessage),
        (status = 401, description = "No token, or one malformed, expired, invalid or logged out", body = StatusMessage),
    )
)]
#[post("/logout")]
pub(super) async fn logout(header: AuthorizationHeader, app: &State<App>) -> AuthResult<Answer> {
    let (_, token) = bearer_user(app, &header).await?;
    app::accounts::revoke_token(app, &token).await.map_err(other)?;
    Ok(Answer::ok(&StatusMessage { status: "success".into(), message: "Successfully logged out.".into() }))
}
