//! Feeds: Atom for the whole site (`/feed.atom`), an author (`/user/<name>/feed.atom`) and a tag
//! (`/tag/<name>/feed.atom`), and RSS 2.0 for the site (`/feed.rss`): the newest visible posts
//! with their full sanitised HTML, made with the `atom_syndication` and `rss` crates. Every feed
//! carries an `ETag` (of its bytes) and a `Last-Modified` (its newest change), and answers `304
//! Not Modified` to a reader that has it already.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use app::App;
use app::posts::{FeedOf, Post};
use chrono::{DateTime, Utc};
use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{State, get, routes};

use siphasher::sip128::{Hasher128, SipHasher13};

use super::SiteResult;
use crate::compression::Shared;
use crate::config::AppConfig;
use crate::replay::remember;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Feeds", |rocket| async {
        rocket.manage(Feeds::new()).mount("/", remember(routes![site_atom, site_rss, author_atom, tag_atom]))
    })
}

/// Bytes of feeds kept at most (the least used go first).
const KEPT_BYTES: u64 = 4 * 1024 * 1024;

/// Feeds made before, under a keyed hash of everything they show (see [`Feeds::answer`]);
/// managed state.
pub struct Feeds {
    kept: quick_cache::sync::Cache<u128, Arc<Built>, BuiltBytes>,
    /// Chosen at random per process, so that nobody can aim at a collision.
    keys: (u64, u64),
}

/// A feed's bytes (and their compressed forms) and its validator.
struct Built {
    body: Shared,
    etag: String,
}

#[derive(Clone)]
struct BuiltBytes;

impl quick_cache::Weighter<u128, Arc<Built>> for BuiltBytes {
    fn weight(&self, _: &u128, built: &Arc<Built>) -> u64 {
        built.body.bytes().len() as u64 * 5 / 4
    }
}

/// Which of the two formats.
#[derive(Clone, Copy, Hash)]
enum Format {
    Atom,
    Rss,
}

impl Feeds {
    fn new() -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        Feeds {
            kept: quick_cache::sync::Cache::with_weighter(256, KEPT_BYTES, BuiltBytes),
            keys: (rng.r#gen(), rng.r#gen()),
        }
    }

    /// The feed of `posts` in `format`, or `304` to a reader who has it. A
    /// feed is made from what is hashed here and nothing else, so a feed made before under the
    /// same hash is the same bytes: it is handed back without building its XML again. Any change
    /// to a post it shows (a title, a body rendered again, an author's new name, a tag) makes
    /// another hash.
    fn answer(&self, format: Format, config: &AppConfig, about: About, posts: &[Post], asked: &Conditional) -> Feed {
        let mut hasher = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        (format, config.public_url.as_str(), &about.title, &about.feed_url, &about.page_url).hash(&mut hasher);
        for post in posts {
            (post.id, &post.title, &post.description, &post.excerpt, &post.format, &post.content, &post.body_html)
                .hash(&mut hasher);
            (&post.author_username, post.date_posted, post.updated_at, &post.tags.0).hash(&mut hasher);
        }
        let key = hasher.finish128().as_u128();
        let built = self.kept.get(&key).unwrap_or_else(|| {
            let body = match format {
                Format::Atom => atom(config, about, posts),
                Format::Rss => rss(config, about, posts),
            };
            let mut bytes_hasher = siphasher::sip::SipHasher13::new();
            bytes_hasher.write(&body);
            let etag = format!("\"{:016x}\"", bytes_hasher.finish());
            let built = Arc::new(Built { body: Shared::new(Arc::from(body)), etag });
            self.kept.insert(key, Arc::clone(&built));
            built
        });
        let content_type = match format {
            Format::Atom => ContentType::new("application", "atom+xml"),
            Format::Rss => ContentType::new("application", "rss+xml"),
        };
        Feed::new(content_type, built, last_change(posts), asked)
    }
}

/// What a feed reader says it has: `If-None-Match` and `If-Modified-Since`.
pub struct Conditional {
    none_match: Option<String>,
    modified_since: Option<DateTime<Utc>>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Conditional {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let none_match = req.headers().get_one("If-None-Match").map(str::to_owned);
        let modified_since = req
            .headers()
            .get_one("If-Modified-Since")
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|t| t.with_timezone(&Utc));
        Outcome::Success(Conditional { none_match, modified_since })
    }
}

/// A feed's bytes with its validators, or `304` to a reader who has them.
pub struct Feed {
    content_type: ContentType,
    built: Arc<Built>,
    last_modified: DateTime<Utc>,
    not_modified: bool,
}

