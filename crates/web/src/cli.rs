//! What the `gazette` command line does besides serving, kept in the library so that it is tested.

use persistence::DatabaseConnection;

/// Grants (`true`) or revokes moderator rights; returns what to tell the operator.
pub async fn set_moderator(db: &DatabaseConnection, username: &str, grant: bool) -> Result<String, String> {
    let user = persistence::users::find_by_username(db, username)
        .await
        .map_err(|e| format!("database: {e}"))?
        .ok_or_else(|| format!("no user named {username:?}"))?;
    persistence::users::set_admin(db, user.id, grant).await.map_err(|e| format!("database: {e}"))?;
    Ok(format!("{} {} a moderator", user.username, if grant { "is now" } else { "is no longer" }))
}
