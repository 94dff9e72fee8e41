use app::accounts::{self, ProfileChanges, Reset, SessionLifetime};
use app::{AppError, Unauthenticated};
use domain::Password;

use crate::{Fixture, PASSWORD, new_account};

#[tokio::test]
async fn registration_refuses_a_taken_or_look_alike_name_and_a_taken_email() {
    let f = Fixture::new().await;
    f.account("alice").await;
    let again = accounts::register(&f.app, new_account(Some("ALICE"), "other@example.com")).await;
    assert!(matches!(again, Err(AppError::Taken("username"))), "{again:?}");
    // A Cyrillic "а" looks like the Latin one.
    let look_alike = accounts::register(&f.app, new_account(Some("\u{430}lice"), "other@example.com")).await;
    assert!(matches!(look_alike, Err(AppError::Taken("username"))), "{look_alike:?}");
    let email = accounts::register(&f.app, new_account(Some("alice2"), "Alice@Example.com")).await;
    assert!(matches!(email, Err(AppError::Taken("email"))), "{email:?}");
}

#[tokio::test]
async fn without_a_username_one_is_made_from_the_email_until_free() {
    let f = Fixture::new().await;
    let first = accounts::register(&f.app, new_account(None, "ann.lee@example.com")).await.unwrap();
    let second = accounts::register(&f.app, new_account(None, "ann.lee@example.org")).await.unwrap();
    assert_eq!(first.username, "ann.lee");
    assert_eq!(second.username, "ann.lee2");
}

#[tokio::test]
async fn logging_in_refuses_alike_for_a_wrong_password_and_an_unknown_email_then_throttles() {
    let f = Fixture::new().await;
    f.account("alice").await;
    let client = Some("203.0.113.9".parse().unwrap());
    for (email, password) in [("nobody@example.com", PASSWORD), ("alice@example.com", "wrong-password")] {
        let refused = accounts::log_in(&f.app, email, password, client).await;
        assert!(matches!(refused, Err(AppError::Unauthenticated(Unauthenticated::WrongCredentials))), "{refused:?}");
    }
    for _ in 0..4 {
        assert!(accounts::log_in(&f.app, "alice@example.com", "wrong-password", client).await.is_err());
    }
    // Five failures for the account from this address: even the right password waits.
    let locked = accounts::log_in(&f.app, "alice@example.com", PASSWORD, client).await;
    assert!(matches!(locked, Err(AppError::Throttled(wait)) if wait.as_secs() > 0), "{locked:?}");
    // The owner elsewhere is not locked out.
    assert!(
        accounts::log_in(&f.app, "alice@example.com", PASSWORD, Some("198.51.100.1".parse().unwrap())).await.is_ok()
    );
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_keeps_the_callers_and_retires_earlier_tokens() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let mine = accounts::start_session(&f.app, &alice, SessionLifetime::Browser).await.unwrap();
    let phone = accounts::start_session(&f.app, &alice, SessionLifetime::Remembered).await.unwrap();
    let token = accounts::issue_token(&f.app, &alice).unwrap();
    let header = format!("Token {token}");
    assert!(accounts::token_user(&f.app, Some(&header), &["Token"]).await.is_ok());

    let wrong = accounts::change_password(
        &f.app,
        &alice,
        Some("not-the-password"),
        Password::parse("next-password").unwrap(),
        Some(&mine),
    )
    .await;
    assert!(matches!(wrong, Err(AppError::Invalid { field: "current_password", .. })), "{wrong:?}");
    assert!(accounts::session_user(&f.app, &phone).await.unwrap().is_some(), "nothing changed yet");

    let after = accounts::change_password(
        &f.app,
        &alice,
        Some(PASSWORD),
        Password::parse("next-password").unwrap(),
        Some(&mine),
    )
    .await
    .unwrap();
    assert!(accounts::session_user(&f.app, &mine).await.unwrap().is_some(), "the session that asked stays");
    assert!(accounts::session_user(&f.app, &phone).await.unwrap().is_none(), "every other one ends");
    let old = accounts::token_user(&f.app, Some(&header), &["Token"]).await;
    assert!(matches!(old, Err(AppError::Unauthenticated(Unauthenticated::RevokedToken))), "{old:?}");
    let fresh = format!("Token {}", accounts::issue_token(&f.app, &after).unwrap());
    assert!(accounts::token_user(&f.app, Some(&fresh), &["Token"]).await.is_ok());
    assert!(accounts::log_in(&f.app, "alice@example.com", "next-password", None).await.is_ok());
    // The owner's address is told, once the mail is delivered.
    assert_eq!(app::outbox::deliver_due(&f.app).await, 1);
    assert!(f.mails()[0].contains("your password"));
}

