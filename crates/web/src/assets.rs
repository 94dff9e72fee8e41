//! The files under `static/` (stylesheets, scripts, icons), read once when the server starts
//! and kept in memory with their brotli and gzip forms. Each has two addresses: its own path
//! (`/static/css/main.css`, kept by browsers for an hour) and one carrying a hash of its bytes
//! (`/static/css/main.1f0c2ab43d9e8a77.css`), which changes whenever the file does and so can be
//! kept for a year without asking again. Pages link to the hashed one through the templates'
//! `static_url(path=…)` function.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rocket::http::ContentType;
use rocket_dyn_templates::tera;
use sha2::{Digest, Sha256};

use crate::compression::{Effort, Encoding, compressible};

/// One static file and its compressed forms (kept only when smaller).
pub struct Asset {
    /// Its path under `static/` with the hash of its bytes before the extension.
    pub hashed: String,
    pub content_type: ContentType,
    /// A strong validator: the hash, quoted.
    pub etag: String,
    pub bytes: Arc<[u8]>,
    pub brotli: Option<Arc<[u8]>>,
    pub gzip: Option<Arc<[u8]>>,
}

impl Asset {
    /// The bytes to send for `encoding` (the file's own when it has no such form), and the
    /// coding they are in.
    pub fn encoded(&self, encoding: Option<Encoding>) -> (Arc<[u8]>, Option<Encoding>) {
        match (encoding, &self.brotli, &self.gzip) {
            (Some(Encoding::Brotli), Some(brotli), _) => (Arc::clone(brotli), encoding),
            (Some(Encoding::Gzip), _, Some(gzip)) => (Arc::clone(gzip), encoding),
            _ => (Arc::clone(&self.bytes), None),
        }
    }
}

/// Every static file, by its path and by its hashed path; managed state.
#[derive(Clone, Default)]
pub struct Assets(Arc<Inner>);

#[derive(Default)]
struct Inner {
    files: Vec<Arc<Asset>>,
    by_path: HashMap<String, usize>,
    by_hashed: HashMap<String, usize>,
}

/// What a request for `/static/<path>` found.
pub enum Found<'a> {
    /// The file's hashed address: it can be kept for good.
    Hashed(&'a Arc<Asset>),
    /// The file's own path.
    Plain(&'a Arc<Asset>),
}

impl Assets {
    /// Reads every file under `dir` (but dotfiles) and compresses those that are text.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut inner = Inner::default();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder)? {
                let entry = entry?;
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    pending.push(path);
                    continue;
                }
                let Some(relative) = relative_path(dir, &path) else { continue };
                let asset = Asset::read(&relative, &path)?;
                let index = inner.files.len();
                inner.by_path.insert(relative, index);
                inner.by_hashed.insert(asset.hashed.clone(), index);
                inner.files.push(Arc::new(asset));
            }
        }
        Ok(Assets(Arc::new(inner)))
    }

    /// The file at `path` (under `static/`), by either of its addresses.
    pub fn find(&self, path: &str) -> Option<Found<'_>> {
        if let Some(&i) = self.0.by_hashed.get(path) {
            return Some(Found::Hashed(&self.0.files[i]));
        }
        self.0.by_path.get(path).map(|&i| Found::Plain(&self.0.files[i]))
    }

    /// The hashed address of the file at `path`, if there is one.
    pub fn url(&self, path: &str) -> Option<String> {
        self.0.by_path.get(path.trim_start_matches('/')).map(|&i| format!("/static/{}", self.0.files[i].hashed))
    }

    /// The templates' `static_url(path="css/main.css")`: the file's hashed address; an unknown
    /// path is an error, so that a misspelt link fails the page's tests rather than a reader.
    pub fn tera_function(&self) -> StaticUrl {
        StaticUrl(self.clone())
    }
}

/// See [`Assets::tera_function`].
pub struct StaticUrl(Assets);

impl tera::Function for StaticUrl {
    fn call(&self, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        let path = args
            .get("path")
            .and_then(tera::Value::as_str)
            .ok_or_else(|| tera::Error::msg("static_url needs path=\"…\""))?;
        self.0
            .url(path)
            .map(tera::Value::String)
            .ok_or_else(|| tera::Error::msg(format!("static_url: no static file {path}")))
    }

