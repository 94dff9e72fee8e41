//! Accounts: registration, login and logout, the account page with its avatar, author pages,
//! passwords, and deleting accounts.

mod password;

use std::sync::Arc;

use chrono::Utc;
use domain::{Email, Password, PersonName, Username};
use persistence::DatabaseConnection;
use persistence::users::{NewUser, ProfileUpdate, WriteError};
use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::CookieJar;
use rocket::http::uri::Origin;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, routes};
use rocket_dyn_templates::context;

use super::Reply;
use crate::accounts::{self, Login};
use crate::avatar;
use crate::config::{AppConfig, SigningKeys};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::error::{Error, Result};
use crate::forms::{Confirm, FieldErrors};
use crate::guards::{self, CurrentUser};
use crate::layout::{Layout, UserView};
use crate::outbox::Outbox;
use crate::routes::main::Listing;
use crate::state::Passwords;
use crate::throttle::TooMany;
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Users", |rocket| async {
        rocket.mount(
            "/",
            routes![
                register_page,
                register,
                login_page,
                login,
                logout_page,
                logout,
                account,
                update_account,
                delete_account,
                delete_user,
                user_posts,
                password::reset_request_page,
                password::reset_request,
                password::reset_page,
                password::reset,
                password::change_page,
                password::change,
                password::change_done,
            ],
        )
    })
}

const LOGIN_FAILED: &str = "Login Unsuccessful. Please check email and password";

#[derive(Debug, FromForm)]
struct RegisterForm {
    #[field(default = String::new())]
    username: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    confirm_password: String,
    #[field(default = String::new())]
    first_name: String,
    #[field(default = String::new())]
    last_name: String,
}

#[get("/register")]
fn register_page(layout: Layout, csrf: CsrfToken, user: Option<CurrentUser>) -> Reply {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Reply::Redirect(Redirect::to("/"));
    }
    Reply::Page(Page::render("users/register", context! { layout, form: context! {}, errors: FieldErrors::default() }))
}

#[post("/register", data = "<form>")]
async fn register(
    form: CsrfForm<'_, RegisterForm>,
    layout: Layout,
    csrf: CsrfToken,
    user: Option<CurrentUser>,
    db: &State<DatabaseConnection>,
    passwords: &State<Passwords>,
) -> Result<Reply> {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Ok(Reply::Redirect(Redirect::to("/")));
    }
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&f.username));
    let email = errors.check("email", Email::parse(&f.email));
    let password = errors.check("password", Password::parse(&f.password));
    errors.check("confirm_password", Password::confirm(&f.password, &f.confirm_password));
    let first_name = errors.check("first_name", PersonName::parse(&f.first_name));
    let last_name = errors.check("last_name", PersonName::parse(&f.last_name));
    if let Some(u) = &username
        && persistence::users::username_taken(db.inner(), u.as_str(), None).await?
    {
        errors.add("username", USERNAME_TAKEN);
    }
    if let Some(e) = &email
        && persistence::users::email_taken(db.inner(), e.as_str(), None).await?
    {
        errors.add("email", EMAIL_TAKEN);
    }
    let rerender = |layout, errors| {
        Reply::Page(Page::render(
            "users/register",
            context! { layout, errors, form: context! {
                username: &f.username, email: &f.email, first_name: &f.first_name, last_name: &f.last_name,
            } },
        ))
    };
    let (Some(username), Some(email), Some(password), Some(first_name), Some(last_name), true) =
        (username, email, password, first_name, last_name, errors.is_empty())
    else {
        return Ok(rerender(layout, errors));
    };
    let password_hash = passwords.hash(password).await?;
    let new = NewUser {
        username,
        email,
        password_hash,
        first_name: first_name.into_inner(),
        last_name: last_name.into_inner(),
    };
    match persistence::users::insert(db.inner(), new, Utc::now()).await {
        Ok(_) => Ok(Reply::Flash(Flash::success(
            Redirect::to("/login"),
            "Your account has been created! You are now able to log in",
        ))),
        // Someone else registered the same name a moment ago.
        Err(WriteError::UsernameTaken) => {
            errors.add("username", USERNAME_TAKEN);
            Ok(rerender(layout, errors))
        }
        Err(WriteError::EmailTaken) => {
            errors.add("email", EMAIL_TAKEN);
            Ok(rerender(layout, errors))
        }
        Err(e) => Err(e.into()),
    }
}

const USERNAME_TAKEN: &str = "That username is taken. Please choose another.";
const EMAIL_TAKEN: &str = "That email is taken. Please choose another.";

#[derive(Debug, FromForm)]
struct LoginForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    remember: String,
}

/// `next` if it is a path on this site, ready to redirect to.
fn local_next(next: Option<&str>) -> Option<Origin<'static>> {
    next.and_then(domain::redirect::local_path).and_then(|n| Origin::parse_owned(n.to_owned()).ok())
}

