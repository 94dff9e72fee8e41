//! The `/auth` services: session auth with a `session_id` cookie, and bearer-token auth.

use std::time::Duration;

use gazette_tests::smtp::SmtpServer;
use gazette_tests::{PASSWORD, Settings, TestApp};
use rocket::http::Method::{Delete, Get, Post, Put};
use rocket::http::Status;
use serde_json::json;

#[rocket::async_test]
async fn the_service_says_welcome_and_answers_json_even_for_errors() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let page = c.send(Get, "/auth/", None, &[]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.json(), json!({ "message": "Bienvenue" }));
    let missing = c.send(Get, "/auth/nothing-here", None, &[]).await;
    assert_eq!(missing.status, Status::NotFound);
    assert_eq!(missing.json(), json!({ "message": "Not Found" }));
    let bad = c.send(Post, "/auth/register", Some((rocket::http::ContentType::JSON, "{not json".into())), &[]).await;
    assert!(bad.status.class().is_client_error());
    assert_eq!(bad.json()["status"], "fail");
    // The session service takes forms only, and says so (as its OpenAPI document does).
    let body = r#"{"email": "ann@example.com", "password": "long-enough"}"#;
    let json_body = c.send(Post, "/auth/users", Some((rocket::http::ContentType::JSON, body.into())), &[]).await;
    assert_eq!(json_body.status, Status::UnsupportedMediaType);
    assert_eq!(json_body.json(), json!({ "message": "Unsupported Media Type" }));
}

