//! Comments on the site: writing under a post, held for approval and approved from
//! `/comments/pending`, deleting, closed posts, the writer's limit, the author's mail, and the
//! same comments through the RealWorld API.

use gazette_tests::smtp::SmtpServer;
use gazette_tests::{Browser, Settings, TestApp};
use rocket::http::Method::{Delete, Get, Post};
use rocket::http::Status;
use serde_json::json;

use crate::realworld::{call, register};

fn open_site() -> Settings {
    Settings { comment_moderation: "none", ..Settings::default() }
}

async fn comment(b: &mut Browser<'_>, post: i64, body: &str) -> gazette_tests::Page {
    b.post_form(&format!("/post/{post}/comments"), &[("body", body)]).await
}

/// The id in a redirect to `…#comment-<id>` (0 when it is not one, which no comment has).
fn comment_id(page: &gazette_tests::Page) -> i64 {
    let location = page.location.clone().unwrap_or_default();
    let id = location.split_once("#comment-").and_then(|(_, id)| id.parse().ok()).unwrap_or_default();
    assert_ne!(id, 0, "not a redirect to a comment: {} {location} {}", page.status, page.body);
    id
}

#[rocket::async_test]
async fn a_first_comment_is_held_approved_by_the_author_then_shown_to_everyone() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::with(Settings { smtp_url: Some(smtp.url()), ..Settings::default() }).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello readers").await;
    let mut bob = app.signed_up("bob").await;
    let mut carol = app.signed_up("carol").await;
    let mut visitor = app.browser();

    let sent = comment(&mut bob, post, "Great *post*, see [this](https://example.com/x).").await;
    assert_eq!(sent.status, Status::SeeOther);
    let id = comment_id(&sent);
    assert_eq!(sent.location, Some(format!("/post/{post}?page=1#comment-{id}")));
    let page = bob.follow(&sent).await;
    assert!(page.flashes().iter().any(|(_, m)| m.starts_with("Your comment awaits approval")), "{:?}", page.flashes());
    assert!(page.shows("Awaiting approval") && page.body.contains("Great <em>post</em>"), "{}", page.body);
    assert!(page.body.contains(r#"<a href="https://example.com/x" rel="nofollow ugc">this</a>"#), "{}", page.body);
    assert!(page.shows("1 comment"));
    for (who, b) in [("a visitor", &mut visitor), ("another reader", &mut carol)] {
        let page = b.get(&format!("/post/{post}")).await;
        assert!(!page.body.contains("Great <em>post</em>") && page.shows("No comments yet"), "{who}: {}", page.body);
    }

    // The author is told, sees the count in the navigation, and approves.
    app.deliver_mail().await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "one mail, to the author");
    assert_eq!(mails[0].header("Subject").as_deref(), Some("A comment awaits your approval"));
    assert!(mails[0].header("To").unwrap().contains("alice@example.com"));
    assert!(mails[0].link("http://127.0.0.1:8000/comments/pending").is_some(), "{:?}", mails[0]);
    let home = alice.get("/").await;
    assert!(home.body.contains(r#"<a href="/comments/pending">Comments <span class="nav-count">1"#), "{}", home.body);
    let pending = alice.get("/comments/pending").await;
    assert_eq!(pending.header("Cache-Control"), Some("no-store"));
    assert!(pending.shows("Hello readers") && pending.body.contains("Great <em>post</em>"), "{}", pending.body);
    assert!(pending.body.contains(&format!(r#"action="/comments/{id}/approve""#)));
    assert!(carol.get("/comments/pending").await.shows("Nothing is waiting"));
    assert!(!carol.get("/").await.body.contains("nav-count"));
    assert_eq!(carol.post_form(&format!("/comments/{id}/approve"), &[]).await.status, Status::NotFound);
    assert_eq!(bob.post_form(&format!("/comments/{id}/approve"), &[]).await.status, Status::Forbidden);
    assert_eq!(alice.post_raw(&format!("/comments/{id}/approve"), &[]).await.status, Status::Forbidden, "no token");
    let approved = alice.post_form(&format!("/comments/{id}/approve"), &[]).await;
    assert_eq!(approved.location.as_deref(), Some("/comments/pending"));
    assert!(!alice.get("/").await.body.contains("nav-count"), "nothing waits any more");

    let page = visitor.get(&format!("/post/{post}")).await;
    assert!(page.body.contains("Great <em>post</em>") && page.shows("1 comment") && !page.shows("Awaiting approval"));
    assert!(page.body.contains(r#"<a href="/user/bob">bob</a>"#));
    // Approved once, bob's next comment is shown at once, and alice is told of a new comment.
    let second = comment(&mut bob, post, "And another thing.").await;
    assert!(bob.follow(&second).await.flashes().iter().any(|(_, m)| m == "Your comment is published."));
    assert!(visitor.get(&format!("/post/{post}")).await.shows("2 comments"));
    app.deliver_mail().await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].header("Subject").as_deref(), Some("New comment on Hello readers"));
    let link = format!("http://127.0.0.1:8000/post/{post}#comment-{}", comment_id(&second));
    assert!(mails[1].link(&link).is_some(), "{:?}", mails[1]);
}

#[rocket::async_test]
async fn visitors_are_asked_to_log_in_and_bad_comments_get_the_form_back_with_the_error() {
    let app = TestApp::with(open_site()).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let mut visitor = app.browser();
    let page = visitor.get(&format!("/post/{post}")).await;
    assert!(page.body.contains(&format!(r#"<a href="/login?next=/post/{post}#comments">Log in to comment</a>"#)));
    assert!(!page.body.contains(&format!(r#"action="/post/{post}/comments""#)));
    let sent = visitor.post_form(&format!("/post/{post}/comments"), &[("body", "Hi")]).await;
    assert_eq!(sent.status, Status::SeeOther);
    assert_eq!(sent.location, Some(format!("/login?next=%2Fpost%2F{post}")));
    assert!(app.stored_comments(post).await.is_empty());

    let mut bob = app.signed_up("bob").await;
    let blank = comment(&mut bob, post, "   ").await;
    assert_eq!(blank.status, Status::Ok);
    assert_eq!(blank.field_error("body").as_deref(), Some("Your comment can't be blank."));
    let long = "x".repeat(10_001);
    let too_long = comment(&mut bob, post, &long).await;
    assert_eq!(too_long.field_error("body").as_deref(), Some("Your comment must be at most 10000 characters long."));
    assert!(too_long.body.contains(&long), "what was typed is kept");
    assert!(app.stored_comments(post).await.is_empty(), "nothing stored");
    assert_eq!(bob.post_raw(&format!("/post/{post}/comments"), &[("body", "Hi")]).await.status, Status::Forbidden);
    assert_eq!(comment(&mut bob, 999_999, "Hi").await.status, Status::NotFound);

    // Raw HTML comes out as the text typed; headings and pictures do not.
    let sent = comment(&mut bob, post, "# Big\n\n<script>alert(1)</script> ![x](https://evil.example/p.gif)").await;
    let page = bob.follow(&sent).await;
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", page.body);
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(!page.body.contains("<h1>Big</h1>") && !page.body.contains(r#"src="https://evil.example"#));
}

#[rocket::async_test]
async fn the_writer_the_author_and_moderators_delete_a_comment_and_others_get_403() {
    let app = TestApp::with(open_site()).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let mut bob = app.signed_up("bob").await;
    let mut carol = app.signed_up("carol").await;
    let first = comment_id(&comment(&mut bob, post, "One").await);
    let second = comment_id(&comment(&mut bob, post, "Two").await);

    let page = carol.get(&format!("/post/{post}")).await;
    assert!(!page.body.contains(&format!(r#"action="/comments/{first}/delete""#)), "no button for carol");
    assert_eq!(carol.post_form(&format!("/comments/{first}/delete"), &[]).await.status, Status::Forbidden);
    let page = bob.get(&format!("/post/{post}")).await;
    assert!(page.body.contains(&format!(r#"action="/comments/{first}/delete""#)) && page.shows("Delete this comment?"));
    let done = bob.post_form(&format!("/comments/{first}/delete"), &[]).await;
    assert_eq!(done.location, Some(format!("/post/{post}#comments")));
    assert!(bob.follow(&done).await.flashes().iter().any(|(_, m)| m == "The comment has been deleted."));
    assert!(alice.get(&format!("/post/{post}")).await.body.contains(&format!(r#"action="/comments/{second}/delete""#)));
    assert_eq!(alice.post_form(&format!("/comments/{second}/delete"), &[]).await.status, Status::SeeOther);
    assert!(app.stored_comments(post).await.is_empty());
    assert_eq!(bob.post_form(&format!("/comments/{second}/delete"), &[]).await.status, Status::NotFound);
    assert_eq!(bob.post_form("/comments/nope/delete", &[]).await.status, Status::NotFound);
    let third = comment_id(&comment(&mut bob, post, "Three").await);
    persistence::users::set_admin(&app.db, app.user("carol").await.unwrap().id, true).await.unwrap();
    assert_eq!(carol.post_form(&format!("/comments/{third}/delete"), &[]).await.status, Status::SeeOther);
    assert!(app.stored_comments(post).await.is_empty());
}

#[rocket::async_test]
async fn a_held_comment_is_invisible_to_others_everywhere_and_rejecting_it_deletes_it() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let carol_token = register(&mut c, "carol").await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let slug = app.post(post).await.unwrap().slug.unwrap();
    let mut bob = app.signed_up("bob").await;
    let held = comment_id(&comment(&mut bob, post, "Buy pills").await);

    let (_, list) = call(&mut c, Get, &format!("/api/articles/{slug}/comments"), None, Some(&carol_token)).await;
    assert_eq!(list["comments"], json!([]), "not in the API for others");
    let (_, list) = call(&mut c, Get, &format!("/api/articles/{slug}/comments"), None, None).await;
    assert_eq!(list["comments"], json!([]));
    let (status, _) =
        call(&mut c, Delete, &format!("/api/articles/{slug}/comments/{held}"), None, Some(&carol_token)).await;
    assert_eq!(status, Status::NotFound, "its existence is not told");
    let mut carol = app.browser();
    carol.post_form("/login", &[("email", "carol@example.com"), ("password", gazette_tests::PASSWORD)]).await;
    assert_eq!(carol.post_form(&format!("/comments/{held}/delete"), &[]).await.status, Status::NotFound);
    assert_eq!(carol.post_form(&format!("/comments/{held}/reject"), &[]).await.status, Status::NotFound);

    let done = alice.post_form(&format!("/comments/{held}/reject"), &[]).await;
    assert_eq!(done.location.as_deref(), Some("/comments/pending"));
    assert!(alice.follow(&done).await.flashes().iter().any(|(_, m)| m == "The comment has been rejected and deleted."));
    assert!(app.stored_comments(post).await.is_empty());
    assert!(!bob.get(&format!("/post/{post}")).await.shows("Buy pills"));
}

#[rocket::async_test]
async fn the_api_follows_the_same_rule_and_shares_the_comments_with_the_site() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let bob_token = register(&mut c, "bob").await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let slug = app.post(post).await.unwrap().slug.unwrap();
    let body = json!({ "comment": { "body": "From a *client*" } });
    let (status, answer) =
        call(&mut c, Post, &format!("/api/articles/{slug}/comments"), Some(body), Some(&bob_token)).await;
    assert_eq!(status, Status::Ok, "{answer}");
    assert_eq!(answer["comment"]["body"], "From a *client*", "answered to its writer as usual");
    let id = answer["comment"]["id"].as_i64().unwrap();
    let (_, mine) = call(&mut c, Get, &format!("/api/articles/{slug}/comments"), None, Some(&bob_token)).await;
    assert_eq!(mine["comments"][0]["id"], id, "its writer lists it");
    assert!(!app.browser().get(&format!("/post/{post}")).await.shows("From a"), "held on the site too");
    assert!(alice.get("/comments/pending").await.body.contains("From a <em>client</em>"));
    alice.post_form(&format!("/comments/{id}/approve"), &[]).await;
    let (_, all) = call(&mut c, Get, &format!("/api/articles/{slug}/comments"), None, None).await;
    assert_eq!(all["comments"][0]["body"], "From a *client*");
    let mut bob = app.browser();
    bob.post_form("/login", &[("email", "bob@example.com"), ("password", gazette_tests::PASSWORD)]).await;
    let on_site = comment_id(&comment(&mut bob, post, "From the site").await);
    let (_, all) = call(&mut c, Get, &format!("/api/articles/{slug}/comments"), None, None).await;
    assert_eq!(all["comments"][1]["id"], on_site, "written on the site, listed by the API");
    let (status, _) =
        call(&mut c, Delete, &format!("/api/articles/{slug}/comments/{on_site}"), None, Some(&bob_token)).await;
    assert_eq!(status, Status::NoContent);
    assert!(!alice.get(&format!("/post/{post}")).await.shows("From the site"));
}

#[rocket::async_test]
async fn closed_posts_keep_their_comments_and_refuse_new_ones_on_the_site_and_the_api() {
    let app = TestApp::with(open_site()).await;
    let mut c = app.browser();
    let bob_token = register(&mut c, "bob").await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let slug = app.post(post).await.unwrap().slug.unwrap();
    let mut bob = app.browser();
    bob.post_form("/login", &[("email", "bob@example.com"), ("password", gazette_tests::PASSWORD)]).await;
    comment(&mut bob, post, "Before closing").await;

    let editor = alice.get(&format!("/post/{post}/update")).await;
    assert!(editor.body.contains(r#"name="close_comments""#) && !editor.body.contains("checked>"), "{}", editor.body);
    let fields = [("title", "Hello"), ("content", "Some words."), ("close_comments", "on")];
    assert_eq!(alice.post_form(&format!("/post/{post}/update"), &fields).await.status, Status::SeeOther);
    assert!(
        alice
            .get(&format!("/post/{post}/update"))
            .await
            .body
            .contains(r#"value="on" aria-describedby="close_comments-hint" checked>"#)
    );

    let page = bob.get(&format!("/post/{post}")).await;
    assert!(page.shows("Comments are closed.") && page.shows("Before closing"));
    assert!(!page.body.contains(&format!(r#"action="/post/{post}/comments""#)));
    let refused = comment(&mut bob, post, "Anyway").await;
    assert_eq!(refused.status, Status::Forbidden);
    assert!(refused.shows("Comments are closed on this post."), "{}", refused.body);
    let body = json!({ "comment": { "body": "Anyway" } });
    let (status, answer) =
        call(&mut c, Post, &format!("/api/articles/{slug}/comments"), Some(body), Some(&bob_token)).await;
    assert_eq!((status, answer["errors"]["body"][0].as_str()), (Status::Forbidden, Some("comments are closed")));
    assert_eq!(app.stored_comments(post).await.len(), 1);

    // Saved without the box ticked, the post is open again.
    alice.post_form(&format!("/post/{post}/update"), &[("title", "Hello"), ("content", "Some words.")]).await;
    assert_eq!(comment(&mut bob, post, "Open again").await.status, Status::SeeOther);
}

#[rocket::async_test]
async fn ten_comments_in_ten_minutes_then_429_with_the_wait() {
    let app = TestApp::with(open_site()).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let mut bob = app.signed_up("bob").await;
    for n in 0..10 {
        assert_eq!(comment(&mut bob, post, &format!("Comment {n}")).await.status, Status::SeeOther);
    }
    let refused = comment(&mut bob, post, "Eleventh").await;
    assert_eq!(refused.status, Status::TooManyRequests);
    assert!(refused.shows("too many comments from your account in a short time. Please try again in 10 minutes."));
    assert_eq!(refused.header("Retry-After").map(|s| s.parse::<u64>().unwrap() > 500), Some(true));
    assert_eq!(app.stored_comments(post).await.len(), 10);
    app.app().clock().advance(std::time::Duration::from_secs(601));
    assert_eq!(comment(&mut bob, post, "Later").await.status, Status::SeeOther);
}

#[rocket::async_test]
async fn comments_come_fifty_a_page_oldest_first_and_a_new_one_lands_on_the_last_page() {
    let app = TestApp::with(open_site()).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Popular").await;
    let author = app.user("alice").await.unwrap();
    for n in 0..50 {
        let body = domain::CommentBody::parse(&format!("Note number {n:02}.")).unwrap();
        app::comments::add(app.app(), &author, app::posts::PostKey::Id(post), body).await.unwrap();
        if n % 10 == 9 {
            app.app().clock().advance(std::time::Duration::from_secs(601));
        }
    }
    let mut bob = app.signed_up("bob").await;
    let sent = comment(&mut bob, post, "Number fifty-one").await;
    let id = comment_id(&sent);
    assert_eq!(sent.location, Some(format!("/post/{post}?page=2#comment-{id}")));
    let first = bob.get(&format!("/post/{post}")).await;
    assert!(first.shows("51 comments") && first.shows("Note number 00.") && first.shows("Note number 49."));
    assert!(!first.shows("Number fifty-one"));
    assert!(first.body.find("Note number 00.") < first.body.find("Note number 01."), "oldest first");
    assert!(first.body.contains(&format!(r#"href="/post/{post}?page=2#comments">Later ›</a>"#)));
    let second = bob.get(&format!("/post/{post}?page=2")).await;
    assert!(second.shows("Number fifty-one") && !second.shows("Note number 49."));
    assert_eq!(bob.get(&format!("/post/{post}?page=3")).await.status, Status::NotFound);
}

#[rocket::async_test]
async fn authors_who_turn_comment_mail_off_on_their_account_page_get_none() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::with(Settings { smtp_url: Some(smtp.url()), ..open_site() }).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let account = alice.get("/account").await;
    assert!(account.body.contains(
        r#"name="notify_comments" type="checkbox" value="on" aria-describedby="notify_comments-hint" checked>"#
    ));
    let fields = [("username", "alice"), ("email", "alice@example.com"), ("first_name", ""), ("last_name", "")];
    assert_eq!(alice.post_form("/account", &fields).await.status, Status::SeeOther);
    assert!(!app.user("alice").await.unwrap().notify_comments);
    assert!(!alice.get("/account").await.body.contains("notify_comments-hint\" checked"));
    let mut bob = app.signed_up("bob").await;
    comment(&mut bob, post, "Hello!").await;
    app.deliver_mail().await;
    assert!(smtp.received().is_empty(), "no mail");
    let mut on = fields.to_vec();
    on.push(("notify_comments", "on"));
    alice.post_form("/account", &on).await;
    comment(&mut bob, post, "Hello again!").await;
    app.deliver_mail().await;
    assert_eq!(smtp.received().len(), 1);
}

#[rocket::async_test]
async fn visitors_never_see_a_kept_page_of_comments_after_a_change_on_any_instance() {
    let app = TestApp::with(open_site()).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let mut bob = app.signed_up("bob").await;
    let first = comment_id(&comment(&mut bob, post, "Kept for visitors").await);
    let mut visitor = app.browser();
    let url = format!("/post/{post}");
    assert!(visitor.get(&url).await.body.contains(r#"<a href="/user/bob">bob</a>"#));

    // The writer's new name and picture show at once.
    let fields = [("username", "robert"), ("email", "bob@example.com"), ("first_name", ""), ("last_name", "")];
    assert_eq!(bob.post_form("/account", &fields).await.status, Status::SeeOther);
    let page = visitor.get(&url).await;
    assert!(
        page.body.contains(r#"<a href="/user/robert">robert</a>"#) && !page.body.contains("/user/bob"),
        "{}",
        page.body
    );
    let robert = app.user("robert").await.unwrap();
    persistence::users::set_image_file(&app.db, robert.id, Some("robert.png".into())).await.unwrap();
    assert!(visitor.get(&url).await.body.contains(r#"src="/media/avatars/robert.png""#));

    // A second instance's comment, approval and deletion show on the first.
    let twin = app.twin().await;
    let mut carol = twin.signed_up("carol").await;
    comment(&mut carol, post, "Written on the twin").await;
    assert!(visitor.get(&url).await.shows("Written on the twin"));
    let mut alice_on_twin = twin.browser();
    alice_on_twin.post_form("/login", &[("email", "alice@example.com"), ("password", gazette_tests::PASSWORD)]).await;
    alice_on_twin.post_form(&format!("/comments/{first}/delete"), &[]).await;
    let page = visitor.get(&url).await;
    assert!(!page.shows("Kept for visitors") && page.shows("1 comment"), "{}", page.body);
    drop(twin);
}

#[rocket::async_test]
async fn comments_from_before_rendering_show_as_typed_until_the_start_up_step_renders_them() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::with(open_site()).await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let mut bob = app.signed_up("bob").await;
    comment(&mut bob, post, "An *old* <b>comment</b>").await;
    app.db.execute_unprepared("UPDATE comments SET body_html = NULL").await.unwrap();
    let page = app.browser().get(&format!("/post/{post}")).await;
    assert!(page.body.contains("<p>An *old* &lt;b&gt;comment&lt;&#x2F;b&gt;</p>"), "{}", page.body);
    assert_eq!(app::maintenance::render_comments(app.app(), true).await.unwrap(), 1);
    assert_eq!(app::maintenance::render_comments(app.app(), true).await.unwrap(), 0, "nothing left");
    let page = app.browser().get(&format!("/post/{post}")).await;
    assert!(page.body.contains("<p>An <em>old</em> &lt;b&gt;comment&lt;/b&gt;</p>"), "{}", page.body);
    assert_eq!(app::maintenance::render_comments(app.app(), false).await.unwrap(), 1, "all, for `gazette rerender`");
}
