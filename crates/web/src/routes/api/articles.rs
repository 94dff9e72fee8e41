//! `/api/articles`: listings, the feed, one article, publishing, editing, deleting, and
//! favourites.

use app::posts::{Filter, NewPost, PostChanges, PostKey};
use app::{App, AppError, User};
use domain::{Content, Title};
use rocket::http::Status;
use rocket::{State, delete, get, post, put};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{ArticleAnswer, ArticlesAnswer, Errors};
use super::{ApiError, ApiResult, DEFAULT_LIMIT, MAX_LIMIT, window_of};
use crate::config::AppConfig;
use crate::guards::{ApiUser, MaybeApiUser};
use crate::routes::body::JsonBody;
use crate::routes::json::Answer;

/// `limit` and `offset` of an article listing: 20 and 0 when absent, `limit` capped at 100.
fn window(limit: Option<&str>, offset: Option<&str>) -> ApiResult<(u64, u64)> {
    window_of(limit, offset, DEFAULT_LIMIT, MAX_LIMIT)
}

/// What the API says when someone else's article is to be changed.
fn not_the_author(e: AppError) -> ApiError {
    match e {
        AppError::Forbidden => ApiError::refused(Status::Forbidden, "only the author may change this article"),
        e => e.into(),
    }
}

async fn one_article(app: &App, config: &AppConfig, key: PostKey<'_>, viewer: Option<&User>) -> ApiResult<Answer> {
    let article = app::posts::article(app, key, viewer).await?;
    Ok(Answer::ok(&ArticleAnswer::new(config, article)))
}

/// The newest articles first, filtered by tag, author or who favoured them; with `q`, the
/// articles matching it, best first.
#[utoipa::path(
    tag = "Articles",
    security((), ("Token" = [])),
    params(
        ("q" = Option<String>, Query, description = "Full-text search of titles, descriptions, bodies and tags, \
            best match first: words (all must match), \"a phrase\", -word to leave out, the last word as a prefix. \
            Never an error: the engine's own syntax is plain text; at most 256 characters are read, and at most \
            the newest 1,000 matches are ranked. Blank: no search"),
        ("tag" = Option<String>, Query, description = "Only articles with this tag"),
        ("author" = Option<String>, Query, description = "Only articles by this username"),
        ("favorited" = Option<String>, Query, description = "Only articles this username favours"),
        ("limit" = Option<i64>, Query, minimum = 0, description = "How many articles (default 20, at most 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "How many to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "A page of articles, without their bodies", body = ArticlesAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 422, description = "`limit` or `offset` is not a whole number", body = Errors),
    )
)]
#[get("/articles?<q>&<tag>&<author>&<favorited>&<limit>&<offset>")]
#[allow(clippy::too_many_arguments)]
pub(super) async fn list_articles(
    q: Option<&str>,
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<&str>,
    offset: Option<&str>,
    viewer: MaybeApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let (limit, offset) = window(limit, offset)?;
    let filter = Filter { tag, author, favorited_by: favorited, followed_by: None };
    let page = match q.filter(|q| !q.trim().is_empty()) {
        Some(q) => app::search::articles(app, q, &filter, limit, offset, viewer.0.as_ref()).await?,
        None => app::posts::list_articles(app, filter, limit, offset, viewer.0.as_ref()).await?,
    };
    Ok(Answer::ok(&ArticlesAnswer::new(config, page)))
}

/// The newest articles by the users the signed-in user follows.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    params(
        ("limit" = Option<i64>, Query, minimum = 0, description = "How many articles (default 20, at most 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "How many to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "A page of articles, without their bodies", body = ArticlesAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 422, description = "`limit` or `offset` is not a whole number", body = Errors),
    )
)]
#[get("/articles/feed?<limit>&<offset>")]
pub(super) async fn feed(
    limit: Option<&str>,
    offset: Option<&str>,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let (limit, offset) = window(limit, offset)?;
    let page = app::posts::feed(app, &viewer.0, limit, offset).await?;
    Ok(Answer::ok(&ArticlesAnswer::new(config, page)))
}

/// One article, with its body.
#[utoipa::path(
    tag = "Articles",
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[get("/articles/<slug>", rank = 2)]
pub(super) async fn article(
    slug: &str,
    viewer: MaybeApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    one_article(app, config, PostKey::Slug(slug), viewer.0.as_ref()).await
}

