//! Housekeeping: expired sessions, old throttling counts and revocations, and avatar files a
//! crash left behind.

use std::time::Duration;

use crate::{App, avatars};

/// How old an unused avatar file must be before the sweep deletes it.
const AVATAR_GRACE: Duration = Duration::from_secs(3600);

/// Forgets expired sessions, throttling counts older than a day and revocations of tokens that
/// have expired anyway, and deletes avatar files no account uses (older than an hour, so that
/// an upload another instance is finishing keeps its file). Failures are logged and the rest
/// goes on.
pub async fn purge(app: &App) {
    let db = app.db();
    let now = chrono::Utc::now();
    if let Err(e) = persistence::sessions::purge_expired(db, now).await {
        log::warn!("could not purge expired sessions: {e}");
    }
    if let Err(e) = persistence::throttle::purge_before(db, now - chrono::Duration::days(1)).await {
        log::warn!("could not purge old throttling counts: {e}");
    }
    if let Err(e) = persistence::revoked_tokens::purge_expired(db, now).await {
        log::warn!("could not purge revoked tokens that have expired: {e}");
    }
    avatars::sweep(&app.settings().avatar_dir, db, AVATAR_GRACE).await;
}

/// [`purge`] at start-up and then every hour.
pub(crate) async fn purge_every_hour(app: App) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        purge(&app).await;
    }
}
