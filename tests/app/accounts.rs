//! The account lifecycle: password reset by mail, password change, account deletion,
//! moderators, and brute-force throttling. Mail goes to a real SMTP server in the test.

use std::time::Duration;

use gazette_tests::smtp::{Received, SmtpServer, free_port};
use gazette_tests::{Browser, PASSWORD, Page, Settings, TestApp, picture};
use rocket::http::Status;

const REQUEST_SENT: &str =
    "If an account exists for that email, you will receive an email with instructions to reset your password.";

/// Delivers the mail that is due and answers every mail the server has received so far.
async fn delivered(app: &TestApp, smtp: &SmtpServer) -> Vec<Received> {
    app.deliver_mail().await;
    smtp.received()
}

async fn app_with_mail(smtp: &SmtpServer) -> TestApp {
    TestApp::with(Settings { smtp_url: Some(smtp.url()), ..Settings::default() }).await
}

/// Asks for a reset link for `email` and returns the page answered.
async fn ask_reset(b: &mut Browser<'_>, email: &str) -> Page {
    b.post_form("/reset_password", &[("email", email)]).await
}

/// The path of the reset link in the newest mail.
fn reset_path(smtp: &SmtpServer) -> String {
    smtp.newest_link_path("http://127.0.0.1:8000", "/reset_password/")
}

async fn login(app: &TestApp, email: &str, password: &str) -> Page {
    app.browser().post_form("/login", &[("email", email), ("password", password)]).await
}

#[rocket::async_test]
async fn a_reset_mail_arrives_with_a_link_that_works_once() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let form = b.get("/reset_password").await;
    assert_eq!(form.status, Status::Ok);

    let page = ask_reset(&mut b, "Alice@Example.com").await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location.as_deref(), Some("/login"));
    assert_eq!(b.follow(&page).await.flashes(), vec![("info".into(), REQUEST_SENT.into())]);

    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["alice@example.com".to_owned()]);
    assert_eq!(mails[0].header("Subject").as_deref(), Some("Password Reset Request"));
    let path = reset_path(&smtp);

    let form = b.get(&path).await;
    assert_eq!(form.status, Status::Ok, "{}", form.body);
    assert!(form.body.contains("name=\"confirm_password\""));
    let mismatch = b.post_form(&path, &[("password", "brand-new-pass"), ("confirm_password", "other-pass")]).await;
    assert_eq!(mismatch.status, Status::Ok);
    assert_eq!(mismatch.field_error("confirm_password").as_deref(), Some("Passwords must match."));

    let done = b.post_form(&path, &[("password", "brand-new-pass"), ("confirm_password", "brand-new-pass")]).await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(done.location.as_deref(), Some("/login"));
    assert_eq!(
        b.follow(&done).await.flashes(),
        vec![("success".into(), "Your password has been updated! You are now able to log in".into())]
    );
    assert_eq!(login(&app, "alice@example.com", "brand-new-pass").await.location.as_deref(), Some("/"));
    assert_eq!(login(&app, "alice@example.com", PASSWORD).await.status, Status::Ok, "the old password is gone");

    // Used once, the link is dead.
    for post in [false, true] {
        let again = if post {
            b.post_form(&path, &[("password", "third-pass-1"), ("confirm_password", "third-pass-1")]).await
        } else {
            b.get(&path).await
        };
        assert_eq!(again.status, Status::SeeOther);
        assert_eq!(again.location.as_deref(), Some("/reset_password"));
        assert_eq!(
            b.follow(&again).await.flashes(),
            vec![("warning".into(), "That is an invalid or expired token".into())]
        );
    }
    assert_eq!(login(&app, "alice@example.com", "brand-new-pass").await.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn an_unknown_email_gets_the_same_answer_and_no_mail() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let page = ask_reset(&mut b, "nobody@example.com").await;
    assert_eq!(page.location.as_deref(), Some("/login"));
    assert_eq!(b.follow(&page).await.flashes(), vec![("info".into(), REQUEST_SENT.into())]);
    let page = ask_reset(&mut b, "not an email").await;
    assert_eq!(page.location.as_deref(), Some("/login"));
    assert_eq!(app.deliver_mail().await, 0);
    assert!(smtp.received().is_empty());
    assert!(persistence::outbox::list_all(&app.db).await.unwrap().is_empty());
}

