//! Mail, delivered in the background. A use case renders its message and stores it in the outbox
//! in the same transaction as its cause; [`deliver_due`] hands what is due to the transport,
//! retries with growing waits while the mail server is down or refuses, gives up after
//! `max_attempts`, and marks what the server accepted as sent so that it never goes twice,
//! restarts included. The worker started by [`crate::App::start_background_work`] is a loop
//! around [`deliver_due`].

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use persistence::ConnectionTrait;
use persistence::outbox::{Message, NewMessage};
use tokio::sync::Notify;

use crate::{App, AppError};

pub use mail::DEFAULT_FROM;

/// How a site's mail leaves.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp`, `file` (one `.eml` per message under `file_dir`) or `log`.
    pub transport: String,
    /// The SMTP server, in lettre's URL forms (`smtp://host:2525`, `smtps://host:465`, ...).
    pub smtp_url: Option<String>,
    /// The sender.
    pub from: String,
    /// Where the `file` transport writes.
    pub file_dir: PathBuf,
    /// The folder of the mail templates (`templates/mail`).
    pub template_dir: PathBuf,
    /// Delivery attempts before a message is given up on (at least 1).
    pub max_attempts: u32,
    /// Wait after the first failed attempt, doubled after each further one (at most an hour).
    pub retry_base: Duration,
    /// The longest one delivery may take (connecting, TLS and every command); at most
    /// [`MAX_SEND`]. Longer counts as a failed attempt.
    pub timeout: Duration,
    /// Whether a worker delivers in the background. Off, mail waits for [`deliver_due`] (tests
    /// drive delivery this way).
    pub worker: bool,
}

/// How long a delivery round holds the messages it took before another may try. Longer than the
/// longest delivery ([`MAX_SEND`]), so that a message is never in two hands at once.
const LEASE: Duration = Duration::from_secs(300);
/// The most [`MailSettings::timeout`] may allow one delivery.
pub const MAX_SEND: Duration = Duration::from_secs(120);
/// Messages taken per round.
const BATCH: u64 = 20;
/// Longest wait between attempts, and between looks at the table when nothing is due.
const MAX_WAIT: Duration = Duration::from_secs(3600);
const IDLE_LOOK: Duration = Duration::from_secs(30);
/// How long shutdown waits for a delivery in progress.
const STOP_WAIT: Duration = Duration::from_secs(5);

pub(crate) struct Outbox {
    templates: mail::Templates,
    transport: mail::Transport,
    from: String,
    max_attempts: u32,
    retry_base: Duration,
    wake: Notify,
    stopping: AtomicBool,
    stop: Notify,
    worker: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Outbox {
    pub(crate) fn new(settings: &MailSettings) -> Result<Self, AppError> {
        mail::check_from(&settings.from)?;
        let transport = mail::Transport::from_settings(
            &settings.transport,
            settings.smtp_url.as_deref(),
            &settings.file_dir,
            settings.timeout.clamp(Duration::from_millis(1), MAX_SEND),
        )?;
        let templates = mail::Templates::load(&settings.template_dir)?;
        Ok(Self {
            templates,
            transport,
            from: settings.from.clone(),
            max_attempts: settings.max_attempts.max(1),
            retry_base: settings.retry_base,
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
            worker: Mutex::new(None),
        })
    }

    pub(crate) fn describe(&self) -> String {
        self.transport.describe()
    }

    /// Renders `template` for `to`, ready to store with [`Outbox::store`].
    pub(crate) fn render(&self, template: &str, to: &str, context: &serde_json::Value) -> Result<NewMessage, AppError> {
        let mail = self.templates.render(template, to, context)?;
        Ok(NewMessage { recipient: mail.to, subject: mail.subject, body_text: mail.text, body_html: mail.html })
    }

    /// Stores a rendered message on `conn` (the transaction of the change that causes it). Call
    /// [`Outbox::wake`] once that has committed.
    pub(crate) async fn store(&self, conn: &impl ConnectionTrait, message: NewMessage) -> Result<i64, AppError> {
        Ok(persistence::outbox::enqueue(conn, message, Utc::now()).await?)
    }

    /// Tells the worker there is mail.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn start(&self, app: App) {
        let worker = tokio::spawn(run(app));
        if let Ok(mut slot) = self.worker.lock() {
            *slot = Some(worker);
        }
    }

    /// Stops the worker: it finishes the message it is sending, hands back the rest of its batch
    /// (another instance, or this one after a restart, sends them) and ends.
    pub(crate) async fn shut_down(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_one();
        let worker = self.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(worker) = worker
            && tokio::time::timeout(STOP_WAIT, worker).await.is_err()
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

    /// One attempt at `message`; whether the server accepted it.
    async fn deliver(&self, db: &persistence::DatabaseConnection, message: Message) -> bool {
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
        let sent = outcome.is_ok();
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
        sent
    }

    /// One round: takes up to [`BATCH`] due messages and tries each once. Returns how many
    /// were taken and how many of those the server accepted.
    async fn round(&self, db: &persistence::DatabaseConnection) -> (usize, usize) {
        let lease = chrono::Duration::seconds(LEASE.as_secs() as i64);
        let claimed = persistence::outbox::claim_due(db, Utc::now(), lease, BATCH).await.unwrap_or_else(|e| {
            log::error!("outbox: {e}");
            Vec::new()
        });
        let taken = claimed.len();
        let mut sent = 0;
        let mut claimed = claimed.into_iter();
        for message in claimed.by_ref() {
            if self.deliver(db, message).await {
                sent += 1;
            }
            if self.stopping() {
                break;
            }
        }
        let unsent: Vec<i64> = claimed.map(|m| m.id).collect();
        if !unsent.is_empty()
            && let Err(e) = persistence::outbox::release(db, &unsent).await
        {
            log::warn!("outbox: could not hand back {} messages (they wait for their lease): {e}", unsent.len());
        }
        (taken, sent)
    }
}

/// Tries every message due now once (a failed one waits for its next attempt), and returns how
/// many the mail server accepted.
pub async fn deliver_due(app: &App) -> usize {
    let outbox = app.outbox();
    let mut sent = 0;
    loop {
        let (taken, accepted) = outbox.round(app.db()).await;
        sent += accepted;
        if taken < BATCH as usize || outbox.stopping() {
            return sent;
        }
    }
}

/// The worker: delivers what is due, then sleeps until the next message is due, new mail is
/// stored, or the app stops.
async fn run(app: App) {
    let outbox = app.outbox();
    while !outbox.stopping() {
        let (taken, _) = outbox.round(app.db()).await;
        if taken == BATCH as usize || outbox.stopping() {
            continue;
        }
        let wait = match persistence::outbox::next_due_at(app.db()).await {
            Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(IDLE_LOOK),
            _ => IDLE_LOOK,
        };
        tokio::select! {
            _ = outbox.wake.notified() => {}
            _ = outbox.stop.notified() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(10))) => {}
        }
    }
}
