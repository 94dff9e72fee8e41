//! Accounts on the site: registration, login and logout here; the account page, author pages
//! and deleting accounts in [`account`]; passwords in [`password`].

mod account;
mod follows;

pub(super) use account::read_upload;
mod password;

use app::accounts::NewAccount;
use app::{App, AppError};
use domain::{Email, Password, PersonName, Username};
use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::http::uri::Origin;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, routes, uri};
use rocket_dyn_templates::context;

use super::{Reply, SiteError, SiteResult, TooMany};
use crate::config::AppConfig;
use crate::csrf::{CsrfForm, CsrfToken};
use crate::forms::{Confirm, FieldErrors};
use crate::guards::{self, CurrentUser, Guest};
use crate::layout::Layout;
use crate::replay::remember;
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Users", |rocket| async {
        rocket
            .mount("/", remember(routes![account::posts, follows::followers, follows::following, follows::favorites]))
            .mount(
                "/",
                routes![
                    register_page,
                    register,
                    login_page,
                    login,
                    logout_page,
                    logout,
                    account::show,
                    account::update,
                    account::delete_own,
                    account::delete_user,
                    follows::follow,
                    follows::unfollow,
                    password::reset_request_page,
                    password::reset_request,
                    password::reset_page,
                    password::reset,
                    password::change_page,
                    password::change,
                    password::change_done,
                    register_signed_in,
                    register_post_signed_in,
                    login_signed_in,
                    login_post_signed_in,
                    reset_request_signed_in,
                    reset_request_post_signed_in,
                    reset_signed_in,
                    reset_post_signed_in,
                ],
            )
    })
}

/// Home, where a signed-in user is sent from the pages for guests.
fn home() -> Redirect {
    Redirect::to(uri!(super::main::index(_)))
}

// The pages for guests, asked for by someone signed in ([`Guest`] forwards them here).
#[get("/register", rank = 2)]
fn register_signed_in(_user: CurrentUser) -> Redirect {
    home()
}

#[post("/register", rank = 2)]
fn register_post_signed_in(_user: CurrentUser) -> Redirect {
    home()
}

#[get("/login?<_next>", rank = 2)]
fn login_signed_in(_next: Option<&str>, _user: CurrentUser) -> Redirect {
    home()
}

#[post("/login?<_next>", rank = 2)]
fn login_post_signed_in(_next: Option<&str>, _user: CurrentUser) -> Redirect {
    home()
}

#[get("/reset_password", rank = 2)]
fn reset_request_signed_in(_user: CurrentUser) -> Redirect {
    home()
}

#[post("/reset_password", rank = 2)]
fn reset_request_post_signed_in(_user: CurrentUser) -> Redirect {
    home()
}

#[get("/reset_password/<_token>", rank = 2)]
fn reset_signed_in(_token: &str, _user: CurrentUser) -> Redirect {
    home()
}

#[post("/reset_password/<_token>", rank = 2)]
fn reset_post_signed_in(_token: &str, _user: CurrentUser) -> Redirect {
    home()
}

const LOGIN_FAILED: &str = "Login Unsuccessful. Please check email and password";
const USERNAME_TAKEN: &str = "That username is taken. Please choose another.";
const EMAIL_TAKEN: &str = "That email is taken. Please choose another.";

/// The site's message for a name someone else has.
fn taken_message(field: &str) -> &'static str {
    if field == "email" { EMAIL_TAKEN } else { USERNAME_TAKEN }
}

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

impl TryFrom<&RegisterForm> for NewAccount {
    type Error = FieldErrors;

    fn try_from(f: &RegisterForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username = errors.check("username", Username::parse(&f.username));
        let email = errors.check("email", Email::parse(&f.email));
        let password = errors.check("password", Password::parse(&f.password));
        errors.check("confirm_password", Password::confirm(&f.password, &f.confirm_password));
        let first_name = errors.check("first_name", PersonName::parse(&f.first_name));
        let last_name = errors.check("last_name", PersonName::parse(&f.last_name));
        match (username, email, password, first_name, last_name) {
            (Some(username), Some(email), Some(password), Some(first_name), Some(last_name)) if errors.is_empty() => {
                Ok(NewAccount {
                    username: Some(username),
                    email,
                    password,
                    first_name: first_name.into_inner(),
                    last_name: last_name.into_inner(),
                })
            }
            _ => Err(errors),
        }
    }
}

