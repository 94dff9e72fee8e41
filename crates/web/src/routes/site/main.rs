//! The home page, the about page, the health check, and the listing both the home page and
//! author pages show.

use std::time::Duration;

use app::App;
use app::posts::Post;
use domain::Pagination;
use rocket::fairing::AdHoc;
use rocket::http::uri::Origin;
use rocket::http::{Header, Status};
use rocket::serde::json::{Json, Value, json};
use rocket::{State, get, routes};
use rocket_dyn_templates::context;
use serde::Serialize;

use super::SiteResult;
use crate::guards::CurrentUser;
use crate::layout::{Layout, PostView};
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Main", |rocket| async {
        rocket.mount("/", routes![index, about, healthz]).mount("/home", routes![index])
    })
}

/// For load balancers: 200 `{"status": "ok"}` while the database answers (within two seconds),
/// 503 `{"status": "unavailable"}` otherwise. Never cached.
#[get("/healthz")]
async fn healthz(app: &State<App>) -> (Status, Health) {
    match app.database_answers(Duration::from_secs(2)).await {
        Ok(()) => (Status::Ok, Health::says("ok")),
        Err(e) => {
            log::error!("health check: {e}");
            (Status::ServiceUnavailable, Health::says("unavailable"))
        }
    }
}

#[derive(rocket::Responder)]
struct Health {
    body: Json<Value>,
    cache: Header<'static>,
}

impl Health {
    fn says(status: &str) -> Self {
        Health { body: Json(json!({ "status": status })), cache: Header::new("Cache-Control", "no-store") }
    }
}

/// One page of a listing, with what the page links under it need.
#[derive(Serialize)]
pub struct Listing {
    pub posts: Vec<PostView>,
    pub pagination: Pagination,
    pub links: Vec<domain::PageLink>,
}

impl Listing {
    pub fn of(rows: Vec<Post>, pagination: Pagination, viewer: Option<&CurrentUser>) -> Self {
        Self {
            posts: rows.into_iter().map(|p| PostView::new(p, viewer)).collect(),
            links: pagination.links(),
            pagination,
        }
    }
}

/// The home page, mounted at `/` and at `/home`; 404 for a page that does not exist.
#[get("/?<page>")]
pub async fn index(
    page: Option<&str>,
    uri: &Origin<'_>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    app: &State<App>,
) -> SiteResult<Page> {
    let (rows, pagination) = app::posts::home_page(app, page).await?;
    let listing = Listing::of(rows, pagination, viewer.as_ref());
    Ok(Page::render("main/home", context! { layout, listing, page_base: uri.path().as_str() }))
}

#[get("/about")]
fn about(layout: Layout) -> Page {
    Page::render("main/about", context! { layout })
}
