//! The `/auth` services for programs. Two styles live side by side, as their clients expect:
//! session auth (form bodies, a `session_id` cookie naming a row in the same `sessions` table the
//! site uses) and token auth (JSON bodies, HS256 bearer tokens that logging out revokes). Every
//! answer is JSON, errors included.

use std::sync::Arc;

use super::body::{FormBody, JsonBody};
use chrono::Utc;
use domain::{Email, Password, Username};
use persistence::DatabaseConnection;
use persistence::users::{NewUser, User, WriteError};
use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::{Responder, State, delete, get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::Answer;

use crate::accounts::{self, Login};
use crate::config::{AppConfig, SigningKeys};
use crate::error::Error;
use crate::outbox::Outbox;
use crate::state::Passwords;
use crate::tokens;

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

/// The `/auth` session service's cookie.
pub const SESSION_COOKIE: &str = "session_id";
/// A session made through the API lasts as long as a "remember me" login on the site.
const SESSION_DAYS: i64 = 30;

super::openapi::documented_operations!(
    welcome,
    create_user,
    create_session,
    delete_session,
    profile,
    request_reset,
    reset_password,
    register,
    login,
    status,
    logout,
);

// ---- Who may write with a cookie ----

/// A request that no other site made: its `Origin` (when the browser sends one) is this site,
/// and `Sec-Fetch-Site` (likewise) is not another site's. Programs send neither and pass.
/// Guards every form-bodied route, the ones a browser's cookie or another site's form can reach,
/// before the body is read; refused, the request gets 403 "cross-site request refused".
pub struct FromThisSite;

/// Marks a request refused by [`FromThisSite`], for the catcher's message.
pub struct CrossSite(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for FromThisSite {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let fetch_site_ok = req.headers().get_one("Sec-Fetch-Site").is_none_or(|v| matches!(v, "same-origin" | "none"));
        let origin_ok = req.headers().get_one("Origin").is_none_or(|origin| {
            let public = req.rocket().state::<AppConfig>().map(|c| origin_of(&c.public_url));
            let host = req.headers().get_one("Host");
            public.is_some_and(|p| p.eq_ignore_ascii_case(origin))
                || host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h)))
        });
        if fetch_site_ok && origin_ok {
            Outcome::Success(FromThisSite)
        } else {
            req.local_cache(|| CrossSite(true));
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..].find('/').map_or(url, |end| &url[..after_scheme + end])
}

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

type Result<T> = std::result::Result<T, Error>;

/// Says hello.
#[utoipa::path(tag = "Auth: sessions", responses((status = 200, description = "`Bienvenue`", body = Message)))]
#[get("/")]
fn welcome() -> Answer {
    message(Status::Ok, "Bienvenue")
}

/// Registers an account from an email and a password, with the site's rules; without a username,
/// one is made from the email's local part (numbered until free).
async fn create_account(
    db: &DatabaseConnection,
    passwords: &Passwords,
    email: &str,
    password: &str,
    username: Option<&str>,
) -> Result<std::result::Result<User, Refusal>> {
    let email = match Email::parse(email) {
        Ok(e) => e,
        Err(e) => return Ok(Err(Refusal::Invalid(format!("email: {e}")))),
    };
    let password = match Password::parse(password) {
        Ok(p) => p,
        Err(e) => return Ok(Err(Refusal::Invalid(format!("password: {e}")))),
    };
    if persistence::users::email_taken(db, email.as_str(), None).await? {
        return Ok(Err(Refusal::Taken));
    }
    let username = match username.map(str::trim).filter(|u| !u.is_empty()) {
        Some(given) => match Username::parse(given) {
            Ok(u) if persistence::users::username_taken(db, u.as_str(), None).await? => {
                return Ok(Err(Refusal::Invalid("username: That username is taken. Please choose another.".into())));
            }
            Ok(u) => u,
            Err(e) => return Ok(Err(Refusal::Invalid(format!("username: {e}")))),
        },
        None => free_username(db, &email).await?,
    };
    let password_hash = passwords.hash(password).await?;
    let new = NewUser { username, email, password_hash, first_name: None, last_name: None };
    match persistence::users::insert(db, new, Utc::now()).await {
        Ok(user) => Ok(Ok(user)),
        Err(WriteError::EmailTaken) => Ok(Err(Refusal::Taken)),
        Err(WriteError::UsernameTaken) => {
            Ok(Err(Refusal::Invalid("username: That username is taken. Please choose another.".into())))
        }
        Err(e) => Err(e.into()),
    }
}