#[rocket::async_test]
async fn signed_in_users_are_sent_home_from_the_reset_pages() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    assert_eq!(alice.get("/reset_password").await.location.as_deref(), Some("/"));
    assert_eq!(alice.get("/reset_password/anything").await.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn expired_and_tampered_links_are_refused() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::with(Settings { smtp_url: Some(smtp.url()), reset_token_ttl: 1, ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    ask_reset(&mut b, "alice@example.com").await;
    delivered(&app, &smtp).await;
    let path = reset_path(&smtp);

    let mut tampered = path.clone().into_bytes();
    let i = tampered.len() - 5;
    tampered[i] = if tampered[i] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "/reset_password/not-a-token"] {
        let page = b.get(bad).await;
        assert_eq!(page.location.as_deref(), Some("/reset_password"), "{bad}");
    }

    app.app().clock().advance(Duration::from_secs(1));
    let page = b.get(&path).await;
    assert_eq!(page.location.as_deref(), Some("/reset_password"), "expired");
    assert_eq!(b.follow(&page).await.flashes(), vec![("warning".into(), "That is an invalid or expired token".into())]);
    let page = b.post_form(&path, &[("password", "brand-new-pass"), ("confirm_password", "brand-new-pass")]).await;
    assert_eq!(page.location.as_deref(), Some("/reset_password"));
    assert_eq!(login(&app, "alice@example.com", PASSWORD).await.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn a_reset_ends_every_session_of_the_account() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.user_id.unwrap();
    assert_eq!(alice.get("/account").await.status, Status::Ok);
    let mut b = app.browser();
    ask_reset(&mut b, "alice@example.com").await;
    delivered(&app, &smtp).await;
    let path = reset_path(&smtp);
    b.post_form(&path, &[("password", "brand-new-pass"), ("confirm_password", "brand-new-pass")]).await;
    assert_eq!(app.session_count(id).await, 0);
    let page = alice.get("/account").await;
    assert_eq!(page.status, Status::SeeOther);
    assert!(page.location.unwrap().starts_with("/login"));
}

#[rocket::async_test]
async fn mail_waits_in_the_outbox_while_the_server_is_down_and_goes_exactly_once() {
    let port = free_port();
    let app =
        TestApp::with(Settings { smtp_url: Some(format!("smtp://127.0.0.1:{port}")), ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let page = ask_reset(&mut b, "alice@example.com").await;
    assert_eq!(page.status, Status::SeeOther, "the request succeeds with the mail server down");
    assert_eq!(page.location.as_deref(), Some("/login"));

    // Tried and failed: counted, kept.
    assert_eq!(app.deliver_mail().await, 0);
    let queued = app.outbox().await;
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].status.as_str(), queued[0].attempts), ("pending", 1));
    assert!(queued[0].last_error.is_some());

    let smtp = SmtpServer::start_on(port).await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].header("Subject").as_deref(), Some("Password Reset Request"));
    assert_eq!(app.deliver_mail().await, 0, "nothing is left to send");
    assert_eq!(smtp.received().len(), 1, "delivered exactly once");
    let stored = persistence::outbox::list_all(&app.db).await.unwrap();
    assert_eq!(stored[0].status, "sent");
    assert!(stored[0].sent_at.is_some());
}

/// The outbox's message `n` (from 0, oldest first) after a delivery round that could not send
/// it, if that round tried it.
async fn attempted(app: &TestApp, n: usize) -> Option<persistence::outbox::Message> {
    assert_eq!(app.deliver_mail().await, 0, "the mail server took nothing");
    app.outbox().await.into_iter().nth(n).filter(|m| m.attempts >= 1)
}

/// The outbox's message `n` (from 0, oldest first), if it is marked sent.
async fn marked_sent(app: &TestApp, n: usize) -> Option<persistence::outbox::Message> {
    app.outbox().await.into_iter().nth(n).filter(|m| m.status == "sent")
}

