//! Comments: moderation, who deletes and approves, closed posts, the writer's limit, the kept
//! count of waiting comments, and the author's mail.

use app::AppError;
use app::comments::{self, Posted};
use app::posts::{NewPost, PostChanges, PostKey};
use domain::comment::Moderation;
use domain::{CommentBody, Content, Title};

use crate::Fixture;

async fn publish(f: &Fixture, author: &app::User, title: &str) -> i64 {
    let new = NewPost {
        title: Title::parse(title).unwrap(),
        content: Content::parse("Words.").unwrap(),
        description: String::new(),
        tags: Vec::new(),
        intent: domain::Intent::Publish,
        close_comments: false,
    };
    app::posts::create(&f.app, author, new).await.unwrap().id
}

async fn say(f: &Fixture, writer: &app::User, post: i64, text: &str) -> Result<Posted, AppError> {
    comments::add(&f.app, writer, PostKey::Id(post), CommentBody::parse(text).unwrap()).await
}

/// The texts of the comments on the post's first page as `viewer` sees them (from their HTML,
/// which is all the page reads).
async fn bodies(f: &Fixture, post: i64, viewer: Option<&app::User>) -> Vec<String> {
    let post = app::posts::show(&f.app, post, viewer).await.unwrap();
    let found = comments::page(&f.app, &post, viewer, None).await.unwrap();
    let (rows, pages) = (&found.0, found.1);
    assert_eq!(pages.total_items, rows.len() as u64, "the count is what is listed");
    let text = |c: &comments::Comment| c.body_html.clone().unwrap().replace("<p>", "").replace("</p>", "");
    rows.iter().map(|c| text(c).trim().to_owned()).collect()
}

/// The account as stored now (its kept count of waiting comments).
async fn fresh(f: &Fixture, user: &app::User) -> app::User {
    app::accounts::find_by_username(&f.app, &user.username).await.unwrap()
}

#[tokio::test]
async fn a_first_comment_waits_for_approval_and_is_seen_by_its_writer_only_until_approved() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let carol = f.account("carol").await;
    let post = publish(&f, &alice, "Hello").await;
    let posted = say(&f, &bob, post, "First!").await.unwrap();
    assert!(posted.held);
    assert_eq!(bodies(&f, post, Some(&bob)).await, ["First!"], "its writer sees it");
    assert!(bodies(&f, post, None).await.is_empty(), "visitors do not");
    assert!(bodies(&f, post, Some(&carol)).await.is_empty(), "other readers do not");
    assert!(bodies(&f, post, Some(&alice)).await.is_empty(), "the post's own list does not show it to its author");
    assert!(comments::list(&f.app, "hello", Some(&carol), 100, 0).await.unwrap().is_empty(), "nor the API's list");
    assert_eq!(comments::waiting(&f.app, &fresh(&f, &alice).await).await.unwrap(), 1);
    let (pending, _) = comments::pending(&f.app, &alice, None).await.unwrap();
    assert_eq!(
        pending.iter().map(|p| (p.body.as_str(), p.post_title.as_str())).collect::<Vec<_>>(),
        [("First!", "Hello")]
    );
    assert!(comments::pending(&f.app, &carol, None).await.unwrap().0.is_empty(), "nothing waits for carol");

    assert!(matches!(comments::approve(&f.app, &carol, posted.comment.id).await, Err(AppError::NotFound("comment"))));
    assert!(matches!(comments::approve(&f.app, &bob, posted.comment.id).await, Err(AppError::Forbidden)));
    comments::approve(&f.app, &alice, posted.comment.id).await.unwrap();
    assert_eq!(bodies(&f, post, None).await, ["First!"]);
    assert_eq!(comments::waiting(&f.app, &fresh(&f, &alice).await).await.unwrap(), 0);

    // Approved once, bob's next comments are shown at once, on any author's post.
    let other = publish(&f, &carol, "Elsewhere").await;
    assert!(!say(&f, &bob, other, "Again").await.unwrap().held);
    assert_eq!(bodies(&f, other, None).await, ["Again"]);
}

