//! The password pool: bcrypt off the async workers, at the lowest priority.

use std::sync::Arc;

use tokio::task::spawn_blocking;

use crate::AppError;

/// Hashes and checks passwords on a pool of its own: one thread per core, each at the lowest
/// scheduling priority (`SCHED_IDLE`), so that bcrypt takes the processor time page views leave
/// and a flood of logins queues here instead of starving everyone else. (Measured against nice
/// 19 with `SCHED_BATCH`: page views' p99 under a login flood 1.8x instead of 2.0x its value
/// alone, for 4 instead of 4.5 logins/s while pages take all they can; see BENCHMARKS.md.)
#[derive(Clone)]
pub(crate) struct Passwords {
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
    pub(crate) async fn new(cost: u32) -> Result<Self, AppError> {
        let hasher = domain::PasswordHasher::new(cost).map_err(AppError::internal)?;
        let for_dummy = hasher.clone();
        let dummy_hash = spawn_blocking(move || {
            let secret =
                domain::Password::parse(&format!("{:x}", rand::random::<u128>())).map_err(AppError::internal)?;
            for_dummy.hash(&secret).map_err(AppError::internal)
        })
        .await
        .map_err(AppError::internal)??;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("passwords-{i}"))
            .start_handler(|_| lowest_priority())
            .build()
            .map_err(AppError::internal)?;
        Ok(Self { hasher: Arc::new(hasher), dummy_hash: dummy_hash.into(), pool: Arc::new(pool) })
    }

    /// Runs bcrypt work on the password pool. Work whose request has gone away (the client
    /// disconnected while it waited) is skipped.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&domain::PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let hasher = self.hasher.clone();
        self.pool.spawn(move || {
            if !answer.is_closed() {
                let _ = answer.send(work(&hasher));
            }
        });
        answered.await.map_err(|_| AppError::internal("the password pool stopped"))
    }

    /// Hashes a password that met the policy.
    pub(crate) async fn hash(&self, password: domain::Password) -> Result<String, AppError> {
        self.run(move |hasher| hasher.hash(&password)).await?.map_err(AppError::internal)
    }

    /// Whether `candidate` matches `hash`; with no hash (unknown account) it checks against the
    /// dummy hash, taking the same time, and answers no.
    pub(crate) async fn verify(&self, candidate: String, hash: Option<String>) -> Result<bool, AppError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self.run(move |hasher| hasher.verify(&candidate, &hash)).await?;
        Ok(known && matches)
    }
}