#[tokio::test]
async fn a_password_change_through_the_profile_ends_every_session() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let session = accounts::start_session(&f.app, &alice, SessionLifetime::Browser).await.unwrap();
    let changes = ProfileChanges { password: Some(Password::parse("next-password").unwrap()), ..Default::default() };
    accounts::update_profile(&f.app, &alice, changes).await.unwrap();
    assert!(accounts::session_user(&f.app, &session).await.unwrap().is_none());
    assert!(accounts::log_in(&f.app, "alice@example.com", "next-password", None).await.is_ok());
}

#[tokio::test]
async fn a_reset_link_works_once_ends_every_session_and_lifts_the_login_lock() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let session = accounts::start_session(&f.app, &alice, SessionLifetime::Remembered).await.unwrap();
    let address = Some("203.0.113.9".parse().unwrap());
    for _ in 0..5 {
        assert!(accounts::log_in(&f.app, "alice@example.com", "wrong-password", address).await.is_err());
    }
    assert!(matches!(
        accounts::log_in(&f.app, "alice@example.com", PASSWORD, address).await,
        Err(AppError::Throttled(_))
    ));

    let Reset::Mailed(_) = accounts::request_reset(&f.app, "ALICE@example.com", address, false).await.unwrap() else {
        panic!("the link is mailed");
    };
    assert!(f.mails().is_empty(), "nothing leaves before the outbox is driven");
    assert_eq!(app::outbox::deliver_due(&f.app).await, 1);
    assert_eq!(app::outbox::deliver_due(&f.app).await, 0, "and never twice");
    let mail = f.mails().remove(0);
    assert!(mail.contains("http://blog.example/reset_password/"), "{mail}");

    let Reset::Token(_, token) = accounts::request_reset(&f.app, "alice@example.com", address, true).await.unwrap()
    else {
        panic!("the token is answered");
    };
    let other =
        accounts::reset_password(&f.app, &token, Some("bob@example.com"), Password::parse("x-password").unwrap());
    assert!(matches!(other.await, Err(AppError::NotFound("reset token"))), "for another email");
    accounts::reset_password(&f.app, &token, Some("alice@example.com"), Password::parse("next-password").unwrap())
        .await
        .unwrap();
    assert!(accounts::session_user(&f.app, &session).await.unwrap().is_none());
    let again = accounts::reset_password(&f.app, &token, None, Password::parse("third-password").unwrap()).await;
    assert!(matches!(again, Err(AppError::NotFound("reset token"))), "used up");
    assert!(accounts::log_in(&f.app, "alice@example.com", "next-password", address).await.is_ok(), "lock lifted");
}

#[tokio::test]
async fn reset_requests_are_counted_whether_or_not_the_account_exists() {
    let f = Fixture::new().await;
    let address = Some("203.0.113.9".parse().unwrap());
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(accounts::request_reset(&f.app, "nobody@example.com", address, false).await);
    }
    assert!(answers[..3].iter().all(|a| matches!(a, Ok(Reset::UnknownEmail))));
    assert!(matches!(answers.last(), Some(Err(AppError::Throttled(_)))));
}

#[tokio::test]
async fn a_new_email_needs_the_password_when_the_door_asks_and_tells_the_old_address() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let change = |password: &str| ProfileChanges {
        email: Some(domain::Email::parse("alice@example.org").unwrap()),
        current_password: Some(password.to_owned()),
        ..Default::default()
    };
    let refused = accounts::update_profile(&f.app, &alice, change("wrong-password")).await;
    assert!(matches!(refused, Err(AppError::Invalid { field: "current_password", .. })), "{refused:?}");
    let after = accounts::update_profile(&f.app, &alice, change(PASSWORD)).await.unwrap();
    assert_eq!(after.email, "alice@example.org");
    assert_eq!(app::outbox::deliver_due(&f.app).await, 1);
    let notice = f.mails().remove(0);
    assert!(notice.contains("To: alice@example.com"), "{notice}");
    assert!(notice.contains("alice@example.org"));
}

#[tokio::test]
async fn only_moderators_delete_other_accounts() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    assert!(matches!(accounts::delete_by_moderator(&f.app, &bob, "alice").await, Err(AppError::Forbidden)));
    let moderator = accounts::set_moderator(&f.app, "BOB", true).await.unwrap();
    assert!(moderator.is_admin);
    assert_eq!(accounts::delete_by_moderator(&f.app, &moderator, "alice").await.unwrap().id, alice.id);
    assert!(matches!(accounts::find_by_username(&f.app, "alice").await, Err(AppError::NotFound("account"))));
    let wrong = accounts::delete_own(&f.app, &moderator, "wrong-password").await;
    assert!(matches!(wrong, Err(AppError::Invalid { field: "password", .. })));
    accounts::delete_own(&f.app, &moderator, PASSWORD).await.unwrap();
    assert!(accounts::find_by_username(&f.app, "bob").await.is_err());
}
