//! Settings: `config/Rocket.toml` per profile, overridden by `ROCKET_<KEY>` variables, and
//! `DATABASE_URL` over `database_url`.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use rocket::data::ByteUnit;
use rocket::fairing::AdHoc;
use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
use serde::Deserialize;

/// Gazette's own settings, read once at start-up and handed to handlers as `&State<AppConfig>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AppConfig {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The address readers use, for links in mail and the `Secure` cookie flag.
    pub public_url: String,
    /// Where the generated secret key and the default SQLite file live.
    pub data_dir: PathBuf,
    /// Uploaded media (avatars, post images) go under this folder.
    pub media_dir: PathBuf,
    /// The stylesheet, images and default avatar.
    pub static_dir: PathBuf,
    /// Posts on one page of a listing.
    pub posts_per_page: u64,
    /// Which comments wait for approval: `first` (a writer's, until one of theirs has been
    /// approved), `all` or `none`.
    pub comment_moderation: domain::comment::Moderation,
    /// bcrypt work factor.
    pub bcrypt_cost: u32,
    /// Largest avatar upload accepted.
    pub avatar_max_bytes: ByteUnit,
    /// Largest post image upload accepted.
    pub image_max_bytes: ByteUnit,
    /// Most bytes one author's post images may take together.
    pub image_quota_bytes: ByteUnit,
    /// `smtp`, `file` (one `.eml` per message under `mail_file_dir`) or `log`.
    pub mail_transport: String,
    /// The SMTP server, in lettre's URL forms (`smtp://host:2525`, `smtps://host:465`, ...).
    pub smtp_url: Option<String>,
    /// The sender of Gazette's mail.
    pub mail_from: String,
    /// Where the `file` transport writes.
    pub mail_file_dir: PathBuf,
    /// Delivery attempts before a message is given up on.
    pub mail_max_attempts: u32,
    /// Wait after the first failed attempt, doubled after each further one (at most an hour).
    pub mail_retry_base_ms: u64,
    /// The longest one SMTP delivery may take (connecting, TLS and every command), in
    /// milliseconds; one that takes longer counts as a failed attempt. At most 120 000.
    pub mail_timeout_ms: u64,
    /// How long a password-reset link works, in seconds.
    pub reset_token_ttl: u64,
    /// How long an API token works, in seconds.
    pub auth_token_ttl: u64,
    /// Answer `POST /auth/reset_password` with the reset token itself instead of mailing it
    /// (for testing clients locally; never in production).
    pub api_expose_reset_token: bool,
    /// Serve the `/auth` services. `POST /auth/reset_password` says whether an email has an
    /// account (its specification asks for that), so a site that does not need `/auth` can turn
    /// it off.
    pub auth_api: bool,
    /// Deliver mail in the background. Off, mail waits in the outbox (tests deliver it
    /// themselves).
    pub mail_worker: bool,
    /// How long a reader's page or a program's answer is replayed to the same visitor while
    /// nothing changes on this server, in milliseconds (see `crate::replay`); another server of
    /// the same site shows this one's changes after at most this long. 0 keeps none.
    pub page_memory_ms: u64,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/gazette.db".into(),
            public_url: "http://127.0.0.1:8000".into(),
            data_dir: "data".into(),
            media_dir: "data/media".into(),
            static_dir: "static".into(),
            posts_per_page: 5,
            comment_moderation: domain::comment::Moderation::First,
            bcrypt_cost: 12,
            avatar_max_bytes: ByteUnit::Mebibyte(5),
            image_max_bytes: ByteUnit::Mebibyte(10),
            image_quota_bytes: ByteUnit::Mebibyte(500),
            mail_transport: "file".into(),
            smtp_url: None,
            mail_from: app::outbox::DEFAULT_FROM.into(),
            mail_file_dir: "data/outbox-files".into(),
            mail_max_attempts: 10,
            mail_retry_base_ms: 30_000,
            mail_timeout_ms: 30_000,
            reset_token_ttl: 1800,
            auth_token_ttl: 3600,
            api_expose_reset_token: false,
            auth_api: true,
            mail_worker: true,
            page_memory_ms: 1000,
        }
    }
}

impl AppConfig {
    /// Whether the site is served over HTTPS, so cookies may only travel that way.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The folder holding avatar files.
    pub fn avatar_dir(&self) -> PathBuf {
        self.media_dir.join("avatars")
    }

    /// The folder holding post images.
    pub fn image_dir(&self) -> PathBuf {
        self.media_dir.join("images")
    }

    /// The largest upload of any kind: Rocket reads no more of one file (each upload's own
    /// limit is checked by its handler).
    pub fn upload_limit(&self) -> ByteUnit {
        self.avatar_max_bytes.max(self.image_max_bytes)
    }

