//! The session service: form bodies, and a `session_id` cookie naming a session the site knows
//! too.

use app::accounts::{NewAccount, Reset, SessionLifetime};
use app::{App, AppError, User};
use domain::{Email, Password, Username};
use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::{State, delete, get, post, put, uri};
use utoipa::ToSchema;

use super::{
    AuthError, AuthResult, EmailMessage, Message, ResetRequested, ResetTokenIssued, Service, SessionProfile,
    email_message, message, required,
};
use crate::config::AppConfig;
use crate::guards::FromThisSite;
use crate::routes::body::FormBody;
use crate::routes::json::Answer;

/// The session service's cookie.
pub const SESSION_COOKIE: &str = "session_id";

fn refused(status: Status, text: impl Into<String>) -> AuthError {
    AuthError::sessions(status, text)
}

/// Says hello.
#[utoipa::path(tag = "Auth: sessions", responses((status = 200, description = "`Bienvenue`", body = Message)))]
#[get("/")]
pub(super) fn welcome() -> Answer {
    message(Status::Ok, "Bienvenue")
}

#[derive(Debug, FromForm, ToSchema)]
pub struct Credentials {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
    /// At registration only; without one, a free username is made from the email's local part.
    #[schema(value_type = String)]
    username: Option<String>,
}

impl Credentials {
    fn email_and_password(&self) -> Result<(&str, &str), String> {
        Ok((required(&self.email, "email")?, required(&self.password, "password")?))
    }
}

/// A registration from `/auth` (either service): the site's rules, field by field.
pub(super) fn new_account(email: &str, password: &str, username: Option<&str>) -> Result<NewAccount, String> {
    let email = Email::parse(email).map_err(|e| format!("email: {e}"))?;
    let password = Password::parse(password).map_err(|e| format!("password: {e}"))?;
    let username = match username.map(str::trim).filter(|u| !u.is_empty()) {
        Some(given) => Some(Username::parse(given).map_err(|e| format!("username: {e}"))?),
        None => None,
    };
    Ok(NewAccount { username, email, password, first_name: None, last_name: None })
}

/// What `/auth` says of a username someone else has.
pub(super) const USERNAME_TAKEN: &str = "username: That username is taken. Please choose another.";

/// Registers an account (the site's rules apply: a password of at least 8 characters).
#[utoipa::path(
    tag = "Auth: sessions",
    request_body(content = Credentials, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`user created`", body = EmailMessage),
        (status = 400, description = "`email already registered`, or a field missing or invalid", body = Message),
        (status = 403, description = "`cross-site request refused` (the `Origin` or `Sec-Fetch-Site` of another site)", body = Message),
        (status = 413, description = "The body is too large", body = Message),
        (status = 415, description = "The body is not form-encoded", body = Message),
        (status = 422, description = "The body is not a well-formed form", body = Message),
    )
)]
#[post("/users", data = "<form>")]
pub(super) async fn create_user(
    _from: FromThisSite,
    form: FormBody<Credentials>,
    app: &State<App>,
) -> AuthResult<Answer> {
    let (email, password) = form.email_and_password().map_err(|m| refused(Status::BadRequest, m))?;
    let new = new_account(email, password, form.username.as_deref()).map_err(|m| refused(Status::BadRequest, m))?;
    match app::accounts::register(app, new).await {
        Ok(user) => Ok(email_message(&user.email, "user created")),
        Err(AppError::Taken("email")) => Err(refused(Status::BadRequest, "email already registered")),
        Err(AppError::Taken(_)) => Err(refused(Status::BadRequest, USERNAME_TAKEN)),
        Err(e) => Err(AuthError::other(Service::Sessions, e)),
    }
}

