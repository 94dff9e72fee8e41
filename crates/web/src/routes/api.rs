//! The RealWorld ("Conduit") API under `/api`: users, profiles and follows, articles (Gazette's
//! posts) with tags, favourites and comments. Shapes, statuses and errors follow the spec in the
//! RealWorld repository; every answer is JSON. The types below are both what goes over the wire
//! and what `GET /api/openapi.json` describes.

use std::collections::{BTreeMap, HashSet};

use super::body::JsonBody;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{Content, Email, Password, Title, Username};
use persistence::DatabaseConnection;
use persistence::articles::{ArticleRow, Filter};
use persistence::users::{NewUser, User, WriteError};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{State, delete, get, options, post, put, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::Answer;
use crate::accounts;
use crate::config::{AppConfig, SigningKeys};
use crate::error::Error;
use crate::layout::avatar_url;
use crate::state::Passwords;

pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("RealWorld API", |rocket| async {
        let config = rocket.state::<AppConfig>();
        let spec =
            super::openapi::Spec::new(config.map_or("/", |c| c.public_url.as_str()), config.is_none_or(|c| c.auth_api));
        let mut mounted = routes![preflight, super::openapi::document];
        mounted.extend(operations());
        rocket.manage(spec).mount("/api", mounted)
    })
}

super::openapi::documented_operations!(
    login,
    register,
    current_user,
    update_user,
    profile,
    follow,
    unfollow,
    list_articles,
    feed,
    article,
    create_article,
    update_article,
    delete_article,
    add_comment,
    comments,
    delete_comment,
    favorite,
    unfavorite,
    tags,
);

type Result<T> = std::result::Result<T, Error>;

// ---- What goes over the wire ----

/// What went wrong, by field (`body` when no one field is to blame).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({ "errors": { "title": ["can't be blank"] } }))]
pub struct Errors {
    errors: BTreeMap<String, Vec<String>>,
}

/// The signed-in user, with a fresh token.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    email: String,
    token: String,
    username: String,
    bio: String,
    /// The avatar's absolute URL.
    image: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserAnswer {
    user: UserView,
}

/// A user as others see them.
#[derive(Serialize, ToSchema)]
#[schema(as = Profile)]
pub struct ProfileView {
    username: String,
    bio: String,
    /// The avatar's absolute URL.
    image: String,
    /// Whether the signed-in user follows them.
    following: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileAnswer {
    profile: ProfileView,
}

/// A post. Lists leave out `body`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Article)]
pub struct ArticleView {
    slug: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    body: Option<String>,
    tag_list: Vec<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    favorited: bool,
    favorites_count: i64,
    author: ProfileView,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleAnswer {
    article: ArticleView,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticlesAnswer {
    articles: Vec<ArticleView>,
    /// How many articles match, over all pages.
    articles_count: u64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Comment)]
pub struct CommentView {
    id: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    body: String,
    author: ProfileView,
}

#[derive(Serialize, ToSchema)]
pub struct CommentAnswer {
    comment: CommentView,
}

#[derive(Serialize, ToSchema)]
pub struct CommentsAnswer {
    comments: Vec<CommentView>,
}

#[derive(Serialize, ToSchema)]
pub struct TagsAnswer {
    tags: Vec<String>,
}

fn answer<T: Serialize>(status: Status, body: &T) -> Answer {
    Answer::new(status, body)
}

fn ok<T: Serialize>(body: &T) -> Answer {
    Answer::ok(body)
}

/// 422 with `{"errors": {"<field>": ["..."]}}`.
fn invalid(field: &str, message: impl ToString) -> Answer {
    answer(
        Status::UnprocessableEntity,
        &Errors { errors: BTreeMap::from([(field.to_owned(), vec![message.to_string()])]) },
    )
}

/// `{"errors": {"body": ["..."]}}` with its status: refusals not about one field (the catcher
/// answers in this shape too).
pub(crate) fn refused(s: Status, message: &str) -> Answer {
    answer(s, &Errors { errors: BTreeMap::from([("body".to_owned(), vec![message.to_owned()])]) })
}

/// Preflight requests for CORS (the headers themselves come from the CORS fairing).
#[options("/<_..>")]
fn preflight() -> Status {
    Status::NoContent
}

/// The signed-in user, from `Authorization: Token <jwt>` (or `Bearer <jwt>`). Absent or refused
/// tokens fail with 401.
pub struct ApiUser(User);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.guard::<MaybeApiUser>().await {
            Outcome::Success(MaybeApiUser(Some(user))) => Outcome::Success(ApiUser(user)),
            Outcome::Success(MaybeApiUser(None)) => Outcome::Error((Status::Unauthorized, ())),
            Outcome::Error((s, ())) => Outcome::Error((s, ())),
            Outcome::Forward(s) => Outcome::Forward(s),
        }
    }
}

