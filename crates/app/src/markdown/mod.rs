//! Posts' bodies as HTML, made once when a post is saved: CommonMark with tables,
//! strikethrough, task lists, footnotes and autolinks (comrak), fenced code highlighted on the
//! server into `hl-` classes (syntect; the colours are `static/css/highlight.css`), headings with
//! anchor ids, and everything sanitised afterwards against an explicit allow-list (ammonia).
//!
//! Whatever was typed, no script, style, iframe, form, event handler or `javascript:`/`data:`/
//! `vbscript:` URL comes out; links get `rel="nofollow noopener ugc"`, pictures
//! `loading="lazy"`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{LazyLock, Mutex};

use comrak::adapters::SyntaxHighlighterAdapter;
use comrak::nodes::NodeValue;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// A body as it is stored beside its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised HTML (none for plain-text posts, which the page shows as typed).
    pub html: Option<String>,
    /// About [`domain::post::EXCERPT_CHARS`] characters of plain text, cut at a word.
    pub excerpt: String,
    /// Words, for the read time.
    pub words: u32,
}

/// Code highlighted per post, at most: past it, code blocks are shown plain. Highlighting makes
/// about 35 bytes of HTML per byte of code and takes ~3 ms a kilobyte.
pub const HIGHLIGHT_BUDGET: usize = 20_000;

/// The class prefix of highlighted code (and of its stylesheet).
pub const CLASS_PREFIX: &str = "hl-";

/// Renders a Markdown body.
pub fn markdown(source: &str) -> Rendered {
    let options = options();
    let highlighter = Highlighter { budget: Mutex::new(HIGHLIGHT_BUDGET) };
    let mut plugins = comrak::options::Plugins::default();
    plugins.render.codefence_syntax_highlighter = Some(&highlighter);
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, source, &options);
    let mut text = String::new();
    for node in root.descendants() {
        match &node.data.borrow().value {
            NodeValue::Text(t) => text.push_str(t),
            NodeValue::Code(c) => text.push_str(&c.literal),
            NodeValue::CodeBlock(c) => {
                text.push(' ');
                text.push_str(&c.literal);
            }
            NodeValue::SoftBreak | NodeValue::LineBreak | NodeValue::Paragraph | NodeValue::Heading(_) => {
                text.push(' ')
            }
            _ => {}
        }
    }
    let mut html = String::new();
    if comrak::format_html_with_plugins(root, &options, &mut html, &plugins).is_err() {
        html.clear();
    }
    let html = crate::images::with_srcset(&SANITIZER.clean(&html).to_string());
    Rendered { html: Some(html), excerpt: excerpt(&text), words: words(&text) }
}

/// Renders a comment: Markdown restricted to inline formatting, links, lists, quotes and code.
/// Headings come out as paragraphs, pictures as links to them, raw HTML as the text typed; code
/// is not highlighted; links get `rel="nofollow ugc"`.
pub fn comment(source: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.render.escape = true;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, source, &options);
    for node in root.descendants() {
        let mut data = node.data.borrow_mut();
        let replacement = match &data.value {
            NodeValue::Heading(_) => Some(NodeValue::Paragraph),
            NodeValue::Image(link) => Some(NodeValue::Link(link.clone())),
            _ => None,
        };
        if let Some(value) = replacement {
            data.value = value;
        }
    }
    let mut html = String::new();
    if comrak::format_html(root, &options, &mut html).is_err() {
        html.clear();
    }
    COMMENT_SANITIZER.clean(&html).to_string()
}

static COMMENT_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(HashSet::from(["p", "br", "em", "strong", "del", "code", "pre", "a", "ul", "ol", "li", "blockquote"]))
        .tag_attributes(HashMap::from([("a", HashSet::from(["href", "title"])), ("ol", HashSet::from(["start"]))]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow ugc"))
        .strip_comments(true);
    b
});

/// What a plain-text body needs besides itself.
pub fn plain(source: &str) -> Rendered {
    Rendered { html: None, excerpt: excerpt(source), words: words(source) }
}

fn words(text: &str) -> u32 {
    u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX)
}

