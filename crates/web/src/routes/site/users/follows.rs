//! Following authors on the site: the buttons on their pages, who follows whom, and what a
//! reader favours. The API's follows and favourites are the same rows.

use app::{App, AppError};
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, uri};
use rocket_dyn_templates::context;

use super::SiteResult;
use crate::csrf::CsrfForm;
use crate::forms::Confirm;
use crate::guards::CurrentUser;
use crate::layout::{Layout, UserView};
use crate::views::Page;

fn back_to(username: &str) -> Redirect {
    Redirect::to(uri!(super::account::posts(username, _)))
}

/// The signed-in reader follows `username` (again is fine); nobody follows themselves.
#[post("/user/<username>/follow", data = "<_form>")]
pub(super) async fn follow(
    username: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    match app::social::follow(app, &user.user, username).await {
        Ok(account) => Ok(Flash::success(back_to(&account.username), format!("You now follow {}.", account.username))),
        Err(AppError::Invalid { .. }) => Ok(Flash::new(back_to(username), "danger", "You cannot follow yourself.")),
        Err(e) => Err(e.into()),
    }
}

/// The signed-in reader stops following `username` (not following is fine).
#[post("/user/<username>/unfollow", data = "<_form>")]
pub(super) async fn unfollow(
    username: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    let account = app::social::unfollow(app, &user.user, username).await?;
    Ok(Flash::success(back_to(&account.username), format!("You no longer follow {}.", account.username)))
}

async fn follow_list(
    username: &str,
    page: Option<&str>,
    followers: bool,
    layout: Layout,
    app: &App,
) -> SiteResult<Page> {
    let (account, rows, pagination) = app::social::follow_list(app, username, followers, page).await?;
    let people: Vec<UserView> = rows.iter().map(UserView::from).collect();
    let name = rocket::http::RawStr::new(&account.username).percent_encode().to_string();
    let (heading, page_base) = if followers {
        (format!("Followers of {}", account.username), format!("/user/{name}/followers"))
    } else {
        (format!("{} follows", account.username), format!("/user/{name}/following"))
    };
    let listing = context! { pagination, links: pagination.links() };
    Ok(Page::render(
        "users/follows",
        context! { layout, account: UserView::from(&account), people, heading, listing, page_base, followers },
    ))
}

/// Who follows `username`, by name, 50 a page.
#[get("/user/<username>/followers?<page>")]
pub(super) async fn followers(
    username: &str,
    page: Option<&str>,
    layout: Layout,
    app: &State<App>,
) -> SiteResult<Page> {
    follow_list(username, page, true, layout, app).await
}

/// Whom `username` follows, by name, 50 a page.
#[get("/user/<username>/following?<page>")]
pub(super) async fn following(
    username: &str,
    page: Option<&str>,
    layout: Layout,
    app: &State<App>,
) -> SiteResult<Page> {
    follow_list(username, page, false, layout, app).await
}

/// The visible posts `username` favours, newest first, paginated like `/`.
#[get("/user/<username>/favorites?<page>")]
pub(super) async fn favorites(
    username: &str,
    page: Option<&str>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    app: &State<App>,
) -> SiteResult<Page> {
    let (account, rows, pagination) = app::social::favorites_page(app, username, page).await?;
    let listing = crate::routes::site::main::Listing::of(rows, pagination, viewer.as_ref());
    let page_base = format!("/user/{}/favorites", rocket::http::RawStr::new(&account.username).percent_encode());
    Ok(Page::render("users/favorites", context! { layout, account: UserView::from(&account), listing, page_base }))
}