/// The signed-in user if there is an `Authorization` header; a refused token still fails with 401.
pub struct MaybeApiUser(Option<User>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeApiUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let header = req.headers().get_one("Authorization");
        if header.is_none() {
            return Outcome::Success(MaybeApiUser(None));
        }
        let (Some(db), Some(keys)) = (req.rocket().state::<DatabaseConnection>(), req.rocket().state::<SigningKeys>())
        else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        match accounts::token_user(db, keys, header, &["Token", "Bearer"]).await {
            Ok(Ok((user, _))) => Outcome::Success(MaybeApiUser(Some(user))),
            Ok(Err(_)) => Outcome::Error((Status::Unauthorized, ())),
            Err(e) => {
                log::error!("api token: {e}");
                Outcome::Error((Status::InternalServerError, ()))
            }
        }
    }
}

fn absolute_image(config: &AppConfig, image_file: Option<&str>, image_url: Option<&str>) -> String {
    match (image_file, image_url) {
        (None, Some(url)) => url.to_owned(),
        _ => format!("{}{}", config.public_url.trim_end_matches('/'), avatar_url(image_file)),
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn user_answer(config: &AppConfig, keys: &SigningKeys, user: &User) -> Result<Answer> {
    let token = accounts::api_token(keys, config, user)?;
    Ok(ok(&UserAnswer {
        user: UserView {
            email: user.email.clone(),
            token,
            username: user.username.clone(),
            bio: user.bio.clone().unwrap_or_default(),
            image: absolute_image(config, user.image_file.as_deref(), user.image_url.as_deref()),
        },
    }))
}

fn profile_view(config: &AppConfig, user: &User, following: bool) -> ProfileView {
    ProfileView {
        username: user.username.clone(),
        bio: user.bio.clone().unwrap_or_default(),
        image: absolute_image(config, user.image_file.as_deref(), user.image_url.as_deref()),
        following,
    }
}

// ---- What comes in ----
// Fields are optional when parsed so that a missing one gets a 422 naming it; the document says
// which ones are required.

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    user: LoginFields,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginFields {
    #[schema(value_type = String, required = true)]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// 200 with the user and a token; 401 for a wrong email or password; 429 after too many failures.
#[utoipa::path(
    tag = "Users",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = UserAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "Wrong email or password", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is missing or has the wrong type", body = Errors),
        (status = 429, description = "Too many failed logins for this account or address", body = Errors),
    )
)]
#[post("/users/login", data = "<body>")]
async fn login(
    body: JsonBody<LoginRequest>,
    client: Option<std::net::IpAddr>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let (Some(email), Some(password)) = (body.user.email.as_deref(), body.user.password.as_deref()) else {
        return Ok(invalid("email or password", "can't be blank"));
    };
    match accounts::log_in(db, passwords, email, password, client).await? {
        accounts::Login::Success(user) => user_answer(config, keys, &user),
        accounts::Login::Refused => Ok(refused(Status::Unauthorized, "email or password is invalid")),
        accounts::Login::Throttled(wait) => Ok(refused(
            Status::TooManyRequests,
            &format!("too many failed logins: try again in {}", domain::throttle::describe_wait(wait)),
        )),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    user: RegisterFields,
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterFields {
    #[schema(value_type = String, required = true, min_length = 2, max_length = 20)]
    username: Option<String>,
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password, min_length = 8)]
    password: Option<String>,
}

