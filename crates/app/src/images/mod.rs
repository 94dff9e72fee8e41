//! Images in posts: an author uploads a picture, which is decoded (never served as sent),
//! turned upright by its EXIF orientation, stripped of every piece of metadata (EXIF, GPS, colour
//! profiles, comments) by re-encoding, and stored at most [`MAX_WIDTH`] pixels wide plus, for a
//! wider one, a [`SMALL_WIDTH`]-pixel copy that posts offer in `srcset`. Opaque pictures become
//! JPEG, pictures with transparency PNG.
//!
//! What one upload may cost is bounded before the work: its bytes (`image_max_bytes`, checked
//! by the door before the body is read whole), its declared size ([`MAX_SIDE`]) and the memory
//! its decoder may claim ([`MAX_ALLOC`]); pictures are processed on the picture threads, two at
//! a time, like avatars. Each author's images together take at most `image_quota_bytes`.

use std::io::Cursor;
use std::path::Path;

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{PixelType, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::{App, AppError, AppResult, User};

pub use persistence::images::Image;

/// Widest stored copy, in pixels.
pub const MAX_WIDTH: u32 = 1600;
/// Width of the small copy offered in `srcset`.
pub const SMALL_WIDTH: u32 = 800;
/// Largest width or height an upload may declare; refused before it is decoded.
pub const MAX_SIDE: u32 = 8_192;
/// Most memory one decode may claim: 128 MiB (a 42-megapixel photo).
pub const MAX_ALLOC: u64 = 128 * 1024 * 1024;
/// JPEG quality of the stored copies.
const JPEG_QUALITY: u8 = 82;
/// Longest alternative text, in characters.
pub const ALT_MAX: usize = 300;
/// Where post images are served from.
pub const URL_PREFIX: &str = "/media/images/";

/// Why an image was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Not a PNG, JPEG, GIF or WebP we can decode, or corrupt.
    #[error("Unsupported or corrupt image: upload a JPEG, PNG, GIF or WebP.")]
    Unsupported,
    /// Declares more pixels than we decode.
    #[error("The image is too large: at most {MAX_SIDE} pixels a side and about 40 megapixels.")]
    TooLarge,
}

/// A processed upload: the large copy, the small one (for a wide picture) and the size.
struct Processed {
    large: Vec<u8>,
    small: Option<Vec<u8>>,
    extension: &'static str,
    width: u32,
    height: u32,
}

/// The Markdown an author pastes to show `image` in a post.
pub fn markdown_for(image: &Image) -> String {
    let mut alt = String::with_capacity(image.alt.len());
    for c in image.alt.chars() {
        if matches!(c, '\\' | '[' | ']' | '*' | '_' | '`' | '<' | '>') {
            alt.push('\\');
        }
        alt.push(c);
    }
    format!("![{alt}]({URL_PREFIX}{})", image.name)
}

/// Checks alternative text as typed: trimmed, line breaks made spaces, at most [`ALT_MAX`]
/// characters.
fn alt_text(raw: &str) -> AppResult<String> {
    let alt: String = raw.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if alt.chars().count() > ALT_MAX {
        return Err(AppError::invalid("alt", format!("The description must be at most {ALT_MAX} characters long.")));
    }
    Ok(alt)
}

/// Processes and stores an upload by `author` with its alternative text; answers the image.
/// [`AppError::Invalid`] on `image` for a picture that cannot be taken or one over the author's
/// quota, on `alt` for over-long text.
pub async fn upload(app: &App, author: &User, bytes: Vec<u8>, alt: &str) -> AppResult<Image> {
    let alt = alt_text(alt)?;
    if bytes.is_empty() {
        return Err(AppError::invalid("image", "Choose an image to upload."));
    }
    let settings = app.settings();
    if bytes.len() as u64 > settings.image_max_bytes {
        return Err(AppError::invalid("image", too_big(settings.image_max_bytes)));
    }
    let quota = settings.image_quota_bytes;
    // Refused before the work when the quota is reached already, and after it when this image
    // would pass it.
    let used = persistence::images::bytes_used(app.db(), author.id).await?;
    if used >= quota {
        return Err(AppError::invalid("image", over_quota(quota)));
    }
    let processed = crate::avatars::on_picture_threads(move || process(&bytes))
        .await
        .ok_or(ImageError::Unsupported)
        .and_then(|r| r)
        .map_err(|e| AppError::invalid("image", e))?;
    let stored = (processed.large.len() + processed.small.as_ref().map_or(0, Vec::len)) as u64;
    if used + stored > quota {
        return Err(AppError::invalid("image", over_quota(quota)));
    }
    let dir = &settings.image_dir;
    let base = format!("{:032x}", rand::random::<u128>());
    let name = format!("{base}-{}w.{}", processed.width, processed.extension);
    crate::files::write_whole(dir, &name, &processed.large).await?;
    let small_name = match &processed.small {
        Some(small) => {
            let small_name = format!("{base}-{SMALL_WIDTH}w.{}", processed.extension);
            if let Err(e) = crate::files::write_whole(dir, &small_name, small).await {
                remove_files(dir, &[name.as_str()]).await;
                return Err(e.into());
            }
            Some(small_name)
        }
        None => None,
    };
    let row = persistence::images::NewImage {
        user_id: author.id,
        name: name.clone(),
        small_name: small_name.clone(),
        alt,
        width: i32::try_from(processed.width).unwrap_or(i32::MAX),
        height: i32::try_from(processed.height).unwrap_or(i32::MAX),
        bytes: i64::try_from(stored).unwrap_or(i64::MAX),
    };
    match persistence::images::insert(app.db(), row, app.clock().now()).await {
        Ok(image) => Ok(image),
        Err(e) => {
            let files: Vec<&str> = std::iter::once(name.as_str()).chain(small_name.as_deref()).collect();
            remove_files(dir, &files).await;
            Err(e.into())
        }
    }
}

