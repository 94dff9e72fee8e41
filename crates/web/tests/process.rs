//! The real `gazette` process: SIGTERM lets requests in flight finish, and kill -9 in the middle
//! of writes loses nothing that was acknowledged and leaves nothing half-written. With
//! `TEST_DATABASE_URL=postgres://…` each test runs on a PostgreSQL database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A server process on its own database and data folder.
struct Server {
    child: Child,
    port: u16,
    data: Arc<tempfile::TempDir>,
    database_url: String,
}

impl Server {
    fn start(data: Arc<tempfile::TempDir>, database_url: &str, bcrypt_cost: u32) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = data.path();
        let child = Command::new(env!("CARGO_BIN_EXE_gazette"))
            .arg("serve")
            .current_dir(&root)
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_DATA_DIR", dir)
            .env("ROCKET_MEDIA_DIR", dir.join("media"))
            .env("ROCKET_MAIL_FILE_DIR", dir.join("mail"))
            .env("ROCKET_BCRYPT_COST", bcrypt_cost.to_string())
            .env("DATABASE_URL", database_url)
            .stdout(Stdio::from(output(dir)))
            .stderr(Stdio::from(output(dir)))
            .spawn()
            .unwrap();
        let server = Server { child, port, data, database_url: database_url.to_owned() };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/healthz").0 != 200 {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// The same data and database, in a new process.
    fn restart(mut self, bcrypt_cost: u32) -> Self {
        let _ = self.child.kill();
        let _ = self.child.wait();
        Server::start(self.data.clone(), &self.database_url.clone(), bcrypt_cost)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn get(&self, path: &str) -> (u16, String) {
        call(ureq_agent().get(&self.url(path)).call())
    }

    fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, String) {
        let mut request = ureq_agent().post(&self.url(path)).header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Token {token}"));
        }
        call(request.send(body.to_string()))
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the server's standard output and error go: one file in its data folder, kept across
/// restarts.
fn output(dir: &std::path::Path) -> std::fs::File {
    std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).unwrap()
}

fn ureq_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Status and body; status 0 when the connection failed.
fn call(outcome: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, String) {
    match outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.into_body().read_to_string().unwrap_or_default())
        }
        Err(_) => (0, String::new()),
    }
}

/// A database for one test: a fresh PostgreSQL database when `TEST_DATABASE_URL` is set (dropped
/// at the end), else an SQLite file in the test's folder.
struct TestDatabase {
    url: String,
    drop_with: Option<(String, String)>,
}

impl TestDatabase {
    fn new(dir: &std::path::Path) -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let name = format!("gazette_process_{:016x}", rand::random::<u64>());
                admin_sql(&admin_url, &format!("CREATE DATABASE \"{name}\""));
                let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
                TestDatabase { url: format!("{base}/{name}"), drop_with: Some((admin_url, name)) }
            }
            None => TestDatabase { url: format!("sqlite://{}/gazette.db", dir.display()), drop_with: None },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.drop_with {
            admin_sql(admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

fn admin_sql(admin_url: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let admin = sea_orm::Database::connect(admin_url).await.expect("PostgreSQL reachable at TEST_DATABASE_URL");
        admin.execute_unprepared(sql).await.unwrap();
        admin.close().await.ok();
    });
}