/// 201 with the new user and a token; 422 names the field refused (taken, invalid or missing).
#[utoipa::path(
    tag = "Users",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = UserAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is missing, invalid or taken", body = Errors),
    )
)]
#[post("/users", data = "<body>")]
async fn register(
    body: JsonBody<RegisterRequest>,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
) -> Result<Answer> {
    let b = &body.user;
    let username = match Username::parse(b.username.as_deref().unwrap_or_default()) {
        Ok(u) => u,
        Err(e) => return Ok(invalid("username", e)),
    };
    let email = match Email::parse(b.email.as_deref().unwrap_or_default()) {
        Ok(e) => e,
        Err(e) => return Ok(invalid("email", e)),
    };
    let password = match Password::parse(b.password.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return Ok(invalid("password", e)),
    };
    if persistence::users::username_taken(db.inner(), username.as_str(), None).await? {
        return Ok(invalid("username", "has already been taken"));
    }
    if persistence::users::email_taken(db.inner(), email.as_str(), None).await? {
        return Ok(invalid("email", "has already been taken"));
    }
    let password_hash = passwords.hash(password).await?;
    let new = NewUser { username, email, password_hash, first_name: None, last_name: None };
    let user = match persistence::users::insert(db.inner(), new, Utc::now()).await {
        Ok(user) => user,
        Err(WriteError::UsernameTaken) => return Ok(invalid("username", "has already been taken")),
        Err(WriteError::EmailTaken) => return Ok(invalid("email", "has already been taken")),
        Err(e) => return Err(e.into()),
    };
    Ok(user_answer(config, keys, &user)?.with_status(Status::Created))
}

/// The signed-in user, with a fresh token.
#[utoipa::path(
    tag = "Users",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
    )
)]
#[get("/user")]
fn current_user(user: ApiUser, config: &State<AppConfig>, keys: &State<SigningKeys>) -> Result<Answer> {
    user_answer(config, keys, &user.0)
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    user: UserChanges,
}

/// Only the fields sent change. `image` is an http(s) URL; `null` or `""` clears it (and `bio`).
#[derive(Deserialize, ToSchema)]
pub struct UserChanges {
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    #[schema(min_length = 2, max_length = 20)]
    username: Option<String>,
    #[schema(format = Password, min_length = 8)]
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    image: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    bio: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Changes the signed-in user's account; a new password signs the account out everywhere and the
/// answer carries a fresh token.
#[utoipa::path(
    tag = "Users",
    security(("Token" = [])),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The updated user", body = UserAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is invalid or taken", body = Errors),
    )
)]
#[put("/user", data = "<body>")]
async fn update_user(
    body: JsonBody<UpdateUserRequest>,
    user: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
    outbox: &State<std::sync::Arc<crate::outbox::Outbox>>,
) -> Result<Answer> {
    let me = user.0;
    let b = &body.user;
    let username = match Username::parse(b.username.as_deref().unwrap_or(&me.username)) {
        Ok(u) => u,
        Err(e) => return Ok(invalid("username", e)),
    };
    let email = match Email::parse(b.email.as_deref().unwrap_or(&me.email)) {
        Ok(e) => e,
        Err(e) => return Ok(invalid("email", e)),
    };
    let password = match b.password.as_deref().map(Password::parse).transpose() {
        Ok(p) => p,
        Err(e) => return Ok(invalid("password", e)),
    };
    let image = match b.image.as_ref().map(|url| domain::ImageUrl::parse(url.as_deref().unwrap_or_default())) {
        Some(Ok(url)) => Some(url.into_inner()),
        Some(Err(e)) => return Ok(invalid("image", e)),
        None => None,
    };
    let bio = match b.bio.as_ref().map(|bio| domain::Bio::parse(bio.as_deref().unwrap_or_default())) {
        Some(Ok(bio)) => Some(bio.into_inner()),
        Some(Err(e)) => return Ok(invalid("bio", e)),
        None => None,
    };
    if persistence::users::username_taken(db.inner(), username.as_str(), Some(me.id)).await? {
        return Ok(invalid("username", "has already been taken"));
    }
    if persistence::users::email_taken(db.inner(), email.as_str(), Some(me.id)).await? {
        return Ok(invalid("email", "has already been taken"));
    }
    let hash = match password {
        Some(p) => Some(passwords.hash(p).await?),
        None => None,
    };
    let new_email = (email.as_str() != me.email).then(|| email.as_str().to_owned());
    let update = persistence::users::ProfileUpdate {
        username,
        email,
        first_name: me.first_name.clone(),
        last_name: me.last_name.clone(),
    };
    let txn = persistence::begin_write(db).await?;
    match persistence::users::update_profile(&txn, me.id, update).await {
        Ok(()) => {}
        Err(WriteError::UsernameTaken) => return Ok(invalid("username", "has already been taken")),
        Err(WriteError::EmailTaken) => return Ok(invalid("email", "has already been taken")),
        Err(e) => return Err(e.into()),
    }
    let replaces_upload = image.is_some() && me.image_file.is_some();
    if replaces_upload {
        persistence::users::set_image_file(&txn, me.id, None).await?;
    }
    persistence::users::update_api_profile(&txn, me.id, bio, image).await?;
    let mut changes = Vec::new();
    if let Some(new) = &new_email {
        changes.push(accounts::Changed::Email(new));
    }
    if let Some(hash) = &hash {
        // A new password signs the account out everywhere; the answer carries a fresh token.
        persistence::users::set_password_hash(&txn, me.id, hash.clone()).await?;
        persistence::sessions::delete_for_user(&txn, me.id, None).await?;
        changes.push(accounts::Changed::Password);
    }
    if !changes.is_empty() {
        let after = User { password_hash: hash.clone().unwrap_or_else(|| me.password_hash.clone()), ..me.clone() };
        accounts::queue_change_notice(&txn, outbox, keys, config, &after, &me.email, &changes).await?;
    }
    txn.commit().await?;
    if !changes.is_empty() {
        outbox.wake();
    }
    if let (true, Some(old)) = (replaces_upload, &me.image_file) {
        crate::avatar::remove(&config.avatar_dir(), old).await;
    }
    let updated = persistence::users::find_by_id(db.inner(), me.id).await?.ok_or(Error::NotFound)?;
    user_answer(config, keys, &updated)
}

