//! What every page's layout needs (the signed-in user for the navigation, flash messages, the
//! CSRF token for forms), and the view types templates read.
//!
//! A visitor who is not signed in gets a CSRF token (and its cookie) only from pages with a form
//! ([`Layout::with_form_token`]): reading the blog sets no cookie and costs no encryption.

use app::User;
use app::posts::Post;
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use serde::Serialize;

use crate::csrf::CsrfToken;
use crate::guards::CurrentUser;

const DEFAULT_AVATAR: &str = "/static/img/default-avatar.svg";

/// The layout's context: pass it to every template as `layout`.
#[derive(Debug, Serialize)]
pub struct Layout {
    pub current_user: Option<UserView>,
    pub flashes: Vec<FlashView>,
    /// Empty for visitors on pages without a form.
    pub csrf_token: String,
    /// Comments waiting for the signed-in user's approval (shown in the navigation when any).
    pub waiting_comments: u64,
}

#[derive(Debug, Serialize)]
pub struct FlashView {
    pub category: String,
    pub message: String,
}

impl Layout {
    /// Adds a message shown on this page (not carried over a redirect).
    pub fn flash(mut self, category: &str, message: &str) -> Self {
        self.flashes.push(FlashView { category: category.into(), message: message.into() });
        self
    }

    /// The layout of a page with a form anyone may fill in (login, registration, password reset).
    pub fn with_form_token(mut self, token: CsrfToken) -> Self {
        self.csrf_token = token.0;
        self
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Layout {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let signed_in = req.guard::<CurrentUser>().await.succeeded();
        let current_user = signed_in.as_ref().map(|u| UserView::from(&u.user));
        // Kept on the account (no query), except for moderators, who see everyone's.
        let waiting_comments = match (signed_in, req.rocket().state::<app::App>()) {
            (Some(u), Some(app)) => app::comments::waiting(app, &u.user).await.unwrap_or_else(|e| {
                log::warn!("could not count the comments waiting for approval: {e}");
                0
            }),
            _ => 0,
        };
        let flashes = req
            .guard::<Option<FlashMessage<'_>>>()
            .await
            .succeeded()
            .flatten()
            .map(|f| {
                let category = match f.kind() {
                    k @ ("success" | "danger" | "info" | "warning") => k,
                    _ => "info",
                };
                FlashView { category: category.into(), message: f.message().into() }
            })
            .into_iter()
            .collect();
        // Signed-in users see the logout form in the navigation on every page.
        let csrf_token = match current_user {
            Some(_) => match req.guard::<CsrfToken>().await {
                Outcome::Success(t) => t.0,
                _ => String::new(),
            },
            None => String::new(),
        };
        Outcome::Success(Layout { current_user, flashes, csrf_token, waiting_comments })
    }
}

/// The URL of a user's avatar: the custom one, or the default.
pub fn avatar_url(image_file: Option<&str>) -> String {
    match image_file {
        Some(file) => format!("/media/avatars/{file}"),
        None => DEFAULT_AVATAR.to_owned(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub avatar_url: String,
    pub is_admin: bool,
    pub member_since: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        let full_name = [u.first_name.as_deref(), u.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>();
        Self {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            full_name: (!full_name.is_empty()).then(|| full_name.join(" ")),
            avatar_url: avatar_url(u.image_file.as_deref()),
            is_admin: u.is_admin,
            member_since: u.created_at.format("%B %Y").to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    pub id: i64,
    pub title: String,
    /// The body as typed (shown as is for plain-text posts).
    pub content: String,
    /// The sanitised HTML of a Markdown body, made when it was saved.
    pub body_html: Option<String>,
    /// What a listing shows: the description, else the stored plain-text excerpt.
    pub summary: String,
    pub read_minutes: u32,
    pub date: String,
    pub date_iso: String,
    pub edited: bool,
    pub author_username: String,
    /// The author's name, percent-encoded for `/user/<name>` links.
    pub author_in_url: String,
    pub author_avatar_url: String,
    /// Whether the viewer may update and delete it.
    pub can_modify: bool,
    /// Its tags (templates link each to `/tag/{{ tag | urlencode_strict }}`).
    pub tags: Vec<String>,
    /// For a post readers cannot see yet: "Draft", or "Scheduled for <time> (<zone>)" in the
    /// viewer's time zone.
    pub badge: Option<String>,
}

impl PostView {
    pub fn new(p: Post, viewer: Option<&CurrentUser>) -> Self {
        let zone = viewer.map_or(domain::TimeZone::UTC, |v| app::accounts::time_zone(&v.user));
        let badge = match domain::PostState::from_stored(&p.state) {
            domain::PostState::Published => None,
            domain::PostState::Draft => Some("Draft".to_owned()),
            domain::PostState::Scheduled => Some(format!(
                "Scheduled for {} ({})",
                zone.format(p.date_posted, crate::routes::site::posts::TIME_FORMAT),
                zone.name()
            )),
        };
        let summary = if p.description.trim().is_empty() { p.excerpt.unwrap_or_default() } else { p.description };
        Self {
            id: p.id,
            can_modify: viewer.is_some_and(|v| app::accounts::actor(&v.user).may_modify(p.user_id)),
            date: p.date_posted.format("%B %-d, %Y").to_string(),
            date_iso: p.date_posted.to_rfc3339(),
            edited: p.updated_at > p.date_posted,
            title: p.title,
            summary,
            read_minutes: domain::post::read_minutes(u32::try_from(p.word_count).unwrap_or(0)),
            body_html: (domain::PostFormat::from_stored(&p.format) == domain::PostFormat::Markdown)
                .then_some(p.body_html)
                .flatten(),
            content: p.content,
            author_avatar_url: avatar_url(p.author_image_file.as_deref()),
            author_in_url: rocket::http::RawStr::new(&p.author_username).percent_encode().to_string(),
            author_username: p.author_username,
            tags: Vec::new(),
            badge,
        }
    }

    /// Without the body: a listing shows the summary only, so the body (and its HTML) is not
    /// serialised into the page's context.
    pub fn for_listing(mut self) -> Self {
        self.content = String::new();
        self.body_html = None;
        self
    }

    pub fn with_tags(mut self, tags: Vec<String>) -> Self {
        self.tags = tags;
        self
    }
}
