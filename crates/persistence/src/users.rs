//! The `users` table.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait,
};

use crate::entity::{revoked_token, user};
use crate::{DbErr, unique_violation};

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// As the user spelled it; unique without regard to case.
    pub username: String,
    /// Lower case, unique.
    pub email: String,
    /// bcrypt hash.
    pub password_hash: String,
    /// Optional, at most 30 characters.
    pub first_name: Option<String>,
    /// Optional, at most 30 characters.
    pub last_name: Option<String>,
    /// File name of the custom avatar under the media folder, if any.
    pub image_file: Option<String>,
    /// Moderator.
    pub is_admin: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// A few words about the user (API profiles).
    pub bio: Option<String>,
    /// A picture given by URL through the API, used when there is no uploaded one.
    pub image_url: Option<String>,
    /// The IANA name of the time zone publish times are shown in; none is UTC.
    pub time_zone: Option<String>,
    /// Comments on this user's posts waiting for approval (kept by the database).
    pub pending_comments: i64,
    /// Whether this user is mailed about comments on their posts.
    pub notify_comments: bool,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: m.id,
            username: m.username,
            email: m.email,
            password_hash: m.password_hash,
            first_name: m.first_name,
            last_name: m.last_name,
            image_file: m.image_file,
            is_admin: m.is_admin,
            created_at: m.created_at,
            bio: m.bio,
            image_url: m.image_url,
            time_zone: m.time_zone,
            pending_comments: m.pending_comments,
            notify_comments: m.notify_comments,
        }
    }
}

/// What registration stores.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// A checked username.
    pub username: domain::Username,
    /// A checked, lower-case email.
    pub email: domain::Email,
    /// bcrypt hash of the password.
    pub password_hash: String,
    /// Optional first name.
    pub first_name: Option<String>,
    /// Optional last name.
    pub last_name: Option<String>,
}

/// Profile fields to change; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// New username.
    pub username: Option<domain::Username>,
    /// New email.
    pub email: Option<domain::Email>,
    /// New first name.
    pub first_name: Option<Option<String>>,
    /// New last name.
    pub last_name: Option<Option<String>>,
    /// New biography.
    pub bio: Option<Option<String>>,
    /// New picture URL.
    pub image_url: Option<Option<String>>,
    /// New time zone (`Some(None)`: UTC).
    pub time_zone: Option<Option<String>>,
    /// Mail about comments on or off.
    pub notify_comments: Option<bool>,
}

/// Why an account could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Another account has this username (in any case).
    #[error("username taken")]
    UsernameTaken,
    /// Another account has this email.
    #[error("email taken")]
    EmailTaken,
    /// Anything else.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Names the unique constraint a write broke, if it broke one.
fn classify(e: DbErr) -> WriteError {
    match unique_violation(&e) {
        Some(detail) if detail.contains("email") => WriteError::EmailTaken,
        Some(_) => WriteError::UsernameTaken,
        None => WriteError::Db(e),
    }
}

/// Stores a new account. A username or email already in use is reported as such, also when
/// two registrations race; so is a username that looks like another account's
/// (`domain::Username::skeleton`).
pub async fn insert(db: &impl ConnectionTrait, new: NewUser, now: DateTime<Utc>) -> Result<User, WriteError> {
    if looks_taken(db, &new.username.skeleton(), None).await? {
        return Err(WriteError::UsernameTaken);
    }
    let stored = new_model(new, now).insert(db).await.map_err(classify)?;
    Ok(stored.into())
}

/// Whether an account other than `except` has a username with this skeleton.
async fn looks_taken(db: &impl ConnectionTrait, skeleton: &str, except: Option<i64>) -> Result<bool, DbErr> {
    let mut query = user::Entity::find().filter(user::Column::UsernameSkeleton.eq(skeleton));
    if let Some(id) = except {
        query = query.filter(user::Column::Id.ne(id));
    }
    Ok(query.one(db).await?.is_some())
}