async fn find_profile(db: &DatabaseConnection, username: &str) -> Result<Option<User>> {
    Ok(persistence::users::find_by_username(db, username).await?)
}

/// A user's profile; `following` tells whether the signed-in user (if any) follows them.
#[utoipa::path(
    tag = "Profiles",
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 404, description = "No such user", body = Errors),
    )
)]
#[get("/profiles/<username>")]
async fn profile(
    username: &str,
    viewer: MaybeApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let Some(user) = find_profile(db, username).await? else {
        return Ok(refused(Status::NotFound, "profile not found"));
    };
    let following = match &viewer.0 {
        Some(v) => persistence::social::followed_among(db.inner(), v.id, &[user.id]).await?.contains(&user.id),
        None => false,
    };
    Ok(ok(&ProfileAnswer { profile: profile_view(config, &user, following) }))
}

/// Follows a user (again is fine); nobody can follow themselves.
#[utoipa::path(
    tag = "Profiles",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The profile, followed", body = ProfileAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such user", body = Errors),
        (status = 422, description = "Following yourself", body = Errors),
    )
)]
#[post("/profiles/<username>/follow")]
async fn follow(
    username: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let Some(user) = find_profile(db, username).await? else {
        return Ok(refused(Status::NotFound, "profile not found"));
    };
    if user.id == viewer.0.id {
        return Ok(invalid("username", "cannot follow yourself"));
    }
    persistence::social::follow(db.inner(), viewer.0.id, user.id).await?;
    Ok(ok(&ProfileAnswer { profile: profile_view(config, &user, true) }))
}

/// Stops following a user (not following is fine).
#[utoipa::path(
    tag = "Profiles",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The profile, not followed", body = ProfileAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such user", body = Errors),
    )
)]
#[delete("/profiles/<username>/follow")]
async fn unfollow(
    username: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let Some(user) = find_profile(db, username).await? else {
        return Ok(refused(Status::NotFound, "profile not found"));
    };
    persistence::social::unfollow(db.inner(), viewer.0.id, user.id).await?;
    Ok(ok(&ProfileAnswer { profile: profile_view(config, &user, false) }))
}

/// Articles with their tags, favourite counts, and what the viewer favours and follows, in four
/// queries whatever the number of articles.
async fn article_views(
    db: &DatabaseConnection,
    config: &AppConfig,
    rows: Vec<ArticleRow>,
    viewer: Option<&User>,
    with_body: bool,
) -> Result<Vec<ArticleView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let authors: Vec<i64> = rows.iter().map(|r| r.user_id).collect::<HashSet<_>>().into_iter().collect();
    let mut tags = persistence::social::tags_of(db, &ids).await?;
    let (favored, followed) = match viewer {
        Some(v) => (
            persistence::social::favored_among(db, v.id, &ids).await?,
            persistence::social::followed_among(db, v.id, &authors).await?,
        ),
        None => (HashSet::new(), HashSet::new()),
    };
    let seen = Seen { favored: &favored, followed: &followed };
    Ok(rows
        .into_iter()
        .map(|r| {
            let tag_list = tags.remove(&r.id).unwrap_or_default();
            article_view(config, r, tag_list, &seen, with_body)
        })
        .collect())
}

