//! Profile pictures: whatever was uploaded is decoded (never trusted by its name or type),
//! centre-cropped, resized to 125x125 and re-encoded as PNG under a random name. SVGs are
//! rasterised with every external reference disabled (pictures embedded as `data:` URLs are
//! decoded by our own bounded decoder), so an SVG is never served as uploaded.
//!
//! What one upload may cost is bounded before the work starts: a raster picture's declared size
//! and the memory its decoder may claim, an SVG's drawing work ([`svg::check`]); and at most
//! [`DECODES_AT_ONCE`] pictures are processed at a time, the others waiting their turn without
//! holding a thread.

mod svg;

use std::io::Cursor;
use std::path::Path;

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{PixelType, ResizeOptions, Resizer};
use image::{ImageFormat, ImageReader, RgbaImage};
use tokio::task::spawn_blocking;

/// Side of the square avatar, in pixels.
pub const SIZE: u32 = 125;
/// Largest width or height an upload may declare; refused before it is decoded.
const MAX_SIDE: u32 = 4_096;
/// Most memory one decode may claim: a full-size picture at 8 bits per channel.
const MAX_ALLOC: u64 = MAX_SIDE as u64 * MAX_SIDE as u64 * 4;
/// Pictures processed at once. Each may hold up to [`MAX_ALLOC`] while it is decoded.
pub const DECODES_AT_ONCE: usize = 2;

static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODES_AT_ONCE);

/// Why a picture was not taken.
#[derive(Debug, thiserror::Error)]
pub enum AvatarError {
    /// Not a PNG, JPEG, GIF, WebP or SVG we can draw, or corrupt.
    #[error("Unsupported or corrupt image")]
    Unsupported,
    /// Declares more pixels than we decode.
    #[error("Image is too large (at most {MAX_SIDE}x{MAX_SIDE} pixels)")]
    TooLarge,
}

impl From<AvatarError> for crate::AppError {
    fn from(e: AvatarError) -> Self {
        crate::AppError::invalid("picture", e)
    }
}

/// The threads pictures are processed on: [`DECODES_AT_ONCE`] of their own, so that however
/// many uploads arrive, decoding never takes the blocking pool that serves static files and
/// avatars (eight slow SVGs had filled it: the stylesheet took 11 s).
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(DECODES_AT_ONCE)
            .thread_name(|i| format!("pictures-{i}"))
            .build()
            .map_err(|e| log::warn!("no picture threads ({e}): pictures use the blocking pool"))
            .ok()
    })
    .as_ref()
}

/// Turns an upload into the 125x125 PNG we serve, off the async workers, once one of the
/// [`DECODES_AT_ONCE`] turns is free.
pub(crate) async fn process(bytes: Vec<u8>) -> Result<Vec<u8>, AvatarError> {
    on_picture_threads(move || to_png(&bytes)).await.ok_or(AvatarError::Unsupported)?
}

/// Runs `work` (decoding and encoding pictures: avatars and post images alike) on the picture
/// threads once one of the [`DECODES_AT_ONCE`] turns is free; `None` if it could not run.
pub(crate) async fn on_picture_threads<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _turn = DECODES.acquire().await.ok()?;
    match pool() {
        Some(pool) => {
            let (answer, answered) = tokio::sync::oneshot::channel();
            pool.spawn(move || {
                // Skipped when the request went away while it waited.
                if !answer.is_closed() {
                    let _ = answer.send(work());
                }
            });
            answered.await.ok()
        }
        None => spawn_blocking(work).await.ok(),
    }
}

/// Writes a processed avatar under a fresh random name and returns the name. The file appears
/// whole or not at all.
pub(crate) async fn save(dir: &Path, png: Vec<u8>) -> Result<String, std::io::Error> {
    let name = format!("{:032x}.png", rand::random::<u128>());
    crate::files::write_whole(dir, &name, &png).await?;
    Ok(name)
}

/// Whether `name` is an avatar file we write (32 hex digits and `.png`).
fn is_ours(name: &str) -> bool {
    name.len() == 36 && name.ends_with(".png") && name[..32].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Deletes an avatar file we wrote; a name that is not one of ours is left alone.
pub(crate) async fn remove(dir: &Path, name: &str) {
    if !is_ours(name) {
        return;
    }
    match tokio::fs::remove_file(dir.join(name)).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => log::warn!("could not delete old avatar {name}: {e}"),
    }
}

/// Deletes what a crash can leave in the avatar folder: files no account points at (written
/// before their row committed, or replaced after) and half-written temporary files, older than
/// `grace`. Returns how many files were deleted.
pub(crate) async fn sweep(dir: &Path, db: &persistence::DatabaseConnection, grace: std::time::Duration) -> usize {
    crate::files::sweep(dir, is_ours, || persistence::users::image_files(db), grace, "avatar").await
}

