//! What the site and the APIs do alike with accounts: logging in (with throttling), mailing a
//! reset link, and setting a new password. One copy of each rule for every front door.

use std::time::Duration;

use domain::throttle::{
    LOGIN_PER_ACCOUNT, LOGIN_PER_ACCOUNT_AND_ADDRESS, LOGIN_PER_ADDRESS, RESET_PER_ACCOUNT, RESET_PER_ADDRESS,
};
use persistence::DatabaseConnection;
use persistence::users::User;
use rocket_dyn_templates::context;
use sea_orm::ConnectionTrait;

use crate::config::{AppConfig, SigningKeys};
use crate::error::Error;
use crate::outbox::Outbox;
use crate::state::Passwords;
use crate::{throttle, tokens};

/// How a login attempt ended.
pub enum Login {
    /// The password is right.
    Success(User),
    /// Unknown email or wrong password (the caller cannot tell which, by design).
    Refused,
    /// Too many failures lately: wait this long.
    Throttled(Duration),
}

/// Checks `email` and `password`, counting failures per (account, client address), per
/// address and per account (the rule is `domain::throttle`'s). An unknown email costs the same
/// bcrypt check as a wrong password.
pub async fn log_in(
    db: &DatabaseConnection,
    passwords: &Passwords,
    email: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Login, Error> {
    let (account_key, address_key) = (throttle::account_key(email), throttle::address_key(client));
    let pair_key = throttle::pair_key(email, client);
    let checks = [(pair_key.as_str(), LOGIN_PER_ACCOUNT_AND_ADDRESS), (address_key.as_str(), LOGIN_PER_ADDRESS)];
    // Checked before the password: once locked, even the right password must wait.
    if let Some(wait) = throttle::wait(db, throttle::LOGIN, &checks).await? {
        return Ok(Login::Throttled(wait));
    }
    // Guessing spread over many addresses: each address that has failed for this account waits,
    // the owner's own address (with no failure of its own) does not.
    if let Some(wait) = throttle::wait(db, throttle::LOGIN, &[(account_key.as_str(), LOGIN_PER_ACCOUNT)]).await?
        && throttle::any_within(db, throttle::LOGIN, &pair_key, LOGIN_PER_ACCOUNT).await?
    {
        return Ok(Login::Throttled(wait));
    }
    let account = match domain::Email::parse(email) {
        Ok(email) => persistence::users::find_by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    let hash = account.as_ref().map(|u| u.password_hash.clone());
    let valid = passwords.verify(password.to_owned(), hash).await?;
    match account {
        Some(account) if valid => {
            persistence::throttle::clear(db, throttle::LOGIN, &pair_key).await?;
            Ok(Login::Success(account))
        }
        _ => {
            throttle::record(db, throttle::LOGIN, &[&pair_key, &address_key, &account_key]).await?;
            Ok(Login::Refused)
        }
    }
}

/// A password-reset token for `account`.
pub fn reset_token(keys: &SigningKeys, config: &AppConfig, account: &User) -> Result<String, Error> {
    tokens::issue(&keys.reset, account.id, &account.password_hash, config.reset_token_ttl)
        .map_err(|e| Error::Internal(format!("reset token: {e}")))
}

/// An API token (`Authorization: Bearer`/`Token`) for `account`, valid for `auth_token_ttl`.
pub fn api_token(keys: &SigningKeys, config: &AppConfig, account: &User) -> Result<String, Error> {
    tokens::api::issue(&keys.auth, account.id, &account.password_hash, config.auth_token_ttl)
        .map_err(|e| Error::Internal(format!("auth token: {e}")))
}

/// Stores the reset mail for `account` in the outbox, on `conn` (the caller's transaction).
pub async fn queue_reset_mail(
    conn: &impl ConnectionTrait,
    outbox: &Outbox,
    keys: &SigningKeys,
    config: &AppConfig,
    account: &User,
) -> Result<(), Error> {
    let token = reset_token(keys, config, account)?;
    let link = format!("{}/reset_password/{token}", config.public_url.trim_end_matches('/'));
    let minutes = config.reset_token_ttl.div_ceil(60);
    let context = context! { username: &account.username, link, minutes, public_url: &config.public_url };
    outbox.enqueue(conn, "reset_password", &account.email, &context).await?;
    Ok(())
}

/// What a change to an account touched, for the notice to its previous address.
pub enum Changed<'a> {
    /// The email address, now this one.
    Email(&'a str),
    /// The password.
    Password,
}

/// Stores, on `conn` (the change's own transaction), the notice that tells `previous_email` what
/// changed in `account` (as it is after the change) and gives a reset link to take the account
/// back if it was not its owner. Wake the outbox once the change has committed.
pub async fn queue_change_notice(
    conn: &impl ConnectionTrait,
    outbox: &Outbox,
    keys: &SigningKeys,
    config: &AppConfig,
    account: &User,
    previous_email: &str,
    changes: &[Changed<'_>],
) -> Result<(), Error> {
    let notice = change_notice(outbox, keys, config, account, previous_email, changes)?;
    persistence::outbox::enqueue(conn, notice, chrono::Utc::now()).await?;
    Ok(())
}

/// The notice of [`queue_change_notice`], rendered.
pub fn change_notice(
    outbox: &Outbox,
    keys: &SigningKeys,
    config: &AppConfig,
    account: &User,
    previous_email: &str,
    changes: &[Changed<'_>],
) -> Result<persistence::outbox::NewMessage, Error> {
    let token = reset_token(keys, config, account)?;
    let link = format!("{}/reset_password/{token}", config.public_url.trim_end_matches('/'));
    let changes: Vec<String> = changes
        .iter()
        .map(|c| match c {
            Changed::Email(new) => format!("your email address, now {new}"),
            Changed::Password => "your password".to_owned(),
        })
        .collect();
    let when = chrono::Utc::now().format("%-d %B %Y at %H:%M UTC").to_string();
    let minutes = config.reset_token_ttl.div_ceil(60);
    let context =
        context! { username: &account.username, changes, when, link, minutes, public_url: &config.public_url };
    outbox.render("account_changed", previous_email, &context)
}

/// The account a reset token stands for, if the token is valid, unexpired and unused.
pub async fn reset_token_account(
    db: &DatabaseConnection,
    keys: &SigningKeys,
    token: &str,
) -> Result<Option<User>, Error> {
    let Some((id, fingerprint)) = tokens::user_id(&keys.reset, token) else { return Ok(None) };
    let account = persistence::users::find_by_id(db, id).await?;
    Ok(account.filter(|a| tokens::matches_password(&fingerprint, &a.password_hash)))
}

/// Sets a new password after a reset: every session of the account ends (and, with the new hash,
/// every reset link and API token issued before), the account's failed logins, from every
/// address, are forgotten, and its address is told.
pub async fn reset_password(
    db: &DatabaseConnection,
    passwords: &Passwords,
    outbox: &Outbox,
    keys: &SigningKeys,
    config: &AppConfig,
    account: &User,
    new: domain::Password,
) -> Result<(), Error> {
    let hash = passwords.hash(new).await?;
    let txn = persistence::begin_write(db).await?;
    persistence::users::set_password_hash(&txn, account.id, hash.clone()).await?;
    let after = User { password_hash: hash, ..account.clone() };
    queue_change_notice(&txn, outbox, keys, config, &after, &account.email, &[Changed::Password]).await?;
    persistence::sessions::delete_for_user(&txn, account.id, None).await?;
    persistence::throttle::clear(&txn, throttle::LOGIN, &throttle::account_key(&account.email)).await?;
    persistence::throttle::clear_prefix(&txn, throttle::LOGIN, &throttle::pair_keys_prefix(&account.email)).await?;
    txn.commit().await?;
    outbox.wake();
    Ok(())
}

/// Counts a password-reset request for `email` from `client`; past the limit, how long to wait.
pub async fn reset_throttle(
    db: &DatabaseConnection,
    email: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Option<Duration>, Error> {
    let (account_key, address_key) = (throttle::account_key(email), throttle::address_key(client));
    let checks = [(account_key.as_str(), RESET_PER_ACCOUNT), (address_key.as_str(), RESET_PER_ADDRESS)];
    if let Some(wait) = throttle::wait(db, throttle::RESET, &checks).await? {
        return Ok(Some(wait));
    }
    throttle::record(db, throttle::RESET, &[&account_key, &address_key]).await?;
    Ok(None)
}

/// Why an API token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// No `Authorization` header.
    Missing,
    /// Not `<scheme> <token>`.
    Malformed,
    /// Past its `exp`.
    Expired,
    /// Bad signature, garbage, or its account is gone.
    Invalid,
    /// Logged out, or issued before the password last changed.
    Revoked,
}

/// The account an `Authorization: <scheme> <token>` header stands for, with one of `schemes`.
pub async fn token_user(
    db: &DatabaseConnection,
    keys: &SigningKeys,
    header: Option<&str>,
    schemes: &[&str],
) -> Result<std::result::Result<(User, tokens::api::Verified), TokenRefusal>, Error> {
    let Some(header) = header else { return Ok(Err(TokenRefusal::Missing)) };
    let token = header
        .split_once(' ')
        .filter(|(scheme, token)| schemes.contains(scheme) && !token.trim().is_empty() && !token.trim().contains(' '))
        .map(|(_, token)| token.trim());
    let Some(token) = token else { return Ok(Err(TokenRefusal::Malformed)) };
    let verified = match tokens::api::verify(&keys.auth, token) {
        Ok(v) => v,
        Err(tokens::api::Refusal::Expired) => return Ok(Err(TokenRefusal::Expired)),
        Err(tokens::api::Refusal::Invalid) => return Ok(Err(TokenRefusal::Invalid)),
    };
    let Some(user) = persistence::users::find_by_id(db, verified.user_id).await? else {
        return Ok(Err(TokenRefusal::Invalid));
    };
    if !verified.password_unchanged(&user.password_hash)
        || persistence::revoked_tokens::contains(db, &verified.jti).await?
    {
        return Ok(Err(TokenRefusal::Revoked));
    }
    Ok(Ok((user, verified)))
}
