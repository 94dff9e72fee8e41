//! Images in posts: uploaded, re-encoded upright without their metadata, offered in two sizes,
//! bounded per upload and per author, deleted with their files.

use gazette_tests::Upload;
use gazette_tests::{Settings, TestApp, decode, picture};
use image::{GenericImageView, ImageFormat};
use rocket::http::Status;

/// A JPEG of `w`x`h` pixels whose EXIF says to turn it a quarter clockwise, with a comment and
/// an EXIF description giving away where it was taken.
fn phone_photo(w: u32, h: u32) -> Vec<u8> {
    let plain = picture(w, h, ImageFormat::Jpeg);
    let secret = b"GPS 48.8584N 2.2945E\0";
    // TIFF, big-endian: IFD0 with Orientation = 6 and an ImageDescription.
    let mut tiff: Vec<u8> = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x06, 0, 0]);
    let description_at = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x01, 0x0e, 0x00, 0x02]);
    tiff.extend_from_slice(&(secret.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&(description_at as u32).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(secret);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    let comment = b"taken at GPS 48.8584N 2.2945E";
    out.extend_from_slice(&[0xff, 0xfe]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn upload(b: &mut gazette_tests::Browser<'_>, bytes: &[u8], alt: &str) -> gazette_tests::Page {
    let file = Upload { field: "image", filename: "photo.jpg", content_type: "image/jpeg", bytes };
    b.post_multipart("/account/images", &[("alt", alt)], &[file]).await
}

#[rocket::async_test]
async fn an_upload_is_re_encoded_upright_without_its_metadata_in_two_sizes() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let photo = phone_photo(2000, 1000);
    assert!(contains(&photo, b"Exif") && contains(&photo, b"48.8584"), "the upload carries them");
    let done = upload(&mut alice, &photo, "The tower [at night] *lit*").await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/account/images"));
    let page = alice.follow(&done).await;
    assert_eq!(
        page.flashes(),
        vec![("success".into(), "Your image has been uploaded: paste its Markdown into a post.".into())]
    );

    let files = app.image_files();
    assert_eq!(files.len(), 2, "{files:?}");
    let large = files.iter().find(|f| f.ends_with("-1000w.jpg")).expect("turned upright: 1000 wide");
    let small = files.iter().find(|f| f.ends_with("-800w.jpg")).expect("and an 800-wide copy");
    assert_eq!(large[..32], small[..32]);
    for name in [large, small] {
        let bytes = app.image_file(name);
        assert!(!contains(&bytes, b"Exif") && !contains(&bytes, b"48.8584"), "{name}: no metadata survives");
    }
    assert_eq!(decode(&app.image_file(large)).dimensions(), (1000, 2000));
    assert_eq!(decode(&app.image_file(small)).dimensions(), (800, 1600));
    let markdown = format!(r"![The tower \[at night\] \*lit\*](/media/images/{large})");
    assert_eq!(page.input_value("markdown-1").as_deref(), Some(markdown.as_str()), "{}", page.body);
    assert!(page.shows("1000×2000 px"));

    let served = app.browser().get(&format!("/media/images/{large}")).await;
    assert_eq!(served.status, Status::Ok);
    assert_eq!(served.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(served.header("Cache-Control"), Some("public, max-age=31536000, immutable"));

    // In a post: the large copy, with the small one offered for narrow screens.
    let written = alice.post_form("/post/new", &[("title", "Paris"), ("content", &markdown)]).await;
    let post = alice.get(written.location.as_deref().unwrap()).await;
    let srcset = format!(
        r#"<img src="/media/images/{large}" srcset="/media/images/{small} 800w, /media/images/{large} 1000w" sizes="(max-width: 840px) 100vw, 800px" alt="The tower [at night] *lit*" loading="lazy">"#
    );
    assert!(post.body.contains(&srcset), "{}", post.body);
}

#[rocket::async_test]
async fn a_wide_transparent_picture_stays_png_at_1600_pixels_and_a_small_one_gets_no_copy() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut rgba = image::RgbaImage::from_pixel(3200, 400, image::Rgba([10, 200, 30, 255]));
    rgba.put_pixel(5, 5, image::Rgba([0, 0, 0, 0]));
    let mut png = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut png, ImageFormat::Png).unwrap();
    assert_eq!(upload(&mut alice, png.get_ref(), "").await.status, Status::SeeOther);
    let small = picture(300, 200, ImageFormat::Gif);
    assert_eq!(upload(&mut alice, &small, "tiny").await.status, Status::SeeOther);
    let files = app.image_files();
    assert_eq!(files.len(), 3, "{files:?}");
    let wide = files.iter().find(|f| f.ends_with("-1600w.png")).expect("PNG, 1600 wide");
    assert_eq!(decode(&app.image_file(wide)).dimensions(), (1600, 200));
    assert!(files.iter().any(|f| f.ends_with("-800w.png")));
    assert!(files.iter().any(|f| f.ends_with("-300w.jpg")), "an opaque GIF becomes a JPEG, kept at its size");
    let list = alice.get("/account/images").await;
    let (tiny, wide_at) = (list.body.find("-300w.jpg").unwrap(), list.body.find("-1600w.png").unwrap());
    assert!(tiny < wide_at, "the newest first");
}

#[rocket::async_test]
async fn bad_uploads_get_a_form_error_and_leave_nothing_behind() {
    let app = TestApp::with(Settings { image_max_bytes: 1024 * 1024, ..Settings::default() }).await;
    let mut alice = app.signed_up("alice").await;
    let none = alice.post_multipart("/account/images", &[("alt", "x")], &[]).await;
    assert_eq!(none.field_error("image").as_deref(), Some("Choose an image to upload."));
    let garbage = upload(&mut alice, b"hello, I am not a picture", "kept").await;
    assert_eq!(garbage.status, Status::Ok);
    assert_eq!(
        garbage.field_error("image").as_deref(),
        Some("Unsupported or corrupt image: upload a JPEG, PNG, GIF or WebP.")
    );
    assert_eq!(garbage.input_value("alt").as_deref(), Some("kept"), "what was typed stays");
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    assert!(upload(&mut alice, svg, "").await.field_error("image").is_some(), "no SVG in posts");
    let big = vec![0x42u8; 1536 * 1024];
    assert_eq!(
        upload(&mut alice, &big, "").await.field_error("image").as_deref(),
        Some("The image is larger than 1 MiB: upload a smaller one.")
    );
    // Half a megabyte that decodes to 576 MB of pixels: refused before decoding.
    let bomb = gazette_tests::bomb_png(12_000, 12_000);
    assert_eq!(
        upload(&mut alice, &bomb, "").await.field_error("image").as_deref(),
        Some("The image is too large: at most 8192 pixels a side and about 40 megapixels.")
    );
    let long = "a".repeat(301);
    let refused = upload(&mut alice, &picture(10, 10, ImageFormat::Png), &long).await;
    assert_eq!(refused.field_error("alt").as_deref(), Some("The description must be at most 300 characters long."));
    assert!(app.image_files().is_empty());
    let forged = alice.post_raw("/account/images", &[("alt", "x")]).await;
    assert_eq!(forged.status, Status::Forbidden, "no CSRF token, no upload");
}

#[rocket::async_test]
async fn an_author_over_the_quota_is_told_so() {
    let app = TestApp::with(Settings { image_quota_bytes: 40 * 1024, ..Settings::default() }).await;
    let mut alice = app.signed_up("alice").await;
    let photo = picture(300, 200, ImageFormat::Png);
    let mut uploaded = 0;
    let refused = loop {
        let page = upload(&mut alice, &photo, "").await;
        if page.status != Status::SeeOther {
            break page;
        }
        uploaded += 1;
        assert!(uploaded < 20, "the quota never ran out");
    };
    assert!(uploaded >= 1, "the first fits");
    assert_eq!(
        refused.field_error("image").as_deref(),
        Some("Your images take all of the 40 KiB you may store: delete some on this page to upload more.")
    );
    assert_eq!(app.image_files().len(), uploaded, "one file each (too narrow for a small copy); none for the refused");
}

#[rocket::async_test]
async fn deleting_an_image_removes_its_files_and_posts_that_show_it_still_read() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    upload(&mut alice, &picture(1000, 500, ImageFormat::Png), "chart").await;
    let name = app.image_files().into_iter().find(|f| f.ends_with("-1000w.jpg")).unwrap();
    let markdown = format!("Look: ![chart](/media/images/{name})");
    let written = alice.post_form("/post/new", &[("title", "Chart"), ("content", &markdown)]).await;
    let post = written.location.unwrap();

    assert_eq!(bob.post_form(&format!("/account/images/{name}/delete"), &[]).await.status, Status::NotFound);
    assert_eq!(app.image_files().len(), 2, "someone else's image is not theirs to delete");
    assert!(!bob.get("/account/images").await.body.contains(&name), "nor to see");
    let deleted = alice.post_form(&format!("/account/images/{name}/delete"), &[]).await;
    assert_eq!(deleted.status, Status::SeeOther);
    assert_eq!(alice.follow(&deleted).await.flashes(), vec![("success".into(), "The image has been deleted.".into())]);
    assert!(app.image_files().is_empty());
    assert_eq!(app.browser().get(&post).await.status, Status::Ok, "the post still reads");
    assert_eq!(app.browser().get(&format!("/media/images/{name}")).await.status, Status::NotFound);
    assert_eq!(alice.post_form(&format!("/account/images/{name}/delete"), &[]).await.status, Status::NotFound);
}