/// Logs in: sets the `session_id` cookie, a session the site knows too.
#[utoipa::path(
    tag = "Auth: sessions",
    request_body(content = Credentials, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`logged in`", body = EmailMessage,
            headers(("Set-Cookie" = String, description = "`session_id=<opaque>; Path=/; HttpOnly`"))),
        (status = 400, description = "A field is missing", body = Message),
        (status = 401, description = "Wrong email or password", body = Message),
        (status = 403, description = "`cross-site request refused` (the `Origin` or `Sec-Fetch-Site` of another site)", body = Message),
        (status = 413, description = "The body is too large", body = Message),
        (status = 415, description = "The body is not form-encoded", body = Message),
        (status = 422, description = "The body is not a well-formed form", body = Message),
        (status = 429, description = "Too many failed logins for this account or address", body = Message),
    )
)]
#[post("/sessions", data = "<form>")]
pub(super) async fn create_session(
    _from: FromThisSite,
    form: FormBody<Credentials>,
    client: Option<std::net::IpAddr>,
    cookies: &CookieJar<'_>,
    app: &State<App>,
    config: &State<AppConfig>,
) -> AuthResult<Answer> {
    let (email, password) = form.email_and_password().map_err(|m| refused(Status::BadRequest, m))?;
    let user = app::accounts::log_in(app, email, password, client).await.map_err(|e| match e {
        AppError::Unauthenticated(_) => refused(Status::Unauthorized, "wrong email or password"),
        AppError::Throttled(wait) => refused(
            Status::TooManyRequests,
            format!("too many failed logins: try again in {}", domain::throttle::describe_wait(wait)),
        ),
        e => AuthError::other(Service::Sessions, e),
    })?;
    let lifetime = SessionLifetime::Remembered;
    let secret =
        app::accounts::start_session(app, &user, lifetime).await.map_err(|e| AuthError::other(Service::Sessions, e))?;
    cookies.add(
        Cookie::build((SESSION_COOKIE, secret))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(config.secure_cookies())
            .max_age(rocket::time::Duration::seconds(lifetime.duration().num_seconds())),
    );
    Ok(email_message(&user.email, "logged in"))
}

/// The account behind the `session_id` cookie and the session's secret: 403 "no valid session"
/// without a live one.
async fn session_user(app: &App, cookies: &CookieJar<'_>) -> AuthResult<(User, String)> {
    let no_session = || refused(Status::Forbidden, "no valid session");
    let secret = cookies.get(SESSION_COOKIE).map(|c| c.value().to_owned()).ok_or_else(no_session)?;
    let user = app::accounts::session_user(app, &secret).await.map_err(|e| AuthError::other(Service::Sessions, e))?;
    Ok((user.ok_or_else(no_session)?, secret))
}

/// Logs out: ends the session and redirects home.
#[utoipa::path(
    tag = "Auth: sessions",
    security(("Session" = [])),
    responses(
        (status = 302, description = "Logged out", headers(("Location" = String, description = "`/`"))),
        (status = 403, description = "No valid session, or `cross-site request refused` (the `Origin` or `Sec-Fetch-Site` of another site)", body = Message),
    )
)]
#[delete("/sessions")]
pub(super) async fn delete_session(
    _from: FromThisSite,
    cookies: &CookieJar<'_>,
    app: &State<App>,
) -> AuthResult<Redirect> {
    let (_, secret) = session_user(app, cookies).await?;
    app::accounts::end_session(app, &secret).await.map_err(|e| AuthError::other(Service::Sessions, e))?;
    cookies.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(Redirect::found(uri!(crate::routes::site::main::index(_))))
}

/// The session's account.
#[utoipa::path(
    tag = "Auth: sessions",
    security(("Session" = [])),
    responses(
        (status = 200, description = "The account's email", body = SessionProfile),
        (status = 403, description = "No valid session", body = Message),
    )
)]
#[get("/profile")]
pub(super) async fn profile(cookies: &CookieJar<'_>, app: &State<App>) -> AuthResult<Answer> {
    let (user, _) = session_user(app, cookies).await?;
    Ok(Answer::ok(&SessionProfile { email: user.email }))
}

#[derive(Debug, FromForm, ToSchema)]
pub struct ResetRequest {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
}

