//! Answers replayed: a reader who asks again for a page (or a program for an API answer) it was
//! given a moment ago, while nothing has changed, gets the same answer again without its queries
//! or its rendering.
//!
//! Only the routes that read and never write are mounted through [`remember`]. An answer is kept
//! under everything in the request its handler may read: the address with its query, every
//! cookie (the session's names the visitor), `Authorization`, `Accept`, `Accept-Language` and
//! the conditional headers. Another visitor, another token or another cookie is another answer: one
//! visitor's page is never another's. Answers that set a cookie (a form token made, a flash
//! shown) or are neither 200 nor 304 are not kept.
//!
//! Visitors who ask at once for an answer not kept (every page view just after a change) wait for
//! the first of them to make it, then share it, instead of each making it again at the same time
//! ([`Flights`]).
//!
//! A kept answer is replayed only while the database has taken no change since it was made
//! ([`App::data_version`], asked at every request: a change committed by this server, another
//! server of the same site or the command line ends every kept answer at once), and for at most
//! `page_memory_ms` by the app's clock, for what ends with time alone (a session, a token).

use std::hash::Hash;
use std::sync::Arc;

use app::App;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method, Status};
use rocket::route::{Handler, Outcome, Route};
use rocket::{Build, Data, Request, Response, Rocket};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::compression::{self, Shared, Uncompressed};
use crate::config::AppConfig;

/// Bytes of answers kept at most (the least used go first).
const KEPT_BYTES: u64 = 4 * 1024 * 1024;
/// An answer larger than this is not kept (a sitemap part).
const ANSWER_MAX: usize = 256 * 1024;

/// The request headers a handler may read, besides the address and the cookies.
const VARY: &[&str] = &["Authorization", "Accept", "Accept-Language", "If-None-Match", "If-Modified-Since"];

/// The kept answers; managed state.
pub struct Answers {
    kept: quick_cache::sync::Cache<u128, Arc<Kept>, KeptBytes>,
    /// The answers being made to be kept.
    flights: Flights,
    /// The hash key: chosen at random per process, so that nobody can aim at a collision.
    keys: (u64, u64),
    /// How long an answer is replayed at most, in milliseconds; 0 keeps none.
    memory_ms: i64,
}

struct Kept {
    status: Status,
    headers: Vec<Header<'static>>,
    body: Shared,
    /// Carries a form token (see [`Uncompressed`]), or is no text: goes out as it is.
    uncompressed: bool,
    data_version: u64,
    /// When it was made, in milliseconds by the app's clock.
    made_ms: i64,
}

#[derive(Clone)]
struct KeptBytes;

impl quick_cache::Weighter<u128, Arc<Kept>> for KeptBytes {
    /// Its body, a quarter more for the compressed forms, and its headers.
    fn weight(&self, _: &u128, kept: &Arc<Kept>) -> u64 {
        kept.body.bytes().len() as u64 * 5 / 4 + 64 * kept.headers.len() as u64 + 128
    }
}

/// Set in a request's local cache while its answer is being made to be kept: what it will be
/// kept under, and the headers its handler set (those of the fairings are set again on every
/// replay); none once its route has forwarded the request to another.
struct Recording(std::sync::Mutex<Option<Making>>);

struct Making {
    key: u128,
    data_version: u64,
    headers: Vec<Header<'static>>,
    /// Held while the answer is made and kept: those who asked meanwhile wait until it goes.
    _leading: Option<Leading>,
}

/// The answers being made, by key and data version: one request makes each, and those asking
/// for the same answer under the same version meanwhile wait for it (and then find it kept, or,
/// when it could not be kept, make their own, all at once).
#[derive(Default, Clone)]
struct Flights(Arc<std::sync::Mutex<InFlight>>);

/// Each answer being made: under which data version, and what ends when it is kept.
type InFlight = std::collections::HashMap<u128, (u64, rocket::tokio::sync::watch::Receiver<()>)>;

/// The request making an answer; dropped once it is kept (or could not be).
struct Leading {
    flights: Flights,
    key: u128,
    data_version: u64,
    _done: rocket::tokio::sync::watch::Sender<()>,
}

/// What a request asking for an answer not kept does.
enum Flight {
    /// Makes it.
    Lead(Leading),
    /// Waits for the request making it.
    Follow(rocket::tokio::sync::watch::Receiver<()>),
}

impl Flights {
    fn map(&self) -> std::sync::MutexGuard<'_, InFlight> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Leads the making of `key` under `data_version`, or follows the request already making it.
    fn join(&self, key: u128, data_version: u64) -> Flight {
        let mut map = self.map();
        if let Some((version, done)) = map.get(&key)
            && *version == data_version
        {
            return Flight::Follow(done.clone());
        }
        let (sender, receiver) = rocket::tokio::sync::watch::channel(());
        map.insert(key, (data_version, receiver));
        Flight::Lead(Leading { flights: self.clone(), key, data_version, _done: sender })
    }
}

