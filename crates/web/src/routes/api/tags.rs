//! `/api/tags`.

use app::App;
use rocket::{State, get};

use super::ApiResult;
use super::wire::TagsAnswer;
use crate::routes::json::Answer;

/// Every tag in use.
#[utoipa::path(
    tag = "Tags",
    responses((status = 200, description = "The tags", body = TagsAnswer))
)]
#[get("/tags")]
pub(super) async fn tags(app: &State<App>) -> ApiResult<Answer> {
    Ok(Answer::ok(&TagsAnswer { tags: app::social::tags(app).await? }))
}
