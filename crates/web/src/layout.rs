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
    /// The site's address (`public_url`, without a trailing slash), for absolute links.
    pub site_url: String,
    /// This page's canonical address: its path, with only the query parameters that change
    /// what it shows (`q`, and `page` past the first).
    pub canonical: String,
    /// Whether search engines are asked not to index the page (pages about one person, their
    /// forms, and search results).
    pub noindex: bool,
}

/// Pages kept out of search engines' indexes (`<meta name="robots" content="noindex">`), with
/// everything under them; `robots.txt` keeps crawlers out of the first of them.
pub const NOINDEX_PATHS: &[&str] = &[
    "/account",
    "/drafts",
    "/search",
    "/following",
    "/comments",
    "/post/new",
    "/password",
    "/reset_password",
    "/logout",
];

/// Whether `path` is one of [`NOINDEX_PATHS`], or a post's page for its author (editing,
/// history, versions: anything under `/post/<id>/`).
pub fn is_noindex(path: &str) -> bool {
    let under = |p: &str| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    NOINDEX_PATHS.iter().any(|p| under(p))
        || path.strip_prefix("/post/").is_some_and(|rest| rest.trim_end_matches('/').contains('/'))
}

/// The canonical address of the page at `path` with `query`.
fn canonical(site_url: &str, path: &str, query: Option<&str>) -> String {
    let path = if path == "/home" { "/" } else { path };
    let mut kept = Vec::new();
    for (key, value) in query.into_iter().flat_map(|q| q.split('&')).filter_map(|kv| kv.split_once('=')) {
        let keep = match key {
            "q" => true,
            "page" => value != "1",
            _ => false,
        };
        if keep && !kept.iter().any(|(k, _)| *k == key) {
            kept.push((key, value));
        }
    }
    kept.sort_by_key(|(k, _)| *k == "page");
    let query: Vec<String> = kept.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    if query.is_empty() { format!("{site_url}{path}") } else { format!("{site_url}{path}?{}", query.join("&")) }
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
        let site_url = req
            .rocket()
            .state::<crate::config::AppConfig>()
            .map(|c| c.public_url.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let uri = req.uri();
        let path = uri.path().as_str();
        let canonical = canonical(&site_url, path, uri.query().map(|q| q.as_str()));
        let noindex = is_noindex(path);
        Outcome::Success(Layout { current_user, flashes, csrf_token, waiting_comments, site_url, canonical, noindex })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_addresses_keep_what_changes_the_page() {
        let site = "https://blog.example";
        assert_eq!(canonical(site, "/home", None), "https://blog.example/");
        assert_eq!(canonical(site, "/", Some("page=1")), "https://blog.example/");
        assert_eq!(canonical(site, "/", Some("utm_source=x&page=3")), "https://blog.example/?page=3");
        assert_eq!(
            canonical(site, "/search", Some("page=2&q=rust%20web&x=1")),
            "https://blog.example/search?q=rust%20web&page=2"
        );
    }

    #[test]
    fn private_pages_are_not_indexed() {
        for path in ["/account", "/drafts", "/search", "/post/12/edit", "/post/12/history", "/comments/pending"] {
            assert!(is_noindex(path), "{path}");
        }
        for path in ["/", "/post/12", "/user/ann", "/tag/rust", "/login", "/register", "/accounts"] {
            assert!(!is_noindex(path), "{path}");
        }
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