fn register_template(layout: Layout, f: Option<&RegisterForm>, errors: FieldErrors) -> Page {
    let value = |pick: fn(&RegisterForm) -> &str| f.map_or("", pick);
    let form = context! {
        username: value(|f| &f.username), email: value(|f| &f.email),
        first_name: value(|f| &f.first_name), last_name: value(|f| &f.last_name),
    };
    Page::render("users/register", context! { layout, form, errors })
}

#[get("/register")]
fn register_page(_guest: Guest, layout: Layout, csrf: CsrfToken) -> Page {
    register_template(layout.with_form_token(csrf), None, FieldErrors::default())
}

#[post("/register", data = "<form>")]
async fn register(
    _guest: Guest,
    form: CsrfForm<'_, RegisterForm>,
    layout: Layout,
    csrf: CsrfToken,
    app: &State<App>,
) -> SiteResult<Reply> {
    let layout = layout.with_form_token(csrf);
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    let new = match NewAccount::try_from(&f) {
        Ok(new) => new,
        Err(errors) => return Ok(Reply::Page(register_template(layout, Some(&f), errors))),
    };
    match app::accounts::register(app, new).await {
        Ok(_) => Ok(Reply::Flash(Flash::success(
            Redirect::to(uri!(login_page(_))),
            "Your account has been created! You are now able to log in",
        ))),
        Err(AppError::Taken(field)) => {
            let mut errors = FieldErrors::default();
            errors.add(field, taken_message(field));
            Ok(Reply::Page(register_template(layout, Some(&f), errors)))
        }
        Err(e) => Err(e.into()),
    }
}

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
    let next = local_next(next).map(|o| o.to_string());
    let action = uri!(login(next.as_deref())).to_string();
    Page::render("users/login", context! { layout, action, form: context! { email } })
}

#[get("/login?<next>")]
fn login_page(_guest: Guest, next: Option<&str>, layout: Layout, csrf: CsrfToken) -> Page {
    login_template(layout.with_form_token(csrf), "", next)
}

#[post("/login?<next>", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn login(
    _guest: Guest,
    next: Option<&str>,
    form: CsrfForm<'_, LoginForm>,
    layout: Layout,
    csrf: CsrfToken,
    client: Option<std::net::IpAddr>,
    cookies: &CookieJar<'_>,
    app: &State<App>,
    config: &State<AppConfig>,
) -> SiteResult<Reply> {
    let layout = layout.with_form_token(csrf);
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    match app::accounts::log_in(app, &f.email, &f.password, client).await {
        Ok(account) => {
            let remember = !matches!(f.remember.as_str(), "" | "0" | "false" | "off" | "no");
            guards::sign_in(app, cookies, config, &account, remember).await?;
            Ok(Reply::Redirect(match local_next(next) {
                Some(target) => Redirect::to(target),
                None => home(),
            }))
        }
        Err(AppError::Unauthenticated(_)) => {
            Ok(Reply::Page(login_template(layout.flash("danger", LOGIN_FAILED), &f.email, next)))
        }
        Err(AppError::Throttled(wait)) => Ok(Reply::TooMany(TooMany::new(layout, "failed logins", wait))),
        Err(e) => Err(e.into()),
    }
}

#[get("/logout")]
fn logout_page(layout: Layout, user: Option<CurrentUser>) -> Reply {
    if user.is_none() {
        return Reply::Redirect(home());
    }
    Reply::Page(Page::render("users/logout", context! { layout }))
}

#[post("/logout", data = "<_form>")]
async fn logout(
    _form: CsrfForm<'_, Confirm>,
    user: Option<CurrentUser>,
    cookies: &CookieJar<'_>,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    if let Some(user) = user {
        guards::sign_out(app, cookies, &user).await?;
    }
    Ok(Flash::new(home(), "info", "You have been logged out."))
}
