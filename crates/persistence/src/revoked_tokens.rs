//! The `revoked_tokens` table: API tokens logged out before they expire, by their `jti`.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::DbErr;
use crate::entity::revoked_token;

/// Refuses the token `jti` from now on (until `expires_at`, when it dies anyway).
pub async fn insert(db: &impl ConnectionTrait, jti: &str, expires_at: DateTime<Utc>) -> Result<(), DbErr> {
    let model = revoked_token::ActiveModel {
        jti: sea_orm::ActiveValue::Set(jti.to_owned()),
        expires_at: sea_orm::ActiveValue::Set(expires_at),
    };
    // Logging out twice is no error.
    revoked_token::Entity::insert(model)
        .on_conflict_do_nothing_on([revoked_token::Column::Jti])
        .exec(db)
        .await
        .map(|_| ())
}

/// Forgets revocations of tokens that have expired. Returns how many.
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(revoked_token::Entity::delete_many()
        .filter(revoked_token::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
