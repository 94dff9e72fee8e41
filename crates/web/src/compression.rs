//! Compressed answers: HTML, CSS, scripts, JSON, feeds and other text go out in brotli or gzip,
//! whichever of the two the client accepts and prefers (brotli on a tie), when they are large
//! enough to gain from it. Static files are compressed once, when the server starts (see
//! [`crate::routes::files`]); readers' remembered pages once per page (see [`crate::views`]);
//! everything else as it is sent, by the [`stage`] fairing, but for pages that carry the
//! visitor's form token ([`Uncompressed`]). Every compressible answer says
//! `Vary: Accept-Encoding`, so that no cache hands brotli to a client that asked for none.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Header, Method, Status};
use rocket::{Request, Response};

/// A content coding Gazette sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

/// How hard to work at it: once per file or page kept (`Thorough`), or on every answer (`Quick`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    Quick,
    Thorough,
}

/// Answers smaller than this go out as they are: a few hundred bytes gain less than the
/// encoding's own framing and the work of both sides.
pub const MIN_BYTES: usize = 1024;

/// Bodies larger than this are compressed on the blocking pool, not on the thread that serves
/// other requests (a sitemap part is several megabytes).
const INLINE_MAX: usize = 128 * 1024;

/// Bodies larger than this are sent as they are (none of Gazette's text answers comes near it).
const MAX_BYTES: usize = 16 * 1024 * 1024;

impl Encoding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The coding to answer a request with `Accept-Encoding: header`: the client's preferred of
    /// brotli and gzip by their quality values (`*` stands for any not named; `q=0` refuses),
    /// brotli when both weigh the same; `None` without the header or when both are refused.
    pub fn negotiate(header: Option<&str>) -> Option<Encoding> {
        let (mut brotli, mut gzip, mut any) = (None, None, None);
        for item in header?.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let mut quality = 1.0_f32;
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    // An unreadable weight refuses the coding rather than guess.
                    quality = value.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)).unwrap_or(0.0);
                }
            }
            if coding.eq_ignore_ascii_case("br") {
                brotli = Some(quality);
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(quality);
            } else if coding == "*" {
                any = Some(quality);
            }
        }
        let brotli = brotli.or(any).unwrap_or(0.0);
        let gzip = gzip.or(any).unwrap_or(0.0);
        if brotli > 0.0 && brotli >= gzip {
            Some(Encoding::Brotli)
        } else if gzip > 0.0 {
            Some(Encoding::Gzip)
        } else {
            None
        }
    }

    /// `bytes` in this coding. Brotli's window is sized to the input, so that compressing a small
    /// page does not set up the 4 MiB a large one would use.
    pub fn compress(self, bytes: &[u8], effort: Effort) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
        match self {
            Encoding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    // 4: a 15 KiB page in about a third of a millisecond, within 10% of 5's size.
                    quality: if effort == Effort::Thorough { 11 } else { 4 },
                    lgwin: window_bits(bytes.len()),
                    size_hint: bytes.len(),
                    ..Default::default()
                };
                let mut input = bytes;
                // Writing into a Vec cannot fail.
                let _ = brotli::BrotliCompress(&mut input, &mut out, &params);
            }
            Encoding::Gzip => {
                let level = if effort == Effort::Thorough { 9 } else { 6 };
                let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::new(level));
                let _ = encoder.write_all(bytes);
                out = encoder.finish().unwrap_or_default();
            }
        }
        out
    }
}

/// Bytes sent to many clients (a remembered page, a feed), with their brotli and gzip forms, each
/// made the first time a client takes it.
pub struct Shared {
    bytes: Arc<[u8]>,
    brotli: OnceLock<Arc<[u8]>>,
    gzip: OnceLock<Arc<[u8]>>,
}

impl Shared {
    pub fn new(bytes: Arc<[u8]>) -> Self {
        Shared { bytes, brotli: OnceLock::new(), gzip: OnceLock::new() }
    }

    pub fn bytes(&self) -> &Arc<[u8]> {
        &self.bytes
    }

    /// The bytes for a client taking `encoding`, and the coding they are in (none for a body
    /// too small to gain from it).
    pub fn encoded(&self, encoding: Option<Encoding>) -> (Arc<[u8]>, Option<Encoding>) {
        let form = match encoding {
            _ if self.bytes.len() < MIN_BYTES => None,
            Some(Encoding::Brotli) => Some(&self.brotli),
            Some(Encoding::Gzip) => Some(&self.gzip),
            None => None,
        };
        match (form, encoding) {
            (Some(form), Some(encoding)) => (
                Arc::clone(form.get_or_init(|| Arc::from(encoding.compress(&self.bytes, Effort::Quick)))),
                Some(encoding),
            ),
            _ => (Arc::clone(&self.bytes), None),
        }
    }