fn to_png(bytes: &[u8]) -> Result<Vec<u8>, AvatarError> {
    let square = if looks_like_svg(bytes) { rasterize_svg(bytes)? } else { decode_raster(bytes)? };
    let mut out = Cursor::new(Vec::new());
    square.write_to(&mut out, ImageFormat::Png).map_err(|_| AvatarError::Unsupported)?;
    Ok(out.into_inner())
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    (text.starts_with('<')) && text.contains("<svg")
}

fn decode_raster(bytes: &[u8]) -> Result<RgbaImage, AvatarError> {
    crop_and_resize(decode_within(bytes, MAX_SIDE, MAX_ALLOC)?)
}

/// Largest side of a picture embedded in an SVG avatar, and the memory its decode may claim.
const EMBEDDED_MAX_SIDE: u32 = 1_024;
const EMBEDDED_MAX_ALLOC: u64 = EMBEDDED_MAX_SIDE as u64 * EMBEDDED_MAX_SIDE as u64 * 4;
/// Side of the copy of an embedded picture the SVG renderer is given.
const EMBEDDED_SIDE: u32 = 2 * SIZE;

/// Decodes a PNG, JPEG, GIF or WebP (told by its bytes) of at most `max_side` pixels a side.
fn decode_within(bytes: &[u8], max_side: u32, max_alloc: u64) -> Result<image::DynamicImage, AvatarError> {
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| AvatarError::Unsupported)?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP)) {
        return Err(AvatarError::Unsupported);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => AvatarError::TooLarge,
        _ => AvatarError::Unsupported,
    })?;
    if decoded.width() == 0 || decoded.height() == 0 {
        return Err(AvatarError::Unsupported);
    }
    Ok(decoded)
}

/// A picture embedded in an SVG (`<image href="data:…">`), decoded by our own bounded decoder
/// and handed to the renderer as a small PNG, so that the renderer never decodes what was sent.
/// `None` (the picture is left out) when it is not a small PNG, JPEG, GIF or WebP.
fn embedded_picture(data: &[u8]) -> Option<resvg::usvg::ImageKind> {
    let picture = decode_within(data, EMBEDDED_MAX_SIDE, EMBEDDED_MAX_ALLOC).ok()?;
    let small = picture.thumbnail(EMBEDDED_SIDE, EMBEDDED_SIDE);
    let mut png = Cursor::new(Vec::new());
    small.write_to(&mut png, ImageFormat::Png).ok()?;
    Some(resvg::usvg::ImageKind::PNG(std::sync::Arc::new(png.into_inner())))
}

/// Centre-crops to a square and resizes to [`SIZE`], in the picture's own pixel layout (so that
/// a full-size picture is never copied whole into another one).
fn crop_and_resize(src: image::DynamicImage) -> Result<RgbaImage, AvatarError> {
    use fast_image_resize::MulDiv;
    use image::DynamicImage;
    let (w, h) = (src.width(), src.height());
    let (pixels, layout) = match src {
        DynamicImage::ImageRgb8(rgb) => (rgb.into_raw(), PixelType::U8x3),
        DynamicImage::ImageLuma8(luma) => (luma.into_raw(), PixelType::U8),
        other => (other.into_rgba8().into_raw(), PixelType::U8x4),
    };
    let mut src = FirImage::from_vec_u8(w, h, pixels, layout).map_err(|_| AvatarError::Unsupported)?;
    // Transparency is weighted in place, not in a premultiplied copy of the whole picture.
    let alpha = layout == PixelType::U8x4;
    if alpha {
        MulDiv::default().multiply_alpha_inplace(&mut src).map_err(|_| AvatarError::Unsupported)?;
    }
    let mut dst = FirImage::new(SIZE, SIZE, layout);
    Resizer::new()
        .resize(&src, &mut dst, &ResizeOptions::new().fit_into_destination(Some((0.5, 0.5))).use_alpha(false))
        .map_err(|_| AvatarError::Unsupported)?;
    drop(src);
    if alpha {
        MulDiv::default().divide_alpha_inplace(&mut dst).map_err(|_| AvatarError::Unsupported)?;
    }
    let small = dst.into_vec();
    let rgba = match layout {
        PixelType::U8x3 => {
            image::RgbImage::from_raw(SIZE, SIZE, small).map(|i| DynamicImage::ImageRgb8(i).into_rgba8())
        }
        PixelType::U8 => {
            image::GrayImage::from_raw(SIZE, SIZE, small).map(|i| DynamicImage::ImageLuma8(i).into_rgba8())
        }
        _ => RgbaImage::from_raw(SIZE, SIZE, small),
    };
    rgba.ok_or(AvatarError::Unsupported)
}

