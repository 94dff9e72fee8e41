//! The RealWorld ("Conduit") API under `/api`: users, profiles and follows, articles (Gazette's
//! posts) with tags, favourites and comments. Shapes, statuses and errors follow the spec in the
//! RealWorld repository; every answer is JSON.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use domain::{Content, Email, Password, Title, Username};
use persistence::DatabaseConnection;
use persistence::articles::{ArticleRow, Filter};
use persistence::users::{NewUser, User, WriteError};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::{Json, Value, json};
use rocket::{Responder, State, delete, get, options, post, put, routes};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use crate::accounts;
use crate::config::{AppConfig, SigningKeys};
use crate::error::Error;
use crate::layout::avatar_url;
use crate::state::Passwords;
use crate::tokens;

pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("RealWorld API", |rocket| async {
        rocket.mount(
            "/api",
            routes![
                preflight,
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
                tags
            ],
        )
    })
}

type Result<T> = std::result::Result<T, Error>;

/// A JSON answer with its status.
#[derive(Responder)]
pub struct Answer((Status, Json<Value>));

fn ok(body: Value) -> Answer {
    Answer((Status::Ok, Json(body)))
}

fn status(status: Status, body: Value) -> Answer {
    Answer((status, Json(body)))
}

/// 422 with `{"errors": {"<field>": ["..."]}}`.
fn invalid(field: &str, message: impl ToString) -> Answer {
    status(Status::UnprocessableEntity, json!({ "errors": { field: [message.to_string()] } }))
}

fn refused(s: Status, message: &str) -> Answer {
    status(s, json!({ "errors": { "body": [message] } }))
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

fn user_json(config: &AppConfig, keys: &SigningKeys, user: &User) -> Result<Answer> {
    let token = tokens::api::issue(&keys.auth, user.id, &user.password_hash, config.auth_token_ttl)
        .map_err(|e| Error::Internal(format!("auth token: {e}")))?;
    Ok(ok(json!({ "user": {
        "email": user.email,
        "token": token,
        "username": user.username,
        "bio": user.bio.clone().unwrap_or_default(),
        "image": absolute_image(config, user.image_file.as_deref(), user.image_url.as_deref()),
    }})))
}

fn profile_json(config: &AppConfig, user: &User, following: bool) -> Value {
    json!({
        "username": user.username,
        "bio": user.bio.clone().unwrap_or_default(),
        "image": absolute_image(config, user.image_file.as_deref(), user.image_url.as_deref()),
        "following": following,
    })
}

#[derive(Deserialize)]
struct Wrapped<T> {
    #[serde(alias = "article", alias = "comment")]
    user: T,
}

#[derive(Deserialize)]
struct LoginBody {
    email: Option<String>,
    password: Option<String>,
}

#[post("/users/login", data = "<body>")]
async fn login(
    body: Json<Wrapped<LoginBody>>,
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
        accounts::Login::Success(user) => user_json(config, keys, &user),
        accounts::Login::Refused => Ok(refused(Status::Unauthorized, "email or password is invalid")),
        accounts::Login::Throttled(wait) => Ok(refused(
            Status::TooManyRequests,
            &format!("too many failed logins: try again in {}", domain::throttle::describe_wait(wait)),
        )),
    }
}

#[derive(Deserialize)]
struct RegisterBody {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

#[post("/users", data = "<body>")]
async fn register(
    body: Json<Wrapped<RegisterBody>>,
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
    let Answer((_, body)) = user_json(config, keys, &user)?;
    Ok(Answer((Status::Created, body)))
}

#[get("/user")]
fn current_user(user: ApiUser, config: &State<AppConfig>, keys: &State<SigningKeys>) -> Result<Answer> {
    user_json(config, keys, &user.0)
}

#[derive(Deserialize)]
struct UpdateUserBody {
    email: Option<String>,
    username: Option<String>,
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    image: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    bio: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[put("/user", data = "<body>")]
async fn update_user(
    body: Json<Wrapped<UpdateUserBody>>,
    user: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    keys: &State<SigningKeys>,
    passwords: &State<Passwords>,
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
    let image = match &b.image {
        Some(Some(url)) if !url.trim().is_empty() => {
            let url = url.trim();
            if !(url.starts_with("http://") || url.starts_with("https://"))
                || url.len() > 1000
                || url.contains(char::is_whitespace)
            {
                return Ok(invalid("image", "must be an http(s) URL of at most 1000 characters"));
            }
            Some(Some(url.to_owned()))
        }
        Some(_) => Some(None),
        None => None,
    };
    let bio = b.bio.clone().map(|bio| bio.filter(|t| !t.trim().is_empty()));
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
    let update = persistence::users::ProfileUpdate {
        username,
        email,
        first_name: me.first_name.clone(),
        last_name: me.last_name.clone(),
    };
    let txn = db.begin().await?;
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
    if let Some(hash) = hash {
        // A new password signs the account out everywhere; the answer carries a fresh token.
        persistence::users::set_password_hash(&txn, me.id, hash).await?;
        persistence::sessions::delete_for_user(&txn, me.id, None).await?;
    }
    txn.commit().await?;
    if let (true, Some(old)) = (replaces_upload, &me.image_file) {
        crate::avatar::remove(&config.avatar_dir(), old).await;
    }
    let updated = persistence::users::find_by_id(db.inner(), me.id).await?.ok_or(Error::NotFound)?;
    user_json(config, keys, &updated)
}

async fn find_profile(db: &DatabaseConnection, username: &str) -> Result<Option<User>> {
    Ok(persistence::users::find_by_username(db, username).await?)
}

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
    Ok(ok(json!({ "profile": profile_json(config, &user, following) })))
}

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
    Ok(ok(json!({ "profile": profile_json(config, &user, true) })))
}

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
    Ok(ok(json!({ "profile": profile_json(config, &user, false) })))
}