#[rocket::async_test]
async fn deleting_an_account_deletes_its_images() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    upload(&mut alice, &picture(900, 300, ImageFormat::Png), "").await;
    assert_eq!(app.image_files().len(), 2);
    let gone = alice.post_form("/account/delete", &[("password", gazette_tests::PASSWORD)]).await;
    assert_eq!(gone.status, Status::SeeOther);
    assert!(app.image_files().is_empty());
}

#[rocket::async_test]
async fn the_editor_script_uploads_and_gets_the_markdown_as_json() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let editor = alice.get("/post/new").await;
    assert!(
        editor
            .body
            .contains(&format!(r#"<script src="{}" defer></script>"#, gazette_tests::static_url("js/editor.js")))
    );
    assert!(editor.body.contains(r#"href="/account/images""#), "and a way without JavaScript");
    assert_eq!(app.browser().get("/static/js/editor.js").await.status, Status::Ok);
    let token = alice.csrf_token().await;
    let answer = alice
        .send_multipart_json(
            "/account/images",
            &[("csrf_token", &token), ("alt", "dog")],
            &picture(50, 40, ImageFormat::Png),
        )
        .await;
    assert_eq!(answer.status, Status::Created, "{}", answer.body);
    let json = answer.json();
    let url = json["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/media/images/") && url.ends_with("-50w.jpg"), "{url}");
    assert_eq!(json["markdown"], format!("![dog]({url})"));
    let refused = alice.send_multipart_json("/account/images", &[("csrf_token", &token)], b"nope").await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert_eq!(refused.json()["field"], "image");
}