/// What an upload over `limit` bytes is told (the door says it too, before reading one).
pub fn too_big(limit: u64) -> String {
    format!("The image is larger than {}: upload a smaller one.", human_bytes(limit))
}

fn over_quota(quota: u64) -> String {
    format!(
        "Your images take all of the {} you may store: delete some on this page to upload more.",
        human_bytes(quota)
    )
}

/// A size as people read it: "640 KiB", "10 MiB", "1.5 MiB".
pub fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes < MIB {
        format!("{} KiB", bytes.div_ceil(1024))
    } else if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

/// `author`'s images, the newest first.
pub async fn list(app: &App, author: &User) -> AppResult<Vec<Image>> {
    Ok(persistence::images::list(app.db(), author.id).await?)
}

/// How many bytes `author`'s images take, and how many they may.
pub async fn usage(app: &App, author: &User) -> AppResult<(u64, u64)> {
    Ok((persistence::images::bytes_used(app.db(), author.id).await?, app.settings().image_quota_bytes))
}

/// Deletes `author`'s image called `name` and its files; [`AppError::NotFound`] when they have
/// none by that name (someone else's included). Posts that show it show a missing image.
pub async fn delete(app: &App, author: &User, name: &str) -> AppResult<()> {
    let image = persistence::images::find_owned(app.db(), author.id, name).await?.ok_or(AppError::NotFound("image"))?;
    persistence::images::delete(app.db(), image.id).await?;
    let files: Vec<&str> = std::iter::once(image.name.as_str()).chain(image.small_name.as_deref()).collect();
    remove_files(&app.settings().image_dir, &files).await;
    Ok(())
}

/// The files of every image of `user_id`, to delete once their rows are gone with the account.
pub(crate) async fn files_of(app: &App, user_id: i64) -> AppResult<Vec<String>> {
    let images = persistence::images::list(app.db(), user_id).await?;
    Ok(images.into_iter().flat_map(|i| std::iter::once(i.name).chain(i.small_name)).collect())
}

/// Whether `name` is an image file we write: 32 hex digits, `-<width>w`, `.jpg` or `.png`.
pub fn is_ours(name: &str) -> bool {
    let Some((stem, extension)) = name.rsplit_once('.') else { return false };
    let Some((base, width)) = stem.split_once('-') else { return false };
    matches!(extension, "jpg" | "png")
        && base.len() == 32
        && base.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && width.strip_suffix('w').is_some_and(|w| (1..=4).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_digit()))
}

/// Deletes image files we wrote; names that are not ours are left alone.
pub(crate) async fn remove_files(dir: &Path, names: &[&str]) {
    for name in names.iter().filter(|n| is_ours(n)) {
        match tokio::fs::remove_file(dir.join(name)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("could not delete image {name}: {e}"),
        }
    }
}

/// Deletes what a crash can leave in the images folder: files no image row names (written
/// before their row committed) and half-written temporary files, older than `grace`. Returns
/// how many were deleted.
pub(crate) async fn sweep(dir: &Path, db: &persistence::DatabaseConnection, grace: std::time::Duration) -> usize {
    crate::files::sweep(dir, is_ours, || persistence::images::file_names(db), grace, "image").await
}