/// Articles as JSON, with their tags, favourite counts, and what the viewer favours and follows,
/// in four queries whatever the number of articles.
async fn articles_json(
    db: &DatabaseConnection,
    config: &AppConfig,
    rows: Vec<ArticleRow>,
    viewer: Option<&User>,
    with_body: bool,
) -> Result<Vec<Value>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let authors: Vec<i64> = rows.iter().map(|r| r.user_id).collect::<HashSet<_>>().into_iter().collect();
    let tags = persistence::social::tags_of(db, &ids).await?;
    let counts = persistence::social::favorite_counts(db, &ids).await?;
    let (favored, followed) = match viewer {
        Some(v) => (
            persistence::social::favored_among(db, v.id, &ids).await?,
            persistence::social::followed_among(db, v.id, &authors).await?,
        ),
        None => (HashSet::new(), HashSet::new()),
    };
    Ok(rows.into_iter().map(|r| article_value(config, r, &tags, &counts, &favored, &followed, with_body)).collect())
}

fn article_value(
    config: &AppConfig,
    r: ArticleRow,
    tags: &HashMap<i64, Vec<String>>,
    counts: &HashMap<i64, i64>,
    favored: &HashSet<i64>,
    followed: &HashSet<i64>,
    with_body: bool,
) -> Value {
    let mut article = json!({
        "slug": r.slug.clone().unwrap_or_else(|| r.id.to_string()),
        "title": r.title,
        "description": r.description,
        "tagList": tags.get(&r.id).cloned().unwrap_or_default(),
        "createdAt": timestamp(r.date_posted),
        "updatedAt": timestamp(r.updated_at),
        "favorited": favored.contains(&r.id),
        "favoritesCount": counts.get(&r.id).copied().unwrap_or(0),
        "author": {
            "username": r.author_username,
            "bio": r.author_bio.unwrap_or_default(),
            "image": absolute_image(config, r.author_image_file.as_deref(), r.author_image_url.as_deref()),
            "following": followed.contains(&r.user_id),
        },
    });
    if with_body {
        article["body"] = Value::String(r.content);
    }
    article
}

async fn one_article(
    db: &DatabaseConnection,
    config: &AppConfig,
    row: ArticleRow,
    viewer: Option<&User>,
) -> Result<Answer> {
    let mut list = articles_json(db, config, vec![row], viewer, true).await?;
    Ok(ok(json!({ "article": list.pop() })))
}

const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;

#[get("/articles?<tag>&<author>&<favorited>&<limit>&<offset>")]
async fn list_articles(
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    viewer: MaybeApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let filter = Filter { tag, author, favorited_by: favorited, followed_by: None };
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let (rows, count) = persistence::articles::list(db.inner(), &filter, limit, offset.unwrap_or(0)).await?;
    let articles = articles_json(db, config, rows, viewer.0.as_ref(), false).await?;
    Ok(ok(json!({ "articles": articles, "articlesCount": count })))
}

#[get("/articles/feed?<limit>&<offset>")]
async fn feed(
    limit: Option<u64>,
    offset: Option<u64>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let filter = Filter { followed_by: Some(viewer.0.id), ..Filter::default() };
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let (rows, count) = persistence::articles::list(db.inner(), &filter, limit, offset.unwrap_or(0)).await?;
    let articles = articles_json(db, config, rows, Some(&viewer.0), false).await?;
    Ok(ok(json!({ "articles": articles, "articlesCount": count })))
}

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

#[derive(Deserialize)]
struct ArticleBody {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    #[serde(rename = "tagList")]
    tag_list: Option<Vec<String>>,
}

/// Tags as given: trimmed, empty ones dropped, each once, at most 64 characters.
fn clean_tags(tags: &[String]) -> std::result::Result<Vec<String>, Answer> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > 64 {
            return Err(invalid("tagList", "tags must be at most 64 characters long"));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(invalid("tagList", "at most 20 tags"));
    }
    Ok(out)
}

fn description_of(raw: &str) -> std::result::Result<String, Answer> {
    let d = raw.trim();
    if d.chars().count() > 300 {
        return Err(invalid("description", "must be at most 300 characters long"));
    }
    Ok(d.to_owned())
}