/// Sends a password reset link by email (or answers the token, for testing clients).
#[utoipa::path(
    tag = "Auth: sessions",
    request_body(content = ResetRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`reset email sent`", body = ResetRequested),
        (status = 400, description = "The email is missing", body = Message),
        (status = 403, description = "`unknown email`, or `cross-site request refused` (the `Origin` or `Sec-Fetch-Site` of another site)", body = Message),
        (status = 413, description = "The body is too large", body = Message),
        (status = 415, description = "The body is not form-encoded", body = Message),
        (status = 422, description = "The body is not a well-formed form", body = Message),
        (status = 429, description = "Too many reset requests for this account or address", body = Message),
    )
)]
#[post("/reset_password", data = "<form>")]
pub(super) async fn request_reset(
    _from: FromThisSite,
    form: FormBody<ResetRequest>,
    client: Option<std::net::IpAddr>,
    app: &State<App>,
    config: &State<AppConfig>,
) -> AuthResult<Answer> {
    let email = required(&form.email, "email").map_err(|m| refused(Status::BadRequest, m))?;
    let requested = app::accounts::request_reset(app, email, client, config.api_expose_reset_token).await;
    match requested.map_err(|e| match e {
        AppError::Throttled(wait) => refused(
            Status::TooManyRequests,
            format!("too many reset requests: try again in {}", domain::throttle::describe_wait(wait)),
        ),
        e => AuthError::other(Service::Sessions, e),
    })? {
        Reset::UnknownEmail => Err(refused(Status::Forbidden, "unknown email")),
        Reset::Token(account, reset_token) => {
            Ok(Answer::ok(&ResetRequested::Exposed(ResetTokenIssued { email: account.email, reset_token })))
        }
        Reset::Mailed(account) => Ok(Answer::ok(&ResetRequested::Mailed(EmailMessage {
            email: account.email,
            message: "reset email sent".into(),
        }))),
    }
}

#[derive(Debug, FromForm, ToSchema)]
pub struct ResetForm {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    #[schema(value_type = String, required = true)]
    reset_token: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    new_password: Option<String>,
}

/// Sets a new password with a reset token; the token then stops working, and so do the account's
/// sessions and API tokens.
#[utoipa::path(
    tag = "Auth: sessions",
    request_body(content = ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`Password updated`", body = EmailMessage),
        (status = 400, description = "A field is missing, or the new password is invalid", body = Message),
        (status = 403, description = "The token is invalid, expired, used or for another email, or `cross-site request refused`", body = Message),
        (status = 413, description = "The body is too large", body = Message),
        (status = 415, description = "The body is not form-encoded", body = Message),
        (status = 422, description = "The body is not a well-formed form", body = Message),
    )
)]
#[put("/reset_password", data = "<form>")]
pub(super) async fn reset_password(
    _from: FromThisSite,
    form: FormBody<ResetForm>,
    app: &State<App>,
) -> AuthResult<Answer> {
    let bad = |m| refused(Status::BadRequest, m);
    let email = required(&form.email, "email").map_err(bad)?;
    let token = required(&form.reset_token, "reset_token").map_err(bad)?;
    let new_password = required(&form.new_password, "new_password").map_err(bad)?;
    let invalid_token = |e| match e {
        AppError::NotFound(_) => refused(Status::Forbidden, "invalid or expired reset token"),
        e => AuthError::other(Service::Sessions, e),
    };
    // The token is judged before the new password.
    let account = app::accounts::reset_account(app, token).await.map_err(invalid_token)?;
    if !Email::parse(email).is_ok_and(|e| e.as_str() == account.email) {
        return Err(refused(Status::Forbidden, "invalid or expired reset token"));
    }
    let new_password = Password::parse(new_password).map_err(|e| bad(format!("new_password: {e}")))?;
    let account = app::accounts::reset_password(app, token, Some(email), new_password).await.map_err(invalid_token)?;
    Ok(email_message(&account.email, "Password updated"))
}