#[rocket::async_test]
async fn creating_a_user_makes_a_site_account_with_a_username_from_the_email() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let page = c.send_form(Post, "/auth/users", &[("email", "Ann.Lee@Example.com"), ("password", PASSWORD)]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.json(), json!({ "email": "ann.lee@example.com", "message": "user created" }));
    assert_eq!(app.user("ann.lee").await.unwrap().email, "ann.lee@example.com");
    // The same local part elsewhere gets a numbered name.
    c.send_form(Post, "/auth/users", &[("email", "ann.lee@other.example"), ("password", PASSWORD)]).await;
    assert!(app.user("ann.lee2").await.is_some());
    // And the account works on the site.
    let login = c.post_form("/login", &[("email", "ann.lee@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(login.location.as_deref(), Some("/"));

    let taken = c.send_form(Post, "/auth/users", &[("email", "ANN.LEE@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(taken.status, Status::BadRequest);
    assert_eq!(taken.json(), json!({ "message": "email already registered" }));
    for fields in [
        vec![("email", "x@example.com")],
        vec![("password", PASSWORD)],
        vec![("email", "nope"), ("password", PASSWORD)],
        vec![("email", "y@example.com"), ("password", "short")],
    ] {
        let page = c.send_form(Post, "/auth/users", &fields).await;
        assert_eq!(page.status, Status::BadRequest, "{fields:?}");
        assert!(page.json()["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[rocket::async_test]
async fn a_session_cookie_opens_the_profile_until_the_session_is_deleted() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let mut c = app.browser();
    let wrong =
        c.send_form(Post, "/auth/sessions", &[("email", "alice@example.com"), ("password", "wrong-pass")]).await;
    assert_eq!(wrong.status, Status::Unauthorized);
    assert_eq!(c.send(Get, "/auth/profile", None, &[]).await.status, Status::Forbidden);

    let page = c.send_form(Post, "/auth/sessions", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.json(), json!({ "email": "alice@example.com", "message": "logged in" }));
    let cookie = page.set_cookie("session_id").expect("a session_id cookie");
    assert!(cookie.contains("Path=/") && cookie.contains("HttpOnly"), "{cookie}");
    assert_eq!(app.session_count(app.user("alice").await.unwrap().id).await, 2, "a real session row");

    let profile = c.send(Get, "/auth/profile", None, &[]).await;
    assert_eq!(profile.status, Status::Ok);
    assert_eq!(profile.json(), json!({ "email": "alice@example.com" }));

    let ended = c.send(Delete, "/auth/sessions", None, &[]).await;
    assert_eq!(ended.status, Status::Found);
    assert_eq!(ended.location.as_deref(), Some("/"));
    assert_eq!(c.send(Get, "/auth/profile", None, &[]).await.status, Status::Forbidden);
    assert_eq!(c.send(Delete, "/auth/sessions", None, &[]).await.status, Status::Forbidden);

    let mut stranger = app.browser();
    let mut jar = std::collections::BTreeMap::new();
    jar.insert("session_id".to_owned(), "made-up".to_owned());
    stranger.set_cookies(jar);
    assert_eq!(stranger.send(Get, "/auth/profile", None, &[]).await.status, Status::Forbidden);
}

#[rocket::async_test]
async fn a_reset_through_the_api_mails_the_link_by_default() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::with(Settings { smtp_url: Some(smtp.url()), ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut c = app.browser();
    let unknown = c.send_form(Post, "/auth/reset_password", &[("email", "nobody@example.com")]).await;
    assert_eq!(unknown.status, Status::Forbidden);
    let page = c.send_form(Post, "/auth/reset_password", &[("email", "alice@example.com")]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.json(), json!({ "email": "alice@example.com", "message": "reset email sent" }));
    assert_eq!(app.deliver_mail().await, 1);
    let token = smtp
        .newest_link_path("http://127.0.0.1:8000", "/reset_password/")
        .trim_start_matches("/reset_password/")
        .to_owned();

    let other = put_reset(&mut c, "bob@example.com", &token, "brand-new-pass").await;
    assert_eq!(other.status, Status::Forbidden, "a token for another email");
    let page = put_reset(&mut c, "alice@example.com", &token, "brand-new-pass").await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.json(), json!({ "email": "alice@example.com", "message": "Password updated" }));
    let again = put_reset(&mut c, "alice@example.com", &token, "third-pass-1").await;
    assert_eq!(again.status, Status::Forbidden, "used once");
    let login =
        c.send_form(Post, "/auth/sessions", &[("email", "alice@example.com"), ("password", "brand-new-pass")]).await;
    assert_eq!(login.status, Status::Ok);
}

#[rocket::async_test]
async fn the_reset_token_is_answered_directly_only_when_the_setting_says_so() {
    let app = TestApp::with(Settings { api_expose_reset_token: true, ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut c = app.browser();
    let page = c.send_form(Post, "/auth/reset_password", &[("email", "alice@example.com")]).await;
    assert_eq!(page.status, Status::Ok);
    let token = page.json()["reset_token"].as_str().expect("the token").to_owned();
    let bad = put_reset(&mut c, "alice@example.com", "garbage", "brand-new-pass").await;
    assert_eq!(bad.status, Status::Forbidden);
    let page = put_reset(&mut c, "alice@example.com", &token, "brand-new-pass").await;
    assert_eq!(page.status, Status::Ok);
    // The token was answered, never mailed; the change it made is told to the account's address.
    let mailed: Vec<String> =
        persistence::outbox::list_all(&app.db).await.unwrap().into_iter().map(|m| m.content.subject).collect();
    assert_eq!(mailed, vec!["Your Gazette account was changed".to_owned()]);
}

/// Logs in through the token service and returns the token (empty if refused).
async fn token_for(c: &mut gazette_tests::Browser<'_>, email: &str) -> String {
    let page = c.send_json(Post, "/auth/login", &json!({ "email": email, "password": PASSWORD }), &[]).await;
    page.json()["auth_token"].as_str().unwrap_or_default().to_owned()
}

/// Asks the session service to set a new password with a reset token.
async fn put_reset(
    c: &mut gazette_tests::Browser<'_>,
    email: &str,
    token: &str,
    new_password: &str,
) -> gazette_tests::Page {
    c.send_form(
        Put,
        "/auth/reset_password",
        &[("email", email), ("reset_token", token), ("new_password", new_password)],
    )
    .await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[rocket::async_test]
async fn tokens_register_log_in_show_status_and_log_out() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let page =
        c.send_json(Post, "/auth/register", &json!({ "email": "ann@example.com", "password": PASSWORD }), &[]).await;
    assert_eq!(page.status, Status::Created);
    let body = page.json();
    assert_eq!(
        (body["status"].as_str(), body["message"].as_str()),
        (Some("success"), Some("Successfully registered."))
    );
    assert!(body["auth_token"].as_str().is_some_and(|t| t.split('.').count() == 3));
    let taken =
        c.send_json(Post, "/auth/register", &json!({ "email": "ann@example.com", "password": PASSWORD }), &[]).await;
    assert_eq!(taken.status, Status::Conflict);
    assert_eq!(taken.json(), json!({ "status": "fail", "message": "User already exists. Please log in." }));

    let wrong =
        c.send_json(Post, "/auth/login", &json!({ "email": "ann@example.com", "password": "nope-nope" }), &[]).await;
    assert_eq!(wrong.status, Status::Unauthorized);
    assert_eq!(wrong.json(), json!({ "status": "fail", "message": "Invalid email or password." }));
    let page =
        c.send_json(Post, "/auth/login", &json!({ "email": "ann@example.com", "password": PASSWORD }), &[]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.json()["message"], "Successfully logged in.");
    let token = page.json()["auth_token"].as_str().unwrap().to_owned();

    let status = c.send(Get, "/auth/status", None, &[("Authorization", &bearer(&token))]).await;
    assert_eq!(status.status, Status::Ok);
    let data = &status.json()["data"];
    assert_eq!(
        (data["username"].as_str(), data["email"].as_str(), data["admin"].as_bool()),
        (Some("ann"), Some("ann@example.com"), Some(false))
    );
    assert!(data["user_id"].as_i64().is_some() && data["registered_on"].as_str().is_some());

    let out = c.send(Post, "/auth/logout", None, &[("Authorization", &bearer(&token))]).await;
    assert_eq!(out.status, Status::Ok);
    assert_eq!(out.json(), json!({ "status": "success", "message": "Successfully logged out." }));
    let after = c.send(Get, "/auth/status", None, &[("Authorization", &bearer(&token))]).await;
    assert_eq!(after.status, Status::Unauthorized);
    assert_eq!(after.json()["message"], "Token blacklisted. Please log in again.");
}

#[rocket::async_test]
async fn bad_authorization_headers_get_their_own_messages() {
    let app = TestApp::with(Settings { auth_token_ttl: 1, ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut c = app.browser();
    let token = token_for(&mut c, "alice@example.com").await;
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let cases: [(Option<String>, &str); 5] = [
        (None, "Provide a valid auth token."),
        (Some(token.clone()), "Bearer token malformatted."),
        (Some("Bearer".into()), "Bearer token malformatted."),
        (Some(bearer("garbage")), "Invalid token. Please log in again."),
        (Some(bearer(&tampered)), "Invalid token. Please log in again."),
    ];
    for (header, expected) in cases {
        let headers: Vec<(&str, &str)> = header.as_deref().map(|h| vec![("Authorization", h)]).unwrap_or_default();
        let page = c.send(Get, "/auth/status", None, &headers).await;
        assert_eq!(page.status, Status::Unauthorized, "{header:?}");
        assert_eq!(page.json(), json!({ "status": "fail", "message": expected }), "{header:?}");
    }
    app.app().clock().advance(Duration::from_secs(1));
    let expired = c.send(Get, "/auth/status", None, &[("Authorization", &bearer(&token))]).await;
    assert_eq!(expired.status, Status::Unauthorized);
    assert_eq!(expired.json()["message"], "Signature expired. Please log in again.");
}

#[rocket::async_test]
async fn a_password_change_revokes_earlier_tokens() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut c = app.browser();
    let token = token_for(&mut c, "alice@example.com").await;
    assert_eq!(c.send(Get, "/auth/status", None, &[("Authorization", &bearer(&token))]).await.status, Status::Ok);
    alice
        .post_form(
            "/password/change",
            &[("old_password", PASSWORD), ("new_password", "next-password"), ("confirm_password", "next-password")],
        )
        .await;
    let page = c.send(Get, "/auth/status", None, &[("Authorization", &bearer(&token))]).await;
    assert_eq!(page.status, Status::Unauthorized);
    assert_eq!(page.json()["message"], "Token blacklisted. Please log in again.");
}

#[rocket::async_test]
async fn api_logins_are_throttled_like_the_sites() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let mut c = app.browser();
    for _ in 0..5 {
        let page = c
            .send_json(Post, "/auth/login", &json!({ "email": "alice@example.com", "password": "wrong-pass" }), &[])
            .await;
        assert_eq!(page.status, Status::Unauthorized);
    }
    let page =
        c.send_json(Post, "/auth/login", &json!({ "email": "alice@example.com", "password": PASSWORD }), &[]).await;
    assert_eq!(page.status, Status::TooManyRequests);
    let page = c.send_form(Post, "/auth/sessions", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(page.status, Status::TooManyRequests);
}

#[rocket::async_test]
async fn cookie_sessions_refuse_writes_from_other_sites() {
    let app = TestApp::spawn().await;
    app.signed_up("ann").await;
    let credentials = "email=ann%40example.com&password=password123";
    let form = || Some((rocket::http::ContentType::Form, credentials.to_owned()));
    let mut c = app.browser();
    // Login CSRF: another site's form logs the visitor in as the attacker.
    for headers in [[("Origin", "https://evil.example")], [("Sec-Fetch-Site", "cross-site")], [("Origin", "null")]] {
        let page = c.send(Post, "/auth/sessions", form(), &headers).await;
        assert_eq!(page.status, Status::Forbidden, "{headers:?}");
        assert_eq!(page.json(), json!({ "message": "cross-site request refused" }));
        assert!(!c.has_cookie("session_id"), "no session from another site");
    }
    let registered = c
        .send(
            Post,
            "/auth/users",
            Some((rocket::http::ContentType::Form, "email=x%40example.com&password=password123".into())),
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(registered.status, Status::Forbidden);
    assert!(app.user("x").await.is_none());

    // From the site itself, or with no browser headers at all (a program), it works.
    let same = c
        .send(Post, "/auth/sessions", form(), &[("Origin", "http://127.0.0.1:8000"), ("Sec-Fetch-Site", "same-origin")])
        .await;
    assert_eq!(same.status, Status::Ok);
    assert_eq!(c.send(Get, "/auth/profile", None, &[]).await.status, Status::Ok);

    // A form on another site posting `_method=DELETE` does not log the user out.
    let logout = c
        .send(
            Post,
            "/auth/sessions",
            Some((rocket::http::ContentType::Form, "_method=DELETE".into())),
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(logout.status, Status::Forbidden);
    assert_eq!(c.send(Get, "/auth/profile", None, &[]).await.status, Status::Ok, "still logged in");
    let logout = c.send(Delete, "/auth/sessions", None, &[]).await;
    assert_eq!(logout.status, Status::Found);

    // Tokens are not sent by browsers on their own: token requests are unaffected.
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let login = c.send_json(Post, "/auth/login", &body, &[("Origin", "https://evil.example")]).await;
    assert_eq!(login.status, Status::Ok);
}

#[rocket::async_test]
async fn the_auth_services_can_be_switched_off() {
    let app = TestApp::with(Settings { auth_api: false, ..Settings::default() }).await;
    app.signed_up("ann").await;
    let mut c = app.browser();
    assert_eq!(c.send(Get, "/auth/", None, &[]).await.status, Status::NotFound);
    let reset = c.send_form(Post, "/auth/reset_password", &[("email", "nobody@example.com")]).await;
    assert_eq!(reset.status, Status::NotFound, "no answer tells which emails have accounts");
    let doc = c.send(Get, "/api/openapi.json", None, &[]).await.json();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(!paths.is_empty() && paths.iter().all(|p| p.starts_with("/api")), "{paths:?}");
    // The site and the RealWorld API work as ever.
    assert_eq!(c.send(Get, "/api/tags", None, &[]).await.status, Status::Ok);
}