impl Feed {
    fn new(content_type: ContentType, built: Arc<Built>, last_modified: DateTime<Utc>, asked: &Conditional) -> Self {
        // If-None-Match decides when it is sent (RFC 9110, 13.2.2), compared weakly: a
        // compressed feed's tag is the weak form of this one; else If-Modified-Since, to the
        // second (HTTP dates have no finer unit).
        let etag = &built.etag;
        let not_modified = match (&asked.none_match, asked.modified_since) {
            (Some(tags), _) => tags.split(',').any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*"),
            (None, Some(since)) => last_modified.timestamp() <= since.timestamp(),
            (None, None) => false,
        };
        Self { content_type, built, last_modified, not_modified }
    }
}

impl<'r> Responder<'r, 'static> for Feed {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut answer = Response::build();
        answer
            .header(Header::new("ETag", self.built.etag.clone()))
            .header(Header::new("Last-Modified", self.last_modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string()))
            // Readers may keep it, asking each time whether it changed (a 304 costs little).
            .header(Header::new("Cache-Control", "no-cache"));
        if self.not_modified {
            return answer.status(Status::NotModified).ok();
        }
        answer.header(self.content_type);
        Ok(self.built.body.respond(req, answer))
    }
}

/// What a feed is called and where it and its page are.
struct About {
    title: String,
    /// The feed's own address, also its id.
    feed_url: String,
    /// The page it follows.
    page_url: String,
}

fn base(config: &AppConfig) -> &str {
    config.public_url.trim_end_matches('/')
}

fn encoded(name: &str) -> String {
    rocket::http::RawStr::new(name).percent_encode().to_string()
}

/// The most bytes of posts' HTML one feed carries. A post's HTML can be near a megabyte (100,000
/// characters of Markdown, highlighted code), and a feed is built for any visitor who asks: past
/// this, entries carry their summary and link only, so one request costs at most about this
/// much (and as much again for the XML).
const FEED_HTML_BYTES: usize = 512 * 1024;

/// What each of `posts` carries in a feed: its full HTML while [`FEED_HTML_BYTES`] lasts, then
/// `None` (its summary only).
fn bodies(posts: &[Post]) -> Vec<Option<String>> {
    let mut left = FEED_HTML_BYTES;
    posts
        .iter()
        .map(|post| {
            let html = html_of(post);
            (html.len() <= left).then(|| {
                left -= html.len();
                html
            })
        })
        .collect()
}

/// A post's summary: its description, else its stored excerpt.
fn summary_of(post: &Post) -> String {
    match post.description.trim() {
        "" => post.excerpt.clone().unwrap_or_default(),
        description => description.to_owned(),
    }
}

/// A post's body as feed HTML: its sanitised HTML, or a plain-text post's paragraphs, escaped.
fn html_of(post: &Post) -> String {
    if let Some(html) = post.body_html.as_ref().filter(|_| post.format == "markdown") {
        return html.clone();
    }
    post.content
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", rocket::http::RawStr::new(p.trim()).html_escape()))
        .collect()
}