/// What the listing queries found about a page of articles.
struct Seen<'a> {
    favored: &'a HashSet<i64>,
    followed: &'a HashSet<i64>,
}

fn article_view(config: &AppConfig, r: ArticleRow, tag_list: Vec<String>, seen: &Seen, with_body: bool) -> ArticleView {
    ArticleView {
        slug: r.slug.unwrap_or_else(|| r.id.to_string()),
        title: r.title,
        description: r.description,
        body: with_body.then_some(r.content),
        tag_list,
        created_at: timestamp(r.date_posted),
        updated_at: timestamp(r.updated_at),
        favorited: seen.favored.contains(&r.id),
        favorites_count: r.favorites_count,
        author: ProfileView {
            username: r.author_username,
            bio: r.author_bio.unwrap_or_default(),
            image: absolute_image(config, r.author_image_file.as_deref(), r.author_image_url.as_deref()),
            following: seen.followed.contains(&r.user_id),
        },
    }
}

async fn one_article(
    db: &DatabaseConnection,
    config: &AppConfig,
    row: ArticleRow,
    viewer: Option<&User>,
) -> Result<Answer> {
    let article = article_views(db, config, vec![row], viewer, true).await?.pop().ok_or(Error::NotFound)?;
    Ok(ok(&ArticleAnswer { article }))
}

const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;

/// Comments answered at once, when `limit` is not given and at most.
const COMMENTS_LIMIT: u64 = 100;

/// `limit` and `offset` as sent: each a whole number from 0 to `i64::MAX` (what databases take), or
/// absent (20 and 0); `limit` is capped at 100.
fn window(limit: Option<&str>, offset: Option<&str>) -> std::result::Result<(u64, u64), Answer> {
    window_of(limit, offset, DEFAULT_LIMIT, MAX_LIMIT)
}

/// `limit` and `offset` of a comment listing: 100 and 0 when absent, `limit` capped at 100.
fn comment_window(limit: Option<&str>, offset: Option<&str>) -> std::result::Result<(u64, u64), Answer> {
    window_of(limit, offset, COMMENTS_LIMIT, COMMENTS_LIMIT)
}

fn window_of(
    limit: Option<&str>,
    offset: Option<&str>,
    default: u64,
    most: u64,
) -> std::result::Result<(u64, u64), Answer> {
    let number = |field: &str, raw: Option<&str>, default: u64| match raw {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<i64>().map(u64::try_from) {
            Ok(Ok(n)) => Ok(n),
            _ => Err(invalid(field, "must be a whole number, 0 or more")),
        },
    };
    Ok((number("limit", limit, default)?.min(most), number("offset", offset, 0)?))
}

async fn article_list(
    db: &DatabaseConnection,
    config: &AppConfig,
    filter: Filter,
    (limit, offset): (u64, u64),
    viewer: Option<&User>,
) -> Result<Answer> {
    let (rows, articles_count) = persistence::articles::list(db, &filter, limit, offset).await?;
    let articles = article_views(db, config, rows, viewer, false).await?;
    Ok(ok(&ArticlesAnswer { articles, articles_count }))
}

/// The newest articles first, filtered by tag, author or who favoured them.
#[utoipa::path(
    tag = "Articles",
    security((), ("Token" = [])),
    params(
        ("tag" = Option<String>, Query, description = "Only articles with this tag"),
        ("author" = Option<String>, Query, description = "Only articles by this username"),
        ("favorited" = Option<String>, Query, description = "Only articles this username favours"),
        ("limit" = Option<i64>, Query, minimum = 0, description = "How many articles (default 20, at most 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "How many to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "A page of articles, without their bodies", body = ArticlesAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 422, description = "`limit` or `offset` is not a whole number", body = Errors),
    )
)]
#[get("/articles?<tag>&<author>&<favorited>&<limit>&<offset>")]
async fn list_articles(
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<&str>,
    offset: Option<&str>,
    viewer: MaybeApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let window = match window(limit, offset) {
        Ok(w) => w,
        Err(a) => return Ok(a),
    };
    let filter = Filter { tag, author, favorited_by: favorited, followed_by: None };
    article_list(db, config, filter, window, viewer.0.as_ref()).await
}

