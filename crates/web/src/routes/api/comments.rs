//! `/api/articles/<slug>/comments`.

use app::posts::PostKey;
use app::{App, AppError};
use rocket::http::Status;
use rocket::{State, delete, get, post};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{CommentAnswer, CommentView, CommentsAnswer, Errors};
use super::{ApiError, ApiResult, COMMENTS_LIMIT, window_of};
use crate::config::AppConfig;
use crate::guards::{ApiUser, MaybeApiUser};
use crate::routes::body::JsonBody;
use crate::routes::json::Answer;

#[derive(Deserialize, ToSchema)]
pub struct NewCommentRequest {
    comment: NewComment,
}

#[derive(Deserialize, ToSchema)]
pub struct NewComment {
    #[schema(value_type = String, required = true)]
    body: Option<String>,
}

/// Comments on an article as the signed-in user. As on the site, a comment may wait for
/// approval (the site's `comment_moderation` setting); the answer is the comment either way, and
/// a held one is listed for its writer only until approved.
#[utoipa::path(
    tag = "Comments",
    security(("Token" = [])),
    request_body = NewCommentRequest,
    responses(
        (status = 200, description = "The new comment", body = CommentAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 403, description = "The article's comments are closed", body = Errors),
        (status = 404, description = "No such article", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "The comment is blank or too long", body = Errors),
        (status = 429, description = "Ten comments in ten minutes already", body = Errors),
    )
)]
#[post("/articles/<slug>/comments", data = "<body>")]
pub(super) async fn add_comment(
    slug: &str,
    body: JsonBody<NewCommentRequest>,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let text = domain::CommentBody::parse(body.comment.body.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::invalid("body", e))?;
    let posted = match app::comments::add(app, &viewer.0, PostKey::Slug(slug), text).await {
        Ok(posted) => posted,
        Err(AppError::Throttled(wait)) => {
            return Err(ApiError::refused(
                Status::TooManyRequests,
                format!("too many comments: try again in {}", domain::throttle::describe_wait(wait)),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Answer::ok(&CommentAnswer { comment: CommentView::new(config, posted.comment, false) }))
}

/// An article's comments, oldest first, `limit` at a time (at most 100) from `offset`.
#[utoipa::path(
    tag = "Comments",
    security((), ("Token" = [])),
    params(
        ("slug" = String, Path),
        ("limit" = Option<i64>, Query, minimum = 0, description = "How many comments (default 100, at most 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "How many of the oldest to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "The comments", body = CommentsAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 404, description = "No such article", body = Errors),
        (status = 422, description = "`limit` or `offset` is not a whole number from 0", body = Errors),
    )
)]
#[get("/articles/<slug>/comments?<limit>&<offset>")]
pub(super) async fn comments(
    slug: &str,
    limit: Option<&str>,
    offset: Option<&str>,
    viewer: MaybeApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let (limit, offset) = window_of(limit, offset, COMMENTS_LIMIT, COMMENTS_LIMIT)?;
    let rows = app::comments::list(app, slug, viewer.0.as_ref(), limit, offset).await?;
    let comments = rows.into_iter().map(|(c, following)| CommentView::new(config, c, following)).collect();
    Ok(Answer::ok(&CommentsAnswer { comments }))
}

/// Deletes a comment; only its writer, the article's author or a moderator may.
#[utoipa::path(
    tag = "Comments",
    security(("Token" = [])),
    params(("slug" = String, Path), ("id" = i64, Path, description = "The comment's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 403, description = "Not the comment's writer nor the article's author", body = Errors),
        (status = 404, description = "No such article or comment", body = Errors),
    )
)]
#[delete("/articles/<slug>/comments/<id>")]
pub(super) async fn delete_comment(slug: &str, id: &str, viewer: ApiUser, app: &State<App>) -> ApiResult<Status> {
    // An id that is not a number names no comment.
    let not_found = || ApiError::refused(Status::NotFound, "comment not found");
    let id = id.parse::<i64>().map_err(|_| not_found())?;
    match app::comments::delete_on(app, &viewer.0, slug, id).await {
        Ok(()) => Ok(Status::NoContent),
        Err(AppError::NotFound("comment")) => Err(not_found()),
        Err(AppError::Forbidden) => {
            Err(ApiError::refused(Status::Forbidden, "only the comment's writer or the article's author may delete it"))
        }
        Err(e) => Err(e.into()),
    }
}
