//! Forgotten passwords (reset by a link sent by mail) and password changes.

use app::accounts::Reset;
use app::{App, AppError};
use domain::Password;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, uri};
use rocket_dyn_templates::context;

use super::{Reply, SiteError, SiteResult, TooMany};
use crate::csrf::{CsrfForm, CsrfToken};
use crate::forms::FieldErrors;
use crate::guards::{CurrentUser, Guest};
use crate::layout::Layout;
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
pub(super) fn reset_request_page(_guest: Guest, layout: Layout, csrf: CsrfToken) -> Page {
    Page::render("users/reset_request", context! { layout: layout.with_form_token(csrf), email: "" })
}

#[post("/reset_password", data = "<form>")]
pub(super) async fn reset_request(
    _guest: Guest,
    form: CsrfForm<'_, ResetRequestForm>,
    layout: Layout,
    csrf: CsrfToken,
    client: Option<std::net::IpAddr>,
    app: &State<App>,
) -> SiteResult<Reply> {
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    // Every answer is the same, whether or not the account exists.
    match app::accounts::request_reset(app, &f.email, client, false).await {
        Ok(Reset::Mailed(_) | Reset::UnknownEmail | Reset::Token(..)) => {
            Ok(Reply::Flash(Flash::new(Redirect::to(uri!(super::login_page(_))), "info", REQUEST_SENT)))
        }
        Err(AppError::Throttled(wait)) => {
            Ok(Reply::TooMany(TooMany::new(layout.with_form_token(csrf), "password reset requests", wait)))
        }
        Err(e) => Err(e.into()),
    }
}

fn invalid_token() -> Reply {
    Reply::Flash(Flash::warning(Redirect::to(uri!(reset_request_page)), INVALID_TOKEN))
}

fn reset_form(layout: Layout, token: &str, errors: FieldErrors) -> Reply {
    let action = uri!(reset(token)).to_string();
    Reply::Page(Page::render("users/reset_token", context! { layout, action, errors }))
}

#[get("/reset_password/<token>")]
pub(super) async fn reset_page(
    token: &str,
    _guest: Guest,
    layout: Layout,
    csrf: CsrfToken,
    app: &State<App>,
) -> SiteResult<Reply> {
    match app::accounts::reset_account(app, token).await {
        Ok(_) => Ok(reset_form(layout.with_form_token(csrf), token, FieldErrors::default())),
        Err(AppError::NotFound(_)) => Ok(invalid_token()),
        Err(e) => Err(e.into()),
    }
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
    _guest: Guest,
    form: CsrfForm<'_, NewPasswordForm>,
    layout: Layout,
    csrf: CsrfToken,
    app: &State<App>,
) -> SiteResult<Reply> {
    match app::accounts::reset_account(app, token).await {
        Ok(_) => {}
        Err(AppError::NotFound(_)) => return Ok(invalid_token()),
        Err(e) => return Err(e.into()),
    }
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    let mut errors = FieldErrors::default();
    let password = errors.check("password", Password::parse(&f.password));
    errors.check("confirm_password", Password::confirm(&f.password, &f.confirm_password));
    let (Some(password), true) = (password, errors.is_empty()) else {
        return Ok(reset_form(layout.with_form_token(csrf), token, errors));
    };
    match app::accounts::reset_password(app, token, None, password).await {
        Ok(_) => Ok(Reply::Flash(Flash::success(
            Redirect::to(uri!(super::login_page(_))),
            "Your password has been updated! You are now able to log in",
        ))),
        // Used up by another request a moment ago.
        Err(AppError::NotFound(_)) => Ok(invalid_token()),
        Err(e) => Err(e.into()),
    }
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
    app: &State<App>,
) -> SiteResult<Reply> {
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    let mut errors = FieldErrors::default();
    let new = errors.check("new_password", Password::parse(&f.new_password));
    errors.check("confirm_password", Password::confirm(&f.new_password, &f.confirm_password));
    let (Some(new), true) = (new, errors.is_empty()) else {
        return Ok(Reply::Page(change_form(layout, errors)));
    };
    // Anyone else signed in as this user is signed out; this browser stays.
    let keep = Some(user.session_secret());
    match app::accounts::change_password(app, &user.user, Some(&f.old_password), new, keep).await {
        Ok(_) => Ok(Reply::Redirect(Redirect::to(uri!(change_done)))),
        Err(AppError::Invalid { field: "current_password", message }) => {
            errors.add("old_password", message);
            Ok(Reply::Page(change_form(layout, errors)))
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/password/change/done")]
pub(super) fn change_done(layout: Layout, _user: CurrentUser) -> Page {
    Page::render("users/change_password_done", context! { layout })
}