#[tokio::test]
async fn all_holds_every_reader_none_holds_nobody_and_authors_and_moderators_never_wait() {
    let f = Fixture::with_moderation(Moderation::All).await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let post = publish(&f, &alice, "Hello").await;
    let first = say(&f, &bob, post, "One").await.unwrap();
    comments::approve(&f.app, &alice, first.comment.id).await.unwrap();
    assert!(say(&f, &bob, post, "Two").await.unwrap().held, "all: approved before changes nothing");
    assert!(!say(&f, &alice, post, "The author").await.unwrap().held);
    let moderator = app::accounts::set_moderator(&f.app, "bob", true).await.unwrap();
    assert!(!say(&f, &moderator, post, "A moderator").await.unwrap().held);

    let f = Fixture::with_moderation(Moderation::None).await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let post = publish(&f, &alice, "Hello").await;
    assert!(!say(&f, &bob, post, "Shown").await.unwrap().held);
    assert_eq!(bodies(&f, post, None).await, ["Shown"]);
}

#[tokio::test]
async fn the_writer_the_post_author_and_moderators_delete_a_comment_and_nobody_else() {
    let f = Fixture::with_moderation(Moderation::None).await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let carol = f.account("carol").await;
    let post = publish(&f, &alice, "First").await;
    publish(&f, &alice, "Second").await;
    let by_bob = say(&f, &bob, post, "Nice one").await.unwrap().comment.id;
    assert!(matches!(comments::delete(&f.app, &carol, by_bob).await, Err(AppError::Forbidden)));
    assert!(matches!(comments::delete_on(&f.app, &bob, "second", by_bob).await, Err(AppError::NotFound("comment"))));
    assert_eq!(comments::delete(&f.app, &alice, by_bob).await.unwrap().post_id, post, "the post's author may");
    let again = say(&f, &bob, post, "Nice two").await.unwrap().comment.id;
    comments::delete_on(&f.app, &bob, "first", again).await.unwrap();
    let third = say(&f, &bob, post, "Nice three").await.unwrap().comment.id;
    let moderator = app::accounts::set_moderator(&f.app, "carol", true).await.unwrap();
    comments::delete(&f.app, &moderator, third).await.unwrap();
    assert!(bodies(&f, post, None).await.is_empty());
    assert!(matches!(comments::delete(&f.app, &bob, third).await, Err(AppError::NotFound("comment"))));
}

#[tokio::test]
async fn a_held_comment_is_not_found_by_others_and_its_rejection_deletes_it() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let carol = f.account("carol").await;
    let post = publish(&f, &alice, "Hello").await;
    let held = say(&f, &bob, post, "Buy pills").await.unwrap().comment.id;
    assert!(matches!(comments::delete(&f.app, &carol, held).await, Err(AppError::NotFound("comment"))));
    assert!(matches!(comments::reject(&f.app, &carol, held).await, Err(AppError::NotFound("comment"))));
    comments::reject(&f.app, &alice, held).await.unwrap();
    assert!(bodies(&f, post, Some(&bob)).await.is_empty());
    assert_eq!(fresh(&f, &alice).await.pending_comments, 0);
}

#[tokio::test]
async fn the_kept_count_follows_comments_deleted_with_their_post_or_their_writer() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let carol = f.account("carol").await;
    let one = publish(&f, &alice, "One").await;
    let two = publish(&f, &alice, "Two").await;
    say(&f, &bob, one, "On one").await.unwrap();
    say(&f, &bob, two, "On two").await.unwrap();
    say(&f, &carol, two, "Carol on two").await.unwrap();
    assert_eq!(fresh(&f, &alice).await.pending_comments, 3);
    // A held comment deleted by its writer.
    let mine = say(&f, &carol, one, "Oops").await.unwrap().comment.id;
    comments::delete(&f.app, &carol, mine).await.unwrap();
    assert_eq!(fresh(&f, &alice).await.pending_comments, 3);
    app::posts::delete(&f.app, &alice, PostKey::Id(one)).await.unwrap();
    assert_eq!(fresh(&f, &alice).await.pending_comments, 2, "deleted with their post");
    app::accounts::delete_own(&f.app, &carol, crate::PASSWORD).await.unwrap();
    assert_eq!(fresh(&f, &alice).await.pending_comments, 1, "deleted with their writer");
    let moderator = app::accounts::set_moderator(&f.app, "bob", true).await.unwrap();
    assert_eq!(comments::waiting(&f.app, &moderator).await.unwrap(), 1, "moderators count everyone's");
}

