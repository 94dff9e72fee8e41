//! Helpers for Gazette's whole-application tests: a fresh application on a fresh database per
//! test, and simulated browsers (each with its own cookies) that fill in forms as people do.
// Test scaffolding: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
pub mod smtp;

pub use browser::{Browser, Page, Upload};

use std::collections::BTreeMap;
use std::path::PathBuf;

use rocket::figment::Figment;
use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::http::Status;
use rocket::local::asynchronous::Client;
pub use sea_orm::DatabaseConnection;

/// The project's root folder (templates, static files, config).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The address pages link a static file by (`css/main.css` → `/static/css/main.<hash>.css`): the
/// first 16 hex digits of the SHA-256 of its bytes, before its extension.
pub fn static_url(path: &str) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(root().join("static").join(path)).unwrap();
    let hash: String = sha2::Sha256::digest(&bytes).iter().take(8).map(|b| format!("{b:02x}")).collect();
    let (stem, ext) = path.rsplit_once('.').unwrap();
    format!("/static/{stem}.{hash}.{ext}")
}

/// Settings a test may change before the application starts.
#[derive(Debug, Clone)]
pub struct Settings {
    pub posts_per_page: u64,
    /// `first`, `all` or `none`.
    pub comment_moderation: &'static str,
    pub avatar_max_bytes: u64,
    pub image_max_bytes: u64,
    pub image_quota_bytes: u64,
    pub public_url: String,
    /// Leave `secret_key` unset, as on a fresh machine.
    pub no_secret_key: bool,
    /// Deliver mail to this SMTP server (else to files in the test's data folder).
    pub smtp_url: Option<String>,
    /// How long a reset link works, in seconds.
    pub reset_token_ttl: u64,
    /// Delivery attempts before a message is given up on.
    pub mail_max_attempts: u32,
    /// The longest one delivery attempt may take, in milliseconds.
    pub mail_timeout_ms: u64,
    /// How long an API token works, in seconds.
    pub auth_token_ttl: u64,
    /// Answer reset requests on the API with the token itself.
    pub api_expose_reset_token: bool,
    /// Serve the `/auth` services.
    pub auth_api: bool,
    /// Deliver mail in the background. Off (the default), mail waits until the test delivers it
    /// with [`TestApp::deliver_mail`], and a failed attempt may be tried again at once.
    pub mail_worker: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            posts_per_page: 5,
            comment_moderation: "first",
            avatar_max_bytes: 5 * 1024 * 1024,
            image_max_bytes: 10 * 1024 * 1024,
            image_quota_bytes: 500 * 1024 * 1024,
            public_url: "http://127.0.0.1:8000".into(),
            no_secret_key: false,
            smtp_url: None,
            reset_token_ttl: 1800,
            mail_max_attempts: 10,
            mail_timeout_ms: 5_000,
            auth_token_ttl: 3600,
            api_expose_reset_token: false,
            auth_api: true,
            mail_worker: false,
        }
    }
}

