//! The home page, the about page, and the listing both the home page and author pages use.

use domain::{PageNumber, Pagination};
use persistence::DatabaseConnection;
use rocket::fairing::AdHoc;
use rocket::http::uri::Origin;
use rocket::{State, get, routes};
use rocket_dyn_templates::{Template, context};
use serde::Serialize;

use crate::config::AppConfig;
use crate::error::{Error, Result};
use crate::guards::CurrentUser;
use crate::layout::{Layout, PostView};

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Main", |rocket| async { rocket.mount("/", routes![index, about]).mount("/home", routes![index]) })
}

/// One page of a listing, with what the page links under it need.
#[derive(Serialize)]
pub struct Listing {
    pub posts: Vec<PostView>,
    pub pagination: Pagination,
    pub links: Vec<domain::PageLink>,
}

impl Listing {
    /// Page `page` (from `?page=`) of the posts of `author`, or of everyone; 404 for a page
    /// number that is not a positive integer or lies past the last page.
    pub async fn load(
        db: &DatabaseConnection,
        config: &AppConfig,
        author: Option<i64>,
        page: Option<&str>,
        viewer: Option<&CurrentUser>,
    ) -> Result<Self> {
        let page = PageNumber::parse(page).map_err(|_| Error::NotFound)?;
        let total = persistence::posts::count(db, author).await?;
        let pagination = Pagination::new(page, config.posts_per_page, total).ok_or(Error::NotFound)?;
        let rows = persistence::posts::list_newest(db, author, pagination.per_page, pagination.offset()).await?;
        Ok(Self {
            posts: rows.into_iter().map(|p| PostView::new(p, viewer)).collect(),
            links: pagination.links(),
            pagination,
        })
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
) -> Result<Template> {
    let listing = Listing::load(db, config, None, page, viewer.as_ref()).await?;
    Ok(Template::render("main/home", context! { layout, listing, page_base: uri.path().as_str() }))
}

#[get("/about")]
fn about(layout: Layout) -> Template {
    Template::render("main/about", context! { layout })
}