#[tokio::test]
async fn closed_posts_keep_their_comments_and_refuse_new_ones() {
    let f = Fixture::with_moderation(Moderation::None).await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let post = publish(&f, &alice, "Hello").await;
    say(&f, &bob, post, "Before").await.unwrap();
    let close = PostChanges { close_comments: Some(true), ..Default::default() };
    app::posts::edit(&f.app, &alice, PostKey::Id(post), close).await.unwrap();
    assert!(matches!(say(&f, &bob, post, "After").await, Err(AppError::CommentsClosed)));
    assert!(matches!(say(&f, &alice, post, "Even the author").await, Err(AppError::CommentsClosed)));
    assert_eq!(bodies(&f, post, None).await, ["Before"]);
    let open = PostChanges { close_comments: Some(false), ..Default::default() };
    app::posts::edit(&f.app, &alice, PostKey::Id(post), open).await.unwrap();
    say(&f, &bob, post, "Open again").await.unwrap();
}

#[tokio::test]
async fn a_writer_posts_ten_comments_in_ten_minutes_then_waits() {
    let f = Fixture::with_moderation(Moderation::None).await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let post = publish(&f, &alice, "Hello").await;
    for n in 0..10 {
        let id = say(&f, &bob, post, &format!("Comment {n}")).await.unwrap().comment.id;
        // Deleting them does not give the turns back.
        comments::delete(&f.app, &bob, id).await.unwrap();
    }
    let Err(AppError::Throttled(wait)) = say(&f, &bob, post, "Eleventh").await else { panic!("not throttled") };
    assert!(wait <= std::time::Duration::from_secs(600) && wait > std::time::Duration::from_secs(500), "{wait:?}");
    assert!(say(&f, &alice, post, "Another writer").await.is_ok(), "the limit is per writer");
    f.app.clock().advance(std::time::Duration::from_secs(601));
    assert!(say(&f, &bob, post, "Later").await.is_ok());
}

#[tokio::test]
async fn the_author_is_mailed_about_comments_unless_they_turned_it_off() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let post = publish(&f, &alice, "Hello\nthere").await;
    let held = say(&f, &bob, post, "What a *post*").await.unwrap();
    say(&f, &alice, post, "Thanks, says the author").await.unwrap();
    assert_eq!(app::outbox::deliver_due(&f.app).await, 1, "one mail: none for the author's own comment");
    let mails = f.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: alice@example.com"), "{}", mails[0]);
    assert!(mails[0].contains("Subject: A comment awaits your approval"), "{}", mails[0]);
    assert!(mails[0].contains("http://blog.example/comments/pending"), "{}", mails[0]);
    comments::approve(&f.app, &alice, held.comment.id).await.unwrap();
    let shown = say(&f, &bob, post, "Second").await.unwrap();
    assert_eq!(app::outbox::deliver_due(&f.app).await, 1);
    let mails = f.mails();
    let new = mails.iter().find(|m| m.contains("Subject: New comment on Hello there")).expect("the new-comment mail");
    assert!(new.contains(&format!("http://blog.example/post/{post}#comment-{}", shown.comment.id)), "{new}");

    let off = app::accounts::ProfileChanges { notify_comments: Some(false), ..Default::default() };
    app::accounts::update_profile(&f.app, &alice, off).await.unwrap();
    say(&f, &bob, post, "Third").await.unwrap();
    assert_eq!(app::outbox::deliver_due(&f.app).await, 0, "turned off");
}
