//! The `throttle_events` table: failed logins, reset requests and the like, counted per account
//! and per client address within a time window. Kept in the database so that the counts hold
//! across restarts and across instances.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::DbErr;
use crate::entity::throttle_event;

/// Records one event of `scope` against `key`.
pub async fn record(db: &impl ConnectionTrait, scope: &str, key: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    let model = throttle_event::ActiveModel {
        scope: Set(scope.to_owned()),
        key: Set(key.chars().take(300).collect()),
        created_at: Set(now),
        ..Default::default()
    };
    model.insert(db).await.map(|_| ())
}

/// How many events of `scope` against `key` happened since `since`, and the oldest of them.
pub async fn recent(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    use sea_orm::PaginatorTrait;
    let query = throttle_event::Entity::find()
        .filter(throttle_event::Column::Scope.eq(scope))
        .filter(throttle_event::Column::Key.eq(key.chars().take(300).collect::<String>()))
        .filter(throttle_event::Column::CreatedAt.gt(since));
    let count = query.clone().count(db).await?;
    if count == 0 {
        return Ok((0, None));
    }
    let oldest = query.order_by_asc(throttle_event::Column::CreatedAt).one(db).await?.map(|e| e.created_at);
    Ok((count, oldest))
}

/// Forgets the events of `scope` against `key` (a successful login clears its account's count).
pub async fn clear(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<(), DbErr> {
    throttle_event::Entity::delete_many()
        .filter(throttle_event::Column::Scope.eq(scope))
        .filter(throttle_event::Column::Key.eq(key.chars().take(300).collect::<String>()))
        .exec(db)
        .await
        .map(|_| ())
}

/// Forgets the events of `scope` against every key that starts with `prefix`.
pub async fn clear_prefix(db: &impl ConnectionTrait, scope: &str, prefix: &str) -> Result<(), DbErr> {
    use sea_orm::sea_query::LikeExpr;
    let escaped: String = prefix.chars().take(300).fold(String::new(), |mut out, c| {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
        out
    });
    throttle_event::Entity::delete_many()
        .filter(throttle_event::Column::Scope.eq(scope))
        .filter(throttle_event::Column::Key.like(LikeExpr::new(format!("{escaped}%")).escape('\\')))
        .exec(db)
        .await
        .map(|_| ())
}

/// Forgets events older than `before`. Returns how many.
pub async fn purge_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(throttle_event::Entity::delete_many()
        .filter(throttle_event::Column::CreatedAt.lte(before))
        .exec(db)
        .await?
        .rows_affected)
}
