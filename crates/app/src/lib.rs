//! Gazette's use cases, one function each, for every front door alike: the HTML site, the
//! `/auth` services and the RealWorld `/api` parse their requests, call a function here and shape
//! its answer (or its [`AppError`]) their own way. This is the only code that opens transactions;
//! it knows nothing of HTTP.
//!
//! [`App`] is made once at start-up ([`App::open`]) and holds what the use cases share: the
//! database, the password pool, the signing keys, the outbox and the settings.

#![warn(missing_docs)]

pub mod accounts;
pub mod avatars;
pub mod comments;
mod error;
mod files;
pub mod images;
pub mod maintenance;
pub mod markdown;
pub mod outbox;
mod passwords;
pub mod posts;
pub mod search;
pub mod seed;
pub mod sitemap;
pub mod social;
mod throttle;
pub mod tokens;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::{AppError, AppResult, Unauthenticated};
pub use persistence::users::User;

use crate::outbox::Outbox;
use crate::passwords::Passwords;
use crate::tokens::SigningKeys;

/// What the use cases need to know about the site, read once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The address readers use, for links in mail.
    pub public_url: String,
    /// Where avatar files are written.
    pub avatar_dir: PathBuf,
    /// Where post images are written.
    pub image_dir: PathBuf,
    /// Largest image upload taken, in bytes.
    pub image_max_bytes: u64,
    /// Most bytes one author's images may take together.
    pub image_quota_bytes: u64,
    /// Posts on one page of a site listing.
    pub posts_per_page: u64,
    /// Which comments wait for approval.
    pub comment_moderation: domain::comment::Moderation,
    /// bcrypt work factor.
    pub bcrypt_cost: u32,
    /// How long a password-reset link works, in seconds.
    pub reset_token_ttl: u64,
    /// How long an API token works, in seconds.
    pub auth_token_ttl: u64,
    /// How mail leaves.
    pub mail: outbox::MailSettings,
    /// Where the time comes from.
    pub clock: Clock,
}

/// Where the use cases read the time (tokens and sessions): the system's clock, which tests move
/// on instead of waiting.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Now, by this clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let ahead = self.ahead_ms.load(std::sync::atomic::Ordering::Relaxed);
        chrono::Utc::now() + chrono::Duration::milliseconds(ahead)
    }

    /// Moves this clock on by `by` (and every clone of it).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.ahead_ms.fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Write transactions one process runs at once on PostgreSQL: under half its pool.
const WRITERS_AT_ONCE: usize = 2;

/// A transaction that writes, holding one of this process's turns to write until it ends.
struct Writing<'a> {
    txn: persistence::DatabaseTransaction,
    _turn: tokio::sync::SemaphorePermit<'a>,
}

impl Writing<'_> {
    async fn commit(self) -> Result<(), persistence::DbErr> {
        self.txn.commit().await
    }
}

impl std::ops::Deref for Writing<'_> {
    type Target = persistence::DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

/// The application: cheap to clone, every clone the same one.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    db: persistence::DatabaseConnection,
    passwords: Passwords,
    keys: SigningKeys,
    outbox: Outbox,
    settings: Settings,
    /// How many posts the home listing last saw, to guess which end a deep page is nearer.
    listing_hint: std::sync::atomic::AtomicU64,
    /// Pages of comments as visitors see them, under their post's comments version.
    comment_pages: comments::PageCache,
    /// See [`App::data_version`].
    changes: persistence::changes::Changes,
    /// Writers' turns, see [`App::begin_write`].
    write_turns: tokio::sync::Semaphore,
    /// New posts waiting to be written together (`posts::together`).
    waiting_posts: posts::together::Queue,
    /// Where searches run (`persistence::search::Searcher`).
    searcher: persistence::search::Searcher,
    /// Where listings are read on SQLite (`persistence::in_place`).
    in_place: persistence::in_place::InPlace,
}