    /// An answer with these bytes in the coding `req` takes best, marked as varying by it; a
    /// compressed answer's `ETag`, if it has one, made weak.
    /// An answer being made to be kept is made uncompressed ([`crate::replay`]).
    pub fn respond(&self, req: &Request<'_>, mut answer: rocket::response::Builder<'static>) -> Response<'static> {
        let taken = if crate::replay::recording(req) {
            None
        } else {
            Encoding::negotiate(req.headers().get_one("Accept-Encoding"))
        };
        let (bytes, encoding) = self.encoded(taken);
        if let Some(encoding) = encoding {
            answer.header(Header::new("Content-Encoding", encoding.token()));
        }
        let mut response = answer.sized_body(bytes.len(), std::io::Cursor::new(bytes)).finalize();
        if encoding.is_some() {
            weaken_etag(&mut response);
        }
        vary(&mut response);
        response
    }
}

/// Brotli's window for `len` bytes: the smallest power of two holding them, within 2^18..2^22.
/// Below 2^18 this encoder takes another hasher at qualities 5 to 9, which sets up 33 MB of
/// tables for each body; at 2^22 its tables for a small page are larger than they need be.
fn window_bits(len: usize) -> i32 {
    let bits = usize::BITS - len.max(1).leading_zeros();
    bits.clamp(18, 22) as i32
}

/// Whether answers of this type are text that compression shrinks.
pub fn compressible(content_type: &ContentType) -> bool {
    let (top, sub) = (content_type.top().as_str(), content_type.sub().as_str());
    top.eq_ignore_ascii_case("text")
        || (top.eq_ignore_ascii_case("application")
            && ["json", "javascript", "xml", "atom+xml", "rss+xml", "problem+json", "manifest+json"]
                .iter()
                .any(|s| sub.eq_ignore_ascii_case(s)))
        || (top.eq_ignore_ascii_case("image") && sub.eq_ignore_ascii_case("svg+xml"))
}

/// Adds `Vary: Accept-Encoding` to the answer, keeping whatever else it varies by.
pub fn vary(response: &mut Response<'_>) {
    let current: Vec<String> = response.headers().get("Vary").map(str::to_owned).collect();
    if current.iter().any(|v| v.split(',').any(|f| f.trim().eq_ignore_ascii_case("accept-encoding"))) {
        return;
    }
    let value = if current.is_empty() {
        "Accept-Encoding".to_owned()
    } else {
        format!("{}, Accept-Encoding", current.join(", "))
    };
    response.set_header(Header::new("Vary", value));
}

/// A strong validator stays with the bytes it was made from: once they are compressed, the
/// answer's `ETag` becomes weak (`W/"…"`), which `If-None-Match` still matches.
pub fn weaken_etag(response: &mut Response<'_>) {
    if let Some(tag) = response.headers().get_one("ETag").filter(|t| !t.starts_with("W/")).map(str::to_owned) {
        response.set_header(Header::new("ETag", format!("W/{tag}")));
    }
}

/// Set in a request's local cache by an answer that must go out as it is: a page carrying the
/// visitor's form token. Compressed, such a page would let someone who sees the encrypted
/// lengths of the visitor's answers, and can make their browser ask for pages that echo chosen
/// text (a search), guess the token a character at a time (the BREACH attack).
pub struct Uncompressed(pub bool);

/// Compresses the answers nobody compressed before (see the module's documentation).
pub fn stage() -> AdHoc {
    AdHoc::on_response("Compression", |req, response| Box::pin(compress(req, response)))
}

