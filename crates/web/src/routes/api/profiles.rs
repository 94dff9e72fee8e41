//! `/api/profiles`: users as others see them, and follows.

use app::App;
use rocket::{State, delete, get, post};

use super::ApiResult;
use super::wire::{Errors, ProfileAnswer};
use crate::config::AppConfig;
use crate::guards::{ApiUser, MaybeApiUser};
use crate::routes::json::Answer;

/// A user's profile; `following` tells whether the signed-in user (if any) follows them.
#[utoipa::path(
    tag = "Profiles",
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 404, description = "No such user", body = Errors),
    )
)]
#[get("/profiles/<username>")]
pub(super) async fn profile(
    username: &str,
    viewer: MaybeApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let (user, following) = app::social::profile(app, username, viewer.0.as_ref()).await?;
    Ok(Answer::ok(&ProfileAnswer::new(config, &user, following)))
}

/// Follows a user (again is fine); nobody can follow themselves.
#[utoipa::path(
    tag = "Profiles",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The profile, followed", body = ProfileAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such user", body = Errors),
        (status = 422, description = "Following yourself", body = Errors),
    )
)]
#[post("/profiles/<username>/follow")]
pub(super) async fn follow(
    username: &str,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let user = app::social::follow(app, &viewer.0, username).await?;
    Ok(Answer::ok(&ProfileAnswer::new(config, &user, true)))
}

/// Stops following a user (not following is fine).
#[utoipa::path(
    tag = "Profiles",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The profile, not followed", body = ProfileAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such user", body = Errors),
    )
)]
#[delete("/profiles/<username>/follow")]
pub(super) async fn unfollow(
    username: &str,
    viewer: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let user = app::social::unfollow(app, &viewer.0, username).await?;
    Ok(Answer::ok(&ProfileAnswer::new(config, &user, false)))
}