fn register(server: &Server, name: &str) -> String {
    let body =
        json!({ "user": { "username": name, "email": format!("{name}@example.com"), "password": "password123" } });
    let (status, body) = server.post_json("/api/users", &body, None);
    assert_eq!(status, 201, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    body["user"]["token"].as_str().unwrap().to_owned()
}

#[test]
fn no_password_body_token_or_query_reaches_the_log_at_the_default_level() {
    const MARKER: &str = "Sup3r-Secret-Marker";
    let data = Arc::new(tempfile::tempdir().unwrap());
    let db = TestDatabase::new(data.path());
    let server = Server::start(data.clone(), &db.url, 4);
    let token = register(&server, "alice");
    let agent = ureq_agent();
    let send = |method: &str, path: &str, content_type: &str, body: String, token: Option<&str>| {
        let mut request =
            ureq::http::Request::builder().method(method).uri(server.url(path)).header("Content-Type", content_type);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Token {token}"));
        }
        call(agent.run(request.body(body).unwrap()))
    };
    // A 422: the password is well-formed, the bio is not a string.
    let wrong_shape = format!(r#"{{"user":{{"password":"{MARKER}-1","bio":123}}}}"#);
    assert_eq!(send("PUT", "/api/user", "application/json", wrong_shape, Some(&token)).0, 422);
    // A 400: a login body missing its closing brace, on both APIs.
    let unclosed = format!(r#"{{"user":{{"email":"alice@example.com","password":"{MARKER}-2"}}"#);
    assert_eq!(send("POST", "/api/users/login", "application/json", unclosed, None).0, 400);
    let unclosed = format!(r#"{{"email":"alice@example.com","password":"{MARKER}-3""#);
    assert_eq!(send("POST", "/auth/login", "application/json", unclosed, None).0, 400);
    // A string where a number belongs puts the value itself in the parser's message.
    let string_value = format!(r#"{{"article":{{"title":"t","description":"d","body":"b","tagList":"{MARKER}-4"}}}}"#);
    assert_eq!(send("POST", "/api/articles", "application/json", string_value, Some(&token)).0, 422);
    // A form repeating a field, a page with a token in its query, a forged session cookie.
    let repeated = format!("email=a%40example.com&password={MARKER}-5&password={MARKER}-6");
    assert!(send("POST", "/auth/sessions", "application/x-www-form-urlencoded", repeated, None).0 >= 400);
    let (status, _) = call(agent.get(&server.url(&format!("/?page={MARKER}-7&token={MARKER}-8"))).call());
    assert!(status >= 400);
    let (status, _) = call(agent.get(&server.url("/account")).header("Cookie", format!("session={MARKER}-9")).call());
    assert!(status < 500);
    // A megabyte of malformed JSON.
    let huge = format!(r#"{{"user":{{"email":"{}","password":"{MARKER}-10""#, "x".repeat(1 << 20));
    assert!(send("POST", "/api/users/login", "application/json", huge, None).0 >= 400);

    drop(server);
    let log = std::fs::read_to_string(data.path().join("server.log")).unwrap();
    assert!(!log.contains(MARKER), "the log holds what was sent:\n{}", &log[..log.len().min(4000)]);
    assert!(log.lines().all(|l| l.len() < 1000), "a line of the log is over 1000 characters");
    // What it does say: the route and the reason.
    assert!(log.contains("body refused on /api/users/login: JSON syntax error"), "{log}");
}

#[test]
fn sigterm_lets_requests_in_flight_finish_and_the_process_exit_cleanly() {
    let data = Arc::new(tempfile::tempdir().unwrap());
    let db = TestDatabase::new(data.path());
    // At the default bcrypt cost a login takes a noticeable time: it is in flight when the
    // signal comes.
    let mut server = Server::start(data.clone(), &db.url, 12);
    register(&server, "alice");
    let url = server.url("/api/users/login");
    let login = std::thread::spawn(move || {
        let body = json!({ "user": { "email": "alice@example.com", "password": "password123" } });
        call(ureq_agent().post(&url).header("Content-Type", "application/json").send(body.to_string()))
    });
    std::thread::sleep(Duration::from_millis(50));
    server.signal("TERM");
    let (status, body) = login.join().unwrap();
    assert_eq!(status, 200, "the login in flight was answered: {body}");
    assert!(body.contains("\"token\""));

    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert_eq!(server.get("/healthz").0, 0, "no longer listening");
}

#[test]
fn kill_9_in_the_middle_of_writes_loses_nothing_acknowledged_and_leaves_nothing_half_written() {
    let data = Arc::new(tempfile::tempdir().unwrap());
    let db = TestDatabase::new(data.path());
    let server = Server::start(data.clone(), &db.url, 4);
    let tokens: Vec<String> = (0..4).map(|i| register(&server, &format!("writer{i}"))).collect();

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(w, token)| {
            let url = server.url("/api/articles");
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let tags = [format!("w{w}"), format!("n{n}"), "crash".to_owned()];
                    let body = json!({ "article": {
                        "title": format!("Writer {w} post {n}"), "description": "d", "body": "b", "tagList": tags
                    }});
                    let request = ureq_agent()
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .header("Authorization", &format!("Token {token}"));
                    match call(request.send(body.to_string())) {
                        (201, body) => {
                            let body: Value = serde_json::from_str(&body).unwrap();
                            acknowledged.push((body["article"]["slug"].as_str().unwrap().to_owned(), tags));
                        }
                        (0, _) => break,
                        (status, body) => panic!("write refused: {status} {body}"),
                    }
                }
                acknowledged
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(1500));
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    let acknowledged: Vec<(String, [String; 3])> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(acknowledged.len() >= 8, "only {} writes before the kill", acknowledged.len());

    let server = server.restart(4);
    for (slug, tags) in &acknowledged {
        let (status, body) = server.get(&format!("/api/articles/{slug}"));
        assert_eq!(status, 200, "acknowledged article {slug} lost");
        let article: Value = serde_json::from_str(&body).unwrap();
        let mut stored: Vec<String> = serde_json::from_value(article["article"]["tagList"].clone()).unwrap();
        let mut sent = tags.to_vec();
        stored.sort();
        sent.sort();
        assert_eq!(stored, sent, "{slug}");
    }
    // Every stored article (acknowledged or cut off before its answer) has all its tags.
    let (status, body) = server.get("/api/articles?limit=100");
    assert_eq!(status, 200);
    let page: Value = serde_json::from_str(&body).unwrap();
    let total = page["articlesCount"].as_u64().unwrap();
    assert!(total >= acknowledged.len() as u64);
    let (_, tagged) = server.get("/api/articles?tag=crash&limit=1");
    let tagged: Value = serde_json::from_str(&tagged).unwrap();
    assert_eq!(tagged["articlesCount"].as_u64().unwrap(), total, "an article without its tags");
}
