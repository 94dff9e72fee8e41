//! The account page (profile and picture), author pages, and deleting accounts.

use app::accounts::ProfileChanges;
use app::{App, AppError};
use domain::{Email, PersonName, Username};
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::CookieJar;
use rocket::response::{Flash, Redirect};
use rocket::tokio::io::AsyncReadExt;
use rocket::{State, get, post, uri};
use rocket_dyn_templates::context;

use super::{Reply, SiteError, SiteResult, home, taken_message};
use crate::csrf::CsrfForm;
use crate::forms::{Confirm, FieldErrors};
use crate::guards::{self, Admin, CurrentUser};
use crate::layout::{Layout, UserView};
use crate::routes::site::main::Listing;
use crate::views::Page;

#[derive(FromForm)]
pub(super) struct AccountForm<'r> {
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
    /// An IANA name; absent leaves the account's as it is.
    time_zone: Option<String>,
    /// The checkbox: mail me about comments on my posts (unchecked sends nothing: off).
    #[field(default = false)]
    notify_comments: bool,
    picture: Option<TempFile<'r>>,
}

impl AccountForm<'_> {
    /// The changes the form asks for, or the errors to show next to its fields.
    fn changes(&self) -> Result<ProfileChanges, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username = errors.check("username", Username::parse(&self.username));
        let email = errors.check("email", Email::parse(&self.email));
        let first_name = errors.check("first_name", PersonName::parse(&self.first_name));
        let last_name = errors.check("last_name", PersonName::parse(&self.last_name));
        let time_zone = match &self.time_zone {
            Some(name) => errors.check("time_zone", domain::TimeZone::parse(name)).map(Some),
            None => Some(None),
        };
        match (username, email, first_name, last_name, time_zone) {
            (Some(username), Some(email), Some(first_name), Some(last_name), Some(time_zone)) if errors.is_empty() => {
                Ok(ProfileChanges {
                    username: Some(username),
                    email: Some(email),
                    first_name: Some(first_name.into_inner()),
                    last_name: Some(last_name.into_inner()),
                    current_password: Some(self.current_password.clone()),
                    time_zone,
                    notify_comments: Some(self.notify_comments),
                    ..ProfileChanges::default()
                })
            }
            _ => Err(errors),
        }
    }
}

/// The bytes of an upload (bounded by Rocket's `file` limit before this runs).
pub(in crate::routes::site) async fn read_upload(file: &TempFile<'_>) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(file.len()).unwrap_or(0));
    file.open().await?.read_to_end(&mut bytes).await?;
    Ok(bytes)
}

fn account_template(layout: Layout, user: &CurrentUser, form: impl serde::Serialize, errors: FieldErrors) -> Page {
    let zones: Vec<&str> = domain::TimeZone::names().collect();
    Page::render("users/account", context! { layout, user: UserView::from(&user.user), form, errors, zones })
}

#[get("/account")]
pub(super) fn show(layout: Layout, user: CurrentUser) -> Page {
    let u = &user.user;
    let form = context! {
        username: &u.username, email: &u.email,
        first_name: u.first_name.as_deref().unwrap_or(""), last_name: u.last_name.as_deref().unwrap_or(""),
        time_zone: app::accounts::time_zone(u).name(), notify_comments: u.notify_comments,
    };
    account_template(layout, &user, form, FieldErrors::default())
}

#[post("/account", data = "<form>")]
pub(super) async fn update(
    form: CsrfForm<'_, AccountForm<'_>>,
    layout: Layout,
    user: CurrentUser,
    app: &State<App>,
    config: &State<crate::config::AppConfig>,
) -> SiteResult<Reply> {
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    let form_values = context! {
        username: &f.username, email: &f.email, first_name: &f.first_name, last_name: &f.last_name,
        time_zone: f.time_zone.as_deref().unwrap_or(app::accounts::time_zone(&user.user).name()),
        notify_comments: f.notify_comments,
    };
    let mut changes = match f.changes() {
        Ok(changes) => changes,
        Err(errors) => return Ok(Reply::Page(account_template(layout, &user, form_values, errors))),
    };
    if let Some(file) = f.picture.as_ref().filter(|p| p.len() > 0) {
        if file.len() > config.avatar_max_bytes.as_u64() {
            return Err(SiteError::too_large());
        }
        match read_upload(file).await {
            Ok(bytes) => changes.picture = Some(bytes),
            Err(e) => {
                log::warn!("could not read an uploaded picture: {e}");
                let mut errors = FieldErrors::default();
                errors.add("picture", "The picture could not be read. Please try again.");
                return Ok(Reply::Page(account_template(layout, &user, form_values, errors)));
            }
        }
    }
    let mut errors = FieldErrors::default();
    match app::accounts::update_profile(app, &user.user, changes).await {
        Ok(_) => Ok(Reply::Flash(Flash::success(Redirect::to(uri!(show)), "Your account has been updated!"))),
        Err(AppError::Taken(field)) => {
            errors.add(field, taken_message(field));
            Ok(Reply::Page(account_template(layout, &user, form_values, errors)))
        }
        Err(AppError::Invalid { field, message }) => {
            errors.add(field, message);
            Ok(Reply::Page(account_template(layout, &user, form_values, errors)))
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/user/<username>?<page>")]
pub(super) async fn posts(
    username: &str,
    page: Option<&str>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    app: &State<App>,
) -> SiteResult<Page> {
    let (author, rows, pagination) = app::posts::author_page(app, username, page).await?;
    let listing = Listing::of(rows, pagination, viewer.as_ref());
    let page_base = format!("/user/{}", rocket::http::RawStr::new(&author.username).percent_encode());
    let can_delete = viewer.as_ref().is_some_and(|v| v.user.is_admin);
    let standing = app::social::standing(app, &author, viewer.as_ref().map(|v| &v.user)).await?;
    let own_page = viewer.as_ref().is_some_and(|v| v.user.id == author.id);
    let standing = context! {
        followers: standing.followers, following: standing.following,
        followed: standing.followed_by_viewer, can_follow: viewer.is_some() && !own_page,
    };
    Ok(Page::render(
        "users/user_posts",
        context! { layout, author: UserView::from(&author), listing, page_base, can_delete, standing },
    ))
}

#[derive(Debug, FromForm)]
pub(super) struct DeleteAccountForm {
    #[field(default = String::new())]
    password: String,
}

#[post("/account/delete", data = "<form>")]
pub(super) async fn delete_own(
    form: CsrfForm<'_, DeleteAccountForm>,
    user: CurrentUser,
    cookies: &CookieJar<'_>,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    match app::accounts::delete_own(app, &user.user, &f.password).await {
        Ok(()) => {
            guards::forget_session(cookies);
            Ok(Flash::success(home(), "Your account has been deleted."))
        }
        Err(AppError::Invalid { .. }) => Ok(Flash::new(
            Redirect::to(uri!(show)),
            "danger",
            "The password was not right. Your account was not deleted.",
        )),
        Err(e) => Err(e.into()),
    }
}

#[post("/user/<username>/delete", data = "<_form>")]
pub(super) async fn delete_user(
    username: &str,
    _form: CsrfForm<'_, Confirm>,
    moderator: Admin,
    cookies: &CookieJar<'_>,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    let Admin(me) = moderator;
    let account = app::accounts::delete_by_moderator(app, &me.user, username).await?;
    if account.id == me.user.id {
        guards::forget_session(cookies);
    }
    Ok(Flash::success(home(), format!("The account {} has been deleted.", account.username)))
}
