//! Forgotten passwords (reset by a link sent by mail) and password changes.

use std::sync::Arc;

use domain::Password;
use persistence::DatabaseConnection;
use rocket::form::FromForm;
use rocket::http::RawStr;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post};
use rocket_dyn_templates::context;

use crate::accounts;
use crate::config::{AppConfig, SigningKeys};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{Error, Result};
use crate::forms::FieldErrors;
use crate::guards::CurrentUser;
use crate::layout::Layout;
use crate::outbox::Outbox;
use crate::routes::Reply;
use crate::state::Passwords;
use crate::throttle::TooMany;
use crate::views::Page;

const REQUEST_SENT: &str =
    "If an account exists for that email, you will receive an email with instructions to reset your password.";
const INVALID_TOKEN: &str = "That is an invalid or expired token";

#[derive(Debug, FromForm)]
pub(super) struct ResetRequestForm {
    #[field(default = String::new())]
    email: String,
}

#[get("/reset_password")]
pub(super) fn reset_request_page(layout: Layout, csrf: CsrfToken, user: Option<CurrentUser>) -> Reply {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Reply::Redirect(Redirect::to("/"));
    }
    Reply::Page(Page::render("users/reset_request", context! { layout, email: "" }))
}

#[post("/reset_password", data = "<form>")]
pub(super) async fn reset_request(
    form: CsrfForm<'_, ResetRequestForm>,
    layout: Layout,
    csrf: CsrfToken,
    user: Option<CurrentUser>,
    client: Option<std::net::IpAddr>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    outbox: &State<Arc<Outbox>>,
) -> Result<Reply> {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Ok(Reply::Redirect(Redirect::to("/")));
    }
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    if let Some(wait) = accounts::reset_throttle(db, &f.email, client).await? {
        return Ok(Reply::TooMany(TooMany::new(layout, "password reset requests", wait)));
    }
    let account = match domain::Email::parse(&f.email) {
        Ok(email) => persistence::users::find_by_email(db.inner(), email.as_str()).await?,
        Err(_) => None,
    };
    // Every request is counted, and every answer is the same, whether or not the account exists.
    let txn = persistence::begin_write(db).await?;
    let mailed = if let Some(account) = &account {
        accounts::queue_reset_mail(&txn, outbox, keys, config, account).await?;
        true
    } else {
        false
    };
    txn.commit().await?;
    if mailed {
        outbox.wake();
    }
    Ok(Reply::Flash(Flash::new(Redirect::to("/login"), "info", REQUEST_SENT)))
}

fn invalid_token() -> Reply {
    Reply::Flash(Flash::warning(Redirect::to("/reset_password"), INVALID_TOKEN))
}

fn reset_form(layout: Layout, token: &str, errors: FieldErrors) -> Reply {
    let action = format!("/reset_password/{}", RawStr::new(token).percent_encode());
    Reply::Page(Page::render("users/reset_token", context! { layout, action, errors }))
}

#[get("/reset_password/<token>")]
pub(super) async fn reset_page(
    token: &str,
    layout: Layout,
    csrf: CsrfToken,
    user: Option<CurrentUser>,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
) -> Result<Reply> {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Ok(Reply::Redirect(Redirect::to("/")));
    }
    if accounts::reset_token_account(db, keys, token).await?.is_none() {
        return Ok(invalid_token());
    }
    Ok(reset_form(layout, token, FieldErrors::default()))
}

#[derive(Debug, FromForm)]
pub(super) struct NewPasswordForm {
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    confirm_password: String,
}

#[post("/reset_password/<token>", data = "<form>")]
pub(super) async fn reset(
    token: &str,
    form: CsrfForm<'_, NewPasswordForm>,
    layout: Layout,
    csrf: CsrfToken,
    user: Option<CurrentUser>,
    db: &State<DatabaseConnection>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
    outbox: &State<Arc<Outbox>>,
    config: &State<AppConfig>,
) -> Result<Reply> {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Ok(Reply::Redirect(Redirect::to("/")));
    }
    let Some(account) = accounts::reset_token_account(db, keys, token).await? else { return Ok(invalid_token()) };
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    let mut errors = FieldErrors::default();
    let password = errors.check("password", Password::parse(&f.password));
    errors.check("confirm_password", Password::confirm(&f.password, &f.confirm_password));
    let (Some(password), true) = (password, errors.is_empty()) else {
        return Ok(reset_form(layout, token, errors));
    };
    // The new hash retires the token; every session of the account ends.
    accounts::reset_password(db, passwords, outbox, keys, config, &account, password).await?;
    Ok(Reply::Flash(Flash::success(
        Redirect::to("/login"),
        "Your password has been updated! You are now able to log in",
    )))
}

#[derive(Debug, FromForm)]
pub(super) struct ChangePasswordForm {
    #[field(default = String::new())]
    old_password: String,
    #[field(default = String::new())]
    new_password: String,
    #[field(default = String::new())]
    confirm_password: String,
}

fn change_form(layout: Layout, errors: FieldErrors) -> Page {
    Page::render("users/change_password", context! { layout, errors })
}

#[get("/password/change")]
pub(super) fn change_page(layout: Layout, _user: CurrentUser) -> Page {
    change_form(layout, FieldErrors::default())
}

#[post("/password/change", data = "<form>")]
pub(super) async fn change(
    form: CsrfForm<'_, ChangePasswordForm>,
    layout: Layout,
    user: CurrentUser,
    db: &State<DatabaseConnection>,
    passwords: &State<Passwords>,
    outbox: &State<Arc<Outbox>>,
    keys: &State<SigningKeys>,
    config: &State<AppConfig>,
) -> Result<Reply> {
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    let mut errors = FieldErrors::default();
    let new = errors.check("new_password", Password::parse(&f.new_password));
    errors.check("confirm_password", Password::confirm(&f.new_password, &f.confirm_password));
    if !passwords.verify(f.old_password.clone(), Some(user.user.password_hash.clone())).await? {
        errors.add("old_password", "Your old password was entered incorrectly. Please enter it again.");
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        return Ok(Reply::Page(change_form(layout, errors)));
    };
    let hash = passwords.hash(new).await?;
    let txn = persistence::begin_write(db).await?;
    persistence::users::set_password_hash(&txn, user.user.id, hash.clone()).await?;
    // Anyone else signed in as this user is signed out; this browser stays.
    persistence::sessions::delete_for_user(&txn, user.user.id, Some(user.session_secret())).await?;
    let after = persistence::users::User { password_hash: hash, ..user.user.clone() };
    accounts::queue_change_notice(&txn, outbox, keys, config, &after, &user.user.email, &[accounts::Changed::Password])
        .await?;
    txn.commit().await?;
    outbox.wake();
    Ok(Reply::Redirect(Redirect::to("/password/change/done")))
}

#[get("/password/change/done")]
pub(super) fn change_done(layout: Layout, _user: CurrentUser) -> Page {
    Page::render("users/change_password_done", context! { layout })
}
