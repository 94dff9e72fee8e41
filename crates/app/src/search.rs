//! Searching posts, the same for the site and the API: what the reader typed is read by
//! `domain::SearchQuery` (never an error), the database ranks the visible posts it finds
//! (`persistence::search`), and each result carries its title and a snippet of its body as
//! escaped HTML with the matched words in `<mark>`.

use domain::search::{PER_PAGE, marked_html};
use domain::{PageNumber, Pagination, SearchQuery};

use crate::posts::{Article, Filter, Post, articles_of};
use crate::{App, AppError, AppResult, User};

/// One post found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The post with its author.
    pub post: Post,
    /// Its title, escaped, the matched words in `<mark>`.
    pub title_html: String,
    /// A few dozen words of its body around the best match, escaped, the matched words in
    /// `<mark>`.
    pub snippet_html: String,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct Results {
    /// The query as read.
    pub query: SearchQuery,
    /// The page's posts, best first.
    pub found: Vec<Found>,
    /// Where the page lies among all results.
    pub pagination: Pagination,
}

/// Page `page` (as `?page=` gave it) of the visible posts `q` finds, best first, [`PER_PAGE`] a
/// page. A query that asks for nothing gives one empty page; [`AppError::NotFound`] for a page
/// number that is not a positive integer or lies past the last page.
pub async fn page(app: &App, q: &str, page: Option<&str>) -> AppResult<Results> {
    let page = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let query = SearchQuery::parse(q);
    let (hits, total) =
        persistence::search::search(app.db(), &query, &Filter::default(), PER_PAGE, page.offset(PER_PAGE)).await?;
    let pagination = Pagination::new(page, PER_PAGE, total).ok_or(AppError::NotFound("page"))?;
    let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
    let mut posts: std::collections::HashMap<i64, Post> =
        persistence::posts::find_many(app.db(), &ids).await?.into_iter().map(|p| (p.id, p)).collect();
    let found = hits
        .into_iter()
        .filter_map(|hit| {
            posts.remove(&hit.id).map(|post| Found {
                post,
                title_html: marked_html(&hit.title),
                snippet_html: marked_html(&hit.snippet),
            })
        })
        .collect();
    Ok(Results { query, found, pagination })
}

/// The API's search: one page (`limit` from `offset`) of the visible posts `q` finds among those
/// `filter` picks, best first, and how many it found.
pub async fn articles(
    app: &App,
    q: &str,
    filter: &Filter,
    limit: u64,
    offset: u64,
    viewer: Option<&User>,
) -> AppResult<(Vec<Article>, u64)> {
    let query = SearchQuery::parse(q);
    let (hits, total) = persistence::search::search(app.db(), &query, filter, limit, offset).await?;
    let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
    let rows = persistence::articles::find_many(app.db(), &ids).await?;
    Ok((articles_of(app, rows, viewer).await?, total))
}
