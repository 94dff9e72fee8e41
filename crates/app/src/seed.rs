//! Demo data, added quickly in batches: for demos and for benchmarks.

use chrono::{Duration, Utc};
use domain::{Content, Email, Password, PasswordHasher, Title, Username};
use persistence::posts::NewPost;
use persistence::users::NewUser;

/// Rows per INSERT statement.
const BATCH: usize = 500;
/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "gazette-demo";

/// Comments on the second newest demo post (the newest has none): the post page is measured
/// with and without them.
pub const COMMENTS: usize = 50;

/// Adds `users` demo accounts (numbered after those present) and `posts` posts shared among all
/// accounts, dated one minute apart up to now, with [`COMMENTS`] approved comments by several
/// accounts on the second newest.
pub async fn run(app: &crate::App, users: u64, posts: u64) -> Result<(), String> {
    let db = app.db();
    let bcrypt_cost = app.settings().bcrypt_cost;
    // Numbered after the newest account, so that seeding twice adds more.
    let first = persistence::users::list_ids(db).await.map_err(|e| e.to_string())?.last().map_or(1, |id| id + 1);
    // One hash serves every demo account: hashing thousands would take minutes at cost 12.
    let hasher = PasswordHasher::new(bcrypt_cost).map_err(|e| e.to_string())?;
    let password = Password::parse(DEMO_PASSWORD).map_err(|e| e.to_string())?;
    let hash = tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let now = Utc::now();
    let mut batch = Vec::with_capacity(BATCH);
    for n in first..first + users as i64 {
        batch.push(NewUser {
            username: Username::parse(&format!("demo{n}")).map_err(|e| e.to_string())?,
            email: Email::parse(&format!("demo{n}@example.com")).map_err(|e| e.to_string())?,
            password_hash: hash.clone(),
            first_name: Some("Demo".into()),
            last_name: Some(format!("User {n}")),
        });
        if batch.len() == BATCH {
            persistence::users::insert_many(db, std::mem::take(&mut batch), now).await.map_err(|e| e.to_string())?;
        }
    }
    persistence::users::insert_many(db, batch, now).await.map_err(|e| e.to_string())?;

    let authors = persistence::users::list_ids(db).await.map_err(|e| e.to_string())?;
    if authors.is_empty() && posts > 0 {
        return Err("no users to write the posts: add some with --users".into());
    }
    let before = persistence::posts::max_id(db).await.map_err(|e| e.to_string())?;
    // Every demo post has the same Markdown body: rendered once.
    let rendered = crate::posts::render(domain::PostFormat::Markdown, BODY).await.map_err(|e| e.to_string())?;
    let mut batch = Vec::with_capacity(BATCH);
    for k in 0..posts {
        let author = authors[(k as usize) % authors.len()];
        let title = Title::parse(&format!("Demo post {}", k + 1)).map_err(|e| e.to_string())?;
        let content = Content::parse(BODY).map_err(|e| e.to_string())?;
        // Spread over the past, newest last, one minute apart.
        let at = now - Duration::minutes((posts - k) as i64);
        let new = NewPost {
            user_id: author,
            title,
            content,
            description: description(k),
            rendered: rendered.clone(),
            publication: (domain::PostState::Published, at),
        };
        batch.push(new);
        if batch.len() == BATCH {
            persistence::posts::insert_many(db, std::mem::take(&mut batch)).await.map_err(|e| e.to_string())?;
        }
    }
    persistence::posts::insert_many(db, batch).await.map_err(|e| e.to_string())?;
    // One or two tags a post, from a short list, so that tag pages have something to list.
    let ids = persistence::posts::ids_after(db, before).await.map_err(|e| e.to_string())?;
    let mut pairs = Vec::with_capacity(BATCH);
    for (k, id) in ids.into_iter().enumerate() {
        pairs.push((id, TAGS[k % TAGS.len()].to_owned()));
        if k % 3 == 0 {
            pairs.push((id, TAGS[(k + 2) % TAGS.len()].to_owned()));
        }
        if pairs.len() >= BATCH {
            persistence::social::add_tags_many(db, std::mem::take(&mut pairs)).await.map_err(|e| e.to_string())?;
        }
    }
    persistence::social::add_tags_many(db, pairs).await.map_err(|e| e.to_string())?;
    let ids = persistence::posts::ids_after(db, before).await.map_err(|e| e.to_string())?;
    if let [.., commented, _newest] = ids.as_slice() {
        let post = persistence::posts::find_by_id(db, *commented).await.map_err(|e| e.to_string())?;
        let post_author = post.map_or(authors[0], |p| p.user_id);
        let html = crate::posts::render_comment(COMMENT).await.map_err(|e| e.to_string())?;
        for k in 0..COMMENTS {
            let new = persistence::comments::NewComment {
                post_id: *commented,
                post_author_id: post_author,
                user_id: authors[k % authors.len()],
                body: COMMENT.to_owned(),
                body_html: html.clone(),
                state: persistence::comments::APPROVED,
            };
            let at = now - Duration::seconds((COMMENTS - k) as i64);
            persistence::comments::insert(db, new, at).await.map_err(|e| e.to_string())?;
        }
    }
    persistence::analyze(db).await.map_err(|e| e.to_string())
}

/// The text of every demo comment: a few sentences with a link and some emphasis.
const COMMENT: &str = "Thanks for writing this up: the part about *error handling* matched what I saw \
in production. I wrote a longer note on it [here](https://example.org/notes), with the numbers.\n\n\
> Duis aute irure dolor in reprehenderit\n\nStill true a year later.";

/// A demo post's summary: three words of [`word`], different from post to post, so that
/// searches find a few posts, as they do on a real blog, and not all of them.
pub fn description(k: u64) -> String {
    // Three of the thousand words, picked by a multiplicative hash of the post's number.
    let h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let pick = |shift: u32| word(((h >> shift) % 1000) as usize);
    format!("A note on {}, {} and {}", pick(7), pick(23), pick(41))
}

/// The `n`th (below 1,000) of the demo vocabulary: three syllables, such as "kalomi".
pub fn word(n: usize) -> String {
    const SYLLABLES: [&str; 10] = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "du"];
    [n / 100 % 10, n / 10 % 10, n % 10].iter().map(|&i| SYLLABLES[i]).collect()
}

/// The tags demo posts get.
const TAGS: [&str; 5] = ["rust", "web", "notes", "travel", "cooking"];

/// The body of every demo post: Markdown with what posts have (a heading, emphasis, a list, a
/// link, and a highlighted code block).
const BODY: &str = "Lorem ipsum dolor sit amet, **consectetur** adipiscing elit. Sed do eiusmod tempor \
incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco \
laboris nisi ut aliquip ex ea commodo consequat.

## Duis aute irure

- dolor in reprehenderit in voluptate
- velit esse *cillum* dolore
- eu fugiat [nulla pariatur](https://example.org/)

```rust
fn main() {
    let greeting = \"Hello, Gazette\";
    println!(\"{greeting}\");
}
```
";
