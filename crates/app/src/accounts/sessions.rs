//! Who is asking: logging in (throttled), sessions (the site's cookie and the `/auth` session
//! service share one table), and API tokens.

use base64::Engine;
use domain::throttle::{LOGIN_PER_ACCOUNT, LOGIN_PER_ACCOUNT_AND_ADDRESS, LOGIN_PER_ADDRESS};

use crate::tokens::api::{self, Verified};
use crate::{App, AppError, AppResult, Unauthenticated, User, throttle};

/// Checks `email` and `password`, counting failures per (account, client address), per address
/// and per account (the rule is `domain::throttle`'s). An unknown email costs the same bcrypt
/// check as a wrong password. [`AppError::Throttled`] past the limit (even with the right
/// password), [`Unauthenticated::WrongCredentials`] for a wrong email or password.
pub async fn log_in(app: &App, email: &str, password: &str, client: Option<std::net::IpAddr>) -> AppResult<User> {
    let db = app.db();
    let (account_key, address_key) = (throttle::account_key(email), throttle::address_key(client));
    let pair_key = throttle::pair_key(email, client);
    let checks = [(pair_key.as_str(), LOGIN_PER_ACCOUNT_AND_ADDRESS), (address_key.as_str(), LOGIN_PER_ADDRESS)];
    // Checked before the password: once locked, even the right password must wait.
    if let Some(wait) = throttle::wait(db, throttle::LOGIN, &checks).await? {
        return Err(AppError::Throttled(wait));
    }
    // Guessing spread over many addresses: each address that has failed for this account waits,
    // the owner's own address (with no failure of its own) does not.
    if let Some(wait) = throttle::wait(db, throttle::LOGIN, &[(account_key.as_str(), LOGIN_PER_ACCOUNT)]).await?
        && throttle::any_within(db, throttle::LOGIN, &pair_key, LOGIN_PER_ACCOUNT).await?
    {
        return Err(AppError::Throttled(wait));
    }
    let account = match domain::Email::parse(email) {
        Ok(email) => persistence::users::find_by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    let hash = account.as_ref().map(|u| u.password_hash.clone());
    let valid = app.passwords().verify(password.to_owned(), hash).await?;
    match account {
        Some(account) if valid => {
            persistence::throttle::clear(db, throttle::LOGIN, &pair_key).await?;
            Ok(account)
        }
        _ => {
            throttle::record(db, throttle::LOGIN, &[&pair_key, &address_key, &account_key]).await?;
            Err(AppError::Unauthenticated(Unauthenticated::WrongCredentials))
        }
    }
}

/// How long a new session lasts on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLifetime {
    /// "Remember me", and every session of the `/auth` service: 30 days.
    Remembered,
    /// A browser session: the server honours it for 24 hours (the cookie dies with the browser).
    Browser,
}

impl SessionLifetime {
    /// How long that is.
    pub fn duration(self) -> chrono::Duration {
        match self {
            Self::Remembered => chrono::Duration::days(30),
            Self::Browser => chrono::Duration::hours(24),
        }
    }
}

/// Starts a session for `account` and answers its secret (256 random bits), for the cookie.
pub async fn start_session(app: &App, account: &User, lifetime: SessionLifetime) -> AppResult<String> {
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let now = app.clock().now();
    persistence::sessions::insert(app.db(), &secret, account.id, now, now + lifetime.duration()).await?;
    Ok(secret)
}

/// The account of the live session `secret` names, if any.
pub async fn session_user(app: &App, secret: &str) -> AppResult<Option<User>> {
    Ok(persistence::sessions::find_user(app.db(), secret, app.clock().now()).await?)
}

/// Ends the session `secret` names.
pub async fn end_session(app: &App, secret: &str) -> AppResult<()> {
    Ok(persistence::sessions::delete(app.db(), secret).await?)
}

/// An API token for `account`, valid for the `auth_token_ttl` setting.
pub fn issue_token(app: &App, account: &User) -> AppResult<String> {
    api::issue(&app.keys().auth, account.id, &account.password_hash, app.settings().auth_token_ttl, app.clock().now())
        .map_err(|e| AppError::internal(format!("auth token: {e}")))
}

/// The account an `Authorization: <scheme> <token>` header stands for, with one of `schemes`,
/// and the token; [`AppError::Unauthenticated`] says why not.
pub async fn token_user(app: &App, header: Option<&str>, schemes: &[&str]) -> AppResult<(User, Verified)> {
    let refuse = |why| Err(AppError::Unauthenticated(why));
    let Some(header) = header else { return refuse(Unauthenticated::MissingToken) };
    let token = header
        .split_once(' ')
        .filter(|(scheme, token)| schemes.contains(scheme) && !token.trim().is_empty() && !token.trim().contains(' '))
        .map(|(_, token)| token.trim());
    let Some(token) = token else { return refuse(Unauthenticated::MalformedToken) };
    let verified = match api::verify(&app.keys().auth, token, app.clock().now()) {
        Ok(v) => v,
        Err(api::Refusal::Expired) => return refuse(Unauthenticated::ExpiredToken),
        Err(api::Refusal::Invalid) => return refuse(Unauthenticated::InvalidToken),
    };
    let Some((user, revoked)) = persistence::users::find_for_token(app.db(), verified.user_id, &verified.jti).await?
    else {
        return refuse(Unauthenticated::InvalidToken);
    };
    if revoked || !verified.password_unchanged(&user.password_hash) {
        return refuse(Unauthenticated::RevokedToken);
    }
    Ok((user, verified))
}

/// Logs a token out: it is refused from then on.
pub async fn revoke_token(app: &App, token: &Verified) -> AppResult<()> {
    Ok(persistence::revoked_tokens::insert(app.db(), &token.jti, token.expires_at).await?)
}
