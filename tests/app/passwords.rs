//! Password changes, at every door: what they check, and what they end.

use gazette_tests::{Browser, PASSWORD, Settings, TestApp};
use rocket::http::Status;

use super::accounts::login;

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
