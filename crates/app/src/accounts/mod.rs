//! Accounts, the same for every door: registration, logging in and sessions, API tokens, the
//! profile, passwords (change, reset), deleting accounts, and moderators.

mod passwords;
mod sessions;

use chrono::Utc;
use domain::{Email, Password, Username};
use persistence::users::{NewUser, ProfileUpdate};

pub use passwords::{Reset, change_password, request_reset, reset_account, reset_password};
pub use sessions::{
    SessionLifetime, end_session, issue_token, log_in, revoke_token, session_user, start_session, token_user,
};

use crate::{App, AppError, AppResult, User, avatars};

/// A new account, its values already checked by the domain's rules.
pub struct NewAccount {
    /// Without one, a free username is made from the email's local part (numbered until free).
    pub username: Option<Username>,
    /// The address, unique among accounts.
    pub email: Email,
    /// The password, hashed before it is stored.
    pub password: Password,
    /// Optional given name.
    pub first_name: Option<String>,
    /// Optional family name.
    pub last_name: Option<String>,
}

/// Registers an account. [`AppError::Taken`] names `username` or `email` when another account
/// has it (in any case, or a username that looks the same), also when two registrations race.
pub async fn register(app: &App, new: NewAccount) -> AppResult<User> {
    let db = app.db();
    let username = match new.username {
        Some(username) => {
            if persistence::users::username_taken(db, username.as_str(), None).await? {
                return Err(AppError::Taken("username"));
            }
            username
        }
        None => free_username(app, &new.email).await?,
    };
    if persistence::users::email_taken(db, new.email.as_str(), None).await? {
        return Err(AppError::Taken("email"));
    }
    let password_hash = app.passwords().hash(new.password).await?;
    let row =
        NewUser { username, email: new.email, password_hash, first_name: new.first_name, last_name: new.last_name };
    Ok(persistence::users::insert(db, row, Utc::now()).await?)
}

/// A username made from `email` that no account has: its local part, else numbered.
async fn free_username(app: &App, email: &Email) -> AppResult<Username> {
    let base = Username::from_email(email);
    if !persistence::users::username_taken(app.db(), base.as_str(), None).await? {
        return Ok(base);
    }
    for n in 2..1000 {
        let candidate = base.numbered(n);
        if !persistence::users::username_taken(app.db(), candidate.as_str(), None).await? {
            return Ok(candidate);
        }
    }
    Ok(base.numbered(rand::random::<u32>() % 1_000_000))
}

/// The account called `username` (in any case).
pub async fn find_by_username(app: &App, username: &str) -> AppResult<User> {
    persistence::users::find_by_username(app.db(), username).await?.ok_or(AppError::NotFound("account"))
}

/// The zone `account` reads and is shown publish times in (UTC unless chosen).
pub fn time_zone(account: &User) -> domain::TimeZone {
    domain::TimeZone::from_stored(account.time_zone.as_deref())
}

/// The account with this id.
pub async fn get(app: &App, id: i64) -> AppResult<User> {
    persistence::users::find_by_id(app.db(), id).await?.ok_or(AppError::NotFound("account"))
}

/// Changes to an account's profile: `None` leaves a field as it is; `Some(None)` clears an
/// optional one.
#[derive(Default)]
pub struct ProfileChanges {
    /// A new username.
    pub username: Option<Username>,
    /// A new email address; the old one is told.
    pub email: Option<Email>,
    /// Given name.
    pub first_name: Option<Option<String>>,
    /// Family name.
    pub last_name: Option<Option<String>>,
    /// A short biography (checked by `domain::Bio`).
    pub bio: Option<Option<String>>,
    /// An avatar given by URL (checked by `domain::ImageUrl`); replaces an uploaded picture.
    pub image_url: Option<Option<String>>,
    /// An uploaded picture, as sent: decoded only once everything else is known to be fine.
    pub picture: Option<Vec<u8>>,
    /// The zone publish times are read and shown in.
    pub time_zone: Option<domain::TimeZone>,
    /// Mail about comments on one's posts, on or off.
    pub notify_comments: Option<bool>,
    /// A new password: see [`change_password`] for what that ends.
    pub password: Option<Password>,
    /// The account's current password, as typed. When given, a new email is only taken with it
    /// (the site asks, so that a stolen session is not enough to take the account);
    /// [`AppError::Invalid`] on `current_password` otherwise.
    pub current_password: Option<String>,
    /// With a new password: the session that made the change, which stays signed in.
    pub keep_session: Option<String>,
}

