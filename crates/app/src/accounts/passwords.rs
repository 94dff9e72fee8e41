//! Passwords: changing one, and resetting a forgotten one by a link sent by mail. Every way a
//! password changes goes through [`set_password`]: every other session of the account ends, and
//! the new hash retires every reset link and API token issued before.

use domain::Password;
use domain::throttle::{RESET_PER_ACCOUNT, RESET_PER_ADDRESS};
use persistence::ConnectionTrait;
use persistence::outbox::NewMessage;
use serde_json::json;

use crate::tokens;
use crate::{App, AppError, AppResult, User, throttle};

/// What a change to an account touched, for the notice to its previous address.
pub(super) enum Changed {
    /// The email address, now this one.
    Email(String),
    /// The password.
    Password,
}

/// Stores the new hash and ends every session of the account but `keep` (the one that made the
/// change, if it was a session). On `conn`, the change's own transaction.
pub(super) async fn set_password(
    conn: &impl ConnectionTrait,
    account_id: i64,
    hash: &str,
    keep: Option<&str>,
) -> AppResult<()> {
    persistence::users::set_password_hash(conn, account_id, hash.to_owned()).await?;
    persistence::sessions::delete_for_user(conn, account_id, keep).await?;
    Ok(())
}

/// A reset token for `account`, valid for the `reset_token_ttl` setting.
fn reset_token(app: &App, account: &User) -> AppResult<String> {
    let ttl = app.settings().reset_token_ttl;
    tokens::reset::issue(&app.keys().reset, account.id, &account.password_hash, ttl, app.clock().now())
        .map_err(|e| AppError::internal(format!("reset token: {e}")))
}

fn reset_link(app: &App, token: &str) -> String {
    format!("{}/reset_password/{token}", app.settings().public_url.trim_end_matches('/'))
}

/// The notice that tells `previous_email` what changed in `account` (as it is after the change),
/// with a reset link to take the account back if it was not its owner.
pub(super) fn change_notice(
    app: &App,
    account: &User,
    previous_email: &str,
    changes: &[Changed],
) -> AppResult<NewMessage> {
    let link = reset_link(app, &reset_token(app, account)?);
    let changes: Vec<String> = changes
        .iter()
        .map(|c| match c {
            Changed::Email(new) => format!("your email address, now {new}"),
            Changed::Password => "your password".to_owned(),
        })
        .collect();
    let context = json!({
        "username": account.username,
        "changes": changes,
        "when": app.clock().now().format("%-d %B %Y at %H:%M UTC").to_string(),
        "link": link,
        "minutes": app.settings().reset_token_ttl.div_ceil(60),
        "public_url": app.settings().public_url,
    });
    app.outbox().render("account_changed", previous_email, &context)
}

/// Changes `account`'s password. `current`, when given, must be the password now
/// ([`AppError::Invalid`] on `current_password` otherwise). Every other session of the account
/// ends, `keep_session` (the one asking, if any) stays; every earlier API token and reset link
/// stops working; the account's address is told. Answers the account as it is now.
pub async fn change_password(
    app: &App,
    account: &User,
    current: Option<&str>,
    new: Password,
    keep_session: Option<&str>,
) -> AppResult<User> {
    if let Some(current) = current
        && !app.passwords().verify(current.to_owned(), Some(account.password_hash.clone())).await?
    {
        return Err(AppError::invalid(
            "current_password",
            "Your old password was entered incorrectly. Please enter it again.",
        ));
    }
    let hash = app.passwords().hash(new).await?;
    let after = User { password_hash: hash.clone(), ..account.clone() };
    let notice = change_notice(app, &after, &account.email, &[Changed::Password])?;
    let txn = app.begin_write().await?;
    set_password(&*txn, account.id, &hash, keep_session).await?;
    app.outbox().store(&*txn, notice).await?;
    txn.commit().await?;
    app.outbox().wake();
    Ok(after)
}

/// How a reset request ended.
pub enum Reset {
    /// No account has that email (the site tells nobody; `/auth` says so, as its clients expect).
    UnknownEmail,
    /// The link went to the account's address.
    Mailed(User),
    /// The token itself, for a door configured to answer it instead of mailing it.
    Token(User, String),
}

/// Asks for a reset link for `email` from `client`: counted per account and per address
/// ([`AppError::Throttled`] past `domain::throttle`'s limit), whether or not the account exists.
/// With `answer_token`, the token is answered instead of mailed.
pub async fn request_reset(
    app: &App,
    email: &str,
    client: Option<std::net::IpAddr>,
    answer_token: bool,
) -> AppResult<Reset> {
    let db = app.db();
    let (account_key, address_key) = (throttle::account_key(email), throttle::address_key(client));
    let checks = [(account_key.as_str(), RESET_PER_ACCOUNT), (address_key.as_str(), RESET_PER_ADDRESS)];
    if let Some(wait) = throttle::wait(db, throttle::RESET, &checks).await? {
        return Err(AppError::Throttled(wait));
    }
    throttle::record(db, throttle::RESET, &[&account_key, &address_key]).await?;
    let account = match domain::Email::parse(email) {
        Ok(email) => persistence::users::find_by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    let Some(account) = account else { return Ok(Reset::UnknownEmail) };
    let token = reset_token(app, &account)?;
    if answer_token {
        return Ok(Reset::Token(account, token));
    }
    let context = json!({
        "username": account.username,
        "link": reset_link(app, &token),
        "minutes": app.settings().reset_token_ttl.div_ceil(60),
        "public_url": app.settings().public_url,
    });
    let message = app.outbox().render("reset_password", &account.email, &context)?;
    app.outbox().store(db, message).await?;
    app.outbox().wake();
    Ok(Reset::Mailed(account))
}

/// The account a reset token stands for: [`AppError::NotFound`] unless the token is valid,
/// unexpired and unused.
pub async fn reset_account(app: &App, token: &str) -> AppResult<User> {
    let (id, fingerprint) =
        tokens::reset::verify(&app.keys().reset, token, app.clock().now()).ok_or(AppError::NotFound("reset token"))?;
    let account = persistence::users::find_by_id(app.db(), id).await?.ok_or(AppError::NotFound("reset token"))?;
    if !tokens::reset::still_valid_for(&fingerprint, &account.password_hash) {
        return Err(AppError::NotFound("reset token"));
    }
    Ok(account)
}

/// Sets a new password with a reset token ([`AppError::NotFound`] for a bad one, or one for
/// another account than `email` when that is given). Every session of the account ends, the
/// token and every earlier one stop working, the account's failed logins (from every address)
/// are forgotten, and its address is told.
pub async fn reset_password(app: &App, token: &str, email: Option<&str>, new: Password) -> AppResult<User> {
    let account = reset_account(app, token).await?;
    if let Some(email) = email
        && !domain::Email::parse(email).is_ok_and(|e| e.as_str() == account.email)
    {
        return Err(AppError::NotFound("reset token"));
    }
    let hash = app.passwords().hash(new).await?;
    let after = User { password_hash: hash.clone(), ..account.clone() };
    let notice = change_notice(app, &after, &account.email, &[Changed::Password])?;
    let txn = app.begin_write().await?;
    set_password(&*txn, account.id, &hash, None).await?;
    app.outbox().store(&*txn, notice).await?;
    persistence::throttle::clear(&*txn, throttle::LOGIN, &throttle::account_key(&account.email)).await?;
    persistence::throttle::clear_prefix(&*txn, throttle::LOGIN, &throttle::pair_keys_prefix(&account.email)).await?;
    txn.commit().await?;
    app.outbox().wake();
    Ok(after)
}
