//! Profile pictures: every accepted format stored as a 125-pixel PNG, and hostile uploads
//! (decompression bombs, SVGs that would draw forever, files over the limit) refused.

use gazette_tests::{Settings, TestApp, Upload, bomb_png, decode, picture};
use image::ImageFormat;
use rocket::http::Status;

#[rocket::async_test]
async fn a_png_avatar_is_cropped_to_a_125_pixel_square_and_served() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice.upload_avatar("me.png", "image/png", &picture(300, 200, ImageFormat::Png)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);

    let stored = app.user("alice").await.unwrap().image_file.expect("a custom picture");
    assert_eq!(app.avatar_files(), vec![stored.clone()]);
    let url = format!("/media/avatars/{stored}");
    let account = alice.get("/account").await;
    assert!(account.shows(&url));
    let served = app.browser().get(&url).await;
    assert_eq!(served.status, Status::Ok);
    assert_eq!(served.content_type.as_deref(), Some("image/png"));
    // A new picture gets a new name: browsers may keep this one for good.
    let cached = app.client.get(url.clone()).dispatch().await;
    assert_eq!(cached.headers().get_one("Cache-Control"), Some("public, max-age=31536000, immutable"));
    let img = decode(&served.bytes);
    assert_eq!((img.width(), img.height()), (125, 125));
    // The author's posts show it too.
    alice.writes_post("With a face").await;
    assert!(app.browser().get("/").await.shows(&url));
}

#[rocket::async_test]
async fn a_new_jpeg_avatar_replaces_the_old_picture_and_its_file() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    alice.upload_avatar("a.png", "image/png", &picture(50, 50, ImageFormat::Png)).await;
    let first = app.user("alice").await.unwrap().image_file.unwrap();
    // The name and type claimed do not matter: the bytes are a JPEG.
    let page = alice.upload_avatar("b.gif", "application/octet-stream", &picture(640, 480, ImageFormat::Jpeg)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let second = app.user("alice").await.unwrap().image_file.unwrap();
    assert_ne!(first, second);
    assert_eq!(app.avatar_files(), vec![second]);
}

#[rocket::async_test]
async fn gif_webp_and_svg_avatars_are_stored_as_png() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#c00"/><image href="/etc/passwd" width="9" height="9"/></svg>"##;
    let uploads: [(&str, &str, Vec<u8>); 3] = [
        ("a.gif", "image/gif", picture(60, 60, ImageFormat::Gif)),
        ("a.webp", "image/webp", picture(60, 90, ImageFormat::WebP)),
        ("a.svg", "image/svg+xml", svg.to_vec()),
    ];
    for (name, ty, bytes) in uploads {
        let page = alice.upload_avatar(name, ty, &bytes).await;
        assert_eq!(page.status, Status::SeeOther, "{name}: {}", page.body);
        let stored = app.user("alice").await.unwrap().image_file.unwrap();
        assert!(stored.ends_with(".png"), "{name} stored as {stored}");
        let served = app.browser().get(&format!("/media/avatars/{stored}")).await;
        assert_eq!(served.content_type.as_deref(), Some("image/png"), "{name}");
        assert!(!served.body.contains("<svg"), "an SVG is never served as uploaded");
        assert_eq!(decode(&served.bytes).width(), 125);
    }
    assert_eq!(app.avatar_files().len(), 1);
}