fn login_template(layout: Layout, email: &str, next: Option<&str>) -> Page {
    let action = match local_next(next) {
        Some(next) => format!("/login?next={}", rocket::http::RawStr::new(&next.to_string()).percent_encode()),
        None => "/login".to_owned(),
    };
    Page::render("users/login", context! { layout, action, form: context! { email } })
}

#[get("/login?<next>")]
fn login_page(next: Option<&str>, layout: Layout, csrf: CsrfToken, user: Option<CurrentUser>) -> Reply {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Reply::Redirect(Redirect::to("/"));
    }
    Reply::Page(login_template(layout, "", next))
}

#[post("/login?<next>", data = "<form>")]
async fn login(
    next: Option<&str>,
    form: CsrfForm<'_, LoginForm>,
    layout: Layout,
    csrf: CsrfToken,
    user: Option<CurrentUser>,
    client: Option<std::net::IpAddr>,
    cookies: &CookieJar<'_>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    passwords: &State<Passwords>,
) -> Result<Reply> {
    let layout = layout.with_form_token(csrf);
    if user.is_some() {
        return Ok(Reply::Redirect(Redirect::to("/")));
    }
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    match accounts::log_in(db, passwords, &f.email, &f.password, client).await? {
        Login::Success(account) => {
            let remember = !matches!(f.remember.as_str(), "" | "0" | "false" | "off" | "no");
            guards::sign_in(db, cookies, config, account.id, remember).await?;
            let target = local_next(next).map(|o| o.to_string()).unwrap_or_else(|| "/".to_owned());
            Ok(Reply::Redirect(Redirect::to(target)))
        }
        Login::Refused => Ok(Reply::Page(login_template(layout.flash("danger", LOGIN_FAILED), &f.email, next))),
        Login::Throttled(wait) => Ok(Reply::TooMany(TooMany::new(layout, "failed logins", wait))),
    }
}

#[get("/logout")]
fn logout_page(layout: Layout, user: Option<CurrentUser>) -> Reply {
    if user.is_none() {
        return Reply::Redirect(Redirect::to("/"));
    }
    Reply::Page(Page::render("users/logout", context! { layout }))
}

#[post("/logout", data = "<_form>")]
async fn logout(
    _form: CsrfForm<'_, Confirm>,
    user: Option<CurrentUser>,
    cookies: &CookieJar<'_>,
    db: &State<DatabaseConnection>,
) -> Result<Flash<Redirect>> {
    if let Some(user) = user {
        guards::sign_out(db, cookies, &user).await?;
    }
    Ok(Flash::new(Redirect::to("/"), "info", "You have been logged out."))
}

#[derive(FromForm)]
struct AccountForm<'r> {
    #[field(default = String::new())]
    username: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    first_name: String,
    #[field(default = String::new())]
    last_name: String,
    /// Asked for only when the email changes.
    #[field(default = String::new())]
    current_password: String,
    picture: Option<TempFile<'r>>,
}

const PASSWORD_FOR_EMAIL: &str = "Please enter your current password to change your email.";

fn account_template(layout: Layout, user: &CurrentUser, form: impl serde::Serialize, errors: FieldErrors) -> Page {
    Page::render("users/account", context! { layout, user: UserView::from(&user.user), form, errors })
}

#[get("/account")]
fn account(layout: Layout, user: CurrentUser) -> Page {
    let u = &user.user;
    let form = context! {
        username: &u.username, email: &u.email,
        first_name: u.first_name.as_deref().unwrap_or(""), last_name: u.last_name.as_deref().unwrap_or(""),
    };
    account_template(layout, &user, form, FieldErrors::default())
}