    /// The addresses are made from the names of the site's own files: nothing to escape (and
    /// escaping would turn each `/` into `&#x2F;`).
    fn is_safe(&self) -> bool {
        true
    }
}

/// `path` under `dir`, with `/` between its parts; `None` for a name that is not UTF-8.
fn relative_path(dir: &Path, path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path.strip_prefix(dir).ok()?.iter().map(|p| p.to_str()).collect();
    Some(parts?.join("/"))
}

impl Asset {
    fn read(relative: &str, path: &PathBuf) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        let digest = Sha256::digest(&bytes);
        let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let hashed = match relative.rsplit_once('.') {
            Some((stem, ext)) if !stem.ends_with('/') && !stem.is_empty() => format!("{stem}.{hash}.{ext}"),
            _ => format!("{relative}.{hash}"),
        };
        let content_type = Path::new(relative)
            .extension()
            .and_then(|e| e.to_str())
            .and_then(ContentType::from_extension)
            .unwrap_or(ContentType::Binary);
        let text = compressible(&content_type) && bytes.len() >= crate::compression::MIN_BYTES;
        let (brotli, gzip) = if text { packed(digest.into(), &bytes) } else { (None, None) };
        Ok(Asset { hashed, content_type, etag: format!("\"{hash}\""), bytes: Arc::from(bytes), brotli, gzip })
    }
}

/// Brotli and gzip forms of a file's bytes, when smaller. Kept by the bytes' hash for the life
/// of the process: brotli's best takes tens of milliseconds a file, and every server a process
/// starts (each test's) reads the same files.
fn packed(digest: [u8; 32], bytes: &[u8]) -> Packed {
    static KEPT: Mutex<Option<HashMap<[u8; 32], Packed>>> = Mutex::new(None);
    let kept =
        |lock: &mut Option<HashMap<[u8; 32], Packed>>| lock.get_or_insert_with(HashMap::new).get(&digest).cloned();
    if let Some(found) = kept(&mut KEPT.lock().unwrap_or_else(PoisonError::into_inner)) {
        return found;
    }
    let smaller = |encoding: Encoding| {
        let packed = encoding.compress(bytes, Effort::Thorough);
        (packed.len() < bytes.len()).then(|| Arc::from(packed))
    };
    let made = (smaller(Encoding::Brotli), smaller(Encoding::Gzip));
    let mut lock = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    lock.get_or_insert_with(HashMap::new).insert(digest, made.clone());
    made
}

type Packed = (Option<Arc<[u8]>>, Option<Arc<[u8]>>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_get_an_address_that_changes_with_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("css")).unwrap();
        std::fs::write(dir.path().join("css/site.css"), "body { color: red }\n".repeat(100)).unwrap();
        std::fs::write(dir.path().join("icon.svg"), "<svg/>").unwrap();
        std::fs::write(dir.path().join(".half-written"), "x").unwrap();
        let assets = Assets::load(dir.path()).unwrap();
        let url = assets.url("css/site.css").unwrap();
        assert!(
            url.starts_with("/static/css/site.")
                && url.ends_with(".css")
                && url.len() == "/static/css/site..css".len() + 16,
            "{url}"
        );
        let Some(Found::Hashed(css)) = assets.find(url.trim_start_matches("/static/")) else { panic!("hashed") };
        assert_eq!(css.content_type, ContentType::CSS);
        assert!(css.brotli.as_ref().unwrap().len() < 100 && css.gzip.is_some(), "compressed once, when read");
        assert!(matches!(assets.find("css/site.css"), Some(Found::Plain(_))));
        let icon = assets.url("icon.svg").unwrap();
        let Some(Found::Hashed(small)) = assets.find(icon.trim_start_matches("/static/")) else { panic!("hashed") };
        assert!(small.brotli.is_none(), "a few bytes are sent as they are");
        assert!(assets.find(".half-written").is_none() && assets.url("css/other.css").is_none());

        std::fs::write(dir.path().join("css/site.css"), "body { color: blue }\n").unwrap();
        let changed = Assets::load(dir.path()).unwrap().url("css/site.css").unwrap();
        assert_ne!(changed, url);
    }
}