#[post("/articles", data = "<body>")]
async fn create_article(
    body: Json<Wrapped<ArticleBody>>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let b = &body.user;
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
    let txn = db.begin().await?;
    let new = persistence::posts::NewPost { user_id: viewer.0.id, title, content, description };
    let (id, _) = persistence::posts::insert(&txn, new, Utc::now()).await?;
    persistence::social::set_tags(&txn, id, &tags).await?;
    txn.commit().await?;
    let row = persistence::articles::find_by_id(db.inner(), id).await?.ok_or(Error::NotFound)?;
    let Answer((_, json)) = one_article(db, config, row, Some(&viewer.0)).await?;
    Ok(Answer((Status::Created, json)))
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

#[put("/articles/<slug>", data = "<body>")]
async fn update_article(
    slug: &str,
    body: Json<Wrapped<ArticleBody>>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let row = match modifiable(db, slug, &viewer.0).await? {
        Ok(row) => row,
        Err(answer) => return Ok(answer),
    };
    let b = &body.user;
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
    let txn = db.begin().await?;
    persistence::posts::update(&txn, row.id, title, content, description, Utc::now()).await?;
    if let Some(tags) = tags {
        persistence::social::set_tags(&txn, row.id, &tags).await?;
    }
    txn.commit().await?;
    let row = persistence::articles::find_by_id(db.inner(), row.id).await?.ok_or(Error::NotFound)?;
    one_article(db, config, row, Some(&viewer.0)).await
}

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

fn comment_value(config: &AppConfig, c: persistence::comments::CommentRow, following: bool) -> Value {
    json!({
        "id": c.id,
        "createdAt": timestamp(c.created_at),
        "updatedAt": timestamp(c.updated_at),
        "body": c.body,
        "author": {
            "username": c.author_username,
            "bio": c.author_bio.unwrap_or_default(),
            "image": absolute_image(config, c.author_image_file.as_deref(), c.author_image_url.as_deref()),
            "following": following,
        },
    })
}

#[derive(Deserialize)]
struct CommentBody {
    body: Option<String>,
}

#[post("/articles/<slug>/comments", data = "<body>")]
async fn add_comment(
    slug: &str,
    body: Json<Wrapped<CommentBody>>,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let Some((post_id, _)) = persistence::posts::find_id_by_slug(db.inner(), slug).await? else {
        return Ok(refused(Status::NotFound, "article not found"));
    };
    let text = body.user.body.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Ok(invalid("body", "can't be blank"));
    }
    if text.chars().count() > 10_000 {
        return Ok(invalid("body", "must be at most 10000 characters long"));
    }
    let id = persistence::comments::insert(db.inner(), post_id, viewer.0.id, text.to_owned(), Utc::now()).await?;
    let comment = persistence::comments::find(db.inner(), id).await?.ok_or(Error::NotFound)?;
    Ok(ok(json!({ "comment": comment_value(config, comment, false) })))
}

#[get("/articles/<slug>/comments")]
async fn comments(
    slug: &str,
    viewer: MaybeApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    let Some((post_id, _)) = persistence::posts::find_id_by_slug(db.inner(), slug).await? else {
        return Ok(refused(Status::NotFound, "article not found"));
    };
    let rows = persistence::comments::list_for_post(db.inner(), post_id).await?;
    let authors: Vec<i64> = rows.iter().map(|c| c.user_id).collect::<HashSet<_>>().into_iter().collect();
    let followed = match &viewer.0 {
        Some(v) => persistence::social::followed_among(db.inner(), v.id, &authors).await?,
        None => HashSet::new(),
    };
    let list: Vec<Value> = rows
        .into_iter()
        .map(|c| {
            let following = followed.contains(&c.user_id);
            comment_value(config, c, following)
        })
        .collect();
    Ok(ok(json!({ "comments": list })))
}

#[delete("/articles/<slug>/comments/<id>")]
async fn delete_comment(
    slug: &str,
    id: i64,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
) -> Result<std::result::Result<Status, Answer>> {
    let Some((post_id, _)) = persistence::posts::find_id_by_slug(db.inner(), slug).await? else {
        return Ok(Err(refused(Status::NotFound, "article not found")));
    };
    let Some(comment) = persistence::comments::find(db.inner(), id).await?.filter(|c| c.post_id == post_id) else {
        return Ok(Err(refused(Status::NotFound, "comment not found")));
    };
    let actor = domain::Actor { user_id: viewer.0.id, is_admin: viewer.0.is_admin };
    if !actor.may_modify(comment.user_id) {
        return Ok(Err(refused(Status::Forbidden, "only the author may delete this comment")));
    }
    persistence::comments::delete(db.inner(), id).await?;
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
    one_article(db, config, row, Some(viewer)).await
}

#[post("/articles/<slug>/favorite")]
async fn favorite(
    slug: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    set_favorite(db, config, slug, &viewer.0, true).await
}

#[delete("/articles/<slug>/favorite")]
async fn unfavorite(
    slug: &str,
    viewer: ApiUser,
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
) -> Result<Answer> {
    set_favorite(db, config, slug, &viewer.0, false).await
}

#[get("/tags")]
async fn tags(db: &State<DatabaseConnection>) -> Result<Answer> {
    Ok(ok(json!({ "tags": persistence::social::all_tags(db.inner()).await? })))
}
