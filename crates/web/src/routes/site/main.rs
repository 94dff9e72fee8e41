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
use crate::replay::remember;
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Main", |rocket| async {
        rocket
            .mount("/", remember(routes![index, about, tag, tags, following, search]))
            .mount("/", routes![healthz])
            .mount("/home", remember(routes![index]))
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
    /// The page's posts, with the tags their query read.
    pub fn of(rows: Vec<Post>, pagination: Pagination, viewer: Option<&CurrentUser>) -> Self {
        Self {
            posts: rows
                .into_iter()
                .map(|mut p| {
                    let tags = std::mem::take(&mut p.tags).into_vec();
                    PostView::new(p, viewer).with_tags(tags).for_listing()
                })
                .collect(),
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

/// The posts tagged `name`, newest first; 404 for a tag no post has.
#[get("/tag/<name>?<page>")]
async fn tag(
    name: &str,
    page: Option<&str>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    app: &State<App>,
) -> SiteResult<Page> {
    let (rows, pagination, total) = app::posts::tag_page(app, name, page).await?;
    let listing = Listing::of(rows, pagination, viewer.as_ref());
    let page_base = format!("/tag/{}", rocket::http::RawStr::new(name).percent_encode());
    Ok(Page::render("main/tag", context! { layout, listing, page_base, tag: name, total }))
}

/// The visible posts of the authors the signed-in reader follows, newest first; with nobody
/// followed, the authors of the newest posts to start with.
#[get("/following?<page>")]
async fn following(page: Option<&str>, layout: Layout, reader: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    let (rows, pagination) = app::posts::following_page(app, &reader.user, page).await?;
    let mut suggestions: Vec<(String, String)> = Vec::new();
    if pagination.total_items == 0 {
        // The authors of the 50 newest posts, at most ten of them.
        let (newest, _) = app::posts::list_articles(app, Default::default(), 50, 0, None).await?;
        for post in newest.into_iter().map(|a| a.row) {
            let name = post.author_username;
            if post.user_id != reader.user.id && !suggestions.iter().any(|(n, _)| *n == name) && suggestions.len() < 10
            {
                let path = rocket::http::RawStr::new(&name).percent_encode().to_string();
                suggestions.push((name, path));
            }
        }
    }
    let suggestions: Vec<_> = suggestions.into_iter().map(|(name, path)| context! { name, path }).collect();
    let listing = Listing::of(rows, pagination, Some(&reader));
    Ok(Page::render("main/following", context! { layout, listing, suggestions, page_base: "/following" }))
}

/// The visible posts matching `q`, best first, each with its title and a snippet of its body
/// (the matched words marked); with no query, the search page alone.
#[get("/search?<q>&<page>")]
async fn search(
    q: Option<&str>,
    page: Option<&str>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    app: &State<App>,
) -> SiteResult<Page> {
    // What is read of the query is all the page shows of it again (a 10,000-character query
    // is not echoed four times).
    let q = q.unwrap_or_default();
    let q = q.char_indices().nth(domain::search::MAX_CHARS).map_or(q, |(end, _)| &q[..end]);
    let results = app::search::page(app, q, page).await?;
    let found: Vec<_> = results
        .found
        .into_iter()
        .map(|f| {
            let post = PostView::new(f.post, viewer.as_ref()).with_tags(f.tags).for_listing();
            context! { post, title_html: f.title_html, snippet_html: f.snippet_html }
        })
        .collect();
    let listing = context! { links: results.pagination.links(), pagination: results.pagination };
    let page_query = format!("q={}&", rocket::http::RawStr::new(q).percent_encode());
    Ok(Page::render(
        "main/search",
        context! {
            layout,
            q,
            searchable: results.query.is_searchable(),
            capped: results.pagination.total_items >= domain::search::MOST_RANKED,
            found,
            listing,
            page_base: "/search",
            page_query,
        },
    ))
}

/// Every tag, the most used first.
#[get("/tags")]
async fn tags(layout: Layout, app: &State<App>) -> SiteResult<Page> {
    let tags: Vec<_> =
        app::social::tag_counts(app).await?.into_iter().map(|(name, posts)| context! { name, posts }).collect();
    Ok(Page::render("main/tags", context! { layout, tags }))
}

#[get("/about")]
fn about(layout: Layout) -> Page {
    Page::render("main/about", context! { layout })
}