    /// What the use cases need of these settings; mail templates under `template_dir/mail`.
    pub fn app_settings(&self, template_dir: &Path) -> app::Settings {
        app::Settings {
            database_url: self.database_url.clone(),
            public_url: self.public_url.clone(),
            avatar_dir: self.avatar_dir(),
            image_dir: self.image_dir(),
            image_max_bytes: self.image_max_bytes.as_u64(),
            image_quota_bytes: self.image_quota_bytes.as_u64(),
            posts_per_page: self.posts_per_page,
            comment_moderation: self.comment_moderation,
            bcrypt_cost: self.bcrypt_cost,
            reset_token_ttl: self.reset_token_ttl,
            auth_token_ttl: self.auth_token_ttl,
            mail: app::outbox::MailSettings {
                transport: self.mail_transport.clone(),
                smtp_url: self.smtp_url.clone(),
                from: self.mail_from.clone(),
                file_dir: self.mail_file_dir.clone(),
                template_dir: template_dir.join("mail"),
                max_attempts: self.mail_max_attempts,
                retry_base: std::time::Duration::from_millis(self.mail_retry_base_ms),
                timeout: std::time::Duration::from_millis(self.mail_timeout_ms),
                worker: self.mail_worker,
            },
            clock: app::Clock::default(),
        }
    }
}

/// Where settings come from: Rocket's defaults, `config/Rocket.toml` (or the file named by
/// `ROCKET_CONFIG`) for the selected profile, `ROCKET_*` variables, then `DATABASE_URL`.
pub fn figment() -> Figment {
    let profile = Profile::from_env_or("ROCKET_PROFILE", rocket::Config::DEFAULT_PROFILE);
    let mut figment = Figment::from(rocket::Config::default())
        .merge(Serialized::defaults(Defaults::default()))
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "config/Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global());
    if let Some(url) = Env::var("DATABASE_URL").filter(|u| !u.is_empty()) {
        figment = figment.merge(("database_url", url));
    }
    figment.select(profile)
}

#[derive(serde::Serialize)]
struct Defaults {
    template_dir: &'static str,
}

impl Default for Defaults {
    fn default() -> Self {
        Self { template_dir: "templates" }
    }
}

/// Reads the settings, supplies a secret key when none is configured, sets the upload limits
/// (`limits.file`, `limits.data-form`) from the upload limits, and opens the [`app::App`]
/// (database, password pool, outbox), whose background work runs from lift-off to shutdown.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Settings", |rocket| async move {
        let config: AppConfig = match rocket.figment().extract() {
            Ok(config) => config,
            Err(e) => {
                rocket::config::pretty_print_error(e);
                return Err(rocket);
            }
        };
        if !(domain::PasswordHasher::MIN_COST..=domain::PasswordHasher::MAX_COST).contains(&config.bcrypt_cost) {
            log::error!("bcrypt_cost must be between 4 and 31");
            return Err(rocket);
        }
        let mut figment = rocket.figment().clone();
        // Rocket's own defaults carry an all-zero key, which means "none configured".
        let configured = figment.extract_inner::<rocket::config::SecretKey>("secret_key").is_ok_and(|k| !k.is_zero());
        let material = if configured {
            figment.find_value("secret_key").ok().and_then(|v| serde_json::to_string(&v).ok()).unwrap_or_default()
        } else {
            match stored_secret_key(&config.data_dir) {
                Ok(key) => {
                    figment = figment.merge(("secret_key", key.clone()));
                    key
                }
                Err(e) => {
                    log::error!("cannot keep a secret key under {}: {e}", config.data_dir.display());
                    return Err(rocket);
                }
            }
        };
        // Uploads are bounded by the larger of `avatar_max_bytes` and `image_max_bytes`: a
        // multipart form carries the file plus a few small fields. Rocket stops reading past
        // these, before any image work is done; each handler checks its own upload's limit.
        let upload = config.upload_limit();
        figment = figment.merge(("limits.file", upload)).merge(("limits.data-form", upload + ByteUnit::Kibibyte(64)));
        let template_dir =
            figment.extract_inner::<PathBuf>("template_dir").unwrap_or_else(|_| PathBuf::from("templates"));
        let app = match app::App::open(config.app_settings(&template_dir), &material).await {
            Ok(app) => app,
            Err(e) => {
                log::error!("{e}");
                return Err(rocket);
            }
        };
        log::info!("mail goes to {}", app.mail_destination());
        Ok(rocket
            .configure(figment)
            .manage(config)
            .manage(app)
            .attach(AdHoc::on_liftoff("Background work", |rocket| {
                Box::pin(async move {
                    if let Some(app) = rocket.state::<app::App>() {
                        app.start_background_work();
                    }
                })
            }))
            .attach(AdHoc::on_shutdown("Background work stop", |rocket| {
                Box::pin(async move {
                    if let Some(app) = rocket.state::<app::App>() {
                        app.shut_down().await;
                    }
                })
            })))
    })
}

/// The secret key kept in `data_dir/secret_key` (mode 0600), made on first use.
fn stored_secret_key(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join("secret_key");
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 64];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let key = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes())?;
            file.sync_all()?;
            log::info!("generated a secret key in {}", path.display());
            Ok(key)
        }
        // Another instance made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_owned())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_key_is_made_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = stored_secret_key(dir.path()).unwrap();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&first).unwrap().len(), 64);
        assert_eq!(stored_secret_key(dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret_key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
