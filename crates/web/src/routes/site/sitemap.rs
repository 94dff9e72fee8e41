//! `/robots.txt` and `/sitemap.xml` for search engines: the sitemap lists the home page, every
//! visible post with its last change, every author of one, `/tags` and every tag in use; past
//! 50,000 addresses it is an index of parts (`/sitemap/posts/<n>.xml`, `/sitemap/authors/<n>.xml`,
//! `/sitemap/tags.xml`). Made with `quick-xml`, which escapes every text.

use std::io;

use app::App;
use app::sitemap::Contents;
use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rocket::fairing::AdHoc;
use rocket::http::RawStr;
use rocket::http::{ContentType, Header};
use rocket::{State, get, routes};

use super::{SiteError, SiteResult};
use crate::config::AppConfig;
use crate::layout::NOINDEX_PATHS;
use crate::replay::remember;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Sitemap", |rocket| async {
        rocket.mount("/", remember(routes![robots, sitemap, posts_part, authors_part, tags_part]))
    })
}

/// A sitemap's XML, kept by caches for an hour.
#[derive(rocket::Responder)]
pub struct Xml {
    body: Vec<u8>,
    content_type: ContentType,
    cache: Header<'static>,
}

impl Xml {
    fn new(body: Vec<u8>) -> Self {
        Xml { body, content_type: ContentType::XML, cache: Header::new("Cache-Control", "public, max-age=3600") }
    }
}

/// Crawlers may read everything but the pages about one person and search results; the
/// sitemap is named.
#[get("/robots.txt")]
fn robots(config: &State<AppConfig>) -> (ContentType, String) {
    let mut text = String::from("User-agent: *\n");
    for path in NOINDEX_PATHS {
        text.push_str(&format!("Disallow: {path}\n"));
    }
    text.push_str(&format!("\nSitemap: {}/sitemap.xml\n", site(config)));
    (ContentType::Plain, text)
}

#[get("/sitemap.xml")]
async fn sitemap(app: &State<App>, config: &State<AppConfig>) -> SiteResult<Xml> {
    let contents = app::sitemap::contents(app).await?;
    let site = site(config);
    if !contents.fits_one() {
        return Ok(Xml::new(index(&site, &contents).map_err(internal)?));
    }
    let posts = app::sitemap::posts(app, None).await?;
    let authors = app::sitemap::authors(app, None).await?;
    let body = urlset(|w| {
        url(w, &format!("{site}/"), None)?;
        write_posts(w, &site, &posts)?;
        write_authors(w, &site, &authors)?;
        write_tags(w, &site, &contents.tags)
    })
    .map_err(internal)?;
    Ok(Xml::new(body))
}

/// `/sitemap/posts/<n>.xml`: the `n`th 50,000 posts.
#[get("/sitemap/posts/<file>")]
async fn posts_part(file: &str, app: &State<App>, config: &State<AppConfig>) -> SiteResult<Xml> {
    let posts = app::sitemap::posts(app, Some(part_number(file)?)).await?;
    let site = site(config);
    Ok(Xml::new(urlset(|w| write_posts(w, &site, &posts)).map_err(internal)?))
}

/// `/sitemap/authors/<n>.xml`: the `n`th 50,000 authors.
#[get("/sitemap/authors/<file>")]
async fn authors_part(file: &str, app: &State<App>, config: &State<AppConfig>) -> SiteResult<Xml> {
    let authors = app::sitemap::authors(app, Some(part_number(file)?)).await?;
    let site = site(config);
    Ok(Xml::new(urlset(|w| write_authors(w, &site, &authors)).map_err(internal)?))
}

/// `/sitemap/tags.xml`: every tag in use, and `/tags`.
#[get("/sitemap/tags.xml")]
async fn tags_part(app: &State<App>, config: &State<AppConfig>) -> SiteResult<Xml> {
    let tags = app::sitemap::tags(app).await?;
    let site = site(config);
    Ok(Xml::new(urlset(|w| write_tags(w, &site, &tags)).map_err(internal)?))
}

