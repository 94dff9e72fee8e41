//! Mail delivery: the outbox keeps a message while the mail server is down, crashed, hung or
//! silent, delivers it exactly once when it answers, hands over what a dead instance held, and
//! gives up after the last attempt.

use std::time::Duration;

use gazette_tests::smtp::{SmtpServer, free_port};
use gazette_tests::{Settings, TestApp};
use rocket::http::Status;

use super::accounts::{app_with_mail, ask_reset, delivered};

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
