//! Running in production: several instances on one database behave as one site, the health
//! check, concurrent writers, and what a crash can leave behind.

use std::time::Duration;

use gazette_tests::smtp::SmtpServer;
use gazette_tests::{PASSWORD, Settings, TestApp};
use rocket::http::Method::{Get, Post, Put};
use rocket::http::Status;
use serde_json::json;

#[rocket::async_test]
async fn a_session_csrf_token_and_flash_message_work_on_every_instance() {
    let one = TestApp::spawn().await;
    let two = one.twin().await;
    let mut alice = one.signed_up("alice").await;

    // Logged in on one, known on two.
    alice.app = &two;
    let page = alice.get("/account").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.shows("alice@example.com"));

    // A form from one (its CSRF token), sent to two; the flash set by two shows on one.
    alice.app = &one;
    let token = alice.csrf_token().await;
    assert!(!token.is_empty());
    alice.app = &two;
    let created = alice.post_form("/post/new", &[("title", "Across"), ("content", "Written on two")]).await;
    assert_eq!(created.status, Status::SeeOther, "{}", created.body);
    alice.app = &one;
    let shown = alice.follow(&created).await;
    assert_eq!(shown.status, Status::Ok);
    assert!(shown.flashes().iter().any(|(_, text)| text == "Your post has been created!"), "{:?}", shown.flashes());

    // Logging out on two ends the session on one.
    alice.app = &two;
    let out = alice.post_form("/logout", &[]).await;
    assert_eq!(out.status, Status::SeeOther);
    let mut stale = one.browser();
    stale.set_cookies(alice.clone_cookies());
    let page = stale.get("/account").await;
    assert_eq!(page.status, Status::SeeOther);
    assert!(page.location.unwrap_or_default().starts_with("/login"));
    assert_eq!(one.session_count(alice.user_id.unwrap()).await, 0);
}

#[rocket::async_test]
async fn a_session_ended_on_one_instance_is_refused_by_the_other_even_if_the_cookie_is_kept() {
    let one = TestApp::spawn().await;
    let two = one.twin().await;
    let mut alice = one.signed_up("alice").await;
    let kept = alice.clone_cookies();
    let out = alice.post_form("/logout", &[]).await;
    assert_eq!(out.status, Status::SeeOther);
    let mut replay = two.browser();
    replay.set_cookies(kept);
    let page = replay.get("/account").await;
    assert_eq!(page.status, Status::SeeOther, "the old cookie is refused on the other instance");
}

#[rocket::async_test]
async fn a_token_logged_out_on_one_instance_is_refused_on_the_other() {
    let one = TestApp::spawn().await;
    let two = one.twin().await;
    let mut c = one.browser();
    let page =
        c.send_json(Post, "/auth/register", &json!({ "email": "ann@example.com", "password": PASSWORD }), &[]).await;
    assert_eq!(page.status, Status::Created);
    let bearer = format!("Bearer {}", page.json()["auth_token"].as_str().unwrap());
    let auth = [("Authorization", bearer.as_str())];

    let mut d = two.browser();
    assert_eq!(d.send(Get, "/auth/status", None, &auth).await.status, Status::Ok);
    assert_eq!(d.send(Post, "/auth/logout", None, &auth).await.status, Status::Ok);
    let refused = c.send(Get, "/auth/status", None, &auth).await;
    assert_eq!(refused.status, Status::Unauthorized);
    assert_eq!(refused.json()["message"], "Token blacklisted. Please log in again.");
}

#[rocket::async_test]
async fn mail_queued_on_two_instances_goes_out_exactly_once() {
    let smtp = SmtpServer::start().await;
    let one =
        TestApp::with(Settings { smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)), ..Settings::default() })
            .await;
    let two = one.twin().await;
    let names = ["ann", "bob", "cat", "dan", "eve"];
    for name in names {
        one.signed_up(name).await;
    }
    // Requests reach both instances; then both deliver at the same moment.
    let mut asked = 0;
    for round in 0..2 {
        for (i, name) in names.iter().enumerate() {
            let app = if (i + round) % 2 == 0 { &one } else { &two };
            let page = app.browser().post_form("/reset_password", &[("email", &format!("{name}@example.com"))]).await;
            assert_eq!(page.status, Status::SeeOther);
            asked += 1;
        }
    }
    let (by_one, by_two) = rocket::tokio::join!(one.deliver_mail(), two.deliver_mail());
    assert_eq!(by_one + by_two, asked);
    assert_eq!((one.deliver_mail().await, two.deliver_mail().await), (0, 0), "nothing is left");
    let mails = smtp.received();
    assert_eq!(mails.len(), asked, "each message exactly once");
    for name in names {
        let to = format!("{name}@example.com");
        assert_eq!(mails.iter().filter(|m| m.to.contains(&to)).count(), 2, "{to}");
    }
    let stored = persistence::outbox::list_all(&one.db).await.unwrap();
    assert_eq!(stored.len(), asked);
    assert!(stored.iter().all(|m| m.status == "sent" && m.attempts == 1), "{stored:?}");
}

#[rocket::async_test]
async fn the_health_check_says_whether_the_database_answers() {
    let app = TestApp::spawn().await;
    let response = app.client.get("/healthz").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    assert_eq!(response.into_json::<serde_json::Value>().await, Some(json!({ "status": "ok" })));

    // The application's own pool, closed: the database no longer answers.
    app.app().close_database().await.unwrap();
    let response = app.client.get("/healthz").dispatch().await;
    assert_eq!(response.status(), Status::ServiceUnavailable);
    assert_eq!(response.into_json::<serde_json::Value>().await, Some(json!({ "status": "unavailable" })));
}