#[rocket::async_test]
async fn mail_flows_again_after_the_mail_server_crashes_with_its_connections_open() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = app_with_mail(&smtp).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    ask_reset(&mut b, "alice@example.com").await;
    assert_eq!(delivered(&app, &smtp).await.len(), 1);
    marked_sent(&app, 0).await.expect("marked sent");

    smtp.crash().await;
    assert_eq!(ask_reset(&mut b, "alice@example.com").await.location.as_deref(), Some("/login"));
    // While the server is down, attempts fail and are counted; the message stays pending.
    let tried = attempted(&app, 1).await.expect("an attempt");
    assert_eq!(tried.status, "pending");
    assert!(tried.last_error.is_some());

    let smtp = SmtpServer::start_on(port).await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1, "the second mail arrives once the server is back");
    assert_eq!(mails[0].header("Subject").as_deref(), Some("Password Reset Request"));
    assert!(marked_sent(&app, 1).await.expect("marked sent").attempts >= 2);
    assert_eq!(smtp.received().len(), 1, "delivered exactly once");
}

#[rocket::async_test]
async fn mail_flows_again_after_the_mail_server_hangs_with_its_connections_open() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    // A hung server is given up on after the delivery timeout.
    let app = TestApp::with(Settings { smtp_url: Some(smtp.url()), mail_timeout_ms: 300, ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    ask_reset(&mut b, "alice@example.com").await;
    assert_eq!(delivered(&app, &smtp).await.len(), 1);
    marked_sent(&app, 0).await.expect("marked sent");

    let hung = smtp.hang().await;
    ask_reset(&mut b, "alice@example.com").await;
    let tried = attempted(&app, 1).await.expect("an attempt");
    assert_eq!(tried.status, "pending");

    let smtp = SmtpServer::start_on(port).await;
    assert_eq!(delivered(&app, &smtp).await.len(), 1, "the second mail arrives once a server answers");
    marked_sent(&app, 1).await.expect("marked sent");
    assert_eq!(smtp.received().len(), 1, "delivered exactly once");
    drop(hung);
}

#[rocket::async_test]
async fn a_message_held_by_an_instance_that_died_is_delivered_once_its_lease_runs_out() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    // Another instance took the message ten minutes ago and died while delivering it.
    let then = chrono::Utc::now() - chrono::Duration::minutes(10);
    let message = persistence::outbox::NewMessage {
        recipient: "ann@example.com".into(),
        subject: "Held".into(),
        body_text: "Body".into(),
        body_html: None,
    };
    // Stored and taken at once (no worker sees it unclaimed), with a lease that ran out 5 minutes ago.
    let txn = persistence::begin_write(&app.db).await.unwrap();
    persistence::outbox::enqueue(&txn, message, then).await.unwrap();
    let held = persistence::outbox::claim_due(&txn, then, chrono::Duration::minutes(5), 10).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(held.len(), 1);

    let other = app.twin().await;
    let mails = delivered(&other, &smtp).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].header("Subject").as_deref(), Some("Held"));
    marked_sent(&app, 0).await.expect("marked sent");
    assert_eq!(smtp.received().len(), 1);
    drop(other);
}

#[rocket::async_test]
async fn a_mail_server_that_never_answers_counts_as_down_until_it_answers() {
    let port = free_port();
    let silent = SmtpServer::start_silent_on(port).await;
    let app = TestApp::with(Settings {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_timeout_ms: 300,
        ..Settings::default()
    })
    .await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    ask_reset(&mut b, "alice@example.com").await;
    let tried = attempted(&app, 0).await.expect("an attempt");
    assert_eq!(tried.status, "pending");
    assert!(silent.connections() >= 1, "the attempt reached the silent server");

    silent.crash().await;
    let smtp = SmtpServer::start_on(port).await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1);
    marked_sent(&app, 0).await.expect("marked sent");
    assert_eq!(smtp.received().len(), 1);
}