impl App {
    /// Connects to the database and migrates it, starts the password pool and readies the mail
    /// transport and templates. `secret` is the material every signing key is derived from.
    /// Nothing runs in the background until [`App::start_background_work`].
    pub async fn open(settings: Settings, secret: &str) -> AppResult<Self> {
        let db = persistence::connect(&settings.database_url)
            .await
            .map_err(|e| AppError::internal(format!("cannot open the database: {e}")))?;
        persistence::migrate(&db).await.map_err(|e| AppError::internal(format!("cannot migrate the database: {e}")))?;
        let passwords = Passwords::new(settings.bcrypt_cost).await?;
        let outbox = Outbox::new(&settings.mail)?;
        let keys = SigningKeys::derive(secret);
        let comment_pages = comments::PageCache::new();
        let changes = persistence::changes::Changes::open(&db, &settings.database_url)
            .await
            .map_err(|e| AppError::internal(format!("cannot watch the database: {e}")))?;
        let searcher = persistence::search::Searcher::open(&db, &settings.database_url)
            .await
            .map_err(|e| AppError::internal(format!("cannot open the database: {e}")))?;
        let write_turns =
            tokio::sync::Semaphore::new(if db.get_database_backend() == persistence::DatabaseBackend::Sqlite {
                1
            } else {
                WRITERS_AT_ONCE
            });
        let in_place = persistence::in_place::InPlace::open(&settings.database_url);
        let inner = Inner {
            db,
            passwords,
            keys,
            outbox,
            settings,
            listing_hint: Default::default(),
            comment_pages,
            changes,
            write_turns,
            waiting_posts: Default::default(),
            searcher,
            in_place,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Starts the outbox worker (unless `mail.worker` is off), the hourly purge and the
    /// per-minute publishing of scheduled posts.
    pub fn start_background_work(&self) {
        if self.inner.settings.mail.worker {
            self.inner.outbox.start(self.clone());
        }
        tokio::spawn(maintenance::purge_every_hour(self.clone()));
        tokio::spawn(maintenance::publish_every_minute(self.clone()));
        tokio::spawn(maintenance::render_unrendered(self.clone()));
    }

    /// Stops the background work: the outbox worker finishes the message it is sending.
    pub async fn shut_down(&self) {
        self.inner.outbox.shut_down().await;
    }

    /// Whether the database answers within `within`.
    pub async fn database_answers(&self, within: Duration) -> AppResult<()> {
        match tokio::time::timeout(within, self.inner.db.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(AppError::internal(format!("the database does not answer: {e}"))),
            Err(_) => Err(AppError::internal(format!("the database took over {within:?} to answer"))),
        }
    }

    /// Closes the database pool: every use of the database fails from then on (what the health
    /// check reports when the database goes away).
    pub async fn close_database(&self) -> AppResult<()> {
        Ok(self.inner.db.close_by_ref().await?)
    }

    /// Where searches run.
    pub(crate) fn searcher(&self) -> &persistence::search::Searcher {
        &self.inner.searcher
    }

    /// The clock the use cases read.
    pub fn clock(&self) -> &Clock {
        &self.inner.settings.clock
    }

    /// A number that moves on whenever a change to the database is committed, by this process or
    /// any other: whatever was read under one number may be out of date under the next; under
    /// the same number, nothing has changed (see `persistence::changes`).
    pub async fn data_version(&self) -> AppResult<u64> {
        Ok(self.inner.changes.version(self.db()).await?)
    }

    /// The settings it was opened with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Where mail goes, for the start-up announcement.
    pub fn mail_destination(&self) -> String {
        self.inner.outbox.describe()
    }

    fn db(&self) -> &persistence::DatabaseConnection {
        &self.inner.db
    }

    /// Starts a transaction that is going to write ([`persistence::begin_write`]), once one of
    /// this process's turns to write is free: one on SQLite, which lets one writer in at a time
    /// (waiting inside SQLite instead, each writer held one of the pool's connections, which
    /// readers then waited for, and polled the lock with sleeps of up to 100 ms);
    /// [`WRITERS_AT_ONCE`] on PostgreSQL, so that writers never take every connection of the
    /// pool from readers.
    async fn begin_write(&self) -> AppResult<Writing<'_>> {
        let turn = self.write_turn().await?;
        let txn = persistence::begin_write(self.db()).await?;
        Ok(Writing { txn, _turn: turn })
    }

    /// One of this process's turns to write ([`App::begin_write`]), held until dropped.
    async fn write_turn(&self) -> AppResult<tokio::sync::SemaphorePermit<'_>> {
        self.inner.write_turns.acquire().await.map_err(|e| AppError::internal(format!("write turns: {e}")))
    }

    fn waiting_posts(&self) -> &posts::together::Queue {
        &self.inner.waiting_posts
    }

    fn passwords(&self) -> &Passwords {
        &self.inner.passwords
    }

    fn keys(&self) -> &SigningKeys {
        &self.inner.keys
    }

    fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    fn comment_pages(&self) -> &comments::PageCache {
        &self.inner.comment_pages
    }
}