/// Its newest change: the latest update of its posts (the feed changes with them).
fn last_change(posts: &[Post]) -> DateTime<Utc> {
    posts.iter().map(|p| p.updated_at.max(p.date_posted)).max().unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn atom(config: &AppConfig, about: About, posts: &[Post]) -> Vec<u8> {
    use atom_syndication::{Category, Content, Entry, Link, Person, Text};
    let base = base(config);
    let link = |href: String, rel: &str| Link { href, rel: rel.to_owned(), ..Default::default() };
    let entries = posts
        .iter()
        .zip(bodies(posts))
        .map(|(post, body)| {
            let url = format!("{base}/post/{}", post.id);
            let author = Person {
                name: post.author_username.clone(),
                uri: Some(format!("{base}/user/{}", encoded(&post.author_username))),
                ..Default::default()
            };
            Entry {
                title: Text::plain(post.title.clone()),
                // The post's address by id: the same whatever its title becomes.
                id: url.clone(),
                updated: post.updated_at.max(post.date_posted).fixed_offset(),
                published: Some(post.date_posted.fixed_offset()),
                authors: vec![author],
                categories: post.tags.0.iter().map(|t| Category { term: t.clone(), ..Default::default() }).collect(),
                links: vec![link(url, "alternate")],
                summary: (!post.description.trim().is_empty() || body.is_none()).then(|| Text::plain(summary_of(post))),
                content: body.map(|html| Content {
                    value: Some(html),
                    content_type: Some("html".to_owned()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = atom_syndication::Feed {
        title: Text::plain(about.title),
        id: about.feed_url.clone(),
        updated: last_change(posts).fixed_offset(),
        links: vec![link(about.feed_url, "self"), link(about.page_url, "alternate")],
        generator: Some(atom_syndication::Generator { value: "Gazette".to_owned(), ..Default::default() }),
        entries,
        ..Default::default()
    };
    feed.to_string().into_bytes()
}

fn rss(config: &AppConfig, about: About, posts: &[Post]) -> Vec<u8> {
    use rss::extension::dublincore::DublinCoreExtension;
    let base = base(config);
    let items = posts
        .iter()
        .zip(bodies(posts))
        .map(|(post, body)| {
            let url = format!("{base}/post/{}", post.id);
            let summary = || format!("<p>{}</p>", rocket::http::RawStr::new(&summary_of(post)).html_escape());
            rss::Item {
                title: Some(post.title.clone()),
                link: Some(url.clone()),
                description: Some(body.unwrap_or_else(summary)),
                guid: Some(rss::Guid { value: url, permalink: true }),
                pub_date: Some(post.date_posted.to_rfc2822()),
                categories: post.tags.0.iter().map(|t| rss::Category { name: t.clone(), domain: None }).collect(),
                // RSS's own `author` is an email address, which readers' are not to see.
                dublin_core_ext: Some(DublinCoreExtension {
                    creators: vec![post.author_username.clone()],
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let mut namespaces = std::collections::BTreeMap::new();
    namespaces.insert("dc".to_owned(), rss::extension::dublincore::NAMESPACE.to_owned());
    let channel = rss::Channel {
        title: about.title,
        link: about.page_url,
        description: "The newest posts on Gazette".to_owned(),
        last_build_date: Some(last_change(posts).to_rfc2822()),
        generator: Some("Gazette".to_owned()),
        items,
        namespaces,
        ..Default::default()
    };
    channel.to_string().into_bytes()
}

/// The site's newest posts as Atom.
#[get("/feed.atom")]
async fn site_atom(
    asked: Conditional,
    app: &State<App>,
    config: &State<AppConfig>,
    feeds: &State<Feeds>,
) -> SiteResult<Feed> {
    let (_, posts) = app::posts::feed_posts(app, FeedOf::Site).await?;
    let b = base(config);
    let about = About { title: "Gazette".into(), feed_url: format!("{b}/feed.atom"), page_url: format!("{b}/") };
    Ok(feeds.answer(Format::Atom, config, about, &posts, &asked))
}

/// The site's newest posts as RSS 2.0.
#[get("/feed.rss")]
async fn site_rss(
    asked: Conditional,
    app: &State<App>,
    config: &State<AppConfig>,
    feeds: &State<Feeds>,
) -> SiteResult<Feed> {
    let (_, posts) = app::posts::feed_posts(app, FeedOf::Site).await?;
    let b = base(config);
    let about = About { title: "Gazette".into(), feed_url: format!("{b}/feed.rss"), page_url: format!("{b}/") };
    Ok(feeds.answer(Format::Rss, config, about, &posts, &asked))
}

/// An author's newest posts as Atom; 404 for an unknown account.
#[get("/user/<name>/feed.atom")]
async fn author_atom(
    name: &str,
    asked: Conditional,
    app: &State<App>,
    config: &State<AppConfig>,
    feeds: &State<Feeds>,
) -> SiteResult<Feed> {
    let (author, posts) = app::posts::feed_posts(app, FeedOf::Author(name)).await?;
    let username = author.map_or_else(|| name.to_owned(), |a| a.username);
    let b = base(config);
    let about = About {
        title: format!("Posts by {username} · Gazette"),
        feed_url: format!("{b}/user/{}/feed.atom", encoded(&username)),
        page_url: format!("{b}/user/{}", encoded(&username)),
    };
    Ok(feeds.answer(Format::Atom, config, about, &posts, &asked))
}

/// A tag's newest posts as Atom; 404 for a tag no visible post has.
#[get("/tag/<name>/feed.atom")]
async fn tag_atom(
    name: &str,
    asked: Conditional,
    app: &State<App>,
    config: &State<AppConfig>,
    feeds: &State<Feeds>,
) -> SiteResult<Feed> {
    let (_, posts) = app::posts::feed_posts(app, FeedOf::Tag(name)).await?;
    let b = base(config);
    let about = About {
        title: format!("Posts tagged {name} · Gazette"),
        feed_url: format!("{b}/tag/{}/feed.atom", encoded(name)),
        page_url: format!("{b}/tag/{}", encoded(name)),
    };
    Ok(feeds.answer(Format::Atom, config, about, &posts, &asked))
}
