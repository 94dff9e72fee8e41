//! The use cases without HTTP, each on a fresh database: SQLite in a temporary folder, or, with
//! `TEST_DATABASE_URL=postgres://…`, a PostgreSQL database made for the test. The whole-application
//! tests (the workspace's `tests/`) test the doors.

// Helpers of a test binary: a failure here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

extern crate gazette_app as app;

mod accounts;
mod comments;
mod posts;
mod social;

use app::accounts::NewAccount;
use app::{App, Settings, User};
use domain::{Email, Password, Username};
use persistence::ConnectionTrait;

pub const PASSWORD: &str = "password123";

/// A fresh application with its own database and folders; mail goes to `.eml` files and waits
/// for [`app::outbox::deliver_due`].
pub struct Fixture {
    pub app: App,
    pub dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_moderation(domain::comment::Moderation::First).await
    }

    /// A fresh application whose comments wait for approval as `moderation` says.
    pub async fn with_moderation(moderation: domain::comment::Moderation) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, pg) = match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin) => {
                let pg = PgDatabase::create(&admin).await;
                (pg.url.clone(), Some(pg))
            }
            None => (format!("sqlite://{}/gazette.db", dir.path().display()), None),
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let settings = Settings {
            database_url,
            public_url: "http://blog.example".into(),
            avatar_dir: dir.path().join("avatars"),
            image_dir: dir.path().join("images"),
            image_max_bytes: 10 * 1024 * 1024,
            image_quota_bytes: 500 * 1024 * 1024,
            posts_per_page: 5,
            comment_moderation: moderation,
            bcrypt_cost: 4,
            reset_token_ttl: 1800,
            auth_token_ttl: 3600,
            mail: app::outbox::MailSettings {
                transport: "file".into(),
                smtp_url: None,
                from: app::outbox::DEFAULT_FROM.into(),
                file_dir: dir.path().join("mail"),
                template_dir: root.join("templates/mail"),
                max_attempts: 3,
                retry_base: std::time::Duration::from_millis(100),
                timeout: std::time::Duration::from_secs(5),
                worker: false,
            },
            clock: app::Clock::default(),
        };
        let app = App::open(settings, "a secret only this test knows").await.unwrap();
        Self { app, dir, _pg: pg }
    }

    /// Registers `name` (`<name>@example.com`, [`PASSWORD`]).
    pub async fn account(&self, name: &str) -> User {
        app::accounts::register(&self.app, new_account(Some(name), &format!("{name}@example.com"))).await.unwrap()
    }

    /// The `.eml` files the file transport wrote.
    pub fn mails(&self) -> Vec<String> {
        match std::fs::read_dir(self.dir.path().join("mail")) {
            Ok(entries) => entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

pub fn new_account(username: Option<&str>, email: &str) -> NewAccount {
    NewAccount {
        username: username.map(|u| Username::parse(u).unwrap()),
        email: Email::parse(email).unwrap(),
        password: Password::parse(PASSWORD).unwrap(),
        first_name: None,
        last_name: None,
    }
}

/// A PostgreSQL database of the test's own, dropped after it.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("gazette_app_test_{:016x}", rand::random::<u64>());
        let admin = persistence::connect(admin_url).await.expect("PostgreSQL reachable at TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
        Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime; the clean-up needs one of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(admin) = persistence::connect(&admin_url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}
