//! Housekeeping: publishing scheduled posts when their time comes; expired sessions, old
//! throttling counts and revocations, and avatar and image files a crash left behind.

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
    let now = app.clock().now();
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
    crate::images::sweep(&app.settings().image_dir, db, AVATAR_GRACE).await;
}

/// Renders the bodies of posts again (all of them, or `unrendered_only` those never rendered,
/// as after the migration that brought formats), a batch at a time; answers how many.
pub async fn rerender(app: &App, unrendered_only: bool) -> crate::AppResult<u64> {
    let mut after = 0;
    let mut done = 0;
    loop {
        let batch = persistence::posts::list_bodies(app.db(), after, 200, unrendered_only).await?;
        let Some((last, _, _)) = batch.last() else { return Ok(done) };
        after = *last;
        for (id, format, content) in batch {
            let rendered = crate::posts::render(domain::PostFormat::from_stored(&format), &content).await?;
            persistence::posts::set_rendered(app.db(), id, rendered).await?;
            done += 1;
        }
    }
}

/// Renders comments again (all of them, or `unrendered_only` those written before comments were
/// rendered on writing), a batch at a time; answers how many.
pub async fn render_comments(app: &App, unrendered_only: bool) -> crate::AppResult<u64> {
    let mut done = 0;
    let mut after = 0;
    loop {
        let batch = persistence::comments::bodies_after(app.db(), after, 200, unrendered_only).await?;
        let Some((last, _)) = batch.last() else { return Ok(done) };
        after = *last;
        for (id, body) in batch {
            let html = crate::posts::render_comment(&body).await?;
            persistence::comments::set_html(app.db(), id, html).await?;
            done += 1;
        }
    }
}

/// Renders what the last migration left unrendered, once at start-up.
pub(crate) async fn render_unrendered(app: App) {
    match rerender(&app, true).await {
        Ok(0) => {}
        Ok(n) => log::info!("rendered {n} posts stored before their rendering was"),
        Err(e) => log::error!("could not render the posts stored before their rendering was: {e}"),
    }
    match render_comments(&app, true).await {
        Ok(0) => {}
        Ok(n) => log::info!("rendered {n} comments stored before their rendering was"),
        Err(e) => log::error!("could not render the comments stored before their rendering was: {e}"),
    }
}

/// Publishes the scheduled posts whose time has come, at start-up and then every minute, on
/// every instance (publishing is done once whichever instance gets there first).
pub(crate) async fn publish_every_minute(app: App) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        match crate::posts::publish_due(&app).await {
            Ok(0) => {}
            Ok(n) => log::info!("published {n} scheduled posts"),
            Err(e) => log::warn!("could not publish the scheduled posts that are due: {e}"),
        }
    }
}

/// [`purge`] at start-up and then every hour.
pub(crate) async fn purge_every_hour(app: App) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        purge(&app).await;
    }
}
