//! Mail delivery in the background. Requests render their message and store it in the outbox
//! in the same transaction as its cause ([`Outbox::enqueue`]); the worker started at lift-off
//! delivers it, retries with growing waits while the mail server is down or refuses, gives up
//! after `mail_max_attempts`, and marks what the server accepted as sent so that it never goes
//! twice, restarts included.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use persistence::DatabaseConnection;
use persistence::outbox::{Message, NewMessage};
use rocket::fairing::AdHoc;
use rocket::tokio::sync::Notify;
use sea_orm::ConnectionTrait;

use crate::config::AppConfig;
use crate::error::Error;

/// How long a worker holds a message it is delivering before another may try. Longer than the
/// longest delivery ([`MAX_SEND`]), so that a message is never in two hands at once.
const LEASE: Duration = Duration::from_secs(300);
/// The most `mail_timeout_ms` may allow one delivery.
const MAX_SEND: Duration = Duration::from_secs(120);
/// Messages taken per round.
const BATCH: u64 = 20;
/// Longest wait between attempts, and between looks at the table when nothing is due.
const MAX_WAIT: Duration = Duration::from_secs(3600);
const IDLE_LOOK: Duration = Duration::from_secs(30);

pub struct Outbox {
    templates: mail::Templates,
    transport: mail::Transport,
    from: String,
    max_attempts: u32,
    retry_base: Duration,
    wake: Notify,
    stopping: AtomicBool,
    stop: Notify,
    worker: Mutex<Option<rocket::tokio::task::JoinHandle<()>>>,
}

/// How long shutdown waits for a delivery in progress.
const STOP_WAIT: Duration = Duration::from_secs(5);

impl Outbox {
    /// Renders `template` for `to` and stores it for delivery, on `conn` (pass the transaction
    /// of the change that causes the mail). Call [`Outbox::wake`] once that has committed.
    pub async fn enqueue(
        &self,
        conn: &impl ConnectionTrait,
        template: &str,
        to: &str,
        context: &impl serde::Serialize,
    ) -> Result<i64, Error> {
        let message = self.render(template, to, context)?;
        Ok(persistence::outbox::enqueue(conn, message, Utc::now()).await?)
    }

    /// Renders `template` for `to`, ready for `persistence::outbox::enqueue` (for a transaction
    /// whose errors are the database's own).
    pub fn render(&self, template: &str, to: &str, context: &impl serde::Serialize) -> Result<NewMessage, Error> {
        let mail = self.templates.render(template, to, context).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(NewMessage { recipient: mail.to, subject: mail.subject, body_text: mail.text, body_html: mail.html })
    }

    /// Tells the worker there is mail.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops the worker: it finishes the message it is sending, hands back the rest of its batch
    /// (another instance, or this one after a restart, sends them) and ends.
    pub async fn shut_down(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_one();
        let worker = self.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(worker) = worker
            && rocket::tokio::time::timeout(STOP_WAIT, worker).await.is_err()
        {
            log::warn!("the outbox worker did not stop within {STOP_WAIT:?}");
        }
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
        self.retry_base.saturating_mul(factor).min(MAX_WAIT)
    }

    async fn deliver(&self, db: &DatabaseConnection, message: Message) {
        let attempts = message.attempts.saturating_add(1);
        let attempts_u32 = u32::try_from(attempts).unwrap_or(u32::MAX);
        let mail = mail::Mail {
            to: message.content.recipient,
            subject: message.content.subject,
            text: message.content.body_text,
            html: message.content.body_html,
        };
        let outcome = self.transport.send(&self.from, &mail).await;
        let now = Utc::now();
        let recorded = match outcome {
            Ok(()) => persistence::outbox::mark_sent(db, message.id, attempts, now).await,
            Err(e) => {
                let give_up = attempts_u32 >= self.max_attempts;
                let wait = self.backoff(attempts_u32);
                if give_up {
                    log::error!("mail {} failed for good after {attempts} attempts: {e}", message.id);
                } else {
                    log::warn!("mail {} not delivered (attempt {attempts}), trying again in {wait:?}: {e}", message.id);
                }
                let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                persistence::outbox::mark_attempt_failed(db, message.id, attempts, &e.to_string(), next, give_up).await
            }
        };
        if let Err(e) = recorded {
            log::error!("could not record the delivery of mail {}: {e}", message.id);
        }
    }