impl Flight {
    /// For a follower, waits until its leader is done.
    async fn landed(self) {
        if let Flight::Follow(mut done) = self {
            // Only the sender going away ends the wait: the leader never sends.
            while done.changed().await.is_ok() {}
        }
    }
}

impl Drop for Leading {
    fn drop(&mut self) {
        let mut map = self.flights.map();
        // A request under a newer version may lead the same key by now: its flight stays.
        if map.get(&self.key).is_some_and(|(version, _)| *version == self.data_version) {
            map.remove(&self.key);
        }
    }
}

impl Recording {
    fn of<'a>(req: &'a Request<'_>) -> std::sync::MutexGuard<'a, Option<Making>> {
        let recording = req.local_cache(|| Recording(std::sync::Mutex::new(None)));
        recording.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `req`'s answer is being made to be kept: it is then made uncompressed (it is
/// compressed as it is sent, once for every replay).
pub fn recording(req: &Request<'_>) -> bool {
    Recording::of(req).is_some()
}

fn owned(headers: &rocket::http::HeaderMap<'_>) -> Vec<Header<'static>> {
    headers.iter().map(|h| Header::new(h.name.as_str().to_owned(), h.value.into_owned())).collect()
}

impl Answers {
    pub fn new(memory_ms: u64) -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        Answers {
            kept: quick_cache::sync::Cache::with_weighter(1024, KEPT_BYTES, KeptBytes),
            flights: Flights::default(),
            keys: (rng.r#gen(), rng.r#gen()),
            memory_ms: i64::try_from(memory_ms).unwrap_or(i64::MAX),
        }
    }

    fn key(&self, req: &Request<'_>) -> u128 {
        let mut hasher = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        req.uri().path().as_str().hash(&mut hasher);
        req.uri().query().map(|q| q.as_str()).hash(&mut hasher);
        // The cookies as the handlers read them (a client's `Cookie` headers, parsed), in one
        // order whatever order they came in.
        let mut cookies: Vec<(&str, &str)> = req.cookies().iter().map(|c| (c.name(), c.value())).collect();
        cookies.sort_unstable();
        cookies.hash(&mut hasher);
        for name in VARY {
            for value in req.headers().get(name) {
                name.hash(&mut hasher);
                value.hash(&mut hasher);
            }
        }
        hasher.finish128().as_u128()
    }

    fn fresh(&self, key: u128, data_version: u64, app: &App) -> Option<Arc<Kept>> {
        let kept = self.kept.get(&key)?;
        let age = app.clock().now().timestamp_millis() - kept.made_ms;
        (kept.data_version == data_version && (0..self.memory_ms).contains(&age)).then_some(kept)
    }
}

impl Kept {
    /// This answer, for `req`: compressed as the client takes it (but a page with a form token).
    fn replay(&self, req: &Request<'_>) -> Response<'static> {
        let mut answer = Response::build();
        answer.status(self.status);
        for header in &self.headers {
            answer.header_adjoin(header.clone());
        }
        if self.status == Status::NotModified {
            return answer.finalize();
        }
        if self.uncompressed {
            req.local_cache(|| Uncompressed(true));
        }
        let (bytes, encoding) = self.encoded_for(req);
        if let Some(encoding) = encoding {
            answer.header(Header::new("Content-Encoding", encoding.token()));
        }
        let mut response = answer.sized_body(bytes.len(), std::io::Cursor::new(bytes)).finalize();
        if encoding.is_some() {
            compression::weaken_etag(&mut response);
            compression::vary(&mut response);
        }
        response
    }

    /// The body for `req`, in the coding it takes best (as it is, for a page with a form token).
    fn encoded_for(&self, req: &Request<'_>) -> (Arc<[u8]>, Option<compression::Encoding>) {
        if self.uncompressed {
            return (Arc::clone(self.body.bytes()), None);
        }
        self.body.encoded(compression::Encoding::negotiate(req.headers().get_one("Accept-Encoding")))
    }
}

/// A handler whose answers are kept and replayed.
#[derive(Clone)]
struct Replayed(Box<dyn Handler>);

#[rocket::async_trait]
impl Handler for Replayed {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let (Some(answers), Some(app)) = (req.rocket().state::<Answers>(), req.rocket().state::<App>()) else {
            return self.0.handle(req, data).await;
        };
        if req.method() != Method::Get || answers.memory_ms == 0 {
            return self.0.handle(req, data).await;
        }
        // Asked before the handler reads anything: a change committed meanwhile moves it on, and
        // the answer is then out of date as soon as it is kept.
        let version = match app.data_version().await {
            Ok(version) => version,
            Err(e) => {
                log::warn!("could not ask the database for changes: {e}");
                return self.0.handle(req, data).await;
            }
        };
        let key = answers.key(req);
        if let Some(kept) = answers.fresh(key, version, app) {
            return Outcome::Success(kept.replay(req));
        }
        let leading = match answers.flights.join(key, version) {
            Flight::Lead(leading) => Some(leading),
            follow => {
                follow.landed().await;
                if let Some(kept) = answers.fresh(key, version, app) {
                    return Outcome::Success(kept.replay(req));
                }
                // Not kept (it set a cookie, say): each makes its own, none waiting for another.
                None
            }
        };
        *Recording::of(req) = Some(Making { key, data_version: version, headers: Vec::new(), _leading: leading });
        let outcome = self.0.handle(req, data).await;
        let mut making = Recording::of(req);
        match &outcome {
            Outcome::Success(response) => {
                if let Some(making) = making.as_mut() {
                    making.headers = owned(response.headers());
                }
            }
            // Another route answers, and what it answers is its own affair.
            _ => *making = None,
        }
        drop(making);
        outcome
    }
}

/// `routes`, whose GET answers are kept and replayed (see the module's documentation). Only
/// routes that never write belong here.
pub fn remember(routes: Vec<Route>) -> Vec<Route> {
    routes
        .into_iter()
        .map(|mut route| {
            if route.method == Method::Get {
                route.handler = Box::new(Replayed(route.handler));
            }
            route
        })
        .collect()
}

/// Manages [`Answers`] and keeps the answers made to be kept. Attached before the compression
/// fairing, it sees answers before they are compressed.
pub fn stage() -> Stage {
    Stage
}

pub struct Stage;

#[rocket::async_trait]
impl Fairing for Stage {
    fn info(&self) -> Info {
        Info { name: "Replayed answers", kind: Kind::Ignite | Kind::Response }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> rocket::fairing::Result {
        let memory_ms = rocket.state::<AppConfig>().map_or(0, |c| c.page_memory_ms);
        Ok(rocket.manage(Answers::new(memory_ms)))
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, response: &mut Response<'r>) {
        keep(req, response).await
    }
}

async fn keep(req: &Request<'_>, response: &mut Response<'_>) {
    // Dropped at the end, once the answer is kept: those waiting for it then find it.
    let Some(Making { key, data_version, headers, _leading }) = Recording::of(req).take() else { return };
    let (Some(answers), Some(app)) = (req.rocket().state::<Answers>(), req.rocket().state::<App>()) else { return };
    if !matches!(response.status(), Status::Ok | Status::NotModified)
        || response.headers().contains("Set-Cookie")
        || response.headers().contains("Content-Encoding")
        || response.body().preset_size().is_none_or(|size| size > ANSWER_MAX)
    {
        return;
    }
    let bytes = match response.body_mut().to_bytes().await {
        Ok(bytes) => bytes,
        Err(e) => return compression::fail(response, "reading an answer to keep it", &e),
    };
    let kept = Arc::new(Kept {
        status: response.status(),
        headers,
        body: Shared::new(Arc::from(bytes)),
        uncompressed: req.local_cache(|| Uncompressed(false)).0
            || !response.content_type().is_some_and(|t| compression::compressible(&t)),
        data_version,
        made_ms: app.clock().now().timestamp_millis(),
    });
    answers.kept.insert(key, Arc::clone(&kept));
    if kept.status == Status::NotModified {
        return;
    }
    let (bytes, encoding) = kept.encoded_for(req);
    if let Some(encoding) = encoding {
        response.set_header(Header::new("Content-Encoding", encoding.token()));
        compression::weaken_etag(response);
        compression::vary(response);
    }
    response.set_sized_body(bytes.len(), std::io::Cursor::new(bytes));
}

#[cfg(test)]
mod tests {
    use super::{Flight, Flights};

    #[rocket::async_test]
    async fn those_asking_for_an_answer_being_made_wait_for_it_and_a_newer_version_does_not() {
        let flights = Flights::default();
        let Flight::Lead(leader) = flights.join(1, 7) else { panic!("the first asking makes it") };
        let Flight::Follow(_) = flights.join(1, 7) else { panic!("the same answer meanwhile waits") };
        assert!(matches!(flights.join(2, 7), Flight::Lead(_)), "another answer is made at once");
        let Flight::Lead(newer) = flights.join(1, 8) else { panic!("a newer version does not wait for an older") };
        let Flight::Follow(follower) = flights.join(1, 8) else { panic!("but waits for its own") };
        drop(leader);
        assert!(flights.map().contains_key(&1), "the older leader leaves the newer flight alone");
        let waiting = rocket::tokio::spawn(Flight::Follow(follower).landed());
        rocket::tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a follower waits while its leader makes the answer");
        drop(newer);
        waiting.await.unwrap();
        assert!(flights.map().is_empty(), "nothing is left behind");
        assert!(matches!(flights.join(1, 8), Flight::Lead(_)), "the next one asking leads again");
    }
}