#[rocket::async_test]
async fn svg_avatars_whose_drawing_costs_without_bound_are_refused() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    const HEAD: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">"#;
    // Linear in numOctaves: a billion takes a core for days.
    let turbulence = format!(
        r#"{HEAD}<filter id="f"><feTurbulence baseFrequency="0.05" numOctaves="1000000000"/></filter><rect width="10" height="10" filter="url(#f)"/></svg>"#
    );
    // Eight levels of eight uses each: 16 million rectangles from under a kilobyte.
    let mut fan_out = format!(r#"{HEAD}<defs><rect id="l0" width="1" height="1"/>"#);
    for level in 1..=8 {
        fan_out.push_str(&format!(r#"<g id="l{level}">"#));
        for _ in 0..8 {
            fan_out.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
        }
        fan_out.push_str("</g>");
    }
    fan_out.push_str(r##"</defs><use href="#l8"/></svg>"##);
    let deep = format!("{HEAD}{}{}</svg>", "<g>".repeat(50_000), "</g>".repeat(50_000));
    for (what, svg) in [("feTurbulence", turbulence), ("use fan-out", fan_out), ("deep nesting", deep)] {
        let page = alice.upload_avatar("a.svg", "image/svg+xml", svg.as_bytes()).await;
        assert_eq!(page.status, Status::Ok, "{what}");
        assert_eq!(page.field_error("picture").as_deref(), Some("Unsupported or corrupt image"), "{what}");
    }
    assert_eq!(app.user("alice").await.unwrap().image_file, None);
    assert!(app.avatar_files().is_empty());

    // An ordinary logo: shapes, a path, a gradient, a clip, reused parts, a style sheet.
    let logo = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#39f"/><stop offset="1" stop-color="#fff"/></linearGradient>
    <clipPath id="round"><circle cx="50" cy="50" r="50"/></clipPath>
    <path id="leaf" d="M50 20 C70 40 70 60 50 80 C30 60 30 40 50 20 Z"/>
  </defs>
  <style>.ink { fill: #063; stroke: #031; stroke-width: 2 }</style>
  <g clip-path="url(#round)">
    <rect width="100" height="100" fill="url(#sky)"/>
    <use href="#leaf" class="ink"/>
    <use href="#leaf" class="ink" transform="rotate(90 50 50)"/>
  </g>
</svg>"##;
    let page = alice.upload_avatar("logo.svg", "image/svg+xml", logo).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let stored = app.user("alice").await.unwrap().image_file.unwrap();
    let served = app.browser().get(&format!("/media/avatars/{stored}")).await;
    let png = decode(&served.bytes).to_rgba8();
    assert_eq!(png.dimensions(), (125, 125));
    let [r, g, _, _] = png.get_pixel(62, 62).0;
    assert!(g > r, "the green leaf is drawn in the middle");
}

#[rocket::async_test]
async fn a_decompression_bomb_png_is_refused_before_it_is_decoded() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    // 8000x8000 RGBA: 244 MiB once decoded, a few hundred kilobytes as sent.
    let bomb = bomb_png(8000, 8000);
    assert!(bomb.len() < 400 * 1024, "{} bytes", bomb.len());
    let page = alice.upload_avatar("bomb.png", "image/png", &bomb).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("picture").as_deref(), Some("Image is too large (at most 4096x4096 pixels)"));
    assert!(app.avatar_files().is_empty());
    // The largest picture allowed still goes through.
    let page = alice.upload_avatar("big.png", "image/png", &bomb_png(4096, 4096)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert_eq!(app.avatar_files().len(), 1);
}

#[rocket::async_test]
async fn a_file_that_is_not_an_image_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice
        .post_multipart(
            "/account",
            &[("username", "renamed"), ("email", "alice@example.com")],
            &[Upload {
                field: "picture",
                filename: "me.png",
                content_type: "image/png",
                bytes: b"\x89PNG\r\n\x1a\nnot really",
            }],
        )
        .await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("picture").as_deref(), Some("Unsupported or corrupt image"));
    assert!(app.user("renamed").await.is_none(), "the other fields were not saved either");
    assert_eq!(app.user("alice").await.unwrap().image_file, None);
    assert!(app.avatar_files().is_empty());
}

#[rocket::async_test]
async fn an_upload_over_the_limit_gets_413_and_leaves_nothing_behind() {
    let app = TestApp::with(Settings { avatar_max_bytes: 64 * 1024, ..Settings::default() }).await;
    let mut alice = app.signed_up("alice").await;
    let big = vec![0x42u8; 200 * 1024];
    let page = alice.upload_avatar("big.png", "image/png", &big).await;
    assert_eq!(page.status, Status::PayloadTooLarge);
    assert!(page.shows("too large"));
    assert!(app.avatar_files().is_empty());
    assert_eq!(app.user("alice").await.unwrap().image_file, None);
    // A picture within the limit still goes through.
    let page = alice.upload_avatar("ok.png", "image/png", &picture(100, 100, ImageFormat::Png)).await;
    assert_eq!(page.status, Status::SeeOther);
}
