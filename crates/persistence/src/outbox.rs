//! The `outbox` table: mail waiting to be delivered. A request stores its message here, in the
//! same transaction as whatever caused it; the outbox worker delivers it later, retrying while the
//! mail server is down, and marks it sent so that it is never sent twice.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::DbErr;
use crate::entity::outbox;

/// Waiting to be delivered.
pub const PENDING: &str = "pending";
/// Accepted by the mail server.
pub const SENT: &str = "sent";
/// Given up on after the last attempt.
pub const FAILED: &str = "failed";

/// A message to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// One address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body_text: String,
    /// HTML body, if any.
    pub body_html: Option<String>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Primary key.
    pub id: i64,
    /// What is delivered.
    pub content: NewMessage,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was accepted by the server.
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<outbox::Model> for Message {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            content: NewMessage {
                recipient: m.recipient,
                subject: m.subject,
                body_text: m.body_text,
                body_html: m.body_html,
            },
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            sent_at: m.sent_at,
        }
    }
}

/// Stores a message for delivery as soon as possible. Returns its id.
pub async fn enqueue(db: &impl ConnectionTrait, message: NewMessage, now: DateTime<Utc>) -> Result<i64, DbErr> {
    let model = outbox::ActiveModel {
        recipient: Set(message.recipient),
        subject: Set(message.subject),
        body_text: Set(message.body_text),
        body_html: Set(message.body_html),
        status: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    Ok(model.insert(db).await?.id)
}

fn unlocked(now: DateTime<Utc>) -> Condition {
    Condition::any().add(outbox::Column::LockedUntil.is_null()).add(outbox::Column::LockedUntil.lt(now))
}

/// Takes up to `limit` messages that are due, locking each for `lease` so that no other worker
/// (in this process or another instance) delivers it meanwhile.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Message>, DbErr> {
    let due = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(unlocked(now))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for message in due {
        // Only one claimant's update matches the row while it is unlocked.
        let taken = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(now + lease))
            .filter(outbox::Column::Id.eq(message.id))
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(unlocked(now))
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if taken {
            claimed.push(message.into());
        }
    }
    Ok(claimed)
}

/// Hands back claimed messages that were not attempted, for any worker to take at once.
pub async fn release(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(outbox::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a delivery: the message is never sent again.
pub async fn mark_sent(db: &impl ConnectionTrait, id: i64, attempts: i32, now: DateTime<Utc>) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(SENT))
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::SentAt, Expr::value(now))
        .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox::Column::LastError, Expr::value(Option::<String>::None))
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records a failed attempt: try again at `next_attempt_at`, or give up when `give_up`.
pub async fn mark_attempt_failed(
    db: &impl ConnectionTrait,
    id: i64,
    attempts: i32,
    error: &str,
    next_attempt_at: DateTime<Utc>,
    give_up: bool,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(if give_up { FAILED } else { PENDING }))
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::LastError, Expr::value(error.chars().take(2000).collect::<String>()))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// When the next pending message falls due, if any.
pub async fn next_due_at(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    let next = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(PENDING))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .one(db)
        .await?;
    Ok(next.map(|m| m.locked_until.map_or(m.next_attempt_at, |l| l.max(m.next_attempt_at))))
}

/// Every message, oldest first.
#[cfg(feature = "testing")]
pub async fn list_all(db: &impl ConnectionTrait) -> Result<Vec<Message>, DbErr> {
    Ok(outbox::Entity::find().order_by_asc(outbox::Column::Id).all(db).await?.into_iter().map(Message::from).collect())
}
