//! What a post's page tells search engines and the sites it is shared on: OpenGraph and Twitter
//! card tags, and a JSON-LD `BlogPosting`, all with absolute addresses from `public_url`.

use app::posts::Post;
use serde::Serialize;

use crate::layout::avatar_url;

/// The longest description a preview carries, in characters (what search engines show).
const DESCRIPTION_CHARS: usize = 200;

/// A post's preview, for `posts/show`'s `<head>`.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub title: String,
    pub description: String,
    pub url: String,
    /// The post's first picture, else its author's avatar.
    pub image: String,
    /// Whether `image` is the post's own (a large card) or the avatar (a small one).
    pub post_image: bool,
    pub published: String,
    pub modified: String,
    pub author: String,
    pub author_url: String,
    pub tags: Vec<String>,
    /// The `BlogPosting`, as JSON safe to put in a `<script>` element.
    pub json_ld: String,
}

impl Preview {
    pub fn of(post: &Post, tags: &[String], site_url: &str) -> Self {
        let summary = if post.description.trim().is_empty() {
            post.excerpt.clone().unwrap_or_default()
        } else {
            post.description.clone()
        };
        let description = shorten(&summary, DESCRIPTION_CHARS);
        let url = format!("{site_url}/post/{}", post.id);
        let author_url =
            format!("{site_url}/user/{}", rocket::http::RawStr::new(&post.author_username).percent_encode());
        let own = post.body_html.as_deref().and_then(first_image);
        let post_image = own.is_some();
        let image = absolute(site_url, &own.unwrap_or_else(|| avatar_url(post.author_image_file.as_deref())));
        let published = post.date_posted.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let modified = post.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let ld = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": post.title,
            "description": description,
            "url": url,
            "mainEntityOfPage": url,
            "image": image,
            "datePublished": published,
            "dateModified": modified,
            "author": { "@type": "Person", "name": post.author_username, "url": author_url },
            "keywords": tags,
            "wordCount": post.word_count,
        });
        // `<` written as `\u003c`, so that no text of the post can close the element.
        let json_ld = ld.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
        Self {
            title: post.title.clone(),
            description,
            url,
            image,
            post_image,
            published,
            modified,
            author: post.author_username.clone(),
            author_url,
            tags: tags.to_vec(),
            json_ld,
        }
    }
}

/// `text` cut at a word to at most `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

/// The address of the first picture in a post's sanitised HTML.
fn first_image(html: &str) -> Option<String> {
    let tag = html.find("<img ")?;
    let rest = &html[tag..];
    let end = rest.find('>')?;
    let src = rest[..end].find(" src=\"")? + " src=\"".len();
    let len = rest[src..end].find('"')?;
    let url = &rest[src..src + len];
    // The sanitiser wrote it as an attribute: `&amp;` is `&`.
    Some(url.replace("&amp;", "&"))
}

fn absolute(site_url: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else {
        format!("{site_url}/{}", url.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_cut_at_a_word() {
        assert_eq!(shorten("  short   text ", 200), "short text");
        let long = "word ".repeat(100);
        let cut = shorten(&long, 50);
        assert!(cut.chars().count() <= 50 && cut.ends_with("word…"), "{cut}");
    }

    #[test]
    fn the_first_picture_is_found() {
        let html = r#"<p>Hi</p><p><img src="/media/images/a.webp" alt="A"> <img src="/b.png"></p>"#;
        assert_eq!(first_image(html).as_deref(), Some("/media/images/a.webp"));
        assert_eq!(first_image("<p>none</p>"), None);
        assert_eq!(absolute("https://x.example", "/media/a.webp"), "https://x.example/media/a.webp");
    }
}