/// Decodes, turns upright, resizes and re-encodes.
fn process(bytes: &[u8]) -> Result<Processed, ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| ImageError::Unsupported)?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP)) {
        return Err(ImageError::Unsupported);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits.clone());
    let limited = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => ImageError::TooLarge,
        _ => ImageError::Unsupported,
    };
    let mut decoder = reader.into_decoder().map_err(limited)?;
    limits.reserve(decoder.total_bytes()).map_err(limited)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(limited)?;
    if picture.width() == 0 || picture.height() == 0 {
        return Err(ImageError::Unsupported);
    }
    picture.apply_orientation(orientation);
    // Looked at in place: no copy of the whole picture.
    let opaque = match &picture {
        p if !p.color().has_alpha() => true,
        DynamicImage::ImageRgba8(rgba) => rgba.pixels().all(|p| p.0[3] == 255),
        DynamicImage::ImageLumaA8(la) => la.pixels().all(|p| p.0[1] == 255),
        _ => false,
    };
    let picture = if opaque { DynamicImage::ImageRgb8(picture.into_rgb8()) } else { picture };
    let width = picture.width().min(MAX_WIDTH);
    let large = resize(&picture, width)?;
    let small = (width > SMALL_WIDTH).then(|| resize(&large, SMALL_WIDTH)).transpose()?;
    let (w, h) = (large.width(), large.height());
    let extension = if opaque { "jpg" } else { "png" };
    Ok(Processed {
        large: encode(&large, opaque)?,
        small: small.map(|s| encode(&s, opaque)).transpose()?,
        extension,
        width: w,
        height: h,
    })
}

/// `picture` scaled to `width` (never up), its aspect kept.
fn resize(picture: &DynamicImage, width: u32) -> Result<DynamicImage, ImageError> {
    use fast_image_resize::MulDiv;
    use fast_image_resize::images::ImageRef;
    if width >= picture.width() {
        return Ok(picture.clone());
    }
    let height = ((u64::from(picture.height()) * u64::from(width)).div_ceil(u64::from(picture.width()))).max(1);
    let height = u32::try_from(height).map_err(|_| ImageError::TooLarge)?;
    let converted;
    let (bytes, layout): (&[u8], PixelType) = match picture {
        DynamicImage::ImageRgb8(rgb) => (rgb.as_raw(), PixelType::U8x3),
        DynamicImage::ImageRgba8(rgba) => (rgba.as_raw(), PixelType::U8x4),
        other => {
            converted = other.to_rgba8();
            (converted.as_raw(), PixelType::U8x4)
        }
    };
    let source =
        ImageRef::new(picture.width(), picture.height(), bytes, layout).map_err(|_| ImageError::Unsupported)?;
    let alpha = layout == PixelType::U8x4;
    let mut dst = FirImage::new(width, height, layout);
    if alpha {
        let mut premultiplied = FirImage::new(picture.width(), picture.height(), layout);
        MulDiv::default().multiply_alpha(&source, &mut premultiplied).map_err(|_| ImageError::Unsupported)?;
        Resizer::new()
            .resize(&premultiplied, &mut dst, &ResizeOptions::new().use_alpha(false))
            .map_err(|_| ImageError::Unsupported)?;
        MulDiv::default().divide_alpha_inplace(&mut dst).map_err(|_| ImageError::Unsupported)?;
    } else {
        Resizer::new().resize(&source, &mut dst, &ResizeOptions::new()).map_err(|_| ImageError::Unsupported)?;
    }
    let pixels = dst.into_vec();
    let out = if alpha {
        image::RgbaImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8)
    } else {
        image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
    };
    out.ok_or(ImageError::Unsupported)
}

/// JPEG for an opaque picture, PNG otherwise; nothing but pixels is written.
fn encode(picture: &DynamicImage, opaque: bool) -> Result<Vec<u8>, ImageError> {
    let mut out = Cursor::new(Vec::new());
    if opaque {
        let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
        picture.to_rgb8().write_with_encoder(encoder).map_err(|_| ImageError::Unsupported)?;
    } else {
        picture.write_to(&mut out, ImageFormat::Png).map_err(|_| ImageError::Unsupported)?;
    }
    Ok(out.into_inner())
}

/// Adds `srcset` and `sizes` to the images of sanitised post HTML that are ours and have a
/// small copy (the large copy's name carries its width). Names are checked by [`is_ours`]
/// before anything is written, so nothing typed reaches the attributes.
pub fn with_srcset(html: &str) -> String {
    const MARK: &str = "<img src=\"";
    if !html.contains(URL_PREFIX) {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 128);
    let mut rest = html;
    while let Some(at) = rest.find(MARK) {
        let value_start = at + MARK.len();
        out.push_str(&rest[..value_start]);
        rest = &rest[value_start..];
        let Some(end) = rest.find('"') else { break };
        let src = &rest[..end];
        out.push_str(src);
        out.push('"');
        rest = &rest[end + 1..];
        if let Some(name) = src.strip_prefix(URL_PREFIX).filter(|n| is_ours(n))
            && let Some((stem, extension)) = name.rsplit_once('.')
            && let Some((base, width)) = stem.split_once('-')
            && let Ok(width) = width.trim_end_matches('w').parse::<u32>()
            && width > SMALL_WIDTH
        {
            out.push_str(&format!(
                " srcset=\"{URL_PREFIX}{base}-{SMALL_WIDTH}w.{extension} {SMALL_WIDTH}w, {URL_PREFIX}{name} {width}w\" \
                 sizes=\"(max-width: 840px) 100vw, 800px\""
            ));
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
