//! Bodies rendered when they are saved, off the async workers and a few at a time.

use domain::PostFormat;
use tokio::sync::Semaphore;

use crate::{AppError, AppResult, markdown};

/// Bodies rendered at once; the others wait without holding a thread. A body is at most
/// `domain::Content::MAX` characters, and the dearest one (10,000-deep nesting) takes about a
/// second.
const RENDERS_AT_ONCE: usize = 2;

static RENDERS: Semaphore = Semaphore::const_new(RENDERS_AT_ONCE);

/// A comment's sanitised HTML ([`markdown::comment`]), made in turn with the posts' bodies.
pub(crate) async fn comment(body: &str) -> AppResult<String> {
    let _turn = RENDERS.acquire().await.map_err(AppError::internal)?;
    let body = body.to_owned();
    tokio::task::spawn_blocking(move || markdown::comment(&body)).await.map_err(AppError::internal)
}

/// What is stored beside `content` written in `format`.
pub(crate) async fn render(format: PostFormat, content: &str) -> AppResult<persistence::posts::Rendered> {
    let _turn = RENDERS.acquire().await.map_err(AppError::internal)?;
    let content = content.to_owned();
    let rendered = tokio::task::spawn_blocking(move || match format {
        PostFormat::Markdown => markdown::markdown(&content),
        PostFormat::Text => markdown::plain(&content),
    })
    .await
    .map_err(AppError::internal)?;
    Ok(persistence::posts::Rendered {
        format: format.as_str().to_owned(),
        html: rendered.html,
        excerpt: rendered.excerpt,
        words: i32::try_from(rendered.words).unwrap_or(i32::MAX),
    })
}
