//! What the API sends: the types `GET /api/openapi.json` describes, and how each is made from
//! what the use cases answer.

use std::collections::BTreeMap;

use app::User;
use app::comments::Comment;
use app::posts::Article;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::AppConfig;
use crate::layout::avatar_url;

/// What went wrong, by field (`body` when no one field is to blame).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({ "errors": { "title": ["can't be blank"] } }))]
pub struct Errors {
    pub errors: BTreeMap<String, Vec<String>>,
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
    pub comment: CommentView,
}

#[derive(Serialize, ToSchema)]
pub struct CommentsAnswer {
    pub comments: Vec<CommentView>,
}

#[derive(Serialize, ToSchema)]
pub struct TagsAnswer {
    pub tags: Vec<String>,
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

impl UserAnswer {
    /// The signed-in `user` with a fresh `token`.
    pub fn new(config: &AppConfig, user: &User, token: String) -> Self {
        UserAnswer {
            user: UserView {
                email: user.email.clone(),
                token,
                username: user.username.clone(),
                bio: user.bio.clone().unwrap_or_default(),
                image: absolute_image(config, user.image_file.as_deref(), user.image_url.as_deref()),
            },
        }
    }
}

impl ProfileView {
    pub fn new(config: &AppConfig, user: &User, following: bool) -> Self {
        ProfileView {
            username: user.username.clone(),
            bio: user.bio.clone().unwrap_or_default(),
            image: absolute_image(config, user.image_file.as_deref(), user.image_url.as_deref()),
            following,
        }
    }
}

impl ProfileAnswer {
    pub fn new(config: &AppConfig, user: &User, following: bool) -> Self {
        ProfileAnswer { profile: ProfileView::new(config, user, following) }
    }
}

impl ArticleView {
    /// `article` as the API shows it; lists leave out the body.
    pub fn new(config: &AppConfig, article: Article, with_body: bool) -> Self {
        let r = article.row;
        ArticleView {
            slug: r.slug.unwrap_or_else(|| r.id.to_string()),
            title: r.title,
            description: r.description,
            body: with_body.then_some(r.content),
            tag_list: r.tags.into_vec(),
            created_at: timestamp(r.date_posted),
            updated_at: timestamp(r.updated_at),
            favorited: article.favorited,
            favorites_count: r.favorites_count,
            author: ProfileView {
                username: r.author_username,
                bio: r.author_bio.unwrap_or_default(),
                image: absolute_image(config, r.author_image_file.as_deref(), r.author_image_url.as_deref()),
                following: article.following,
            },
        }
    }
}

impl ArticleAnswer {
    pub fn new(config: &AppConfig, article: Article) -> Self {
        ArticleAnswer { article: ArticleView::new(config, article, true) }
    }
}

impl ArticlesAnswer {
    pub fn new(config: &AppConfig, (articles, articles_count): (Vec<Article>, u64)) -> Self {
        let articles = articles.into_iter().map(|a| ArticleView::new(config, a, false)).collect();
        ArticlesAnswer { articles, articles_count }
    }
}

impl CommentView {
    pub fn new(config: &AppConfig, c: Comment, following: bool) -> Self {
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
}