#[post("/account", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn update_account(
    form: CsrfForm<'_, AccountForm<'_>>,
    layout: Layout,
    user: CurrentUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    passwords: &State<Passwords>,
    outbox: &State<Arc<Outbox>>,
    keys: &State<SigningKeys>,
) -> Result<Reply> {
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    let me = user.user.id;
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&f.username));
    let email = errors.check("email", Email::parse(&f.email));
    let first_name = errors.check("first_name", PersonName::parse(&f.first_name));
    let last_name = errors.check("last_name", PersonName::parse(&f.last_name));
    if let Some(u) = &username
        && persistence::users::username_taken(db.inner(), u.as_str(), Some(me)).await?
    {
        errors.add("username", USERNAME_TAKEN);
    }
    if let Some(e) = &email
        && persistence::users::email_taken(db.inner(), e.as_str(), Some(me)).await?
    {
        errors.add("email", EMAIL_TAKEN);
    }
    // A stolen session must not be enough to take the account: a new email needs the password.
    let new_email = email.as_ref().filter(|e| e.as_str() != user.user.email).map(|e| e.as_str().to_owned());
    if new_email.is_some()
        && (f.current_password.is_empty()
            || !passwords.verify(f.current_password.clone(), Some(user.user.password_hash.clone())).await?)
    {
        errors.add("current_password", PASSWORD_FOR_EMAIL);
    }
    let upload = match f.picture.as_ref().filter(|p| p.len() > 0) {
        Some(file) => Some(avatar::read_upload(file).await.map_err(|e| errors.add("picture", e))),
        None => None,
    };
    // Decoding is the dear part: only once everything else is known to be fine.
    let picture = match upload {
        Some(Ok(bytes)) if errors.is_empty() => avatar::process(bytes).await.map_err(|e| errors.add("picture", e)).ok(),
        _ => None,
    };
    let form_values = context! {
        username: &f.username, email: &f.email, first_name: &f.first_name, last_name: &f.last_name,
    };
    let (Some(username), Some(email), Some(first_name), Some(last_name), true) =
        (username, email, first_name, last_name, errors.is_empty())
    else {
        return Ok(Reply::Page(account_template(layout, &user, form_values, errors)));
    };
    // Rendered before the transaction, whose errors are the database's own.
    let notice = match &new_email {
        Some(new) => {
            let changes = [accounts::Changed::Email(new)];
            Some(accounts::change_notice(outbox, keys, config, &user.user, &user.user.email, &changes)?)
        }
        None => None,
    };
    let stored = match picture {
        Some(png) => Some(avatar::save(&config.avatar_dir(), png).await.map_err(|e| Error::Internal(e.to_string()))?),
        None => None,
    };
    let update =
        ProfileUpdate { username, email, first_name: first_name.into_inner(), last_name: last_name.into_inner() };
    let outcome = async {
        let txn = persistence::begin_write(db).await?;
        persistence::users::update_profile(&txn, me, update).await?;
        if let Some(name) = &stored {
            persistence::users::set_image_file(&txn, me, Some(name.clone())).await?;
        }
        if let Some(notice) = notice {
            persistence::outbox::enqueue(&txn, notice, Utc::now()).await?;
        }
        txn.commit().await?;
        Ok::<_, WriteError>(())
    }
    .await;
    if let Err(e) = outcome {
        // Nothing changed: the new picture must not linger either.
        if let Some(name) = &stored {
            avatar::remove(&config.avatar_dir(), name).await;
        }
        return match e {
            WriteError::UsernameTaken => {
                errors.add("username", USERNAME_TAKEN);
                Ok(Reply::Page(account_template(layout, &user, form_values, errors)))
            }
            WriteError::EmailTaken => {
                errors.add("email", EMAIL_TAKEN);
                Ok(Reply::Page(account_template(layout, &user, form_values, errors)))
            }
            other => Err(other.into()),
        };
    }
    if new_email.is_some() {
        outbox.wake();
    }
    if let (Some(_), Some(old)) = (&stored, &user.user.image_file) {
        avatar::remove(&config.avatar_dir(), old).await;
    }
    Ok(Reply::Flash(Flash::success(Redirect::to("/account"), "Your account has been updated!")))
}

#[get("/user/<username>?<page>")]
async fn user_posts(
    username: &str,
    page: Option<&str>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Page> {
    let (author, listing) = Listing::load_author(db, config, username, page, viewer.as_ref()).await?;
    let page_base = format!("/user/{}", rocket::http::RawStr::new(&author.username).percent_encode());
    let can_delete = viewer.as_ref().is_some_and(|v| v.user.is_admin);
    Ok(Page::render(
        "users/user_posts",
        context! { layout, author: UserView::from(&author), listing, page_base, can_delete },
    ))
}

#[derive(Debug, FromForm)]
struct DeleteAccountForm {
    #[field(default = String::new())]
    password: String,
}

/// Deletes an account with everything of it: posts and sessions (by the database's cascade) and
/// the avatar file.
async fn remove_account(db: &DatabaseConnection, config: &AppConfig, account: &persistence::users::User) -> Result<()> {
    persistence::users::delete(db, account.id).await?;
    if let Some(file) = &account.image_file {
        avatar::remove(&config.avatar_dir(), file).await;
    }
    Ok(())
}

#[post("/account/delete", data = "<form>")]
async fn delete_account(
    form: CsrfForm<'_, DeleteAccountForm>,
    user: CurrentUser,
    cookies: &CookieJar<'_>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    passwords: &State<Passwords>,
) -> Result<Flash<Redirect>> {
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    if !passwords.verify(f.password, Some(user.user.password_hash.clone())).await? {
        return Ok(Flash::new(
            Redirect::to("/account"),
            "danger",
            "The password was not right. Your account was not deleted.",
        ));
    }
    remove_account(db, config, &user.user).await?;
    guards::forget_session(cookies);
    Ok(Flash::success(Redirect::to("/"), "Your account has been deleted."))
}

#[post("/user/<username>/delete", data = "<_form>")]
async fn delete_user(
    username: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    cookies: &CookieJar<'_>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Flash<Redirect>> {
    if !user.user.is_admin {
        return Err(Error::Forbidden);
    }
    let account = persistence::users::find_by_username(db.inner(), username).await?.ok_or(Error::NotFound)?;
    remove_account(db, config, &account).await?;
    if account.id == user.user.id {
        guards::forget_session(cookies);
    }
    Ok(Flash::success(Redirect::to("/"), format!("The account {} has been deleted.", account.username)))
}