/// The newest articles by the users the signed-in user follows.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    params(
        ("limit" = Option<i64>, Query, minimum = 0, description = "How many articles (default 20, at most 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "How many to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "A page of articles, without their bodies", body = ArticlesAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 422, description = "`limit` or `offset` is not a whole number", body = Errors),
    )
)]
#[get("/articles/feed?<limit>&<offset>")]
async fn feed(
    limit: Option<&str>,
    offset: Option<&str>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let window = match window(limit, offset) {
        Ok(w) => w,
        Err(a) => return Ok(a),
    };
    let filter = Filter { followed_by: Some(viewer.0.id), ..Filter::default() };
    article_list(db, config, filter, window, Some(&viewer.0)).await
}

/// One article, with its body.
#[utoipa::path(
    tag = "Articles",
    security((), ("Token" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[get("/articles/<slug>", rank = 2)]
async fn article(
    slug: &str,
    viewer: MaybeApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    match persistence::articles::find_by_slug(db.inner(), slug).await? {
        Some(row) => one_article(db, config, row, viewer.0.as_ref()).await,
        None => Ok(refused(Status::NotFound, "article not found")),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewArticleRequest {
    article: NewArticle,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewArticle {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    title: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 300)]
    description: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100000)]
    body: Option<String>,
    /// At most 20 tags of at most 64 characters; blanks and repeats are dropped.
    tag_list: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateArticleRequest {
    article: ArticleChanges,
}

/// Only the fields sent change; a new title gives a new slug.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleChanges {
    #[schema(min_length = 1, max_length = 100)]
    title: Option<String>,
    #[schema(max_length = 300)]
    description: Option<String>,
    #[schema(min_length = 1, max_length = 100000)]
    body: Option<String>,
    /// Replaces the article's tags.
    tag_list: Option<Vec<String>>,
}

/// Tags as given (the rule is [`domain::Tags`]).
fn clean_tags(tags: &[String]) -> std::result::Result<Vec<String>, Answer> {
    domain::Tags::parse(tags).map(domain::Tags::into_inner).map_err(|e| invalid("tagList", e))
}

fn description_of(raw: &str) -> std::result::Result<String, Answer> {
    domain::Description::parse(raw).map(domain::Description::into_inner).map_err(|e| invalid("description", e))
}

/// Publishes an article by the signed-in user; its slug comes from the title.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    request_body = NewArticleRequest,
    responses(
        (status = 201, description = "The new article", body = ArticleAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is missing or invalid", body = Errors),
    )
)]
#[post("/articles", data = "<body>")]
async fn create_article(
    body: JsonBody<NewArticleRequest>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let b = &body.article;
    let title = match Title::parse(b.title.as_deref().unwrap_or_default()) {
        Ok(t) => t,
        Err(e) => return Ok(invalid("title", e)),
    };
    let description = match b.description.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => match description_of(d) {
            Ok(d) => d,
            Err(a) => return Ok(a),
        },
        None => return Ok(invalid("description", "can't be blank")),
    };
    let content = match Content::parse(b.body.as_deref().unwrap_or_default()) {
        Ok(c) => c,
        Err(e) => return Ok(invalid("body", e)),
    };
    let tags = match clean_tags(b.tag_list.as_deref().unwrap_or_default()) {
        Ok(t) => t,
        Err(a) => return Ok(a),
    };
    let txn = persistence::begin_write(db).await?;
    let new = persistence::posts::NewPost { user_id: viewer.0.id, title, content, description };
    let (id, _) = persistence::posts::insert(&txn, new, Utc::now()).await?;
    persistence::social::set_tags(&txn, id, &tags).await?;
    txn.commit().await?;
    let row = persistence::articles::find_by_id(db.inner(), id).await?.ok_or(Error::NotFound)?;
    Ok(one_article(db, config, row, Some(&viewer.0)).await?.with_status(Status::Created))
}

/// The article `slug` names, if `viewer` may change it: 404 or 403 otherwise.
async fn modifiable(
    db: &DatabaseConnection,
    slug: &str,
    viewer: &User,
) -> Result<std::result::Result<ArticleRow, Answer>> {
    let Some(row) = persistence::articles::find_by_slug(db, slug).await? else {
        return Ok(Err(refused(Status::NotFound, "article not found")));
    };
    let actor = domain::Actor { user_id: viewer.id, is_admin: viewer.is_admin };
    if !actor.may_modify(row.user_id) {
        return Ok(Err(refused(Status::Forbidden, "only the author may change this article")));
    }
    Ok(Ok(row))
}

