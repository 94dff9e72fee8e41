//! Bytes on the wire: static files by hashed addresses kept for a year, and brotli or gzip for
//! pages, JSON, feeds and files when the client takes them.

use std::io::Read;

use gazette_tests::{Page, TestApp, root, static_url};
use rocket::http::{Method, Status};

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let read = brotli::BrotliDecompress(&mut &bytes[..], &mut out);
    assert!(read.is_ok(), "not brotli: {read:?}");
    out
}

fn ungzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let read = flate2::read::GzDecoder::new(bytes).read_to_end(&mut out);
    assert!(read.is_ok(), "not gzip: {read:?}");
    out
}

/// The answer's bytes as the client reads them, by its `Content-Encoding`.
fn decoded(page: &Page) -> Vec<u8> {
    match page.header("Content-Encoding") {
        Some("br") => unbrotli(&page.bytes),
        Some("gzip") => ungzip(&page.bytes),
        other => {
            assert_eq!(other, None, "an unexpected coding");
            page.bytes.clone()
        }
    }
}

async fn get_with(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> Page {
    app.browser().send(Method::Get, uri, None, headers).await
}

#[rocket::async_test]
async fn pages_link_static_files_by_hashed_addresses_that_are_kept_for_a_year() {
    let app = TestApp::spawn().await;
    let home = app.browser().get("/").await;
    let css = static_url("css/main.css");
    assert!(home.body.contains(&format!(r#"<link rel="stylesheet" href="{css}">"#)), "{}", home.body);
    assert!(home.body.contains(&format!(r#"href="{}""#, static_url("css/highlight.css"))));
    assert!(home.body.contains(&format!(r#"href="{}""#, static_url("img/favicon.svg"))));

    let file = app.browser().get(&css).await;
    assert_eq!(file.status, Status::Ok);
    assert_eq!(file.content_type.as_deref(), Some("text/css; charset=utf-8"));
    assert_eq!(file.header("Cache-Control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(file.bytes, std::fs::read(root().join("static/css/main.css")).unwrap());
    let etag = file.header("ETag").unwrap().to_owned();
    let again = get_with(&app, &css, &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, Status::NotModified);
    assert!(again.bytes.is_empty());

    // The file's own path still works, kept an hour; a hash that is not the file's is no file.
    let plain = app.browser().get("/static/css/main.css").await;
    assert_eq!(plain.status, Status::Ok);
    assert_eq!(plain.header("Cache-Control"), Some("public, max-age=3600"));
    assert_eq!(plain.bytes, file.bytes);
    for missing in ["/static/css/main.0123456789abcdef.css", "/static/css/none.css", "/static/../Cargo.toml"] {
        assert_eq!(app.browser().get(missing).await.status, Status::NotFound, "{missing}");
    }
}

#[rocket::async_test]
async fn static_files_go_out_compressed_to_clients_that_take_it() {
    let app = TestApp::spawn().await;
    let css = static_url("css/main.css");
    let original = std::fs::read(root().join("static/css/main.css")).unwrap();
    let brotli = get_with(&app, &css, &[("Accept-Encoding", "gzip, deflate, br")]).await;
    assert_eq!(brotli.header("Content-Encoding"), Some("br"));
    assert_eq!(brotli.header("Vary"), Some("Accept-Encoding"));
    assert!(brotli.bytes.len() < original.len() / 3, "{} of {}", brotli.bytes.len(), original.len());
    assert_eq!(unbrotli(&brotli.bytes), original);
    let gzip = get_with(&app, &css, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(gzip.header("Content-Encoding"), Some("gzip"));
    assert_eq!(ungzip(&gzip.bytes), original);
    let plain = get_with(&app, &css, &[("Accept-Encoding", "br;q=0, gzip;q=0")]).await;
    assert_eq!(plain.header("Content-Encoding"), None);
    assert_eq!(plain.header("Vary"), Some("Accept-Encoding"));
    assert_eq!(plain.bytes, original);
}

#[rocket::async_test]
async fn pages_json_and_feeds_go_out_compressed_and_read_the_same() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    for n in 1..=4 {
        alice.writes_post(&format!("Compressed words, part {n}")).await;
    }
    let both = [("Accept-Encoding", "br, gzip")];

    // A reader's page, remembered and compressed once.
    let plain = app.browser().get("/").await;
    for coding in ["br", "gzip"] {
        let page = get_with(&app, "/", &[("Accept-Encoding", coding)]).await;
        assert_eq!(page.status, Status::Ok);
        assert_eq!(page.header("Content-Encoding"), Some(coding));
        assert_eq!(page.header("Vary"), Some("Accept-Encoding"));
        assert!(page.bytes.len() < plain.bytes.len() / 2);
        assert_eq!(decoded(&page), plain.bytes, "{coding}");
    }
    // A page with the reader's form token goes out as it is, whatever the client takes: its
    // compressed length would tell the token to someone who can make it echo chosen text.
    let mine = alice.send(Method::Get, "/search?q=csrf_token", None, &both).await;
    assert_eq!(mine.header("Content-Encoding"), None);
    assert_eq!(mine.header("Vary"), Some("Accept-Encoding"));
    assert!(mine.body.contains("action=\"/logout\"") && mine.body.contains("name=\"csrf_token\" value=\""));
    assert_eq!(mine.header("Cache-Control"), Some("no-store"));
    let home = alice.send(Method::Get, "/", None, &both).await;
    assert_eq!(home.header("Content-Encoding"), None);
    assert!(home.body.contains("Compressed words, part 4"));

    let api = get_with(&app, "/api/articles", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(api.header("Content-Encoding"), Some("gzip"));
    let articles: serde_json::Value = serde_json::from_slice(&decoded(&api)).unwrap();
    assert_eq!(articles["articlesCount"], 4, "{articles}");

    // A compressed feed's validator is weak, and still answers 304.
    let feed = get_with(&app, "/feed.atom", &both).await;
    assert_eq!(feed.header("Content-Encoding"), Some("br"));
    let xml = String::from_utf8(decoded(&feed)).unwrap();
    assert!(xml.parse::<atom_syndication::Feed>().is_ok(), "{xml}");
    let etag = feed.header("ETag").unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let again = get_with(&app, "/feed.atom", &[("Accept-Encoding", "br, gzip"), ("If-None-Match", &etag)]).await;
    assert_eq!(again.status, Status::NotModified);

    // Small answers and clients that take nothing get the bytes as they are.
    let small = get_with(&app, "/healthz", &both).await;
    assert_eq!(small.header("Content-Encoding"), None);
    let refused = get_with(&app, "/", &[("Accept-Encoding", "identity")]).await;
    assert_eq!((refused.header("Content-Encoding"), &refused.bytes), (None, &plain.bytes));
    let missing = get_with(&app, "/no/such/page", &both).await;
    assert_eq!(missing.status, Status::NotFound);
    assert!(String::from_utf8(decoded(&missing)).unwrap().contains("Page Not Found"));
}