#[rocket::async_test]
async fn changing_the_password_checks_the_old_one_and_signs_out_other_devices() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.user_id.unwrap();
    let mut phone = app.browser();
    phone.post_form("/login", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(app.session_count(id).await, 2);

    let form = alice.get("/password/change").await;
    assert_eq!(form.status, Status::Ok);
    assert!(alice.get("/account").await.body.contains("href=\"/password/change\""), "the account page links to it");

    let wrong = alice
        .post_form(
            "/password/change",
            &[("old_password", "nope-nope"), ("new_password", "next-password"), ("confirm_password", "next-password")],
        )
        .await;
    assert_eq!(wrong.status, Status::Ok);
    assert!(wrong.field_error("old_password").unwrap().contains("incorrectly"));
    let mismatch = alice
        .post_form(
            "/password/change",
            &[("old_password", PASSWORD), ("new_password", "next-password"), ("confirm_password", "next-passw0rd")],
        )
        .await;
    assert_eq!(mismatch.field_error("confirm_password").as_deref(), Some("Passwords must match."));
    let weak = alice
        .post_form(
            "/password/change",
            &[("old_password", PASSWORD), ("new_password", "short"), ("confirm_password", "short")],
        )
        .await;
    assert_eq!(weak.field_error("new_password").as_deref(), Some("Password must be at least 8 characters long."));
    assert_eq!(login(&app, "alice@example.com", PASSWORD).await.location.as_deref(), Some("/"), "unchanged so far");

    let done = alice
        .post_form(
            "/password/change",
            &[("old_password", PASSWORD), ("new_password", "next-password"), ("confirm_password", "next-password")],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(done.location.as_deref(), Some("/password/change/done"));
    let page = alice.follow(&done).await;
    assert!(page.shows("Congrats. Your password was changed."));
    assert!(page.body.contains("href=\"/account\""));
    assert_eq!(alice.get("/account").await.status, Status::Ok, "this browser stays signed in");
    assert_eq!(phone.get("/account").await.status, Status::SeeOther, "the other one is signed out");
    assert_eq!(login(&app, "alice@example.com", "next-password").await.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn deleting_an_account_takes_its_posts_picture_and_sessions() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.user_id.unwrap();
    let post = alice.writes_post("Soon gone").await;
    let mut bob = app.signed_up("bob").await;
    let bobs = bob.writes_post("Staying").await;
    alice.upload_avatar("a.png", "image/png", &picture(40, 40, image::ImageFormat::Png)).await;
    assert_eq!(app.avatar_files().len(), 1);
    let account = alice.get("/account").await;
    assert!(account.body.contains("action=\"/account/delete\""));

    let wrong = alice.post_form("/account/delete", &[("password", "not-my-password")]).await;
    assert_eq!(wrong.location.as_deref(), Some("/account"));
    assert_eq!(alice.follow(&wrong).await.flashes()[0].0, "danger");
    assert!(app.user("alice").await.is_some() && app.post(post).await.is_some());
    assert_eq!(
        alice.post_raw("/account/delete", &[("password", PASSWORD)]).await.status,
        Status::Forbidden,
        "no CSRF token"
    );
    assert!(app.user("alice").await.is_some());

    let page = alice.post_form("/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location.as_deref(), Some("/"));
    assert_eq!(alice.follow(&page).await.flashes(), vec![("success".into(), "Your account has been deleted.".into())]);
    assert!(app.user("alice").await.is_none());
    assert!(app.post(post).await.is_none());
    assert_eq!(app.session_count(id).await, 0);
    assert!(app.avatar_files().is_empty());
    assert!(!alice.has_cookie("session"));
    assert!(app.post(bobs).await.is_some(), "nobody else's posts");
    assert_eq!(login(&app, "alice@example.com", PASSWORD).await.status, Status::Ok, "the login fails");
}

#[rocket::async_test]
async fn moderators_may_change_any_post_and_delete_any_user_others_may_not() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    let mut moderator = app.signed_up("mod").await;
    assert!(app::accounts::set_moderator(app.app(), "MOD", true).await.unwrap().is_admin);
    assert!(matches!(
        app::accounts::set_moderator(app.app(), "nobody", true).await,
        Err(app::AppError::NotFound("account"))
    ));
    let post = alice.writes_post("By alice").await;
    alice.upload_avatar("a.png", "image/png", &picture(40, 40, image::ImageFormat::Png)).await;

    // Not a moderator: refused, nothing changes.
    assert_eq!(bob.post_form("/user/alice/delete", &[]).await.status, Status::Forbidden);
    assert!(!bob.get("/user/alice").await.body.contains("/user/alice/delete"));
    assert!(app.user("alice").await.is_some());

    let shown = moderator.get(&format!("/post/{post}")).await;
    assert!(shown.body.contains(&format!("href=\"/post/{post}/update\"")));
    let page =
        moderator.post_form(&format!("/post/{post}/update"), &[("title", "Edited by mod"), ("content", "x")]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(app.post(post).await.unwrap().title, "Edited by mod");
    assert!(moderator.get("/user/alice").await.body.contains("action=\"/user/alice/delete\""));
    assert_eq!(moderator.post_form("/user/nobody/delete", &[]).await.status, Status::NotFound);
    let page = moderator.post_form("/user/alice/delete", &[]).await;
    assert_eq!(page.location.as_deref(), Some("/"));
    assert!(app.user("alice").await.is_none());
    assert!(app.post(post).await.is_none());
    assert!(app.avatar_files().is_empty());

    // Revoked, the powers are gone.
    app::accounts::set_moderator(app.app(), "mod", false).await.unwrap();
    let bobs = bob.writes_post("By bob").await;
    assert_eq!(moderator.post_form(&format!("/post/{bobs}/delete"), &[]).await.status, Status::Forbidden);
    assert_eq!(moderator.post_form("/user/bob/delete", &[]).await.status, Status::Forbidden);
}

#[rocket::async_test]
async fn the_sixth_failed_login_locks_the_account_for_a_while_but_not_others() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    app.signed_up("bob").await;
    let mut b = app.browser();
    for attempt in 1..=5 {
        let page = b.post_form("/login", &[("email", "alice@example.com"), ("password", "wrong-password")]).await;
        assert_eq!(page.status, Status::Ok, "attempt {attempt}");
    }
    let locked = b.post_form("/login", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(locked.status, Status::TooManyRequests, "even the right password waits");
    assert!(locked.shows("try again in 15 minutes"), "{}", locked.body);
    assert!(!b.has_cookie("session"));
    let retry = locked.retry_after.expect("a Retry-After header");
    assert!((800..=900).contains(&retry), "{retry}");
    assert_eq!(
        login(&app, "ALICE@example.com", PASSWORD).await.status,
        Status::TooManyRequests,
        "from another browser too"
    );

    assert_eq!(login(&app, "bob@example.com", PASSWORD).await.location.as_deref(), Some("/"), "bob is unaffected");
}

#[rocket::async_test]
async fn failures_from_one_address_never_lock_the_owner_out_from_another() {
    use rocket::http::Method;
    use serde_json::json;
    let app = TestApp::spawn().await;
    app.signed_up("carol").await;
    app.signed_up("mallory").await;
    let carol = [("email", "carol@example.com"), ("password", "wrong-password")];
    let mut attacker = app.browser().from_address("203.0.113.7");
    for attempt in 1..=5 {
        assert_eq!(attacker.post_form("/login", &carol).await.status, Status::Ok, "attempt {attempt}");
    }
    let right = [("email", "carol@example.com"), ("password", PASSWORD)];
    assert_eq!(attacker.post_form("/login", &right).await.status, Status::TooManyRequests);
    let api_body = json!({ "user": { "email": "carol@example.com", "password": PASSWORD } });
    let auth_body = json!({ "email": "carol@example.com", "password": PASSWORD });
    assert_eq!(
        attacker.send_json(Method::Post, "/api/users/login", &api_body, &[]).await.status,
        Status::TooManyRequests
    );
    assert_eq!(attacker.send_json(Method::Post, "/auth/login", &auth_body, &[]).await.status, Status::TooManyRequests);

    // Carol, from her own address, is let in at once by every door.
    let mut owner = app.browser().from_address("198.51.100.2");
    assert_eq!(owner.post_form("/login", &right).await.location.as_deref(), Some("/"));
    assert_eq!(owner.send_json(Method::Post, "/api/users/login", &api_body, &[]).await.status, Status::Ok);
    assert_eq!(owner.send_json(Method::Post, "/auth/login", &auth_body, &[]).await.status, Status::Ok);

    // The attacker's address may still sign in to an account of its own.
    let own = [("email", "mallory@example.com"), ("password", PASSWORD)];
    assert_eq!(attacker.post_form("/login", &own).await.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn a_reset_lifts_the_owners_own_lock() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    app.signed_up("car_ol").await;
    let mut b = app.browser().from_address("198.51.100.2");
    for _ in 0..5 {
        b.post_form("/login", &[("email", "car_ol@example.com"), ("password", "wrong-password")]).await;
    }
    let right = [("email", "car_ol@example.com"), ("password", PASSWORD)];
    assert_eq!(b.post_form("/login", &right).await.status, Status::TooManyRequests);
    ask_reset(&mut b, "car_ol@example.com").await;
    delivered(&app, &smtp).await;
    let path = reset_path(&smtp);
    let done = b.post_form(&path, &[("password", "brand-new-pass"), ("confirm_password", "brand-new-pass")]).await;
    assert_eq!(done.location.as_deref(), Some("/login"));
    let page = b.post_form("/login", &[("email", "car_ol@example.com"), ("password", "brand-new-pass")]).await;
    assert_eq!(page.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn twenty_failures_from_one_address_hold_that_address_back_only() {
    let app = TestApp::spawn().await;
    app.signed_up("carol").await;
    let mut guesser = app.browser().from_address("203.0.113.9");
    for k in 0..20 {
        let email = format!("person{k}@example.com");
        let page = guesser.post_form("/login", &[("email", &email), ("password", "wrong-password")]).await;
        assert_eq!(page.status, Status::Ok);
    }
    let right = [("email", "carol@example.com"), ("password", PASSWORD)];
    assert_eq!(guesser.post_form("/login", &right).await.status, Status::TooManyRequests);
    let mut owner = app.browser().from_address("198.51.100.2");
    assert_eq!(owner.post_form("/login", &right).await.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn a_successful_login_clears_the_accounts_failures() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    for _ in 0..4 {
        login(&app, "alice@example.com", "wrong-password").await;
    }
    assert_eq!(login(&app, "alice@example.com", PASSWORD).await.location.as_deref(), Some("/"));
    for _ in 0..4 {
        assert_eq!(login(&app, "alice@example.com", "wrong-password").await.status, Status::Ok);
    }
    assert_eq!(login(&app, "alice@example.com", PASSWORD).await.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn a_flood_of_reset_requests_does_not_become_a_flood_of_mail() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    for _ in 0..5 {
        assert_eq!(ask_reset(&mut b, "alice@example.com").await.status, Status::SeeOther);
    }
    let page = ask_reset(&mut b, "alice@example.com").await;
    assert_eq!(page.status, Status::TooManyRequests);
    assert!(page.shows("try again in"));
    assert_eq!(app.deliver_mail().await, 5);
    assert_eq!(smtp.received().len(), 5);
}

#[rocket::async_test]
async fn a_message_is_given_up_after_the_last_attempt() {
    let port = free_port();
    let app = TestApp::with(Settings {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        mail_max_attempts: 2,
        ..Settings::default()
    })
    .await;
    app.signed_up("alice").await;
    ask_reset(&mut app.browser(), "alice@example.com").await;
    assert_eq!(app.deliver_mail().await, 0);
    assert_eq!(app.outbox().await[0].status, "pending", "one attempt of two");
    assert_eq!(app.deliver_mail().await, 0);
    let stored = app.outbox().await;
    assert_eq!(stored[0].status, "failed");
    assert_eq!(stored[0].attempts, 2);
    // A server that comes up later gets nothing: the message was given up on.
    let smtp = SmtpServer::start_on(port).await;
    assert_eq!(app.deliver_mail().await, 0);
    assert!(smtp.received().is_empty());
}

const CHANGED: &str = "Your Gazette account was changed";

#[rocket::async_test]
async fn changing_the_email_on_the_site_asks_for_the_password_and_tells_the_old_address() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    let mut alice = app.signed_up("alice").await;
    let ask = "Please enter your current password to change your email.";
    for password in [None, Some("wrong-password")] {
        let mut fields = vec![("username", "alice"), ("email", "mallory@example.com")];
        fields.extend(password.map(|p| ("current_password", p)));
        let page = alice.post_multipart("/account", &fields, &[]).await;
        assert_eq!(page.status, Status::Ok, "{password:?}");
        assert_eq!(page.field_error("current_password").as_deref(), Some(ask));
        assert_eq!(app.user("alice").await.unwrap().email, "alice@example.com");
    }
    // Other details change without it.
    let page = alice
        .post_multipart(
            "/account",
            &[("username", "alice"), ("email", "alice@example.com"), ("first_name", "Alice")],
            &[],
        )
        .await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert!(app.outbox().await.is_empty(), "no notice for a name");

    let fields = [("username", "alice"), ("email", "alice@example.org"), ("current_password", PASSWORD)];
    let page = alice.post_multipart("/account", &fields, &[]).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert_eq!(app.user("alice").await.unwrap().email, "alice@example.org");
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["alice@example.com".to_owned()], "the notice goes to the previous address");
    assert_eq!(mails[0].header("Subject").as_deref(), Some(CHANGED));
    assert!(
        mails[0].data.contains("email address") && mails[0].data.contains("alice@example.org"),
        "{}",
        mails[0].data
    );
    // The link in it resets the password of the account.
    let path = reset_path(&smtp);
    assert_eq!(app.browser().get(&path).await.status, Status::Ok);
}

#[rocket::async_test]
async fn every_door_that_changes_a_password_or_email_sends_a_notice() {
    use rocket::http::Method;
    use serde_json::json;
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(&smtp).await;
    let mut alice = app.signed_up("alice").await;
    let page = alice
        .post_form(
            "/password/change",
            &[("old_password", PASSWORD), ("new_password", "brand-new-pass"), ("confirm_password", "brand-new-pass")],
        )
        .await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails[0].to, vec!["alice@example.com".to_owned()]);
    assert_eq!(mails[0].header("Subject").as_deref(), Some(CHANGED));
    assert!(mails[0].data.contains("password"));

    // The RealWorld API: its clients send nothing new, and the old address hears of it.
    let mut api = app.browser();
    let login = json!({ "user": { "email": "alice@example.com", "password": "brand-new-pass" } });
    let token = api.send_json(Method::Post, "/api/users/login", &login, &[]).await.json()["user"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = json!({ "user": { "email": "alice@example.net" } });
    let page = api.send_json(Method::Put, "/api/user", &change, &[("Authorization", &format!("Token {token}"))]).await;
    assert_eq!(page.status, Status::Ok);
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails[1].to, vec!["alice@example.com".to_owned()]);
    assert_eq!(mails[1].header("Subject").as_deref(), Some(CHANGED));

    // A reset through /auth tells the account's address too.
    ask_reset(&mut app.browser(), "alice@example.net").await;
    assert_eq!(delivered(&app, &smtp).await.len(), 3);
    let link = reset_path(&smtp);
    let token = link.trim_start_matches("/reset_password/");
    let reset = app
        .browser()
        .send_form(
            Method::Put,
            "/auth/reset_password",
            &[("email", "alice@example.net"), ("reset_token", token), ("new_password", "third-pass-1")],
        )
        .await;
    assert_eq!(reset.status, Status::Ok, "{}", reset.body);
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 4);
    assert_eq!(mails[3].to, vec!["alice@example.net".to_owned()]);
    assert_eq!(mails[3].header("Subject").as_deref(), Some(CHANGED));
}

#[rocket::async_test]
async fn the_form_token_is_replaced_at_login_and_logout() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let before = b.csrf_token().await;
    let page = b.post_form("/login", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(page.location.as_deref(), Some("/"));
    b.get("/").await;
    let signed_in = b.csrf_token().await;
    assert_ne!(before, signed_in, "no token carried across a login");
    let stale = b.post_raw("/post/new", &[("csrf_token", &before), ("title", "t"), ("content", "c")]).await;
    assert_eq!(stale.status, Status::Forbidden, "the token from before the login is dead");
    let out = b.post_form("/logout", &[]).await;
    assert_eq!(out.status, Status::SeeOther);
    b.get("/login").await;
    assert_ne!(b.csrf_token().await, signed_in, "nor across a logout");
}

/// What a browser and two programs signed in as alice hold: the site session of each browser, a
/// RealWorld token and an `/auth` token.
struct SignedIn<'a> {
    laptop: Browser<'a>,
    phone: Browser<'a>,
    api_token: String,
    auth_token: String,
}

async fn signed_in_everywhere<'a>(app: &'a TestApp, password: &str) -> SignedIn<'a> {
    use rocket::http::Method::Post;
    let credentials = [("email", "alice@example.com"), ("password", password)];
    let mut laptop = app.browser();
    assert_eq!(laptop.post_form("/login", &credentials).await.location.as_deref(), Some("/"));
    let mut phone = app.browser();
    assert_eq!(phone.post_form("/login", &credentials).await.location.as_deref(), Some("/"));
    let user = serde_json::json!({ "user": { "email": "alice@example.com", "password": password } });
    let api_token = phone.send_json(Post, "/api/users/login", &user, &[]).await.json()["user"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let auth = serde_json::json!({ "email": "alice@example.com", "password": password });
    let auth_token = phone.send_json(Post, "/auth/login", &auth, &[]).await.json()["auth_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    SignedIn { laptop, phone, api_token, auth_token }
}

/// Whether the site session, the RealWorld token and the `/auth` token still work.
async fn still_valid(c: &mut Browser<'_>, signed_in: &mut SignedIn<'_>) -> (bool, bool, bool, bool) {
    use rocket::http::Method::Get;
    let laptop = signed_in.laptop.get("/account").await.status == Status::Ok;
    let phone = signed_in.phone.get("/account").await.status == Status::Ok;
    let api = c.send(Get, "/api/user", None, &[("Authorization", &format!("Token {}", signed_in.api_token))]).await;
    let auth =
        c.send(Get, "/auth/status", None, &[("Authorization", &format!("Bearer {}", signed_in.auth_token))]).await;
    (laptop, phone, api.status == Status::Ok, auth.status == Status::Ok)
}

#[rocket::async_test]
async fn a_password_change_from_any_door_ends_every_other_session_and_every_earlier_token() {
    use rocket::http::Method::{Get, Put};
    let app = TestApp::with(Settings { api_expose_reset_token: true, ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut c = app.browser();

    // The site's form: the laptop that asked stays signed in, nothing else does.
    let mut s = signed_in_everywhere(&app, PASSWORD).await;
    assert_eq!(still_valid(&mut c, &mut s).await, (true, true, true, true));
    let form =
        [("old_password", PASSWORD), ("new_password", "second-password"), ("confirm_password", "second-password")];
    assert_eq!(s.laptop.post_form("/password/change", &form).await.location.as_deref(), Some("/password/change/done"));
    assert_eq!(still_valid(&mut c, &mut s).await, (true, false, false, false));

    // The RealWorld API: every site session ends and so does every earlier token; the answer
    // carries the token that works from now on.
    let mut s = signed_in_everywhere(&app, "second-password").await;
    let other_token = s.auth_token.clone();
    let body = serde_json::json!({ "user": { "password": "third-password" } });
    let changed = c.send_json(Put, "/api/user", &body, &[("Authorization", &format!("Token {}", s.api_token))]).await;
    assert_eq!(changed.status, Status::Ok);
    let fresh = changed.json()["user"]["token"].as_str().unwrap().to_owned();
    assert_eq!(still_valid(&mut c, &mut s).await, (false, false, false, false));
    let me = c.send(Get, "/api/user", None, &[("Authorization", &format!("Token {fresh}"))]).await;
    assert_eq!(me.status, Status::Ok, "the fresh token works");
    let old = c.send(Get, "/auth/status", None, &[("Authorization", &format!("Bearer {other_token}"))]).await;
    assert_eq!(old.json()["message"], "Token blacklisted. Please log in again.");

    // A reset (here through /auth): everything ends, and the account's failed logins are forgotten.
    let mut s = signed_in_everywhere(&app, "third-password").await;
    let mut thief = app.browser().from_address("203.0.113.7");
    for _ in 0..5 {
        thief.post_form("/login", &[("email", "alice@example.com"), ("password", "guess-guess")]).await;
    }
    let locked = thief.post_form("/login", &[("email", "alice@example.com"), ("password", "third-password")]).await;
    assert_eq!(locked.status, Status::TooManyRequests);
    let asked =
        c.send_form(rocket::http::Method::Post, "/auth/reset_password", &[("email", "alice@example.com")]).await;
    let token = asked.json()["reset_token"].as_str().unwrap().to_owned();
    let reset = c
        .send_form(
            Put,
            "/auth/reset_password",
            &[("email", "alice@example.com"), ("reset_token", &token), ("new_password", "fourth-password")],
        )
        .await;
    assert_eq!(reset.status, Status::Ok);
    assert_eq!(still_valid(&mut c, &mut s).await, (false, false, false, false));
    let unlocked = thief.post_form("/login", &[("email", "alice@example.com"), ("password", "fourth-password")]).await;
    assert_eq!(unlocked.location.as_deref(), Some("/"), "the reset lifted the lock");
}

#[rocket::async_test]
async fn the_outbox_worker_delivers_in_the_background_once_woken() {
    // The one test of the worker loop itself; every other test delivers with deliver_mail().
    let smtp = SmtpServer::start().await;
    let app = TestApp::with(Settings { smtp_url: Some(smtp.url()), mail_worker: true, ..Settings::default() }).await;
    app.signed_up("alice").await;
    ask_reset(&mut app.browser(), "alice@example.com").await;
    // Woken by the request, the worker sends at once; the wait only bounds a broken worker.
    let mails = smtp.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].header("Subject").as_deref(), Some("Password Reset Request"));
}
