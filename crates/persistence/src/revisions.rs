//! The `post_revisions` table: each saved version of a post, numbered from 1 for each post.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::DbErr;
use crate::entity::post_revision;

/// How many versions of a post are kept: older ones are forgotten as new ones come.
pub const KEPT: i32 = 50;

/// What a version holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The title.
    pub title: String,
    /// The summary (empty for none).
    pub description: String,
    /// The body as typed.
    pub content: String,
    /// The tags, in order.
    pub tags: Vec<String>,
}

/// One stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// 1 for the first version of its post, then 2, 3…
    pub number: i32,
    /// What it held.
    pub snapshot: Snapshot,
    /// Who saved it, unless their account is gone.
    pub editor_id: Option<i64>,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
}

impl From<post_revision::Model> for Revision {
    fn from(m: post_revision::Model) -> Self {
        // Written by `record` only; a row that does not parse shows without tags.
        let tags = serde_json::from_str(&m.tags).unwrap_or_default();
        Self {
            number: m.number,
            snapshot: Snapshot { title: m.title, description: m.description, content: m.content, tags },
            editor_id: m.editor_id,
            created_at: m.created_at,
        }
    }
}

/// The highest version number of a post, 0 when it has none.
pub async fn latest_number(db: &impl ConnectionTrait, post_id: i64) -> Result<i32, DbErr> {
    let latest: Option<i32> = post_revision::Entity::find()
        .select_only()
        .column(post_revision::Column::Number)
        .filter(post_revision::Column::PostId.eq(post_id))
        .order_by_desc(post_revision::Column::Number)
        .into_tuple()
        .one(db)
        .await?;
    Ok(latest.unwrap_or(0))
}

/// Stores `snapshot` as the post's next version and forgets those beyond the last [`KEPT`];
/// answers its number. Call it in the transaction that saves the post, after the post's row is
/// written: that row's lock keeps two saves of one post from taking the same number.
pub async fn record(
    db: &impl ConnectionTrait,
    post_id: i64,
    snapshot: Snapshot,
    editor_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let number = latest_number(db, post_id).await? + 1;
    insert(db, post_id, number, snapshot, editor_id, at).await?;
    post_revision::Entity::delete_many()
        .filter(post_revision::Column::PostId.eq(post_id))
        .filter(post_revision::Column::Number.lte(number - KEPT))
        .exec(db)
        .await?;
    Ok(number)
}

/// Stores `snapshot` as version 1 of a post just written, in the transaction that wrote it:
/// it has no versions to number after or to forget.
pub async fn record_first(
    db: &impl ConnectionTrait,
    post_id: i64,
    snapshot: Snapshot,
    editor_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    insert(db, post_id, 1, snapshot, editor_id, at).await
}

async fn insert(
    db: &impl ConnectionTrait,
    post_id: i64,
    number: i32,
    snapshot: Snapshot,
    editor_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let tags = serde_json::to_string(&snapshot.tags).map_err(|e| DbErr::Custom(e.to_string()))?;
    let model = post_revision::ActiveModel {
        post_id: Set(post_id),
        number: Set(number),
        title: Set(snapshot.title),
        description: Set(snapshot.description),
        content: Set(snapshot.content),
        tags: Set(tags),
        editor_id: Set(editor_id),
        created_at: Set(at),
        ..Default::default()
    };
    post_revision::Entity::insert(model).exec_without_returning(db).await?;
    Ok(())
}

/// A post's kept versions, the newest first.
pub async fn list(db: &impl ConnectionTrait, post_id: i64) -> Result<Vec<Revision>, DbErr> {
    let rows = post_revision::Entity::find()
        .filter(post_revision::Column::PostId.eq(post_id))
        .order_by_desc(post_revision::Column::Number)
        .limit(u64::try_from(KEPT).unwrap_or(50))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Revision::from).collect())
}

/// Version `number` of a post, if it is kept.
pub async fn find(db: &impl ConnectionTrait, post_id: i64, number: i32) -> Result<Option<Revision>, DbErr> {
    let row = post_revision::Entity::find()
        .filter(post_revision::Column::PostId.eq(post_id))
        .filter(post_revision::Column::Number.eq(number))
        .one(db)
        .await?;
    Ok(row.map(Revision::from))
}