#[derive(Deserialize, ToSchema)]
pub struct NewArticleRequest {
    article: NewArticle,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewArticle {
    #[schema(value_type = String, required = true)]
    title: Option<String>,
    #[schema(value_type = String, required = true)]
    description: Option<String>,
    #[schema(value_type = String, required = true)]
    body: Option<String>,
    /// At most 20 tags of at most 64 characters; blanks and repeats are dropped.
    tag_list: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateArticleRequest {
    article: ArticleChanges,
}

/// Only the fields sent change; a new title gives a new slug.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleChanges {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    /// Replaces the article's tags.
    tag_list: Option<Vec<String>>,
}

fn tags_of(tags: &[String]) -> ApiResult<Vec<String>> {
    domain::Tags::parse(tags).map(domain::Tags::into_inner).map_err(|e| ApiError::invalid("tagList", e))
}

fn description_of(raw: &str) -> ApiResult<String> {
    domain::Description::parse(raw)
        .map(domain::Description::into_inner)
        .map_err(|e| ApiError::invalid("description", e))
}

impl TryFrom<&NewArticle> for NewPost {
    type Error = ApiError;

    fn try_from(b: &NewArticle) -> Result<Self, ApiError> {
        let title = Title::parse(b.title.as_deref().unwrap_or_default()).map_err(|e| ApiError::invalid("title", e))?;
        let description = match b.description.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => description_of(d)?,
            None => return Err(ApiError::invalid("description", "can't be blank")),
        };
        let content =
            Content::parse(b.body.as_deref().unwrap_or_default()).map_err(|e| ApiError::invalid("body", e))?;
        let tags = tags_of(b.tag_list.as_deref().unwrap_or_default())?;
        // The API has no drafts: an article is published at once.
        Ok(NewPost { title, content, description, tags, intent: domain::Intent::Publish, close_comments: false })
    }
}

impl TryFrom<&ArticleChanges> for PostChanges {
    type Error = ApiError;

    fn try_from(b: &ArticleChanges) -> Result<Self, ApiError> {
        Ok(PostChanges {
            title: b.title.as_deref().map(Title::parse).transpose().map_err(|e| ApiError::invalid("title", e))?,
            content: b.body.as_deref().map(Content::parse).transpose().map_err(|e| ApiError::invalid("body", e))?,
            description: b.description.as_deref().map(description_of).transpose()?,
            tags: b.tag_list.as_deref().map(tags_of).transpose()?,
            intent: None,
            close_comments: None,
        })
    }
}

/// Publishes an article by the signed-in user; its slug comes from the title.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    request_body = NewArticleRequest,
    responses(
        (status = 201, description = "The new article", body = ArticleAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is missing or invalid", body = Errors),
    )
)]
#[post("/articles", data = "<body>")]
pub(super) async fn create_article(
    body: JsonBody<NewArticleRequest>,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let article = app::posts::create_article(app, &viewer.0, NewPost::try_from(&body.article)?).await?;
    Ok(Answer::ok(&ArticleAnswer::new(config, article)).with_status(Status::Created))
}

/// Changes an article; only its author or a moderator may.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    request_body = UpdateArticleRequest,
    responses(
        (status = 200, description = "The updated article", body = ArticleAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 403, description = "Not the author", body = Errors),
        (status = 404, description = "No such article", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is invalid", body = Errors),
    )
)]
#[put("/articles/<slug>", data = "<body>")]
pub(super) async fn update_article(
    slug: &str,
    body: JsonBody<UpdateArticleRequest>,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let key = PostKey::Slug(slug);
    // Someone else's article is refused before its changes are looked at.
    app::posts::editable(app, &viewer.0, key).await.map_err(not_the_author)?;
    let changes = PostChanges::try_from(&body.article)?;
    let id = app::posts::edit(app, &viewer.0, key, changes).await.map_err(not_the_author)?.id;
    one_article(app, config, PostKey::Id(id), Some(&viewer.0)).await
}

/// Deletes an article with its comments, tags and favourites; only its author or a moderator may.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 403, description = "Not the author", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[delete("/articles/<slug>")]
pub(super) async fn delete_article(slug: &str, viewer: ApiUser, app: &State<App>) -> ApiResult<Status> {
    app::posts::delete(app, &viewer.0, PostKey::Slug(slug)).await.map_err(not_the_author)?;
    Ok(Status::NoContent)
}

async fn set_favorite(app: &App, config: &AppConfig, slug: &str, viewer: &User, on: bool) -> ApiResult<Answer> {
    let article = app::social::set_favorite(app, viewer, PostKey::Slug(slug), on).await?;
    Ok(Answer::ok(&ArticleAnswer::new(config, article)))
}

/// Marks an article as a favourite of the signed-in user (again is fine).
#[utoipa::path(
    tag = "Favorites",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The article, favoured", body = ArticleAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[post("/articles/<slug>/favorite")]
pub(super) async fn favorite(
    slug: &str,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    set_favorite(app, config, slug, &viewer.0, true).await
}

/// Unmarks an article as a favourite of the signed-in user.
#[utoipa::path(
    tag = "Favorites",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The article, not favoured", body = ArticleAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[delete("/articles/<slug>/favorite")]
pub(super) async fn unfavorite(
    slug: &str,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    set_favorite(app, config, slug, &viewer.0, false).await
}
