//! Shared state made at start-up: the database pool (migrated) and the password hasher.

use std::sync::Arc;
use std::time::Duration;

use persistence::DatabaseConnection;
use rocket::fairing::AdHoc;
use rocket::tokio::task::spawn_blocking;

use crate::config::AppConfig;
use crate::error::Error;

/// Hashes and checks passwords on a pool of its own: one thread per core, each at the lowest
/// scheduling priority (`SCHED_IDLE`), so that bcrypt takes the processor time page views leave
/// and a flood of logins queues here instead of starving everyone else. (Measured against nice
/// 19 with `SCHED_BATCH`: page views' p99 under a login flood 1.8x instead of 2.0x its value
/// alone, for 4 instead of 4.5 logins/s while pages take all they can; see BENCHMARKS.md.)
#[derive(Clone)]
pub struct Passwords {
    hasher: Arc<domain::PasswordHasher>,
    pool: Arc<rayon::ThreadPool>,
    /// A hash of nothing anyone knows: checked against when an email is unknown, so that a
    /// failed login takes as long whether or not the account exists.
    dummy_hash: Arc<str>,
}

/// Lowers the calling thread's priority; a failure only costs page views some speed.
fn lowest_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    let policy = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, policy) {
        log::warn!("could not lower the priority of a password thread: {e:?}");
    }
}

impl Passwords {
    async fn new(cost: u32) -> Result<Self, String> {
        let hasher = domain::PasswordHasher::new(cost).map_err(|e| e.to_string())?;
        let for_dummy = hasher.clone();
        let dummy_hash = spawn_blocking(move || {
            let secret =
                domain::Password::parse(&format!("{:x}", rand::random::<u128>())).map_err(|e| e.to_string())?;
            for_dummy.hash(&secret).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())??;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("passwords-{i}"))
            .start_handler(|_| lowest_priority())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { hasher: Arc::new(hasher), dummy_hash: dummy_hash.into(), pool: Arc::new(pool) })
    }

    /// Runs bcrypt work on the password pool. Work whose request has gone away (the client
    /// disconnected while it waited) is skipped.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&domain::PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (answer, answered) = rocket::tokio::sync::oneshot::channel();
        let hasher = self.hasher.clone();
        self.pool.spawn(move || {
            if !answer.is_closed() {
                let _ = answer.send(work(&hasher));
            }
        });
        answered.await.map_err(|_| Error::Internal("the password pool stopped".into()))
    }

    /// Hashes a password that met the policy.
    pub async fn hash(&self, password: domain::Password) -> Result<String, Error> {
        self.run(move |hasher| hasher.hash(&password)).await?.map_err(|e| Error::Internal(e.to_string()))
    }

    /// Whether `candidate` matches `hash`; with no hash (unknown account) it checks against the
    /// dummy hash, taking the same time, and answers no.
    pub async fn verify(&self, candidate: String, hash: Option<String>) -> Result<bool, Error> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self.run(move |hasher| hasher.verify(&candidate, &hash)).await?;
        Ok(known && matches)
    }
}

/// Connects to the database, applies pending migrations, and keeps old rows purged.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Database", |rocket| async move {
        let Some(config) = rocket.state::<AppConfig>().cloned() else { return Err(rocket) };
        let db = match persistence::connect(&config.database_url).await {
            Ok(db) => db,
            Err(e) => {
                log::error!("cannot open the database: {e}");
                return Err(rocket);
            }
        };
        if let Err(e) = persistence::migrate(&db).await {
            log::error!("cannot migrate the database: {e}");
            return Err(rocket);
        }
        let passwords = match Passwords::new(config.bcrypt_cost).await {
            Ok(p) => p,
            Err(e) => {
                log::error!("password hashing: {e}");
                return Err(rocket);
            }
        };
        Ok(rocket.manage(db).manage(passwords).attach(AdHoc::on_liftoff("Purge", |rocket| {
            Box::pin(async move {
                if let (Some(db), Some(config)) =
                    (rocket.state::<DatabaseConnection>().cloned(), rocket.state::<AppConfig>())
                {
                    rocket::tokio::spawn(purge(db, config.avatar_dir()));
                }
            })
        })))
    })
}

/// How old an unused avatar file must be before the sweep deletes it.
const AVATAR_GRACE: Duration = Duration::from_secs(3600);

/// At start-up and then every hour: forgets expired sessions, throttling counts older than a day
/// and revocations of tokens that have expired anyway, and deletes avatar files a crash left
/// without an account.
async fn purge(db: DatabaseConnection, avatar_dir: std::path::PathBuf) {
    let mut every_hour = rocket::tokio::time::interval(Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        let now = chrono::Utc::now();
        if let Err(e) = persistence::sessions::purge_expired(&db, now).await {
            log::warn!("could not purge expired sessions: {e}");
        }
        if let Err(e) = persistence::throttle::purge_before(&db, now - chrono::Duration::days(1)).await {
            log::warn!("could not purge old throttling counts: {e}");
        }
        if let Err(e) = persistence::revoked_tokens::purge_expired(&db, now).await {
            log::warn!("could not purge revoked tokens that have expired: {e}");
        }
        crate::avatar::sweep(&avatar_dir, &db, AVATAR_GRACE).await;
    }
}