/// The first [`domain::post::EXCERPT_CHARS`] characters or so of `text`, whitespace folded, cut
/// after a whole word, with an ellipsis when anything was left out.
fn excerpt(text: &str) -> String {
    let mut out = String::new();
    let mut cut = false;
    for word in text.split_whitespace() {
        let chars = out.chars().count() + word.chars().count() + 1;
        if chars > domain::post::EXCERPT_CHARS && !out.is_empty() {
            cut = true;
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        // A single word longer than the excerpt is cut inside.
        out.extend(word.chars().take(domain::post::EXCERPT_CHARS));
    }
    if cut {
        out.push('…');
    }
    out
}

fn options() -> comrak::Options<'static> {
    let mut options = comrak::Options::default();
    options.extension.strikethrough = true;
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.header_id_prefix = Some("h-".into());
    options.extension.header_id_prefix_in_href = true;
    // Raw HTML is passed on to the sanitiser, which keeps what is on its list.
    options.render.r#unsafe = true;
    options
}

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Fenced code through syntect into classed spans, while the post's budget lasts.
struct Highlighter {
    budget: Mutex<usize>,
}

impl Highlighter {
    fn take(&self, bytes: usize) -> bool {
        let Ok(mut left) = self.budget.lock() else { return false };
        if *left < bytes {
            return false;
        }
        *left -= bytes;
        true
    }
}

impl SyntaxHighlighterAdapter for Highlighter {
    fn write_highlighted(&self, output: &mut dyn fmt::Write, lang: Option<&str>, code: &str) -> fmt::Result {
        let syntax = lang.and_then(|l| SYNTAXES.find_syntax_by_token(l));
        if let Some(syntax) = syntax
            && self.take(code.len())
        {
            let mut html = ClassedHTMLGenerator::new_with_class_style(
                syntax,
                &SYNTAXES,
                ClassStyle::SpacedPrefixed { prefix: CLASS_PREFIX },
            );
            for line in LinesWithEndings::from(code) {
                if html.parse_html_for_line_which_includes_newline(line).is_err() {
                    return output.write_str(&escape(code));
                }
            }
            return output.write_str(&html.finalize());
        }
        output.write_str(&escape(code))
    }

    fn write_pre_tag(&self, output: &mut dyn fmt::Write, _: HashMap<&'static str, Cow<'_, str>>) -> fmt::Result {
        output.write_str("<pre>")
    }

    fn write_code_tag(
        &self,
        output: &mut dyn fmt::Write,
        attributes: HashMap<&'static str, Cow<'_, str>>,
    ) -> fmt::Result {
        match attributes.get("class") {
            Some(class) => write!(output, "<code class=\"{}\">", escape(class)),
            None => output.write_str("<code>"),
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Ids a body may carry: its headings' (`h-`) and its footnotes' (`fn-`, `fnref-`).
fn our_id(value: &str) -> bool {
    ["h-", "fn-", "fnref-"].iter().any(|p| value.starts_with(p))
}

/// The class names a body may carry: highlighted code's, `language-…` on code, and the few
/// the renderer writes.
fn keep_classes(element: &str, value: &str) -> Option<String> {
    let kept: Vec<&str> = value
        .split_whitespace()
        .filter(|c| {
            c.starts_with(CLASS_PREFIX)
                || (element == "code" && c.starts_with("language-"))
                || matches!((element, *c), ("a", "anchor" | "footnote-ref") | ("li" | "ul", "task-list-item"))
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join(" "))
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow noopener ugc"))
        .add_tags(["input", "section"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("a", ["class", "id", "aria-label"])
        .add_tag_attributes("li", ["id", "class"])
        .add_tag_attributes("sup", ["class", "id"])
        .add_tag_attributes("section", ["class"])
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("img", ["loading"])
        .set_tag_attribute_value("img", "loading", "lazy")
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") => (value == "checkbox").then_some(Cow::Borrowed(value)),
            ("input", "disabled" | "checked") => Some(Cow::Borrowed("")),
            (_, "id") => our_id(value).then_some(Cow::Borrowed(value)),
            (_, "class") => keep_classes(element, value).map(Cow::Owned),
            _ => Some(Cow::Borrowed(value)),
        });
    for heading in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(heading, ["id"]);
    }
    b
});

/// The stylesheet for highlighted code (the site has one, light, colour scheme).
pub fn highlight_css() -> String {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let style = ClassStyle::SpacedPrefixed { prefix: CLASS_PREFIX };
    let css =
        |name: &str| themes.themes.get(name).and_then(|t| syntect::html::css_for_theme_with_class_style(t, style).ok());
    let mut out = String::from("/* Made by app::markdown::highlight_css(); regenerate, do not edit. */\n");
    out.push_str(&css("InspiredGitHub").unwrap_or_default());
    // The reader's dark theme: the same classes, light on dark.
    out.push_str("\n@media (prefers-color-scheme: dark) {\n");
    out.push_str(&css("base16-ocean.dark").unwrap_or_default());
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests;