/// Changes `account`'s profile in one transaction and answers the account as it is now.
/// Checks, in order: names taken, the current password, then the picture (the dear part).
pub async fn update_profile(app: &App, account: &User, changes: ProfileChanges) -> AppResult<User> {
    let db = app.db();
    let me = account.id;
    if let Some(u) = &changes.username
        && persistence::users::username_taken(db, u.as_str(), Some(me)).await?
    {
        return Err(AppError::Taken("username"));
    }
    if let Some(e) = &changes.email
        && persistence::users::email_taken(db, e.as_str(), Some(me)).await?
    {
        return Err(AppError::Taken("email"));
    }
    let new_email = changes.email.as_ref().filter(|e| e.as_str() != account.email).map(|e| e.as_str().to_owned());
    if let (Some(_), Some(current)) = (&new_email, &changes.current_password)
        && (current.is_empty() || !app.passwords().verify(current.clone(), Some(account.password_hash.clone())).await?)
    {
        return Err(AppError::invalid("current_password", PASSWORD_FOR_EMAIL));
    }
    let picture = match changes.picture {
        Some(bytes) => Some(avatars::process(bytes).await?),
        None => None,
    };
    let hash = match changes.password {
        Some(p) => Some(app.passwords().hash(p).await?),
        None => None,
    };
    let mut told = Vec::new();
    if let Some(new) = &new_email {
        told.push(passwords::Changed::Email(new.clone()));
    }
    if hash.is_some() {
        told.push(passwords::Changed::Password);
    }
    // Rendered before the transaction, whose errors are the database's own.
    let notice = if told.is_empty() {
        None
    } else {
        let after =
            User { password_hash: hash.clone().unwrap_or_else(|| account.password_hash.clone()), ..account.clone() };
        Some(passwords::change_notice(app, &after, &account.email, &told)?)
    };
    let dir = &app.settings().avatar_dir;
    let stored = match picture {
        Some(png) => Some(avatars::save(dir, png).await?),
        None => None,
    };
    let replaces_upload = account.image_file.is_some() && (stored.is_some() || changes.image_url.is_some());
    let update = ProfileUpdate {
        username: changes.username,
        email: changes.email,
        first_name: changes.first_name,
        last_name: changes.last_name,
        bio: changes.bio,
        image_url: changes.image_url,
        time_zone: changes.time_zone.map(domain::TimeZone::stored),
        notify_comments: changes.notify_comments,
    };
    let outcome: AppResult<()> = async {
        let txn = app.begin_write().await?;
        persistence::users::update_profile(&*txn, me, update).await?;
        if stored.is_some() || replaces_upload {
            persistence::users::set_image_file(&*txn, me, stored.clone()).await?;
        }
        if let Some(hash) = &hash {
            passwords::set_password(&*txn, me, hash, changes.keep_session.as_deref()).await?;
        }
        if let Some(notice) = notice {
            app.outbox().store(&*txn, notice).await?;
        }
        txn.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        // Nothing changed: the new picture must not linger either.
        if let Some(name) = &stored {
            avatars::remove(dir, name).await;
        }
        return Err(e);
    }
    if !told.is_empty() {
        app.outbox().wake();
    }
    if let (true, Some(old)) = (replaces_upload, &account.image_file) {
        avatars::remove(dir, old).await;
    }
    get(app, me).await
}

const PASSWORD_FOR_EMAIL: &str = "Please enter your current password to change your email.";

/// Whether `candidate` is `account`'s password (a bcrypt check on the password pool).
pub async fn password_matches(app: &App, account: &User, candidate: &str) -> AppResult<bool> {
    app.passwords().verify(candidate.to_owned(), Some(account.password_hash.clone())).await
}

/// Deletes `account` at its owner's request, who confirms with the password
/// ([`AppError::Invalid`] on `password` when it is wrong): its posts, comments and sessions go by
/// the database's cascade, and its avatar file.
pub async fn delete_own(app: &App, account: &User, password: &str) -> AppResult<()> {
    if !password_matches(app, account, password).await? {
        return Err(AppError::invalid("password", "The password was not right."));
    }
    remove(app, account).await
}

/// Deletes the account called `username` at a moderator's request ([`AppError::Forbidden`] for
/// anyone else); answers the account deleted.
pub async fn delete_by_moderator(app: &App, moderator: &User, username: &str) -> AppResult<User> {
    if !moderator.is_admin {
        return Err(AppError::Forbidden);
    }
    let account = find_by_username(app, username).await?;
    remove(app, &account).await?;
    Ok(account)
}

async fn remove(app: &App, account: &User) -> AppResult<()> {
    // Their images' rows go with the account; their files just after.
    let images = crate::images::files_of(app, account.id).await?;
    persistence::users::delete(app.db(), account.id).await?;
    if let Some(file) = &account.image_file {
        avatars::remove(&app.settings().avatar_dir, file).await;
    }
    let images: Vec<&str> = images.iter().map(String::as_str).collect();
    crate::images::remove_files(&app.settings().image_dir, &images).await;
    Ok(())
}

/// Grants (`true`) or revokes moderator rights; answers the account.
pub async fn set_moderator(app: &App, username: &str, grant: bool) -> AppResult<User> {
    let account = find_by_username(app, username).await?;
    persistence::users::set_admin(app.db(), account.id, grant).await?;
    Ok(User { is_admin: grant, ..account })
}

/// Who `account` is for the rules of `domain::authz`.
pub fn actor(account: &User) -> domain::Actor {
    domain::Actor { user_id: account.id, is_admin: account.is_admin }
}
