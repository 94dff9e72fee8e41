//! The account lifecycle: password reset by mail, password change, account deletion and
//! moderators. Mail goes to a real SMTP server in the test.

use std::time::Duration;

use gazette_tests::smtp::{Received, SmtpServer};
use gazette_tests::{Browser, PASSWORD, Page, Settings, TestApp, picture};
use rocket::http::Status;

pub(crate) const REQUEST_SENT: &str =
    "If an account exists for that email, you will receive an email with instructions to reset your password.";

/// Delivers the mail that is due and answers every mail the server has received so far.
pub(crate) async fn delivered(app: &TestApp, smtp: &SmtpServer) -> Vec<Received> {
    app.deliver_mail().await;
    smtp.received()
}

pub(crate) async fn app_with_mail(smtp: &SmtpServer) -> TestApp {
    TestApp::with(Settings { smtp_url: Some(smtp.url()), ..Settings::default() }).await
}

/// Asks for a reset link for `email` and returns the page answered.
pub(crate) async fn ask_reset(b: &mut Browser<'_>, email: &str) -> Page {
    b.post_form("/reset_password", &[("email", email)]).await
}

/// The path of the reset link in the newest mail.
pub(crate) fn reset_path(smtp: &SmtpServer) -> String {
    smtp.newest_link_path("http://127.0.0.1:8000", "/reset_password/")
}

pub(crate) async fn login(app: &TestApp, email: &str, password: &str) -> Page {
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