/// Writers on two instances (two pools on one database) at once: every write succeeds. On SQLite
/// they queue on the write lock instead of failing with "database is locked".
#[rocket::async_test]
async fn concurrent_writers_on_two_instances_all_succeed() {
    let one = TestApp::spawn().await;
    let two = one.twin().await;
    let mut tokens = Vec::new();
    for name in ["ann", "bob", "cat", "dan"] {
        let mut c = one.browser();
        let body =
            json!({ "user": { "username": name, "email": format!("{name}@example.com"), "password": PASSWORD } });
        let page = c.send_json(Post, "/api/users", &body, &[]).await;
        assert_eq!(page.status, Status::Created);
        tokens.push(format!("Token {}", page.json()["user"]["token"].as_str().unwrap()));
    }
    let mut c = one.browser();
    let first = json!({ "article": { "title": "Shared", "description": "d", "body": "b", "tagList": ["t"] } });
    let page = c.send_json(Post, "/api/articles", &first, &[("Authorization", tokens[0].as_str())]).await;
    assert_eq!(page.status, Status::Created);
    let slug = page.json()["article"]["slug"].as_str().unwrap().to_owned();

    let writes = (0..60).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        // Only the author may edit the shared article.
        let token = if i % 5 == 4 { tokens[0].clone() } else { tokens[i % tokens.len()].clone() };
        let slug = slug.clone();
        async move {
            let mut c = app.browser();
            let auth = [("Authorization", token.as_str())];
            let page = match i % 5 {
                0 => {
                    let body = json!({ "article": {
                        "title": "Same title", "description": "d", "body": "b", "tagList": [format!("tag{i}"), "common"]
                    }});
                    c.send_json(Post, "/api/articles", &body, &auth).await
                }
                1 => {
                    let body = json!({ "comment": { "body": format!("comment {i}") } });
                    c.send_json(Post, &format!("/api/articles/{slug}/comments"), &body, &auth).await
                }
                2 => c.send(Post, &format!("/api/articles/{slug}/favorite"), None, &auth).await,
                3 => c.send_json(Put, "/api/user", &json!({ "user": { "bio": format!("bio {i}") } }), &auth).await,
                // Reads the article, then writes it, in one transaction.
                _ => {
                    let body = json!({ "article": { "body": format!("edit {i}"), "tagList": [format!("edit{i}")] } });
                    c.send_json(Put, &format!("/api/articles/{slug}"), &body, &auth).await
                }
            };
            (i, page.status, page.body)
        }
    });
    for (i, status, body) in rocket::futures::future::join_all(writes).await {
        assert!(status.class().is_success(), "write {i}: {status} {body}");
    }
    let (_, count) =
        persistence::articles::list(&one.db, &persistence::articles::Filter::default(), 1, 0).await.unwrap();
    assert_eq!(count, 1 + 12);
    let (post_id, _) = persistence::posts::find_id_by_slug(&one.db, &slug).await.unwrap().unwrap();
    // Stored, whether shown at once or held for the author's approval.
    assert_eq!(one.stored_comments(post_id).await.len(), 12);
}

/// A crash between writing an avatar file and committing its row (or between committing a new
/// avatar and deleting the old) leaves a file no account uses: the next start deletes it once it
/// is old enough, and keeps every file in use and every recent one.
#[rocket::async_test]
async fn avatar_files_a_crash_left_behind_are_swept_at_start() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let png = gazette_tests::picture(300, 200, image::ImageFormat::Png);
    let page = alice.upload_avatar("me.png", "image/png", &png).await;
    assert_eq!(page.status, Status::SeeOther);
    let in_use = app.avatar_files();
    assert_eq!(in_use.len(), 1);

    let dir = app.media_dir.join("avatars");
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 3600);
    let orphan = "0123456789abcdef0123456789abcdef.png";
    let half_written = ".fedcba9876543210fedcba9876543210.png.tmp";
    let recent = "11111111111111111111111111111111.png";
    let not_ours = "README.txt";
    for name in [orphan, half_written, recent, not_ours] {
        std::fs::write(dir.join(name), b"x").unwrap();
    }
    for name in [orphan, half_written, not_ours, in_use[0].as_str()] {
        std::fs::File::options().write(true).open(dir.join(name)).unwrap().set_modified(hour_ago).unwrap();
    }

    // What runs at start-up and then every hour.
    app::maintenance::purge(app.app()).await;
    assert!(!dir.join(orphan).exists(), "a file no account uses goes");
    assert!(!dir.join(half_written).exists(), "so does a half-written one");
    assert!(dir.join(&in_use[0]).exists(), "the file in use stays");
    assert!(dir.join(recent).exists(), "a recent file may be an upload in progress");
    assert!(dir.join(not_ours).exists(), "files we did not write are left alone");
}

/// The hourly purge reads the time where sessions are given it (the app's clock): a session that
/// has expired by that clock goes, one still live stays.
#[rocket::async_test]
async fn the_purge_forgets_sessions_expired_by_the_sites_clock() {
    let app = TestApp::spawn().await;
    let alice = app.signed_up("alice").await;
    let id = alice.user_id.unwrap();
    app::maintenance::purge(app.app()).await;
    assert_eq!(app.session_rows(id).await, 1, "a live session stays");

    app.app().clock().advance(Duration::from_secs(31 * 24 * 3600));
    app::maintenance::purge(app.app()).await;
    assert_eq!(app.session_rows(id).await, 0, "a session past its end is forgotten");
}