/// Changes an article; only its author or a moderator may.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    request_body = UpdateArticleRequest,
    responses(
        (status = 200, description = "The updated article", body = ArticleAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 403, description = "Not the author", body = Errors),
        (status = 404, description = "No such article", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is invalid", body = Errors),
    )
)]
#[put("/articles/<slug>", data = "<body>")]
async fn update_article(
    slug: &str,
    body: JsonBody<UpdateArticleRequest>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let row = match modifiable(db, slug, &viewer.0).await? {
        Ok(row) => row,
        Err(answer) => return Ok(answer),
    };
    let b = &body.article;
    let title = match Title::parse(b.title.as_deref().unwrap_or(&row.title)) {
        Ok(t) => t,
        Err(e) => return Ok(invalid("title", e)),
    };
    let content = match Content::parse(b.body.as_deref().unwrap_or(&row.content)) {
        Ok(c) => c,
        Err(e) => return Ok(invalid("body", e)),
    };
    let description = match b.description.as_deref().map(description_of).transpose() {
        Ok(d) => d,
        Err(a) => return Ok(a),
    };
    let tags = match b.tag_list.as_deref().map(clean_tags).transpose() {
        Ok(t) => t,
        Err(a) => return Ok(a),
    };
    let txn = persistence::begin_write(db).await?;
    persistence::posts::update(&txn, row.id, title, content, description, Utc::now()).await?;
    if let Some(tags) = tags {
        persistence::social::set_tags(&txn, row.id, &tags).await?;
    }
    txn.commit().await?;
    let row = persistence::articles::find_by_id(db.inner(), row.id).await?.ok_or(Error::NotFound)?;
    one_article(db, config, row, Some(&viewer.0)).await
}

/// Deletes an article with its comments, tags and favourites; only its author or a moderator may.
#[utoipa::path(
    tag = "Articles",
    security(("Token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 403, description = "Not the author", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[delete("/articles/<slug>")]
async fn delete_article(
    slug: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
) -> Result<std::result::Result<Status, Answer>> {
    let row = match modifiable(db, slug, &viewer.0).await? {
        Ok(row) => row,
        Err(answer) => return Ok(Err(answer)),
    };
    persistence::posts::delete(db.inner(), row.id).await?;
    Ok(Ok(Status::NoContent))
}

fn comment_view(config: &AppConfig, c: persistence::comments::CommentRow, following: bool) -> CommentView {
    CommentView {
        id: c.id,
        created_at: timestamp(c.created_at),
        updated_at: timestamp(c.updated_at),
        body: c.body,
        author: ProfileView {
            username: c.author_username,
            bio: c.author_bio.unwrap_or_default(),
            image: absolute_image(config, c.author_image_file.as_deref(), c.author_image_url.as_deref()),
            following,
        },
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewCommentRequest {
    comment: NewComment,
}

#[derive(Deserialize, ToSchema)]
pub struct NewComment {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 10000)]
    body: Option<String>,
}

/// Comments on an article as the signed-in user.
#[utoipa::path(
    tag = "Comments",
    security(("Token" = [])),
    request_body = NewCommentRequest,
    responses(
        (status = 200, description = "The new comment", body = CommentAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such article", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "The comment is blank or too long", body = Errors),
    )
)]
#[post("/articles/<slug>/comments", data = "<body>")]
async fn add_comment(
    slug: &str,
    body: JsonBody<NewCommentRequest>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let Some((post_id, _)) = persistence::posts::find_id_by_slug(db.inner(), slug).await? else {
        return Ok(refused(Status::NotFound, "article not found"));
    };
    let text = match domain::CommentBody::parse(body.comment.body.as_deref().unwrap_or_default()) {
        Ok(text) => text.into_inner(),
        Err(e) => return Ok(invalid("body", e)),
    };
    let id = persistence::comments::insert(db.inner(), post_id, viewer.0.id, text, Utc::now()).await?;
    let comment = persistence::comments::find(db.inner(), id).await?.ok_or(Error::NotFound)?;
    Ok(ok(&CommentAnswer { comment: comment_view(config, comment, false) }))
}

/// An article's comments, oldest first, `limit` at a time (at most 100) from `offset`.
#[utoipa::path(
    tag = "Comments",
    security((), ("Token" = [])),
    params(
        ("slug" = String, Path),
        ("limit" = Option<i64>, Query, minimum = 0, description = "How many comments (default 100, at most 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "How many of the oldest to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "The comments", body = CommentsAnswer),
        (status = 401, description = "A refused token", body = Errors),
        (status = 404, description = "No such article", body = Errors),
        (status = 422, description = "`limit` or `offset` is not a whole number from 0", body = Errors),
    )
)]
#[get("/articles/<slug>/comments?<limit>&<offset>")]
async fn comments(
    slug: &str,
    limit: Option<&str>,
    offset: Option<&str>,
    viewer: MaybeApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let (limit, offset) = match comment_window(limit, offset) {
        Ok(window) => window,
        Err(answer) => return Ok(answer),
    };
    let Some((post_id, _)) = persistence::posts::find_id_by_slug(db.inner(), slug).await? else {
        return Ok(refused(Status::NotFound, "article not found"));
    };
    let rows = persistence::comments::list_for_post(db.inner(), post_id, limit, offset).await?;
    let authors: Vec<i64> = rows.iter().map(|c| c.user_id).collect::<HashSet<_>>().into_iter().collect();
    let followed = match &viewer.0 {
        Some(v) => persistence::social::followed_among(db.inner(), v.id, &authors).await?,
        None => HashSet::new(),
    };
    let comments = rows
        .into_iter()
        .map(|c| {
            let following = followed.contains(&c.user_id);
            comment_view(config, c, following)
        })
        .collect();
    Ok(ok(&CommentsAnswer { comments }))
}