fn site(config: &AppConfig) -> String {
    config.public_url.trim_end_matches('/').to_owned()
}

/// `3.xml` is part 3; anything else is no part.
fn part_number(file: &str) -> SiteResult<u64> {
    file.strip_suffix(".xml")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| SiteError::from(app::AppError::NotFound("sitemap")))
}

fn internal(e: io::Error) -> SiteError {
    SiteError::from(app::AppError::internal(format!("sitemap: {e}")))
}

fn document(root: &str, body: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element(root).with_attribute(("xmlns", SITEMAP_NS)).write_inner_content(body)?;
    Ok(w.into_inner())
}

fn urlset(body: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> io::Result<Vec<u8>> {
    document("urlset", body)
}

fn index(site: &str, contents: &Contents) -> io::Result<Vec<u8>> {
    document("sitemapindex", |w| {
        let mut part = |loc: String| {
            w.create_element("sitemap")
                .write_inner_content(|w| w.create_element("loc").write_text_content(BytesText::new(&loc)).map(|_| ()))
                .map(|_| ())
        };
        for n in 1..=contents.post_parts() {
            part(format!("{site}/sitemap/posts/{n}.xml"))?;
        }
        for n in 1..=contents.author_parts() {
            part(format!("{site}/sitemap/authors/{n}.xml"))?;
        }
        part(format!("{site}/sitemap/tags.xml"))
    })
}

fn url(w: &mut Writer<Vec<u8>>, loc: &str, lastmod: Option<DateTime<Utc>>) -> io::Result<()> {
    w.create_element("url")
        .write_inner_content(|w| {
            w.create_element("loc").write_text_content(BytesText::new(loc))?;
            if let Some(at) = lastmod {
                let at = at.to_rfc3339_opts(SecondsFormat::Secs, true);
                w.create_element("lastmod").write_text_content(BytesText::new(&at))?;
            }
            Ok(())
        })
        .map(|_| ())
}

fn write_posts(w: &mut Writer<Vec<u8>>, site: &str, posts: &[(i64, DateTime<Utc>)]) -> io::Result<()> {
    for (id, changed) in posts {
        url(w, &format!("{site}/post/{id}"), Some(*changed))?;
    }
    Ok(())
}

fn write_authors(w: &mut Writer<Vec<u8>>, site: &str, authors: &[String]) -> io::Result<()> {
    for name in authors {
        url(w, &format!("{site}/user/{}", RawStr::new(name).percent_encode()), None)?;
    }
    Ok(())
}

fn write_tags(w: &mut Writer<Vec<u8>>, site: &str, tags: &[String]) -> io::Result<()> {
    url(w, &format!("{site}/tags"), None)?;
    for tag in tags {
        url(w, &format!("{site}/tag/{}", RawStr::new(tag).percent_encode()), None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_fifty_thousand_addresses_the_sitemap_is_an_index_of_parts() {
        let small = Contents { posts: 49_000, authors: 900, tags: vec!["a".into(); 98] };
        assert!(small.fits_one());
        let big = Contents { posts: 120_000, authors: 10, tags: vec!["a".into()] };
        assert!(!big.fits_one());
        let xml = String::from_utf8(index("https://x.example", &big).unwrap_or_default()).unwrap_or_default();
        let locs: Vec<&str> = xml.split("<loc>").skip(1).filter_map(|rest| rest.split("</loc>").next()).collect();
        assert_eq!(
            locs,
            [
                "https://x.example/sitemap/posts/1.xml",
                "https://x.example/sitemap/posts/2.xml",
                "https://x.example/sitemap/posts/3.xml",
                "https://x.example/sitemap/authors/1.xml",
                "https://x.example/sitemap/tags.xml",
            ]
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    }

    #[test]
    fn part_numbers() {
        assert_eq!(part_number("3.xml").ok(), Some(3));
        for bad in ["0.xml", "x.xml", "3", "-1.xml", "3.xml.gz"] {
            assert!(part_number(bad).is_err(), "{bad}");
        }
    }
}
