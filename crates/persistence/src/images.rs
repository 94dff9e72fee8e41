//! The `images` table: which author each uploaded post image belongs to.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::DbErr;
use crate::entity::image;

/// A stored image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Primary key.
    pub id: i64,
    /// The author.
    pub user_id: i64,
    /// The file name of the large copy.
    pub name: String,
    /// The file name of the small copy, if one was made.
    pub small_name: Option<String>,
    /// What it shows.
    pub alt: String,
    /// Width of the large copy.
    pub width: i32,
    /// Height of the large copy.
    pub height: i32,
    /// Bytes both copies take.
    pub bytes: i64,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

impl From<image::Model> for Image {
    fn from(m: image::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            name: m.name,
            small_name: m.small_name,
            alt: m.alt,
            width: m.width,
            height: m.height,
            bytes: m.bytes,
            created_at: m.created_at,
        }
    }
}

/// What an upload stores.
#[derive(Debug, Clone)]
pub struct NewImage {
    /// The author.
    pub user_id: i64,
    /// The file name of the large copy.
    pub name: String,
    /// The file name of the small copy, if one was made.
    pub small_name: Option<String>,
    /// What it shows, for readers who cannot see it.
    pub alt: String,
    /// Width of the large copy.
    pub width: i32,
    /// Height of the large copy.
    pub height: i32,
    /// Bytes both copies take.
    pub bytes: i64,
}

/// Stores an image's row.
pub async fn insert(db: &impl ConnectionTrait, new: NewImage, now: DateTime<Utc>) -> Result<Image, DbErr> {
    image::ActiveModel {
        user_id: Set(new.user_id),
        name: Set(new.name),
        small_name: Set(new.small_name),
        alt: Set(new.alt),
        width: Set(new.width),
        height: Set(new.height),
        bytes: Set(new.bytes),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(Image::from)
}

/// An author's images, the newest first.
pub async fn list(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Image>, DbErr> {
    image::Entity::find()
        .filter(image::Column::UserId.eq(user_id))
        .order_by_desc(image::Column::CreatedAt)
        .order_by_desc(image::Column::Id)
        .all(db)
        .await
        .map(|rows| rows.into_iter().map(Image::from).collect())
}

/// How many bytes an author's images take.
pub async fn bytes_used(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    // PostgreSQL sums BIGINTs as NUMERIC: cast back.
    let sum = Func::coalesce([Func::sum(Expr::col(image::Column::Bytes)).into(), Expr::val(0i64)]);
    let used: Option<Option<i64>> = image::Entity::find()
        .select_only()
        .expr(Func::cast_as(sum, sea_orm::sea_query::Alias::new("BIGINT")))
        .filter(image::Column::UserId.eq(user_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(u64::try_from(used.flatten().unwrap_or(0)).unwrap_or(0))
}

/// The image called `name`, if `user_id` uploaded it.
pub async fn find_owned(db: &impl ConnectionTrait, user_id: i64, name: &str) -> Result<Option<Image>, DbErr> {
    image::Entity::find()
        .filter(image::Column::UserId.eq(user_id))
        .filter(image::Column::Name.eq(name))
        .one(db)
        .await
        .map(|row| row.map(Image::from))
}

/// Deletes an image's row.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    image::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

/// Every file name in use (large and small copies), for the sweep of files left behind.
pub async fn file_names(db: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>, DbErr> {
    let rows: Vec<(String, Option<String>)> = image::Entity::find()
        .select_only()
        .column(image::Column::Name)
        .column(image::Column::SmallName)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().flat_map(|(name, small)| std::iter::once(name).chain(small)).collect())
}