/// Deletes a comment; only its author or a moderator may.
#[utoipa::path(
    tag = "Comments",
    security(("Token" = [])),
    params(("slug" = String, Path), ("id" = i64, Path, description = "The comment's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 403, description = "Not the comment's author", body = Errors),
        (status = 404, description = "No such article or comment", body = Errors),
    )
)]
#[delete("/articles/<slug>/comments/<id>")]
async fn delete_comment(
    slug: &str,
    id: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
) -> Result<std::result::Result<Status, Answer>> {
    let Some((post_id, _)) = persistence::posts::find_id_by_slug(db.inner(), slug).await? else {
        return Ok(Err(refused(Status::NotFound, "article not found")));
    };
    // An id that is not a number names no comment.
    let comment = match id.parse::<i64>() {
        Ok(id) => persistence::comments::find(db.inner(), id).await?.filter(|c| c.post_id == post_id),
        Err(_) => None,
    };
    let Some(comment) = comment else {
        return Ok(Err(refused(Status::NotFound, "comment not found")));
    };
    let actor = domain::Actor { user_id: viewer.0.id, is_admin: viewer.0.is_admin };
    if !actor.may_modify(comment.user_id) {
        return Ok(Err(refused(Status::Forbidden, "only the author may delete this comment")));
    }
    persistence::comments::delete(db.inner(), comment.id).await?;
    Ok(Ok(Status::NoContent))
}

/// Marks or unmarks the article as the viewer's favourite and answers with the article.
async fn set_favorite(
    db: &DatabaseConnection,
    config: &AppConfig,
    slug: &str,
    viewer: &User,
    on: bool,
) -> Result<Answer> {
    let Some(row) = persistence::articles::find_by_slug(db, slug).await? else {
        return Ok(refused(Status::NotFound, "article not found"));
    };
    if on {
        persistence::social::favorite(db, viewer.id, row.id).await?;
    } else {
        persistence::social::unfavorite(db, viewer.id, row.id).await?;
    }
    // Read again for the new count (the article may also have gone in the meantime).
    let Some(row) = persistence::articles::find_by_id(db, row.id).await? else {
        return Ok(refused(Status::NotFound, "article not found"));
    };
    one_article(db, config, row, Some(viewer)).await
}

/// Marks an article as a favourite of the signed-in user (again is fine).
#[utoipa::path(
    tag = "Favorites",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The article, favoured", body = ArticleAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[post("/articles/<slug>/favorite")]
async fn favorite(
    slug: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    set_favorite(db, config, slug, &viewer.0, true).await
}

/// Unmarks an article as a favourite of the signed-in user.
#[utoipa::path(
    tag = "Favorites",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The article, not favoured", body = ArticleAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 404, description = "No such article", body = Errors),
    )
)]
#[delete("/articles/<slug>/favorite")]
async fn unfavorite(
    slug: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    set_favorite(db, config, slug, &viewer.0, false).await
}

/// Every tag in use.
#[utoipa::path(
    tag = "Tags",
    responses((status = 200, description = "The tags", body = TagsAnswer))
)]
#[get("/tags")]
async fn tags(db: &State<DatabaseConnection>) -> Result<Answer> {
    Ok(ok(&TagsAnswer { tags: persistence::social::all_tags(db.inner()).await? }))
}