async fn free_username(db: &DatabaseConnection, email: &Email) -> Result<Username> {
    let base = Username::from_email(email);
    if !persistence::users::username_taken(db, base.as_str(), None).await? {
        return Ok(base);
    }
    for n in 2..1000 {
        let candidate = base.numbered(n);
        if !persistence::users::username_taken(db, candidate.as_str(), None).await? {
            return Ok(candidate);
        }
    }
    Ok(base.numbered(rand::random::<u32>() % 1_000_000))
}

enum Refusal {
    Taken,
    Invalid(String),
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

fn required<'a>(value: &'a Option<String>, name: &str) -> std::result::Result<&'a str, String> {
    value.as_deref().filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("{name} required"))
}

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
async fn create_user(
    _from: FromThisSite,
    form: FormBody<Credentials>,
    db: &State<DatabaseConnection>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let (email, password) = match (required(&form.email, "email"), required(&form.password, "password")) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(m), _) | (_, Err(m)) => return Ok(message(Status::BadRequest, &m)),
    };
    Ok(match create_account(db, passwords, email, password, form.username.as_deref()).await? {
        Ok(user) => email_message(&user.email, "user created"),
        Err(Refusal::Taken) => message(Status::BadRequest, "email already registered"),
        Err(Refusal::Invalid(m)) => message(Status::BadRequest, &m),
    })
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
async fn create_session(
    _from: FromThisSite,
    form: FormBody<Credentials>,
    client: Option<std::net::IpAddr>,
    cookies: &CookieJar<'_>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let (email, password) = match (required(&form.email, "email"), required(&form.password, "password")) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(m), _) | (_, Err(m)) => return Ok(message(Status::BadRequest, &m)),
    };
    match accounts::log_in(db, passwords, email, password, client).await? {
        Login::Success(user) => {
            let secret = crate::guards::new_secret();
            let now = Utc::now();
            persistence::sessions::insert(
                db.inner(),
                &secret,
                user.id,
                now,
                now + chrono::Duration::days(SESSION_DAYS),
            )
            .await?;
            cookies.add(
                Cookie::build((SESSION_COOKIE, secret))
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(config.secure_cookies())
                    .max_age(rocket::time::Duration::days(SESSION_DAYS)),
            );
            Ok(email_message(&user.email, "logged in"))
        }
        Login::Refused => Ok(message(Status::Unauthorized, "wrong email or password")),
        Login::Throttled(wait) => Ok(message(
            Status::TooManyRequests,
            &format!("too many failed logins: try again in {}", domain::throttle::describe_wait(wait)),
        )),
    }
}

/// The account behind the `session_id` cookie, if it names a live session.
async fn session_user(db: &DatabaseConnection, cookies: &CookieJar<'_>) -> Result<Option<(User, String)>> {
    let Some(secret) = cookies.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else { return Ok(None) };
    Ok(persistence::sessions::find_user(db, &secret, Utc::now()).await?.map(|u| (u, secret)))
}

