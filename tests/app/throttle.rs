//! Brute-force throttling of logins and reset requests.

use gazette_tests::smtp::SmtpServer;
use gazette_tests::{PASSWORD, TestApp};
use rocket::http::Status;

use super::accounts::{app_with_mail, ask_reset, delivered, login, reset_path};

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
