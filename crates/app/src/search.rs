//! Searching posts, the same for the site and the API: what the reader typed is read by
//! `domain::SearchQuery` (never an error), the database ranks the visible posts it finds
//! (`persistence::search`), and each result carries its title and a snippet of its body as
//! escaped HTML with the matched words in `<mark>` (made here from the post's text, the same
//! on both databases, and for the page's posts only).

use domain::search::{PER_PAGE, plain_text};
use domain::{PageNumber, Pagination, SearchQuery};

use tokio::sync::Semaphore;

use crate::posts::{Article, Filter, Post, articles_of};
use crate::{App, AppError, AppResult, User};

/// Searches the database runs at once; the others wait without holding a thread. Most take a
/// millisecond or two, but a prefix of a word nearly every post has (`a*` at 1,000,000 posts)
/// makes the engine merge long lists for ~100 ms: one at a time, such queries cannot take every
/// core from the readers of other pages.
const SEARCHES_AT_ONCE: usize = 1;

static SEARCHES: Semaphore = Semaphore::const_new(SEARCHES_AT_ONCE);

/// The ids of a page of results, in turn with the other searches.
async fn ranked(
    app: &App,
    query: &SearchQuery,
    filter: &Filter,
    limit: u64,
    offset: u64,
) -> AppResult<(Vec<i64>, u64)> {
    if !query.is_searchable() {
        return Ok((Vec::new(), 0));
    }
    let _turn = SEARCHES.acquire().await.map_err(AppError::internal)?;
    Ok(persistence::search::search(app.db(), app.searcher(), query, filter, limit, offset).await?)
}

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
    /// Its tags.
    pub tags: Vec<String>,
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
    let (ids, total) = ranked(app, &query, &Filter::default(), PER_PAGE, page.offset(PER_PAGE)).await?;
    let pagination = Pagination::new(page, PER_PAGE, total).ok_or(AppError::NotFound("page"))?;
    let found = persistence::posts::find_many(app.db(), &ids)
        .await?
        .into_iter()
        .map(|mut post| Found {
            title_html: query.highlight(&post.title),
            snippet_html: query.snippet(&plain_text(&post.content)),
            tags: std::mem::take(&mut post.tags).into_vec(),
            post,
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
    let (ids, total) = ranked(app, &query, filter, limit, offset).await?;
    let rows = persistence::articles::find_many(app.db(), &ids).await?;
    Ok((articles_of(app, rows, viewer).await?, total))
}
