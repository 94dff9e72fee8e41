//! Pages: Tera templates from `templates/`, rendered from a context that is serialised once.
//!
//! `rocket_dyn_templates` finds the templates (and, in debug builds, reloads them when they
//! change); [`Views`] keeps the engine it loaded and renders [`Page`]s with it. A page is
//! remembered by its template and context: the next view with the same context gets the same
//! HTML without rendering it again. The context holds everything the page shows, so a changed
//! post, count or page number is a different context and renders afresh; nothing can go stale.
//! The context names the signed-in visitor too, so that one visitor's page is never another's.
//! The one thing that differs between two views of one context is the visitor's form token: it is
//! set aside before the page is looked up (a placeholder stands in for it, random per process,
//! so that nobody can write it into a post) and put into the HTML as the page is sent. Pages
//! with a message (a flash) are rendered every time: a message is shown once.

use std::borrow::Cow;
use std::hash::Hash;
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rocket::fairing::Fairing;
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket_dyn_templates::Template;
use rocket_dyn_templates::tera::{self, Tera};
use serde::Serialize;
use serde_json::Value;

use crate::assets::Assets;
#[cfg(test)]
use crate::compression::Encoding;
use crate::compression::{self, Shared};
use crate::config::AppConfig;
use siphasher::sip128::{Hasher128, SipHasher13};

/// Bytes of remembered pages kept at most (the least used go first).
const MEMO_BYTES: u64 = 4 * 1024 * 1024;
/// A page larger than this is not remembered.
const MEMO_PAGE_MAX: usize = 256 * 1024;

/// The templates and the pages remembered from them; managed state.
#[derive(Clone)]
pub struct Views(Arc<Inner>);