/// A running application on its own database, in process.
pub struct TestApp {
    pub client: Client,
    /// A connection of the test's own, to look at what was stored.
    pub db: DatabaseConnection,
    pub media_dir: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// What the application was started with, for another instance of it.
    figment: Figment,
    _data: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::with(Settings::default()).await
    }

    pub async fn with(settings: Settings) -> Self {
        let data = tempfile::tempdir().unwrap();
        let (database_url, pg) = match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let pg = PgDatabase::create(&admin_url).await;
                (pg.url.clone(), Some(pg))
            }
            None => (format!("sqlite://{}/gazette.db", data.path().display()), None),
        };
        let media_dir = data.path().join("media");
        let secret: [u8; 64] = rand_bytes();
        let mut figment = Figment::from(rocket::Config::debug_default())
            .merge(Toml::file(root().join("config/Rocket.toml")).nested())
            .select("debug");
        if !settings.no_secret_key {
            figment = figment.merge(Serialized::global("secret_key", secret.to_vec()));
        }
        let figment = figment
            .merge(Serialized::global("log_level", "off"))
            .merge(Serialized::global("template_dir", root().join("templates")))
            .merge(Serialized::global("static_dir", root().join("static")))
            .merge(Serialized::global("data_dir", data.path()))
            .merge(Serialized::global("media_dir", &media_dir))
            .merge(Serialized::global("mail_file_dir", data.path().join("outbox-files")))
            .merge(Serialized::global("database_url", &database_url))
            .merge(Serialized::global("bcrypt_cost", 4))
            .merge(Serialized::global("posts_per_page", settings.posts_per_page))
            .merge(Serialized::global("comment_moderation", settings.comment_moderation))
            .merge(Serialized::global("avatar_max_bytes", settings.avatar_max_bytes))
            .merge(Serialized::global("image_max_bytes", settings.image_max_bytes))
            .merge(Serialized::global("image_quota_bytes", settings.image_quota_bytes))
            .merge(Serialized::global("public_url", settings.public_url))
            .merge(Serialized::global("reset_token_ttl", settings.reset_token_ttl))
            .merge(Serialized::global("mail_retry_base_ms", if settings.mail_worker { 100 } else { 0 }))
            .merge(Serialized::global("mail_max_attempts", settings.mail_max_attempts))
            .merge(Serialized::global("mail_timeout_ms", settings.mail_timeout_ms))
            .merge(Serialized::global("auth_token_ttl", settings.auth_token_ttl))
            .merge(Serialized::global("api_expose_reset_token", settings.api_expose_reset_token))
            .merge(Serialized::global("auth_api", settings.auth_api))
            .merge(Serialized::global("mail_worker", settings.mail_worker))
            .merge(Serialized::global("mail_transport", if settings.smtp_url.is_some() { "smtp" } else { "file" }))
            .merge(Serialized::global("smtp_url", settings.smtp_url.unwrap_or_default()));
        let client = Client::untracked(web::build(figment.clone())).await.expect("the application starts");
        let db = persistence::connect(&database_url).await.unwrap();
        Self {
            client,
            db,
            media_dir,
            data_dir: data.path().to_owned(),
            database_url,
            figment,
            _data: Some(data),
            _pg: pg,
        }
    }

    /// Another instance of the same site, as a second server behind a load balancer would be:
    /// the same database, secret key, settings and media folder, but its own process state
    /// (pools, workers). Drop it before the first.
    pub async fn twin(&self) -> TestApp {
        let client = Client::untracked(web::build(self.figment.clone())).await.expect("the second instance starts");
        let db = persistence::connect(&self.database_url).await.unwrap();
        TestApp {
            client,
            db,
            media_dir: self.media_dir.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            figment: self.figment.clone(),
            _data: None,
            _pg: None,
        }
    }

    /// The application's use cases, as the doors call them.
    pub fn app(&self) -> &app::App {
        self.client.rocket().state::<app::App>().expect("the application is managed")
    }

    /// Delivers the mail that is due now, as the outbox worker would; returns how many the mail
    /// server accepted.
    pub async fn deliver_mail(&self) -> usize {
        app::outbox::deliver_due(self.app()).await
    }

    /// A new browser with no cookies.
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: BTreeMap::new(),
            csrf: None,
            user_id: None,
            username: String::new(),
            remote: None,
        }
    }

    /// A browser whose user registered as `username` (email `<username>@example.com`, password
    /// `password123`) and is logged in.
    pub async fn signed_up(&self, username: &str) -> Browser<'_> {
        let mut b = self.browser();
        let email = format!("{username}@example.com");
        let r = b
            .post_form(
                "/register",
                &[("username", username), ("email", &email), ("password", PASSWORD), ("confirm_password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, Status::SeeOther, "registering {username}: {}", r.body);
        let r = b.post_form("/login", &[("email", &email), ("password", PASSWORD)]).await;
        assert_eq!(r.location.as_deref(), Some("/"), "logging in {username}");
        b.user_id = Some(self.user(username).await.unwrap().id);
        b.username = username.into();
        b
    }

    pub async fn user(&self, username: &str) -> Option<persistence::users::User> {
        persistence::users::find_by_username(&self.db, username).await.unwrap()
    }

    pub async fn post(&self, id: i64) -> Option<persistence::posts::PostWithAuthor> {
        persistence::posts::find_by_id(&self.db, id).await.unwrap()
    }

    /// Every stored comment on post `post` (held ones too), oldest first, as `(body, state)`.
    pub async fn stored_comments(&self, post: i64) -> Vec<(String, String)> {
        use sea_orm::ConnectionTrait;
        let backend = self.db.get_database_backend();
        let sql = "SELECT body, state FROM comments WHERE post_id = $1 ORDER BY created_at, id";
        let statement = sea_orm::Statement::from_sql_and_values(backend, sql, [post.into()]);
        let rows = self.db.query_all_raw(statement).await.unwrap();
        rows.iter().map(|r| (r.try_get("", "body").unwrap(), r.try_get("", "state").unwrap())).collect()
    }

    pub async fn post_count(&self) -> u64 {
        persistence::posts::count(&self.db, None).await.unwrap()
    }

    pub async fn session_count(&self, user_id: i64) -> u64 {
        persistence::sessions::count_for_user(&self.db, user_id, chrono_now()).await.unwrap()
    }

    /// Session rows of a user, expired ones too (what the hourly purge has left).
    pub async fn session_rows(&self, user_id: i64) -> u64 {
        persistence::sessions::count_for_user(&self.db, user_id, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
            .await
            .unwrap()
    }

    /// Files in the avatar folder.
    pub fn avatar_files(&self) -> Vec<String> {
        let dir = self.media_dir.join("avatars");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The files under the post images folder, sorted.
    pub fn image_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.media_dir.join("images"))
            .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The bytes of a stored post image.
    pub fn image_file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.media_dir.join("images").join(name)).unwrap_or_default()
    }

    /// Stores `count` posts by `user_id` straight in the database, oldest first, one minute apart.
    pub async fn seed_posts(&self, user_id: i64, count: u64) {
        let now = chrono_now();
        let posts = (0..count)
            .map(|k| {
                let body = format!("Body of post {}", k + 1);
                let rendered = persistence::posts::Rendered {
                    format: "markdown".into(),
                    html: Some(format!("<p>{body}</p>\n")),
                    excerpt: body.clone(),
                    words: 4,
                };
                persistence::posts::NewPost {
                    user_id,
                    title: domain::Title::parse(&format!("Post {}", k + 1)).unwrap(),
                    content: domain::Content::parse(&body).unwrap(),
                    description: String::new(),
                    rendered,
                    publication: (domain::PostState::Published, now - std::time::Duration::from_secs(60 * (count - k))),
                }
            })
            .collect();
        persistence::posts::insert_many(&self.db, posts).await.unwrap();
    }
}

pub const PASSWORD: &str = "password123";

impl TestApp {
    /// The outbox, oldest message first.
    pub async fn outbox(&self) -> Vec<persistence::outbox::Message> {
        persistence::outbox::list_all(&self.db).await.unwrap()
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut out);
    out
}

/// Encodes a picture of `w`x`h` pixels in `format`.
pub fn picture(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A uniquely named PostgreSQL database for one test, dropped afterwards.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// A decompression bomb: a PNG that declares `w`x`h` RGBA pixels (all transparent) in a few
/// hundred kilobytes.
pub fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    let row = vec![0u8; w as usize * 4];
    for _ in 0..h {
        stream.write_all(&row).unwrap();
    }
    stream.finish().unwrap();
    writer.finish().unwrap();
    out
}

impl PgDatabase {
    async fn create(admin_url: &str) -> Self {
        use sea_orm::ConnectionTrait;
        let name = format!("gazette_test_{}", hex(&rand_bytes::<8>()));
        let admin = sea_orm::Database::connect(admin_url).await.expect("PostgreSQL reachable at TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
        Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime; the clean-up needs one of its own.
        let _ = std::thread::spawn(move || {
            let rt = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads an image from bytes.
pub fn decode(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).unwrap()
}