#[derive(Responder)]
enum Ended {
    Redirect(Box<Redirect>),
    Refused(Answer),
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
async fn delete_session(_from: FromThisSite, cookies: &CookieJar<'_>, db: &State<DatabaseConnection>) -> Result<Ended> {
    let Some((_, secret)) = session_user(db, cookies).await? else {
        return Ok(Ended::Refused(message(Status::Forbidden, "no valid session")));
    };
    persistence::sessions::delete(db.inner(), &secret).await?;
    cookies.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(Ended::Redirect(Box::new(Redirect::found("/"))))
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
async fn profile(cookies: &CookieJar<'_>, db: &State<DatabaseConnection>) -> Result<Answer> {
    Ok(match session_user(db, cookies).await? {
        Some((user, _)) => Answer::ok(&SessionProfile { email: user.email }),
        None => message(Status::Forbidden, "no valid session"),
    })
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
async fn request_reset(
    _from: FromThisSite,
    form: FormBody<ResetRequest>,
    client: Option<std::net::IpAddr>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    outbox: &State<Arc<Outbox>>,
) -> Result<Answer> {
    let email = match required(&form.email, "email") {
        Ok(e) => e,
        Err(m) => return Ok(message(Status::BadRequest, &m)),
    };
    if let Some(wait) = accounts::reset_throttle(db, email, client).await? {
        return Ok(message(
            Status::TooManyRequests,
            &format!("too many reset requests: try again in {}", domain::throttle::describe_wait(wait)),
        ));
    }
    let account = match Email::parse(email) {
        Ok(e) => persistence::users::find_by_email(db.inner(), e.as_str()).await?,
        Err(_) => None,
    };
    let Some(account) = account else { return Ok(message(Status::Forbidden, "unknown email")) };
    if config.api_expose_reset_token {
        let token = accounts::reset_token(keys, config, &account)?;
        return Ok(Answer::ok(&ResetRequested::Exposed(ResetTokenIssued { email: account.email, reset_token: token })));
    }
    let txn = persistence::begin_write(db).await?;
    accounts::queue_reset_mail(&txn, outbox, keys, config, &account).await?;
    txn.commit().await?;
    outbox.wake();
    Ok(Answer::ok(&ResetRequested::Mailed(EmailMessage { email: account.email, message: "reset email sent".into() })))
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
async fn reset_password(
    _from: FromThisSite,
    form: FormBody<ResetForm>,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
    outbox: &State<Arc<Outbox>>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let fields = (
        required(&form.email, "email"),
        required(&form.reset_token, "reset_token"),
        required(&form.new_password, "new_password"),
    );
    let (email, token, new_password) = match fields {
        (Ok(e), Ok(t), Ok(p)) => (e, t, p),
        (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => return Ok(message(Status::BadRequest, &m)),
    };
    let account = accounts::reset_token_account(db, keys, token).await?;
    let Some(account) = account.filter(|a| Email::parse(email).is_ok_and(|e| e.as_str() == a.email)) else {
        return Ok(message(Status::Forbidden, "invalid or expired reset token"));
    };
    let new_password = match Password::parse(new_password) {
        Ok(p) => p,
        Err(e) => return Ok(message(Status::BadRequest, &format!("new_password: {e}"))),
    };
    accounts::reset_password(db, passwords, outbox, keys, config, &account, new_password).await?;
    Ok(email_message(&account.email, "Password updated"))
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
async fn register(
    body: JsonBody<JsonCredentials>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let (email, password) = match (required(&body.email, "email"), required(&body.password, "password")) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(m), _) | (_, Err(m)) => return Ok(fail(Status::BadRequest, &m)),
    };
    Ok(match create_account(db, passwords, email, password, body.username.as_deref()).await? {
        Ok(user) => {
            token_issued(Status::Created, "Successfully registered.", accounts::api_token(keys, config, &user)?)
        }
        Err(Refusal::Taken) => fail(Status::Conflict, "User already exists. Please log in."),
        Err(Refusal::Invalid(m)) => fail(Status::BadRequest, &m),
    })
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
async fn login(
    body: JsonBody<JsonCredentials>,
    client: Option<std::net::IpAddr>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let email = body.email.as_deref().unwrap_or_default();
    let password = body.password.as_deref().unwrap_or_default();
    Ok(match accounts::log_in(db, passwords, email, password, client).await? {
        Login::Success(user) => {
            token_issued(Status::Ok, "Successfully logged in.", accounts::api_token(keys, config, &user)?)
        }
        Login::Refused => fail(Status::Unauthorized, "Invalid email or password."),
        Login::Throttled(wait) => fail(
            Status::TooManyRequests,
            &format!("Too many failed logins. Please try again in {}.", domain::throttle::describe_wait(wait)),
        ),
    })
}

/// The `Authorization` header, as sent.
pub struct AuthorizationHeader(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthorizationHeader {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(req.headers().get_one("Authorization").map(str::to_owned)))
    }
}

/// The account a bearer token stands for, or the refusal to send.
async fn bearer_user(
    db: &DatabaseConnection,
    keys: &SigningKeys,
    header: &AuthorizationHeader,
) -> Result<std::result::Result<(User, tokens::api::Verified), Answer>> {
    use accounts::TokenRefusal::*;
    Ok(accounts::token_user(db, keys, header.0.as_deref(), &["Bearer"]).await?.map_err(|refusal| {
        let text = match refusal {
            Missing => "Provide a valid auth token.",
            Malformed => "Bearer token malformatted.",
            Expired => "Signature expired. Please log in again.",
            Invalid => "Invalid token. Please log in again.",
            Revoked => "Token blacklisted. Please log in again.",
        };
        fail(Status::Unauthorized, text)
    }))
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
async fn status(
    header: AuthorizationHeader,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
) -> Result<Answer> {
    Ok(match bearer_user(db, keys, &header).await? {
        Ok((user, _)) => Answer::ok(&AccountStatus {
            status: "success".into(),
            data: Account {
                user_id: user.id,
                registered_on: user.created_at.to_rfc3339(),
                username: user.username,
                email: user.email,
                admin: user.is_admin,
            },
        }),
        Err(refusal) => refusal,
    })
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
async fn logout(
    header: AuthorizationHeader,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
) -> Result<Answer> {
    Ok(match bearer_user(db, keys, &header).await? {
        Ok((_, verified)) => {
            persistence::revoked_tokens::insert(db.inner(), &verified.jti, verified.expires_at).await?;
            Answer::ok(&StatusMessage { status: "success".into(), message: "Successfully logged out.".into() })
        }
        Err(refusal) => refusal,
    })
}