fn rasterize_svg(bytes: &[u8]) -> Result<RgbaImage, AvatarError> {
    use resvg::{tiny_skia, usvg};
    if let Err(refusal) = svg::check(bytes) {
        log::debug!("SVG avatar refused: {refusal:?}");
        return Err(AvatarError::Unsupported);
    }
    let options = usvg::Options {
        resources_dir: None,
        // No files and no URLs; embedded pictures through our own decoder ([`svg::check`] allows
        // at most a few, each drawn a few times).
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, data, _| embedded_picture(&data)),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_data(bytes, &options).map_err(|_| AvatarError::Unsupported)?;
    let size = tree.size();
    let (w, h) = (size.width(), size.height());
    if !(w > 0.0 && h > 0.0) {
        return Err(AvatarError::Unsupported);
    }
    // Cover the square and centre, as for raster pictures.
    let scale = (SIZE as f32 / w).max(SIZE as f32 / h);
    let transform = tiny_skia::Transform::from_scale(scale, scale)
        .post_translate((SIZE as f32 - w * scale) / 2.0, (SIZE as f32 - h * scale) / 2.0);
    let mut pixmap = tiny_skia::Pixmap::new(SIZE, SIZE).ok_or(AvatarError::Unsupported)?;
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    let rgba: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    RgbaImage::from_raw(SIZE, SIZE, rgba).ok_or(AvatarError::Unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, _| {
            if x < w / 2 { image::Rgba([255, 0, 0, 255]) } else { image::Rgba([0, 0, 255, 255]) }
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn decoded(bytes: &[u8]) -> RgbaImage {
        image::load_from_memory(bytes).unwrap().to_rgba8()
    }

    #[test]
    fn a_wide_picture_is_centre_cropped_to_125_square() {
        let out = decoded(&to_png(&png(400, 200)).unwrap());
        assert_eq!(out.dimensions(), (125, 125));
        // The centre crop keeps both halves: red on the left, blue on the right.
        assert_eq!(out.get_pixel(5, 60).0[0], 255);
        assert_eq!(out.get_pixel(120, 60).0[2], 255);
    }

    #[test]
    fn a_picture_embedded_in_an_svg_is_drawn_and_a_huge_one_left_out() {
        use base64::Engine;
        let embed = |bytes: &[u8]| {
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            format!(
                r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#00ff00"/><image href="data:image/png;base64,{data}" width="10" height="10" preserveAspectRatio="none"/></svg>"##
            )
        };
        let out = decoded(&to_png(embed(&png(40, 40)).as_bytes()).unwrap());
        assert_eq!(out.get_pixel(10, 62).0, [255, 0, 0, 255], "the picture's red half");
        assert_eq!(out.get_pixel(115, 62).0, [0, 0, 255, 255], "and its blue half");
        // Over 1024 pixels a side: not decoded, the rest of the drawing stays.
        let out = decoded(&to_png(embed(&png(1100, 10)).as_bytes()).unwrap());
        assert_eq!(out.get_pixel(62, 62).0, [0, 255, 0, 255]);
    }

    #[test]
    fn an_svg_is_rasterised_and_its_external_references_ignored() {
        let svg = br##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">
  <rect width="10" height="10" fill="#00ff00"/>
  <image href="/etc/passwd" width="10" height="10"/>
  <image xlink:href="file:///etc/hostname" width="10" height="10"/>
</svg>"##;
        let out = decoded(&to_png(svg).unwrap());
        assert_eq!(out.dimensions(), (125, 125));
        assert_eq!(out.get_pixel(62, 62).0, [0, 255, 0, 255]);
    }

    #[test]
    fn garbage_and_unsupported_formats_are_refused() {
        assert!(matches!(to_png(b"hello, I am not a picture"), Err(AvatarError::Unsupported)));
        assert!(matches!(to_png(&png(10, 10)[..40]), Err(AvatarError::Unsupported)));
        // A BMP decodes fine elsewhere but is not on the list.
        assert!(matches!(
            to_png(b"BM\x1e\0\0\0\0\0\0\0\x1a\0\0\0\x0c\0\0\0\x01\0\x01\0\x01\0\x18\0\0\0\xff\0"),
            Err(AvatarError::Unsupported)
        ));
    }

    #[test]
    fn a_header_claiming_huge_dimensions_is_refused_before_decoding() {
        // A valid PNG signature and IHDR for 100000x100000 pixels, and no pixel data at all.
        let mut bytes = png(1, 1);
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc_input = &bytes[12..29];
        let crc = crc32(crc_input);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(to_png(&bytes), Err(AvatarError::TooLarge)));
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
}