    async fn run(self: Arc<Self>, db: DatabaseConnection) {
        while !self.stopping() {
            let claimed = persistence::outbox::claim_due(
                &db,
                Utc::now(),
                chrono::Duration::seconds(LEASE.as_secs() as i64),
                BATCH,
            )
            .await
            .unwrap_or_else(|e| {
                log::error!("outbox: {e}");
                Vec::new()
            });
            let busy = claimed.len() as u64 == BATCH;
            let mut claimed = claimed.into_iter();
            for message in claimed.by_ref() {
                self.deliver(&db, message).await;
                if self.stopping() {
                    break;
                }
            }
            let unsent: Vec<i64> = claimed.map(|m| m.id).collect();
            if !unsent.is_empty()
                && let Err(e) = persistence::outbox::release(&db, &unsent).await
            {
                log::warn!("outbox: could not hand back {} messages (they wait for their lease): {e}", unsent.len());
            }
            if busy || self.stopping() {
                continue;
            }
            let wait = match persistence::outbox::next_due_at(&db).await {
                Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(IDLE_LOOK),
                _ => IDLE_LOOK,
            };
            rocket::tokio::select! {
                _ = self.wake.notified() => {}
                _ = self.stop.notified() => {}
                _ = rocket::tokio::time::sleep(wait.max(Duration::from_millis(10))) => {}
            }
        }
    }
}

/// Builds the transport and templates at ignition (inside the runtime, as the SMTP pool needs)
/// and starts the worker at lift-off.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Outbox", |rocket| async move {
        let Some(config) = rocket.state::<AppConfig>().cloned() else { return Err(rocket) };
        let template_dir = rocket
            .figment()
            .extract_inner::<std::path::PathBuf>("template_dir")
            .unwrap_or_else(|_| "templates".into())
            .join("mail");
        let built = mail::check_from(&config.mail_from).and_then(|()| {
            let transport = mail::Transport::from_settings(
                &config.mail_transport,
                config.smtp_url.as_deref(),
                &config.mail_file_dir,
                Duration::from_millis(config.mail_timeout_ms).clamp(Duration::from_millis(1), MAX_SEND),
            )?;
            Ok((transport, mail::Templates::load(&template_dir)?))
        });
        let (transport, templates) = match built {
            Ok(built) => built,
            Err(e) => {
                log::error!("{e}");
                return Err(rocket);
            }
        };
        log::info!("mail goes to {}", transport.describe());
        let outbox = Arc::new(Outbox {
            templates,
            transport,
            from: config.mail_from.clone(),
            max_attempts: config.mail_max_attempts.max(1),
            retry_base: Duration::from_millis(config.mail_retry_base_ms),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
            worker: Mutex::new(None),
        });
        Ok(rocket
            .manage(outbox)
            .attach(AdHoc::on_liftoff("Outbox worker", |rocket| {
                Box::pin(async move {
                    if let (Some(outbox), Some(db)) =
                        (rocket.state::<Arc<Outbox>>().cloned(), rocket.state::<DatabaseConnection>().cloned())
                    {
                        let worker = rocket::tokio::spawn(outbox.clone().run(db));
                        if let Ok(mut slot) = outbox.worker.lock() {
                            *slot = Some(worker);
                        }
                    }
                })
            }))
            .attach(AdHoc::on_shutdown("Outbox worker stop", |rocket| {
                Box::pin(async move {
                    if let Some(outbox) = rocket.state::<Arc<Outbox>>() {
                        outbox.shut_down().await;
                    }
                })
            })))
    })
}
