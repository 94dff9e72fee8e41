//! The home page, the about page, and the listing both the home page and author pages use.

use domain::{PageNumber, Pagination};
use persistence::DatabaseConnection;
use persistence::posts::PostWithAuthor;
use persistence::users::User;
use rocket::fairing::AdHoc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rocket::http::uri::Origin;
use rocket::http::{Header, Status};
use rocket::serde::json::{Json, Value, json};
use rocket::{State, get, routes};
use rocket_dyn_templates::context;
use serde::Serialize;

use crate::config::AppConfig;
use crate::error::{Error, Result};
use crate::guards::CurrentUser;
use crate::layout::{Layout, PostView};
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Main", |rocket| async {
        rocket.manage(ListingHint::default()).mount("/", routes![index, about, healthz]).mount("/home", routes![index])
    })
}

/// For load balancers: 200 `{"status": "ok"}` while the database answers (within two seconds),
/// 503 `{"status": "unavailable"}` otherwise. Never cached.
#[get("/healthz")]
async fn healthz(db: &State<DatabaseConnection>) -> (Status, Health) {
    match rocket::tokio::time::timeout(Duration::from_secs(2), db.ping()).await {
        Ok(Ok(())) => (Status::Ok, Health::says("ok")),
        Ok(Err(e)) => {
            log::error!("health check: the database does not answer: {e}");
            (Status::ServiceUnavailable, Health::says("unavailable"))
        }
        Err(_) => {
            log::error!("health check: the database took over two seconds to answer");
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

/// The number of posts the home listing last saw, to guess which end a deep page is nearer.
#[derive(Default)]
pub struct ListingHint(AtomicU64);

impl Listing {
    /// Page `page` (from `?page=`) of everyone's posts; 404 for a page number that is not a
    /// positive integer or lies past the last page.
    pub async fn load(
        db: &DatabaseConnection,
        config: &AppConfig,
        page: Option<&str>,
        viewer: Option<&CurrentUser>,
        hint: &ListingHint,
    ) -> Result<Self> {
        let page = PageNumber::parse(page).map_err(|_| Error::NotFound)?;
        let per_page = config.posts_per_page;
        let offset = page.get().saturating_sub(1).saturating_mul(per_page);
        // A page in the newer half takes one query (posts and count together); one in the older
        // half is read from the oldest end, which needs the count first. Which half is judged
        // from the last count seen (only speed depends on it, not what the page shows).
        let newer_half = offset == 0 || offset <= hint.0.load(Ordering::Relaxed) / 2;
        let (rows, total) = if newer_half {
            let (rows, total) = persistence::posts::newest_page(db, per_page, offset).await?;
            // An empty page: past the end (or an empty blog on page 1).
            if rows.is_empty() && offset > 0 {
                return Err(Error::NotFound);
            }
            (rows, total)
        } else {
            let total = persistence::posts::count(db, None).await?;
            (persistence::posts::list_newest(db, None, per_page, offset, total).await?, total)
        };
        hint.0.store(total, Ordering::Relaxed);
        let pagination = Pagination::new(page, per_page, total).ok_or(Error::NotFound)?;
        Ok(Self::of(rows, pagination, viewer))
    }

    /// Page `page` of the posts of the account called `username` (in any case), with that
    /// account; 404 for an unknown account or a page that does not exist. Page 1 takes one query.
    pub async fn load_author(
        db: &DatabaseConnection,
        config: &AppConfig,
        username: &str,
        page: Option<&str>,
        viewer: Option<&CurrentUser>,
    ) -> Result<(User, Self)> {
        let page = PageNumber::parse(page).map_err(|_| Error::NotFound)?;
        let per_page = config.posts_per_page;
        if page.get() == 1 {
            let (author, rows, total) =
                persistence::posts::author_page(db, username, per_page, 0).await?.ok_or(Error::NotFound)?;
            let pagination = Pagination::new(page, per_page, total).ok_or(Error::NotFound)?;
            return Ok((author, Self::of(rows, pagination, viewer)));
        }
        // A deeper page may be read faster from the oldest end, which needs the count first.
        let author = persistence::users::find_by_username(db, username).await?.ok_or(Error::NotFound)?;
        let total = persistence::posts::count(db, Some(author.id)).await?;
        let pagination = Pagination::new(page, per_page, total).ok_or(Error::NotFound)?;
        let rows = persistence::posts::list_newest(db, Some(author.id), per_page, pagination.offset(), total).await?;
        Ok((author, Self::of(rows, pagination, viewer)))
    }

    fn of(rows: Vec<PostWithAuthor>, pagination: Pagination, viewer: Option<&CurrentUser>) -> Self {
        Self {
            posts: rows.into_iter().map(|p| PostView::new(p, viewer)).collect(),
            links: pagination.links(),
            pagination,
        }
    }
}

/// The home page, mounted at `/` and at `/home`.
#[get("/?<page>")]
async fn index(
    page: Option<&str>,
    uri: &Origin<'_>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    hint: &State<crate::routes::main::ListingHint>,
) -> Result<Page> {
    let listing = Listing::load(db, config, page, viewer.as_ref(), hint).await?;
    Ok(Page::render("main/home", context! { layout, listing, page_base: uri.path().as_str() }))
}

#[get("/about")]
fn about(layout: Layout) -> Page {
    Page::render("main/about", context! { layout })
}
