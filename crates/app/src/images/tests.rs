use super::*;

#[test]
fn names_are_ours_only_when_hex_a_width_and_a_known_extension() {
    let base = "0123456789abcdef0123456789abcdef";
    assert!(is_ours(&format!("{base}-1600w.jpg")) && is_ours(&format!("{base}-800w.png")));
    for bad in [
        format!("{base}-1600w.svg"),
        format!("{base}.jpg"),
        format!("{base}-w.jpg"),
        format!("{base}-16000w.jpg"),
        format!("{}-800w.jpg", base.to_uppercase()),
        format!("../{base}-800w.jpg"),
        "x-800w.jpg".to_owned(),
    ] {
        assert!(!is_ours(&bad), "{bad}");
    }
}

#[test]
fn only_our_wide_images_get_a_srcset() {
    let base = "0123456789abcdef0123456789abcdef";
    let html = format!(
        r#"<p><img src="/media/images/{base}-1200w.jpg" alt="a" loading="lazy"> <img src="/media/images/{base}-640w.jpg" alt="b"> <img src="https://elsewhere.example/{base}-1200w.jpg" alt="c"> <img src="/media/images/evil-1200w.jpg&quot; onerror=&quot;x" alt="d"></p>"#
    );
    let out = with_srcset(&html);
    assert_eq!(out.matches("srcset").count(), 1, "{out}");
    assert!(
        out.contains(&format!(r#"srcset="/media/images/{base}-800w.jpg 800w, /media/images/{base}-1200w.jpg 1200w""#))
    );
    assert_eq!(with_srcset("<p>no images</p>"), "<p>no images</p>");
}

#[test]
fn a_header_claiming_huge_dimensions_is_too_large() {
    let mut png = Cursor::new(Vec::new());
    image::RgbImage::new(1, 1).write_to(&mut png, ImageFormat::Png).unwrap();
    let mut bytes = png.into_inner();
    bytes[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&20_000u32.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(process(&bytes), Err(ImageError::TooLarge)), "{:?}", process(&bytes).err());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn alt_text_is_escaped_in_the_markdown_to_paste() {
    let image = Image {
        id: 1,
        user_id: 1,
        name: "n.jpg".into(),
        small_name: None,
        alt: r"a [b] \c <d>".into(),
        width: 1,
        height: 1,
        bytes: 1,
        created_at: chrono::Utc::now(),
    };
    assert_eq!(markdown_for(&image), r"![a \[b\] \\c \<d\>](/media/images/n.jpg)");
    assert_eq!(alt_text(" line\nbreak ").unwrap(), "line break");
}
