//! The `/auth` services for programs. Two styles live side by side, as their clients expect:
//! session auth (form bodies, a `session_id` cookie naming a row in the same `sessions` table the
//! site uses) and token auth (JSON bodies, HS256 bearer tokens that logging out revokes). Every
//! answer is JSON, errors included.

use std::sync::Arc;

use chrono::Utc;
use domain::{Email, Password, Username};
use persistence::DatabaseConnection;
use persistence::users::{NewUser, User, WriteError};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::serde::json::{Json, Value, json};
use rocket::{Responder, State, delete, get, post, put, routes};
use serde::Deserialize;

use crate::accounts::{self, Login};
use crate::config::{AppConfig, SigningKeys};
use crate::error::Error;
use crate::outbox::Outbox;
use crate::state::Passwords;
use crate::tokens;

pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Auth API", |rocket| async {
        rocket.mount(
            "/auth",
            routes![
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
                logout
            ],
        )
    })
}

const SESSION_COOKIE: &str = "session_id";
/// A session made through the API lasts as long as a "remember me" login on the site.
const SESSION_DAYS: i64 = 30;

/// A JSON answer with its status.
#[derive(Responder)]
pub struct Answer((Status, Json<Value>));

fn answer(status: Status, body: Value) -> Answer {
    Answer((status, Json(body)))
}

fn message(status: Status, text: &str) -> Answer {
    answer(status, json!({ "message": text }))
}

fn fail(status: Status, text: &str) -> Answer {
    answer(status, json!({ "status": "fail", "message": text }))
}

type Result<T> = std::result::Result<T, Error>;

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

#[derive(Debug, FromForm)]
struct Credentials {
    email: Option<String>,
    password: Option<String>,
    username: Option<String>,
}

fn required<'a>(value: &'a Option<String>, name: &str) -> std::result::Result<&'a str, String> {
    value.as_deref().filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("{name} required"))
}

#[post("/users", data = "<form>")]
async fn create_user(
    form: Form<Credentials>,
    db: &State<DatabaseConnection>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let (email, password) = match (required(&form.email, "email"), required(&form.password, "password")) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(m), _) | (_, Err(m)) => return Ok(message(Status::BadRequest, &m)),
    };
    Ok(match create_account(db, passwords, email, password, form.username.as_deref()).await? {
        Ok(user) => answer(Status::Ok, json!({ "email": user.email, "message": "user created" })),
        Err(Refusal::Taken) => message(Status::BadRequest, "email already registered"),
        Err(Refusal::Invalid(m)) => message(Status::BadRequest, &m),
    })
}

#[post("/sessions", data = "<form>")]
async fn create_session(
    form: Form<Credentials>,
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
            Ok(answer(Status::Ok, json!({ "email": user.email, "message": "logged in" })))
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

#[delete("/sessions")]
async fn delete_session(cookies: &CookieJar<'_>, db: &State<DatabaseConnection>) -> Result<Ended> {
    let Some((_, secret)) = session_user(db, cookies).await? else {
        return Ok(Ended::Refused(message(Status::Forbidden, "no valid session")));
    };
    persistence::sessions::delete(db.inner(), &secret).await?;
    cookies.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(Ended::Redirect(Box::new(Redirect::found("/"))))
}

#[get("/profile")]
async fn profile(cookies: &CookieJar<'_>, db: &State<DatabaseConnection>) -> Result<Answer> {
    Ok(match session_user(db, cookies).await? {
        Some((user, _)) => answer(Status::Ok, json!({ "email": user.email })),
        None => message(Status::Forbidden, "no valid session"),
    })
}

#[derive(Debug, FromForm)]
struct ResetRequest {
    email: Option<String>,
}

#[post("/reset_password", data = "<form>")]
async fn request_reset(
    form: Form<ResetRequest>,
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
        return Ok(answer(Status::Ok, json!({ "email": account.email, "reset_token": token })));
    }
    let txn = sea_orm::TransactionTrait::begin(db.inner()).await?;
    accounts::queue_reset_mail(&txn, outbox, keys, config, &account).await?;
    txn.commit().await?;
    outbox.wake();
    Ok(answer(Status::Ok, json!({ "email": account.email, "message": "reset email sent" })))
}

#[derive(Debug, FromForm)]
struct ResetForm {
    email: Option<String>,
    reset_token: Option<String>,
    new_password: Option<String>,
}

#[put("/reset_password", data = "<form>")]
async fn reset_password(
    form: Form<ResetForm>,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
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
    accounts::reset_password(db, passwords, &account, new_password).await?;
    Ok(answer(Status::Ok, json!({ "email": account.email, "message": "Password updated" })))
}

#[derive(Debug, Deserialize)]
struct JsonCredentials {
    email: Option<String>,
    password: Option<String>,
    username: Option<String>,
}

fn token_for(keys: &SigningKeys, config: &AppConfig, user: &User) -> Result<String> {
    tokens::api::issue(&keys.auth, user.id, &user.password_hash, config.auth_token_ttl)
        .map_err(|e| Error::Internal(format!("auth token: {e}")))
}

#[post("/register", data = "<body>")]
async fn register(
    body: Json<JsonCredentials>,
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
        Ok(user) => answer(
            Status::Created,
            json!({ "status": "success", "message": "Successfully registered.", "auth_token": token_for(keys, config, &user)? }),
        ),
        Err(Refusal::Taken) => fail(Status::Conflict, "User already exists. Please log in."),
        Err(Refusal::Invalid(m)) => fail(Status::BadRequest, &m),
    })
}

#[post("/login", data = "<body>")]
async fn login(
    body: Json<JsonCredentials>,
    client: Option<std::net::IpAddr>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let email = body.email.as_deref().unwrap_or_default();
    let password = body.password.as_deref().unwrap_or_default();
    Ok(match accounts::log_in(db, passwords, email, password, client).await? {
        Login::Success(user) => answer(
            Status::Ok,
            json!({ "status": "success", "message": "Successfully logged in.", "auth_token": token_for(keys, config, &user)? }),
        ),
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

#[get("/status")]
async fn status(
    header: AuthorizationHeader,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
) -> Result<Answer> {
    Ok(match bearer_user(db, keys, &header).await? {
        Ok((user, _)) => answer(
            Status::Ok,
            json!({ "status": "success", "data": {
                "user_id": user.id,
                "username": user.username,
                "email": user.email,
                "admin": user.is_admin,
                "registered_on": user.created_at.to_rfc3339(),
            }}),
        ),
        Err(refusal) => refusal,
    })
}

#[post("/logout")]
async fn logout(
    header: AuthorizationHeader,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
) -> Result<Answer> {
    Ok(match bearer_user(db, keys, &header).await? {
        Ok((_, verified)) => {
            persistence::revoked_tokens::insert(db.inner(), &verified.jti, verified.expires_at).await?;
            answer(Status::Ok, json!({ "status": "success", "message": "Successfully logged out." }))
        }
        Err(refusal) => refusal,
    })
}