async fn compress(req: &Request<'_>, response: &mut Response<'_>) {
    if response.headers().contains("Content-Encoding") || !response.content_type().is_some_and(|t| compressible(&t)) {
        return;
    }
    vary(response);
    if req.local_cache(|| Uncompressed(false)).0 {
        return;
    }
    let Some(encoding) = Encoding::negotiate(req.headers().get_one("Accept-Encoding")) else { return };
    if req.method() == Method::Head || matches!(response.status(), Status::NoContent | Status::NotModified) {
        return;
    }
    match response.body().preset_size() {
        Some(size) if (MIN_BYTES..=MAX_BYTES).contains(&size) => {}
        _ => return,
    }
    let bytes = match response.body_mut().to_bytes().await {
        Ok(bytes) => bytes,
        Err(e) => return fail(response, "reading an answer to compress it", &e),
    };
    let compressed = if bytes.len() <= INLINE_MAX {
        encoding.compress(&bytes, Effort::Quick)
    } else {
        match rocket::tokio::task::spawn_blocking(move || encoding.compress(&bytes, Effort::Quick)).await {
            Ok(compressed) => compressed,
            Err(e) => return fail(response, "compressing an answer", &e),
        }
    };
    response.set_header(Header::new("Content-Encoding", encoding.token()));
    weaken_etag(response);
    response.set_sized_body(compressed.len(), std::io::Cursor::new(compressed));
}

/// Bodies up to this size go to the connection in one piece.
const WHOLE_MAX: usize = 256 * 1024;

/// Sends answers whose size is known in one piece rather than Rocket's 4 KiB chunks: each
/// chunk passes from the request's task to the connection's through a channel, a wake-up each,
/// and a feed of 84 KB took 21 of them. Attached last, it sees the body every fairing left.
pub fn whole_bodies() -> AdHoc {
    AdHoc::on_response("Whole bodies", |_, response| {
        Box::pin(async move {
            if let Some(size) = response.body().preset_size() {
                response.set_max_chunk_size(size.clamp(rocket::response::Body::DEFAULT_MAX_CHUNK, WHOLE_MAX));
            }
        })
    })
}

/// An answer whose body was lost on the way: 500, and nothing half-sent.
pub fn fail(response: &mut Response<'_>, what: &str, error: &dyn std::fmt::Display) {
    log::error!("{what}: {error}");
    response.set_status(Status::InternalServerError);
    response.set_sized_body(0, std::io::Cursor::new(Vec::new()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_client_chooses_by_weight_and_brotli_wins_a_tie() {
        use Encoding::{Brotli, Gzip};
        for (header, expected) in [
            ("br, gzip", Some(Brotli)),
            ("gzip, deflate, br, zstd", Some(Brotli)),
            ("gzip", Some(Gzip)),
            ("GZIP", Some(Gzip)),
            ("x-gzip", Some(Gzip)),
            ("br;q=0.5, gzip;q=0.8", Some(Gzip)),
            ("br;q=0, gzip", Some(Gzip)),
            ("br;q=0, gzip;q=0", None),
            ("*", Some(Brotli)),
            ("*;q=0", None),
            ("gzip;q=0.5, *", Some(Brotli)),
            ("identity", None),
            ("deflate", None),
            ("br;q=bogus, gzip", Some(Gzip)),
            ("br;q=2", None),
            ("", None),
        ] {
            assert_eq!(Encoding::negotiate(Some(header)), expected, "{header:?}");
        }
        assert_eq!(Encoding::negotiate(None), None);
    }

    #[test]
    fn both_codings_give_back_the_bytes() {
        let text = "<p>Gazette, a self-hosted blog.</p>\n".repeat(200);
        for effort in [Effort::Quick, Effort::Thorough] {
            let brotli = Encoding::Brotli.compress(text.as_bytes(), effort);
            assert!(brotli.len() < text.len() / 10, "{}", brotli.len());
            let mut back = Vec::new();
            brotli::BrotliDecompress(&mut &brotli[..], &mut back).unwrap();
            assert_eq!(back, text.as_bytes());
            let gzip = Encoding::Gzip.compress(text.as_bytes(), effort);
            let mut back = String::new();
            flate2::read::GzDecoder::new(&gzip[..]).read_to_string(&mut back).unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn text_is_compressible_and_pictures_are_not() {
        for yes in [ContentType::HTML, ContentType::CSS, ContentType::JSON, ContentType::JavaScript, ContentType::SVG] {
            assert!(compressible(&yes), "{yes}");
        }
        assert!(compressible(&ContentType::new("application", "atom+xml")));
        for no in [ContentType::PNG, ContentType::JPEG, ContentType::WEBP, ContentType::Binary] {
            assert!(!compressible(&no), "{no}");
        }
    }

    #[test]
    fn the_window_fits_the_input() {
        assert_eq!(window_bits(0), 18);
        assert_eq!(window_bits(10_000), 18);
        assert_eq!(window_bits(1_000_000), 20);
        assert_eq!(window_bits(50_000_000), 22);
    }
}
