//! What readers do with posts and with each other: follows, favourites, tags (comments are
//! [`crate::comments`]).

use crate::accounts::find_by_username;
use crate::posts::{self, Article, PostKey};
use crate::{App, AppError, AppResult, User};

/// The account called `username` and whether `viewer` follows it.
pub async fn profile(app: &App, username: &str, viewer: Option<&User>) -> AppResult<(User, bool)> {
    let account = find_by_username(app, username).await?;
    let following = match viewer {
        Some(v) => persistence::social::followed_among(app.db(), v.id, &[account.id]).await?.contains(&account.id),
        None => false,
    };
    Ok((account, following))
}

/// An account as its page shows it: how many follow it and it follows, and whether the viewer
/// follows it.
#[derive(Debug, Clone)]
pub struct Standing {
    /// Accounts that follow it.
    pub followers: u64,
    /// Accounts it follows.
    pub following: u64,
    /// Whether the viewer follows it.
    pub followed_by_viewer: bool,
}

/// `account`'s followers and followings, and whether `viewer` follows it.
pub async fn standing(app: &App, account: &User, viewer: Option<&User>) -> AppResult<Standing> {
    let (followers, following) = persistence::social::follow_counts(app.db(), account.id).await?;
    let followed_by_viewer = match viewer {
        Some(v) if v.id != account.id => {
            persistence::social::followed_among(app.db(), v.id, &[account.id]).await?.contains(&account.id)
        }
        _ => false,
    };
    Ok(Standing { followers, following, followed_by_viewer })
}

/// Accounts on one page of a followers or following list.
pub const FOLLOWS_PER_PAGE: u64 = 50;

/// Page `page` of the accounts that follow the account called `username` (`followers`), or
/// that it follows, by name; with that account.
pub async fn follow_list(
    app: &App,
    username: &str,
    followers: bool,
    page: Option<&str>,
) -> AppResult<(User, Vec<User>, domain::Pagination)> {
    let account = find_by_username(app, username).await?;
    let page = domain::PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let offset = page.offset(FOLLOWS_PER_PAGE);
    let (rows, total) =
        persistence::social::follow_page(app.db(), account.id, followers, FOLLOWS_PER_PAGE, offset).await?;
    let pagination = domain::Pagination::new(page, FOLLOWS_PER_PAGE, total).ok_or(AppError::NotFound("page"))?;
    Ok((account, rows, pagination))
}

/// `reader` follows the account called `username` (again is fine); nobody follows themselves
/// ([`AppError::Invalid`] on `username`). Answers the account followed.
pub async fn follow(app: &App, reader: &User, username: &str) -> AppResult<User> {
    let account = find_by_username(app, username).await?;
    if account.id == reader.id {
        return Err(AppError::invalid("username", "cannot follow yourself"));
    }
    persistence::social::follow(app.db(), reader.id, account.id).await?;
    Ok(account)
}

/// `reader` stops following the account called `username` (not following is fine).
pub async fn unfollow(app: &App, reader: &User, username: &str) -> AppResult<User> {
    let account = find_by_username(app, username).await?;
    persistence::social::unfollow(app.db(), reader.id, account.id).await?;
    Ok(account)
}

/// Marks (`on`) or unmarks the post `key` names as a favourite of `reader`; answers the post
/// with its new count.
pub async fn set_favorite(app: &App, reader: &User, key: PostKey<'_>, on: bool) -> AppResult<Article> {
    let post = posts::find_for(app, key, Some(reader)).await?;
    if on {
        persistence::social::favorite(app.db(), reader.id, post.id).await?;
    } else {
        persistence::social::unfavorite(app.db(), reader.id, post.id).await?;
    }
    // Read again for the new count (the post may also have gone in the meantime).
    posts::article(app, PostKey::Id(post.id), Some(reader)).await
}

/// How many readers favour post `post_id`, and whether `viewer` does (for its page).
pub async fn favorites_of(app: &App, post_id: i64, viewer: Option<&User>) -> AppResult<(u64, bool)> {
    let count = persistence::social::favorite_count(app.db(), post_id).await?;
    let favored = match viewer {
        Some(v) => persistence::social::favored_among(app.db(), v.id, &[post_id]).await?.contains(&post_id),
        None => false,
    };
    Ok((count, favored))
}

/// Page `page` of the visible posts the account called `username` favours, newest first, with
/// that account.
pub async fn favorites_page(
    app: &App,
    username: &str,
    page: Option<&str>,
) -> AppResult<(User, Vec<posts::Post>, domain::Pagination)> {
    let account = find_by_username(app, username).await?;
    let page = domain::PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let per_page = app.settings().posts_per_page;
    let offset = page.offset(per_page);
    let (rows, total) = persistence::posts::favorited_page(app.db(), account.id, per_page, offset).await?;
    let pagination = domain::Pagination::new(page, per_page, total).ok_or(AppError::NotFound("page"))?;
    Ok((account, rows, pagination))
}

/// Every tag in use with how many posts have it, most used first (the 1,000 most used).
pub async fn tag_counts(app: &App) -> AppResult<Vec<(String, u64)>> {
    let rows = persistence::social::tag_counts(app.db()).await?;
    Ok(rows.into_iter().map(|(tag, n)| (tag, u64::try_from(n).unwrap_or(0))).collect())
}

/// Every tag in use.
pub async fn tags(app: &App) -> AppResult<Vec<String>> {
    Ok(persistence::social::all_tags(app.db()).await?)
}