fn new_model(new: NewUser, now: DateTime<Utc>) -> user::ActiveModel {
    user::ActiveModel {
        username: Set(new.username.as_str().to_owned()),
        username_key: Set(new.username.key()),
        username_skeleton: Set(Some(new.username.skeleton())),
        email: Set(new.email.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        image_file: Set(None),
        is_admin: Set(false),
        created_at: Set(now),
        bio: Set(None),
        image_url: Set(None),
        ..Default::default()
    }
}

/// Stores many accounts in one statement (demo data).
pub async fn insert_many(db: &impl ConnectionTrait, users: Vec<NewUser>, now: DateTime<Utc>) -> Result<(), DbErr> {
    if users.is_empty() {
        return Ok(());
    }
    let models = users.into_iter().map(|new| new_model(new, now));
    user::Entity::insert_many(models).exec(db).await.map(|_| ())
}

/// The account with this id.
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbErr> {
    Ok(user::Entity::find_by_id(id).one(db).await?.map(User::from))
}

/// The account with this id, and whether the API token `jti` was revoked: what checking a
/// token needs, in one indexed read.
pub async fn find_for_token(db: &impl ConnectionTrait, id: i64, jti: &str) -> Result<Option<(User, bool)>, DbErr> {
    let revoked = Query::select()
        .expr(Expr::val(1))
        .from(revoked_token::Entity)
        .and_where(revoked_token::Column::Jti.eq(jti))
        .to_owned();
    let select = user::Entity::find_by_id(id).expr_as(Expr::exists(revoked), "token_revoked");
    let Some(row) = db.query_one_raw(select.build(db.get_database_backend())).await? else {
        return Ok(None);
    };
    let account = user::Model::from_query_result(&row, "")?;
    Ok(Some((User::from(account), row.try_get::<bool>("", "token_revoked")?)))
}

/// The account with this email (compared in lower case).
pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<User>, DbErr> {
    let email = email.trim().to_lowercase();
    Ok(user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?.map(User::from))
}

/// The account with this username, whatever its case.
pub async fn find_by_username(db: &impl ConnectionTrait, username: &str) -> Result<Option<User>, DbErr> {
    let key = domain::Username::key_of(username);
    Ok(user::Entity::find().filter(user::Column::UsernameKey.eq(key)).one(db).await?.map(User::from))
}

/// Whether another account than `except` uses this username (in any case) or one that looks
/// like it. An account keeps its own name even where an older account's looks alike.
pub async fn username_taken(db: &impl ConnectionTrait, username: &str, except: Option<i64>) -> Result<bool, DbErr> {
    if find_by_username(db, username).await?.is_some_and(|u| Some(u.id) != except) {
        return Ok(true);
    }
    if let Some(id) = except
        && find_by_id(db, id)
            .await?
            .is_some_and(|me| domain::Username::key_of(&me.username) == domain::Username::key_of(username))
    {
        return Ok(false);
    }
    looks_taken(db, &domain::Username::skeleton_of(username), except).await
}

/// Whether another account than `except` uses this email.
pub async fn email_taken(db: &impl ConnectionTrait, email: &str, except: Option<i64>) -> Result<bool, DbErr> {
    Ok(find_by_email(db, email).await?.is_some_and(|u| Some(u.id) != except))
}

/// Changes an account's profile fields. A new username that looks like another account's is
/// refused as taken.
pub async fn update_profile(db: &impl ConnectionTrait, id: i64, update: ProfileUpdate) -> Result<(), WriteError> {
    let mut model = user::ActiveModel { id: sea_orm::ActiveValue::Unchanged(id), ..Default::default() };
    if let Some(username) = update.username {
        let renamed =
            find_by_id(db, id).await?.is_none_or(|me| domain::Username::key_of(&me.username) != username.key());
        if renamed && looks_taken(db, &username.skeleton(), Some(id)).await? {
            return Err(WriteError::UsernameTaken);
        }
        model.username = Set(username.as_str().to_owned());
        model.username_key = Set(username.key());
        model.username_skeleton = Set(Some(username.skeleton()));
    }
    if let Some(email) = update.email {
        model.email = Set(email.as_str().to_owned());
    }
    if let Some(first_name) = update.first_name {
        model.first_name = Set(first_name);
    }
    if let Some(last_name) = update.last_name {
        model.last_name = Set(last_name);
    }
    if let Some(bio) = update.bio {
        model.bio = Set(bio);
    }
    if let Some(image_url) = update.image_url {
        model.image_url = Set(image_url);
    }
    if let Some(time_zone) = update.time_zone {
        model.time_zone = Set(time_zone);
    }
    if let Some(notify) = update.notify_comments {
        model.notify_comments = Set(notify);
    }
    if model.is_changed() {
        model.update(db).await.map_err(classify)?;
    }
    Ok(())
}

/// Sets or clears an account's custom avatar file name.
pub async fn set_image_file(db: &impl ConnectionTrait, id: i64, image_file: Option<String>) -> Result<(), DbErr> {
    let model = user::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        image_file: Set(image_file),
        ..Default::default()
    };
    model.update(db).await.map(|_| ())
}

/// Every avatar file name an account points at.
pub async fn image_files(db: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>, DbErr> {
    use sea_orm::QuerySelect;
    let names: Vec<Option<String>> = user::Entity::find()
        .select_only()
        .column(user::Column::ImageFile)
        .filter(user::Column::ImageFile.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(names.into_iter().flatten().collect())
}

/// Number of accounts.
#[cfg(feature = "testing")]
pub async fn count_all(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    user::Entity::find().count(db).await
}

/// Ids of every account, oldest first (demo data).
pub async fn list_ids(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Replaces an account's password hash.
pub async fn set_password_hash(db: &impl ConnectionTrait, id: i64, password_hash: String) -> Result<(), DbErr> {
    let model = user::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        password_hash: Set(password_hash),
        ..Default::default()
    };
    model.update(db).await.map(|_| ())
}

/// Makes an account a moderator, or not.
pub async fn set_admin(db: &impl ConnectionTrait, id: i64, is_admin: bool) -> Result<(), DbErr> {
    let model =
        user::ActiveModel { id: sea_orm::ActiveValue::Unchanged(id), is_admin: Set(is_admin), ..Default::default() };
    model.update(db).await.map(|_| ())
}

/// Deletes an account; its posts and sessions go with it (ON DELETE CASCADE). Returns whether
/// it existed.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(user::Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}