struct Inner {
    tera: RwLock<Arc<Tera>>,
    /// Bumped whenever the templates are (re)loaded, so that no page outlives its template.
    generation: AtomicU64,
    memo: quick_cache::sync::Cache<u128, Arc<Rendered>, PageBytes>,
    /// Parts of pages rendered for visitors, under a key their caller vouches for (see
    /// [`Views::fragment`]) and the template generation.
    fragments: quick_cache::sync::Cache<(u64, &'static str, FragmentKey), Arc<str>, FragmentBytes>,
    /// The hash key: chosen at random per process, so that nobody can aim at a collision.
    keys: (u64, u64),
    /// What stands in for a visitor's form token in a remembered page.
    placeholder: String,
}

#[derive(Clone)]
struct PageBytes;

/// What names a kept fragment besides its template: three numbers its caller derives from data
/// that changes whenever the fragment would (for comments: the post, its comments version, the
/// page number).
pub type FragmentKey = (i64, i64, u64);

#[derive(Clone)]
struct FragmentBytes;

impl quick_cache::Weighter<(u64, &'static str, FragmentKey), Arc<str>> for FragmentBytes {
    fn weight(&self, _: &(u64, &'static str, FragmentKey), html: &Arc<str>) -> u64 {
        html.len() as u64 + 64
    }
}

impl quick_cache::Weighter<u128, Arc<Rendered>> for PageBytes {
    /// Its HTML and a quarter more for the compressed forms (made when first asked for: about a
    /// fifth of the HTML each).
    fn weight(&self, _: &u128, page: &Arc<Rendered>) -> u64 {
        page.html.len() as u64 * 5 / 4
    }
}

/// A rendered page; a remembered one keeps its brotli and gzip forms too, made the first time a
/// visitor takes them.
pub struct Rendered {
    html: Arc<[u8]>,
    /// Remembered, and the same for every visitor of its context: its compressed forms are kept.
    shared: Option<Shared>,
    /// Carries the visitor's form token: sent uncompressed (see [`compression::Uncompressed`]).
    token: bool,
}

impl Rendered {
    fn new(html: Arc<[u8]>, shared: bool) -> Self {
        Rendered { shared: shared.then(|| Shared::new(Arc::clone(&html))), html, token: false }
    }

    /// The bytes to send to a client taking `encoding`, and their coding: a remembered page in
    /// its compressed form (made once), any other as rendered (the compression fairing sees to
    /// it as it is sent).
    #[cfg(test)]
    fn encoded(&self, encoding: Option<Encoding>) -> (Arc<[u8]>, Option<Encoding>) {
        match &self.shared {
            Some(shared) => shared.encoded(encoding),
            None => (Arc::clone(&self.html), None),
        }
    }

    /// This page with `token` where `placeholder` stands (the page itself when it has no form).
    /// Tokens are URL-safe base64, which HTML shows as it is.
    fn with_token(self: Arc<Self>, placeholder: &str, token: &str) -> Arc<Self> {
        let Ok(html) = std::str::from_utf8(&self.html) else { return self };
        if !html.contains(placeholder) {
            return self;
        }
        let mut page = Rendered::new(Arc::from(html.replace(placeholder, token).into_bytes()), false);
        page.token = true;
        Arc::new(page)
    }
}

impl Views {
    fn new() -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        let memo = quick_cache::sync::Cache::with_weighter(1024, MEMO_BYTES, PageBytes);
        let fragments = quick_cache::sync::Cache::with_weighter(1024, MEMO_BYTES, FragmentBytes);
        Views(Arc::new(Inner {
            tera: RwLock::new(Arc::new(Tera::default())),
            generation: AtomicU64::new(0),
            memo,
            fragments,
            keys: (rng.r#gen(), rng.r#gen()),
            placeholder: format!("formtoken{:032x}", rng.r#gen::<u128>()),
        }))
    }

    /// The fairing that loads the templates and manages the [`Views`] rendering them.
    /// The static files are read here too: the templates link to them by their hashed
    /// addresses ([`Assets`]).
    pub fn fairing() -> impl Fairing {
        rocket::fairing::AdHoc::try_on_ignite("Views", |rocket| async move {
            let Some(dir) = rocket.state::<AppConfig>().map(|c| c.static_dir.clone()) else { return Err(rocket) };
            let assets = match rocket::tokio::task::spawn_blocking(move || Assets::load(&dir).map_err(|e| (dir, e)))
                .await
            {
                Ok(Ok(assets)) => assets,
                Ok(Err((dir, e))) => {
                    log::error!("static folder {}: {e} (run from the project folder or set static_dir)", dir.display());
                    return Err(rocket);
                }
                Err(e) => {
                    log::error!("reading the static folder: {e}");
                    return Err(rocket);
                }
            };
            let views = Views::new();
            let loaded = views.clone();
            let linked = assets.clone();
            let fairing = Template::custom(move |engines| {
                engines.tera.register_function("static_url", linked.tera_function());
                loaded.use_templates(&engines.tera);
            });
            Ok(rocket.manage(views).manage(assets).attach(fairing))
        })
    }

    fn use_templates(&self, tera: &Tera) {
        match self.0.tera.write() {
            Ok(mut current) => *current = Arc::new(tera.clone()),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(tera.clone()),
        }
        self.0.generation.fetch_add(1, Ordering::Relaxed);
        self.0.memo.clear();
        self.0.fragments.clear();
    }

    /// Renders the template `name` with the context `context()` makes, as a part of a page. With
    /// a `key` (a visitor's view, the same for every visitor), the part rendered for that key
    /// before is handed back instead, without making the context: the caller's key must change
    /// whenever the part would.
    pub fn fragment(
        &self,
        name: &'static str,
        key: Option<FragmentKey>,
        context: impl FnOnce() -> Value,
    ) -> Result<Arc<str>, tera::Error> {
        let key = key.map(|k| (self.0.generation.load(Ordering::Relaxed), name, k));
        if let Some(html) = key.and_then(|k| self.0.fragments.get(&k)) {
            return Ok(html);
        }
        let html: Arc<str> = Arc::from(self.tera().render(name, &tera::Context::from_value(context())?)?);
        if let Some(key) = key {
            self.0.fragments.insert(key, Arc::clone(&html));
        }
        Ok(html)
    }

    fn tera(&self) -> Arc<Tera> {
        match self.0.tera.read() {
            Ok(tera) => Arc::clone(&tera),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Renders `name` with `context`, or hands back the same page rendered before.
    #[cfg(test)]
    fn render(&self, name: &str, context: Value) -> Result<Arc<[u8]>, tera::Error> {
        self.render_with(name, context, None).map(|page| Arc::clone(&page.html))
    }

    /// [`Views::render`], with a fragment placed in the context under its slot's name. A keyed
    /// fragment counts towards the page's memo by its key (not its bytes, which are many).
    fn render_with(&self, name: &str, mut context: Value, slot: Option<Slot>) -> Result<Arc<Rendered>, tera::Error> {
        let token = set_token_aside(&mut context, &self.0.placeholder);
        let page = self.render_kept(name, context, slot)?;
        Ok(match token {
            Some(token) => page.with_token(&self.0.placeholder, &token),
            None => page,
        })
    }

    /// [`Views::render_with`] for a context whose token, if any, has been set aside.
    fn render_kept(&self, name: &str, mut context: Value, slot: Option<Slot>) -> Result<Arc<Rendered>, tera::Error> {
        let key = rememberable(&context).then(|| self.key(name, &context, slot.as_ref()));
        if let Some(page) = key.and_then(|k| self.0.memo.get(&k)) {
            return Ok(page);
        }
        if let (Some(slot), Some(fields)) = (slot, context.as_object_mut()) {
            fields.insert(slot.name.to_owned(), Value::String(slot.html.to_string()));
        }
        let html = self.tera().render(name, &tera::Context::from_value(context)?)?;
        let kept = key.is_some() && html.len() <= MEMO_PAGE_MAX;
        let page = Arc::new(Rendered::new(Arc::from(html.into_bytes()), kept));
        if let (Some(key), true) = (key, kept) {
            self.0.memo.insert(key, Arc::clone(&page));
        }
        Ok(page)
    }

    fn key(&self, name: &str, context: &Value, slot: Option<&Slot>) -> u128 {
        let mut hasher = SipHasher13::new_with_keys(self.0.keys.0, self.0.keys.1);
        self.0.generation.load(Ordering::Relaxed).hash(&mut hasher);
        name.hash(&mut hasher);
        context.hash(&mut hasher);
        if let Some(slot) = slot {
            slot.name.hash(&mut hasher);
            match slot.key {
                Some(key) => key.hash(&mut hasher),
                None => slot.html.hash(&mut hasher),
            }
        }
        hasher.finish128().as_u128()
    }
}

/// Whether a page may be remembered: it shows no message (a message is shown once).
fn rememberable(context: &Value) -> bool {
    context.get("layout").and_then(|l| l.get("flashes")).and_then(Value::as_array).is_none_or(Vec::is_empty)
}

/// Takes the visitor's form token out of the page's context, leaving `placeholder` in its place.
fn set_token_aside(context: &mut Value, placeholder: &str) -> Option<String> {
    match context.get_mut("layout")?.get_mut("csrf_token")? {
        Value::String(token) if !token.is_empty() => Some(std::mem::replace(token, placeholder.to_owned())),
        _ => None,
    }
}

/// A rendered fragment ([`Views::fragment`]) for a page's context, with the key it was kept
/// under, if any.
struct Slot {
    name: &'static str,
    key: Option<FragmentKey>,
    html: Arc<str>,
}

/// A page to answer with: a template and its context, rendered as HTML when sent.
pub struct Page {
    name: Cow<'static, str>,
    context: Result<Value, serde_json::Error>,
    slot: Option<Slot>,
}

impl Page {
    /// The page `name` (a template under `templates/`, without `.html.tera`) showing `context`.
    pub fn render(name: impl Into<Cow<'static, str>>, context: impl Serialize) -> Self {
        Page { name: name.into(), context: serde_json::to_value(context), slot: None }
    }

    /// Puts a fragment made by [`Views::fragment`] (under `key`, if it was kept) into the
    /// context as `name` (a top-level field, for the template to show with `| safe`).
    pub fn with_fragment(mut self, name: &'static str, key: Option<FragmentKey>, html: Arc<str>) -> Self {
        self.slot = Some(Slot { name, key, html });
        self
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let Some(views) = req.rocket().state::<Views>() else {
            log::error!("no templates: the Views fairing is not attached");
            return Err(Status::InternalServerError);
        };
        let context = self.context.map_err(|e| {
            log::error!("page {}: its context cannot be serialised: {e}", self.name);
            Status::InternalServerError
        })?;
        let page = views.render_with(&self.name, context, self.slot).map_err(|e| {
            log::error!("page {}: {e:?}", self.name);
            Status::InternalServerError
        })?;
        if page.token {
            req.local_cache(|| compression::Uncompressed(true));
        }
        let mut answer = Response::build();
        answer.header(ContentType::HTML);
        Ok(match &page.shared {
            Some(shared) => shared.respond(req, answer),
            // The compression fairing sees to it.
            None => answer.sized_body(page.html.len(), Cursor::new(Arc::clone(&page.html))).finalize(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn views(template: &str) -> Views {
        let views = Views::new();
        let mut tera = Tera::default();
        tera.add_raw_template("page", template).unwrap();
        views.use_templates(&tera);
        views
    }

    fn reader(title: &str) -> Value {
        json!({ "layout": { "current_user": null, "csrf_token": "", "flashes": [] }, "title": title })
    }

    #[test]
    fn a_readers_page_is_rendered_once_per_context() {
        let views = views("<h1>{{ title }}</h1>");
        let first = views.render("page", reader("Hello")).unwrap();
        let again = views.render("page", reader("Hello")).unwrap();
        assert_eq!(&*first, b"<h1>Hello</h1>");
        assert!(Arc::ptr_eq(&first, &again), "the same context renders once");
        let other = views.render("page", reader("Bye")).unwrap();
        assert_eq!(&*other, b"<h1>Bye</h1>");
    }

    #[test]
    fn a_remembered_page_is_compressed_once_and_a_page_with_a_token_not_here() {
        let views = views("<p>{{ title }}</p>");
        let long = "Hello ".repeat(400);
        let page = views.render_with("page", reader(&long), None).unwrap();
        let (brotli, coding) = page.encoded(Some(Encoding::Brotli));
        assert_eq!(coding, Some(Encoding::Brotli));
        let mut html = Vec::new();
        brotli::BrotliDecompress(&mut &brotli[..], &mut html).unwrap();
        assert_eq!(html, &*page.html);
        let again = views.render_with("page", reader(&long), None).unwrap();
        assert!(Arc::ptr_eq(&brotli, &again.encoded(Some(Encoding::Brotli)).0), "compressed once");
        assert_eq!(again.encoded(Some(Encoding::Gzip)).1, Some(Encoding::Gzip));
        assert_eq!(again.encoded(None).1, None);
        let views = super::tests::views("<p>{{ title }}</p><input value=\"{{ layout.csrf_token }}\">");
        let mine = json!({ "layout": { "current_user": { "username": "alice" }, "csrf_token": "tok" }, "title": long });
        let page = views.render_with("page", mine, None).unwrap();
        assert_eq!(page.encoded(Some(Encoding::Brotli)).1, None, "one visitor's: left to the compression fairing");
    }

    #[test]
    fn pages_with_a_message_are_never_remembered() {
        let views = views("{{ title }}");
        let layout =
            json!({ "current_user": null, "csrf_token": "", "flashes": [{ "category": "info", "message": "Hi" }] });
        let context = json!({ "layout": layout, "title": "Mine" });
        let first = views.render("page", context.clone()).unwrap();
        let again = views.render("page", context).unwrap();
        assert_eq!(&*first, b"Mine");
        assert!(!Arc::ptr_eq(&first, &again));
        assert_eq!(views.0.memo.len(), 0);
    }

    #[test]
    fn each_visitor_gets_their_own_page_with_their_own_token() {
        let views = views(r#"{{ layout.current_user.username }} <input value="{{ layout.csrf_token }}">"#);
        let view = |name: &str, token: &str| {
            let layout = json!({ "current_user": { "username": name }, "csrf_token": token, "flashes": [] });
            let html = views.render("page", json!({ "layout": layout })).unwrap();
            String::from_utf8(html.to_vec()).unwrap()
        };
        assert_eq!(view("alice", "tok-1"), r#"alice <input value="tok-1">"#);
        assert_eq!(view("alice", "tok-2"), r#"alice <input value="tok-2">"#, "another browser of hers");
        assert_eq!(views.0.memo.len(), 1, "one page for both");
        assert_eq!(view("bob", "tok-3"), r#"bob <input value="tok-3">"#);
        assert_eq!(view("alice", "tok-1"), r#"alice <input value="tok-1">"#);
        assert_eq!(views.0.memo.len(), 2);
    }

    #[test]
    fn a_page_without_a_form_is_the_same_for_every_token() {
        let views = views("{{ title }}");
        let context = |token: &str| json!({ "layout": { "csrf_token": token, "flashes": [] }, "title": "Hi" });
        let first = views.render("page", context("one")).unwrap();
        let again = views.render("page", context("two")).unwrap();
        assert_eq!(&*first, b"Hi");
        assert!(Arc::ptr_eq(&first, &again));
    }

    #[test]
    fn a_fragment_is_rendered_once_per_key_and_always_without_one() {
        let views = views("<p>{{ n }}</p>");
        let made = std::cell::Cell::new(0);
        let context = |n: i64| {
            made.set(made.get() + 1);
            json!({ "n": n })
        };
        let first = views.fragment("page", Some((1, 1, 1)), || context(1)).unwrap();
        let again = views.fragment("page", Some((1, 1, 1)), || context(2)).unwrap();
        assert_eq!((&*first, &*again, made.get()), ("<p>1</p>", "<p>1</p>", 1), "kept: no context made");
        let changed = views.fragment("page", Some((1, 2, 1)), || context(3)).unwrap();
        assert_eq!(&*changed, "<p>3</p>", "a new key renders afresh");
        let mine = views.fragment("page", None, || context(4)).unwrap();
        let mine_again = views.fragment("page", None, || context(5)).unwrap();
        assert_eq!((&*mine, &*mine_again), ("<p>4</p>", "<p>5</p>"), "without a key: never kept");
    }

    #[test]
    fn a_keyed_fragment_makes_the_page_by_its_key_and_its_page_changes_with_it() {
        let views = views("<h1>{{ title }}</h1>{{ part | safe }}");
        let page = |key, html: &str| {
            let slot = Slot { name: "part", key: Some(key), html: Arc::from(html) };
            views.render_with("page", reader("Hi"), Some(slot)).unwrap().html.clone()
        };
        let first = page((1, 1, 1), "<p>one</p>");
        assert_eq!(&*first, b"<h1>Hi</h1><p>one</p>");
        assert!(Arc::ptr_eq(&first, &page((1, 1, 1), "<p>one</p>")), "same key, same page");
        assert_eq!(&*page((1, 2, 1), "<p>two</p>"), b"<h1>Hi</h1><p>two</p>", "a new key, a new page");
        let unkeyed = |html: &str| {
            let slot = Slot { name: "part", key: None, html: Arc::from(html) };
            views.render_with("page", reader("Hi"), Some(slot)).unwrap().html.clone()
        };
        assert_eq!(&*unkeyed("<p>a</p>"), b"<h1>Hi</h1><p>a</p>");
        assert_eq!(&*unkeyed("<p>b</p>"), b"<h1>Hi</h1><p>b</p>", "without a key, by its bytes");
    }

    #[test]
    fn reloaded_templates_render_afresh() {
        let views = views("old {{ title }}");
        assert_eq!(&*views.render("page", reader("x")).unwrap(), b"old x");
        let mut tera = Tera::default();
        tera.add_raw_template("page", "new {{ title }}").unwrap();
        views.use_templates(&tera);
        assert_eq!(&*views.render("page", reader("x")).unwrap(), b"new x");
    }
}
