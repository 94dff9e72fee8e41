//! New posts written together: posts that arrive while another writer holds the turn to write
//! wait in one queue, and the next writer to get the turn saves all of them in one transaction.
//! A transaction costs two statements and, on PostgreSQL, a flush of its log to disk; under many
//! authors at once (programs posting through the API) each post then costs three statements and
//! a share of one flush instead of five and one of its own.
//!
//! Each post is saved exactly as it would be alone: when anything in a shared transaction fails,
//! it is rolled back and every post of it is saved in a transaction of its own, so that one
//! post's failure is its author's answer only.

use chrono::{DateTime, Utc};
use persistence::DbErr;
use tokio::sync::oneshot;

use crate::App;

/// Most posts one transaction saves.
const MOST_AT_ONCE: usize = 32;

/// What saving one post gave: its id and slug.
pub(crate) type Outcome = Result<(i64, String), DbErr>;

/// A post waiting for its turn, and where it goes back with its outcome: its id and slug.
pub(crate) struct Waiting {
    post: Post,
    done: oneshot::Sender<(Post, Outcome)>,
}

impl Waiting {
    fn answer(self, outcome: Outcome) {
        // Its author may have left: the post is saved all the same.
        let _ = self.done.send((self.post, outcome));
    }
}

/// What one post writes: its row (its author's id included), tags, whether its comments start
/// closed, and when it is written; its first version is made of these.
pub(crate) struct Post {
    pub(crate) row: persistence::posts::NewPost,
    pub(crate) tags: Vec<String>,
    pub(crate) close_comments: bool,
    pub(crate) now: DateTime<Utc>,
}

/// The posts waiting for the next writer's turn, and whether a writer is on its way for them.
#[derive(Default)]
pub(crate) struct Queue {
    state: std::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: Vec<Waiting>,
    /// Whether a writer ([`write_waiting`]) is running: it saves whatever is waiting, batch
    /// after batch, until nothing is.
    writing: bool,
}

impl Queue {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `posts`; whether a writer must be started for them.
    fn push(&self, posts: impl IntoIterator<Item = Waiting>) -> bool {
        let mut state = self.state();
        state.waiting.extend(posts);
        !std::mem::replace(&mut state.writing, true)
    }

    /// The oldest waiting posts, at most [`MOST_AT_ONCE`]; none when nothing waits, and then the
    /// writer that asked stops.
    fn take(&self) -> Vec<Waiting> {
        let mut state = self.state();
        let n = state.waiting.len().min(MOST_AT_ONCE);
        if n == 0 {
            state.writing = false;
        }
        state.waiting.drain(..n).collect()
    }
}

/// Saves `posts` (with any others waiting beside them) and gives each back with its outcome:
/// its id and slug. Posts given together wait together, and are saved in one transaction when
/// nothing fails.
pub(crate) async fn save(app: &App, posts: Vec<Post>) -> Vec<(Post, Outcome)> {
    let mut outcomes = Vec::with_capacity(posts.len());
    let waiting: Vec<Waiting> = posts
        .into_iter()
        .map(|post| {
            let (done, outcome) = oneshot::channel();
            outcomes.push(outcome);
            Waiting { post, done }
        })
        .collect();
    if app.waiting_posts().push(waiting) {
        // One writer at a time, in a task of its own: an author who leaves (a dropped connection)
        // neither abandons the posts of others nor leaves its own unwritten.
        tokio::spawn(write_waiting(app.clone()));
    }
    let mut saved = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome.await {
            Ok(answer) => saved.push(answer),
            // Only a runtime shutting down drops a waiting post.
            Err(_) => break,
        }
    }
    saved
}

/// Saves what is waiting, a batch per turn to write, until nothing is. (A task per post, each
/// waiting for a turn, queued faster than the turns went round: thousands of them at once.)
async fn write_waiting(app: App) {
    let mut stop = Stop { queue: app.waiting_posts(), finished: false };
    loop {
        let Ok(_turn) = app.write_turn().await else {
            // The turns are closed only when the application is: nothing more is written.
            return;
        };
        let posts = app.waiting_posts().take();
        match posts.len() {
            0 => {
                stop.finished = true;
                return;
            }
            1 => save_alone(&app, posts).await,
            _ => match save_all(&app, &posts).await {
                Ok(saved) => {
                    for (waiting, saved) in posts.into_iter().zip(saved) {
                        waiting.answer(Ok(saved));
                    }
                }
                Err(e) => {
                    log::warn!("{} posts saved together failed ({e}); saving each alone", posts.len());
                    save_alone(&app, posts).await;
                }
            },
        }
    }
}

/// Ends a writer that stops before nothing waits (its turns closed, or a panic): the posts left
/// are dropped, so their authors are told they were not saved instead of waiting for ever, and
/// the next post starts a writer again.
struct Stop<'a> {
    queue: &'a Queue,
    finished: bool,
}

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let mut state = self.queue.state();
            state.writing = false;
            state.waiting.clear();
        }
    }
}

/// Saves each of `posts` in a transaction of its own.
async fn save_alone(app: &App, posts: Vec<Waiting>) {
    for waiting in posts {
        let outcome = async {
            let txn = persistence::begin_write(app.db()).await?;
            let saved = write(&txn, &waiting.post).await?;
            txn.commit().await?;
            Ok(saved)
        }
        .await;
        waiting.answer(outcome);
    }
}

/// Saves all of `posts` in one transaction: all or none.
async fn save_all(app: &App, posts: &[Waiting]) -> Result<Vec<(i64, String)>, DbErr> {
    let txn = persistence::begin_write(app.db()).await?;
    let mut saved = Vec::with_capacity(posts.len());
    for waiting in posts {
        saved.push(write(&txn, &waiting.post).await?);
    }
    txn.commit().await?;
    Ok(saved)
}

/// The statements of one post.
async fn write(txn: &persistence::DatabaseTransaction, post: &Post) -> Outcome {
    let (id, slug) = persistence::posts::insert(txn, post.row.clone(), post.now).await?;
    persistence::social::add_tags(txn, id, &post.tags).await?;
    if post.close_comments {
        persistence::posts::set_comments_closed(txn, id, true).await?;
    }
    let row = &post.row;
    let first = persistence::revisions::Snapshot {
        title: row.title.as_str().to_owned(),
        description: row.description.clone(),
        content: row.content.as_str().to_owned(),
        tags: post.tags.clone(),
    };
    persistence::revisions::record_first(txn, id, first, Some(row.user_id), post.now).await?;
    Ok((id, slug))
}
