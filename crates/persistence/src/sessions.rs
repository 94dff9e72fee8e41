//! The `sessions` table: one row per signed-in browser, so that a session can be ended from the
//! server. Rows are keyed by the SHA-256 of the secret the browser holds; the secret itself is
//! never stored.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::DbErr;
use crate::entity::{session, user};
use crate::users::User;

fn key(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Records a session for `user_id` under `secret`, valid until `expires_at`.
pub async fn insert(
    db: &impl ConnectionTrait,
    secret: &str,
    user_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let model = session::ActiveModel {
        id: Set(key(secret)),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    };
    model.insert(db).await.map(|_| ())
}

/// The user a live session belongs to; an unknown or expired secret gives `None`.
pub async fn find_user(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<Option<User>, DbErr> {
    let found = session::Entity::find_by_id(key(secret))
        .filter(session::Column::ExpiresAt.gt(now))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(_, user)| user).map(User::from))
}

/// Ends one session.
pub async fn delete(db: &impl ConnectionTrait, secret: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(key(secret)).exec(db).await.map(|_| ())
}

/// Ends every session of a user, but `keep` if given. Returns how many ended.
pub async fn delete_for_user(db: &impl ConnectionTrait, user_id: i64, keep: Option<&str>) -> Result<u64, DbErr> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(secret) = keep {
        query = query.filter(session::Column::Id.ne(key(secret)));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// Forgets sessions that have expired. Returns how many.
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(now)).exec(db).await?.rows_affected)
}

/// Number of live sessions of a user.
#[cfg(feature = "testing")]
pub async fn count_for_user(db: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now))
        .count(db)
        .await
}
