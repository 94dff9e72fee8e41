//! What `/sitemap.xml` lists: every visible post (with its last change), the page of every
//! author of one, and every tag in use; in parts of [`URLS_PER_PART`] when there are more.

use chrono::{DateTime, Utc};

use crate::{App, AppError, AppResult};

/// The most addresses one sitemap may list (sitemaps.org).
pub const URLS_PER_PART: u64 = 50_000;

/// How much there is to list.
#[derive(Debug, Clone)]
pub struct Contents {
    /// Visible posts.
    pub posts: u64,
    /// Accounts with a visible post.
    pub authors: u64,
    /// Tags in use (the most used, as `/tags` lists them).
    pub tags: Vec<String>,
}

impl Contents {
    /// Whether it all fits one sitemap (with the home page and `/tags`).
    pub fn fits_one(&self) -> bool {
        self.posts + self.authors + self.tags.len() as u64 + 2 <= URLS_PER_PART
    }

    /// The number of parts of posts.
    pub fn post_parts(&self) -> u64 {
        self.posts.div_ceil(URLS_PER_PART)
    }

    /// The number of parts of authors.
    pub fn author_parts(&self) -> u64 {
        self.authors.div_ceil(URLS_PER_PART)
    }
}

/// How much there is to list.
pub async fn contents(app: &App) -> AppResult<Contents> {
    let db = app.db();
    Ok(Contents {
        posts: persistence::posts::count(db, None).await?,
        authors: persistence::sitemap::author_count(db).await?,
        tags: tags(app).await?,
    })
}

/// Every tag in use (the most used, as `/tags` lists them).
pub async fn tags(app: &App) -> AppResult<Vec<String>> {
    Ok(persistence::social::all_tags(app.db()).await?)
}

/// Part `n` (from 1) of the visible posts, or all of them: their ids and last changes;
/// [`AppError::NotFound`] past the last part.
pub async fn posts(app: &App, part: Option<u64>) -> AppResult<Vec<(i64, DateTime<Utc>)>> {
    let (limit, offset) = window(part)?;
    let rows = persistence::sitemap::posts(app.db(), limit, offset).await?;
    if rows.is_empty() && part.is_some_and(|n| n > 1) {
        return Err(AppError::NotFound("sitemap"));
    }
    Ok(rows)
}

/// Part `n` (from 1) of the names of the accounts with a visible post, or all of them.
pub async fn authors(app: &App, part: Option<u64>) -> AppResult<Vec<String>> {
    let (limit, offset) = window(part)?;
    let rows = persistence::sitemap::authors(app.db(), limit, offset).await?;
    if rows.is_empty() && part.is_some_and(|n| n > 1) {
        return Err(AppError::NotFound("sitemap"));
    }
    Ok(rows)
}

fn window(part: Option<u64>) -> AppResult<(u64, u64)> {
    match part {
        None => Ok((URLS_PER_PART, 0)),
        Some(0) => Err(AppError::NotFound("sitemap")),
        Some(n) => Ok((URLS_PER_PART, (n - 1).saturating_mul(URLS_PER_PART))),
    }
}
