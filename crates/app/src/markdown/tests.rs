use super::*;

fn html(source: &str) -> String {
    markdown(source).html.unwrap_or_default()
}

#[test]
fn headings_get_anchor_ids_and_lists_tables_and_footnotes_render() {
    let out = html("# Hello world\n\n- a\n- b\n\n| x | y |\n|---|--:|\n| 1 | 2 |\n\nNote[^1].\n\n[^1]: The note.\n");
    assert!(out.contains(r#"<h1 id="h-hello-world">"#), "{out}");
    assert!(out.contains(r##"<a href="#h-hello-world""##), "the anchor links to its heading: {out}");
    assert!(out.contains("<ul>\n<li>a</li>"), "{out}");
    assert!(out.contains("<table>") && out.contains(r#"<td align="right">2</td>"#), "{out}");
    assert!(out.contains(r##"href="#fn-1""##) && out.contains(r#"id="fn-1""#), "{out}");
    assert!(out.contains(r##"href="#fnref-1""##), "{out}");
}

#[test]
fn strikethrough_task_lists_and_bare_links_render() {
    let out = html("~~old~~ new\n\n- [x] done\n- [ ] to do\n\nSee https://example.org/page today.");
    assert!(out.contains("<del>old</del>"), "{out}");
    assert!(out.contains(r#"<input type="checkbox" checked="" disabled="">"#), "{out}");
    assert!(out.contains(r#"<input type="checkbox" disabled="">"#), "{out}");
    assert!(out.contains(r#"<a href="https://example.org/page" rel="nofollow noopener ugc">"#), "{out}");
}

#[test]
fn fenced_code_with_a_language_is_highlighted_into_classes_and_without_one_is_escaped() {
    let out = html("```rust\nfn main() { let x = \"<b>\"; }\n```\n\n```\n<script>alert(1)</script>\n```\n");
    assert!(out.contains(r#"<code class="language-rust">"#), "{out}");
    assert!(out.contains(r#"<span class="hl-source hl-rust">"#), "{out}");
    assert!(out.contains("hl-keyword"), "{out}");
    assert!(out.contains("&lt;b&gt;"), "{out}");
    assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{out}");
    assert!(!out.contains("style="), "classes, never inline styles: {out}");
}

#[test]
fn highlighting_stops_at_its_budget_and_the_rest_is_plain() {
    let block = format!("```rust\n{}\n```\n\n", "let a = 1;\n".repeat(1_500));
    let out = html(&block.repeat(3));
    assert_eq!(out.matches(r#"<span class="hl-source hl-rust">"#).count(), 1, "one block within the budget");
    assert_eq!(out.matches(r#"<code class="language-rust">"#).count(), 3);
}

#[test]
fn pictures_load_lazily_and_links_get_rel() {
    let out = html("![a cat](/media/images/cat.png) [home](/) [away](https://elsewhere.example)");
    assert!(out.contains(r#"<img src="/media/images/cat.png" alt="a cat" loading="lazy">"#), "{out}");
    assert!(out.contains(r#"<a href="/" rel="nofollow noopener ugc">home</a>"#), "{out}");
    assert!(out.contains(r#"href="https://elsewhere.example" rel="nofollow noopener ugc""#), "{out}");
}

#[test]
fn excerpts_are_plain_text_cut_at_a_word_and_words_are_counted() {
    let r = markdown(&format!(
        "# Title\n\n**Bold** and `code` and [a link](https://x.example).\n\n{}",
        "word ".repeat(200)
    ));
    assert!(r.excerpt.starts_with("Title Bold and code and a link. word word"), "{}", r.excerpt);
    assert!(r.excerpt.ends_with("word…"), "{}", r.excerpt);
    assert!(r.excerpt.chars().count() <= domain::post::EXCERPT_CHARS + 1);
    assert!(!r.excerpt.contains('<') && !r.excerpt.contains('*'));
    assert_eq!(r.words, 207);
    assert_eq!(plain("short text").excerpt, "short text");
    assert_eq!(plain("short text").html, None);
}

#[test]
fn deep_nesting_and_wide_tables_render_within_a_bound() {
    for source in [
        "> ".repeat(10_000) + "deep",
        "<div>".repeat(20_000),
        format!("{}|\n{}|\n{}|\n", "|a".repeat(10_000), "|-".repeat(10_000), "|b".repeat(10_000)),
        "*a **b ".repeat(10_000),
        "[a](".repeat(20_000),
    ] {
        let started = std::time::Instant::now();
        let out = html(&source);
        assert!(!out.is_empty());
        // A bound, not a timing: anything near it would stall a worker.
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{}", &source[..20]);
    }
}

/// Vectors from the OWASP XSS filter evasion cheat sheet, html5sec.org and the Markdown-specific
/// ones (links and images in every Markdown form).
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"https://evil.example\"><input name=p></form>",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a onclick=\"alert(1)\" href=\"#\">x</a>",
    "<a href=\"https://ok.example\" onmouseover=\"alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](https://ok.example \"title\" onclick=alert(1))",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<input autofocus onfocus=alert(1)>",
    "<textarea><script>alert(1)</script></textarea>",
    "<b onmouseover=alert(1)>unclosed",
    "<img src=x onerror=alert(1)",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<span class=\"hl-x\" id=\"csrf_token\" style=\"color:red\">x</span>",
    "<a href=\"https://ok.example\" target=\"_blank\" rel=\"opener\">x</a>",
];

/// Every tag of `html` with its attributes (the sanitiser writes well-formed, double-quoted HTML).
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    for piece in html.split('<').skip(1) {
        let Some((inside, _)) = piece.split_once('>') else { continue };
        if inside.starts_with('/') {
            continue;
        }
        let name: String = inside.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let mut attributes = Vec::new();
        for part in inside[name.len()..].split('"').collect::<Vec<_>>().chunks(2) {
            if let [key, value] = part {
                attributes.push((key.trim().trim_end_matches('=').to_lowercase(), value.to_lowercase()));
            }
        }
        found.push((name.to_lowercase(), attributes));
    }
    found
}

const ALLOWED_TAGS: &[&str] = &[
    "a",
    "p",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "span",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "input",
    "section",
    "sup",
    "b",
    "br",
    "hr",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "details",
    "div",
];

#[test]
fn no_vector_survives_in_any_markdown_or_raw_html_form() {
    assert!(XSS.len() >= 40);
    for vector in XSS {
        // Alone, inside a paragraph, a list and a table cell.
        let forms = [
            vector.to_string(),
            format!("Text {vector} text"),
            format!("- {vector}"),
            format!("| a |\n|---|\n| {vector} |"),
        ];
        for source in forms {
            let out = html(&source);
            for (tag, attributes) in tags(&out) {
                assert!(ALLOWED_TAGS.contains(&tag.as_str()), "<{tag}> survived {vector:?}: {out}");
                for (name, value) in attributes {
                    assert!(!name.starts_with("on"), "{name} survived {vector:?}: {out}");
                    assert!(!matches!(name.as_str(), "style" | "srcdoc" | "target" | "formaction"), "{name}: {out}");
                    if matches!(name.as_str(), "href" | "src") {
                        let scheme = value.split(':').next().unwrap_or_default();
                        let safe = !value.contains(':') || matches!(scheme, "http" | "https" | "mailto");
                        assert!(safe, "{name}={value:?} survived {vector:?}: {out}");
                    }
                    if name == "id" {
                        assert!(our_id(&value), "id {value:?} survived {vector:?}");
                    }
                    if name == "rel" {
                        assert_eq!(value, "nofollow noopener ugc");
                    }
                }
            }
        }
    }
}

#[test]
fn the_committed_stylesheet_is_the_one_the_classes_need() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/css/highlight.css");
    if std::env::var_os("GAZETTE_WRITE_HIGHLIGHT_CSS").is_some() {
        std::fs::write(&path, highlight_css()).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == highlight_css(),
        "regenerate {}: GAZETTE_WRITE_HIGHLIGHT_CSS=1 cargo test -p gazette-app stylesheet",
        path.display()
    );
}

mod comments {
    use super::super::comment;

    #[test]
    fn inline_formatting_links_lists_quotes_and_code_are_kept() {
        let html =
            comment("*a* **b** ~~c~~ `d` [e](https://example.com/e)\n\n- one\n- two\n\n> quoted\n\n```\ncode\n```");
        for part in [
            "<em>a</em>",
            "<strong>b</strong>",
            "<del>c</del>",
            "<code>d</code>",
            "<a href=\"https://example.com/e\" rel=\"nofollow ugc\">e</a>",
            "<li>one</li>",
            "<blockquote>",
            "<pre><code>code\n</code></pre>",
        ] {
            assert!(html.contains(part), "{part} in {html}");
        }
    }

    #[test]
    fn headings_images_and_raw_html_do_not_come_out_as_such() {
        let html =
            comment("# Big\n\n![tracker](https://evil.example/pixel.gif)\n\n<img src=x onerror=alert(1)><b>bold</b>");
        assert!(!html.contains("<h1"), "{html}");
        assert!(html.contains("<p>Big</p>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("<a href=\"https://evil.example/pixel.gif\" rel=\"nofollow ugc\">tracker</a>"), "{html}");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn script_urls_and_tables_are_not_kept() {
        let html = comment("[x](javascript:alert(1)) www.example.com\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<table"), "{html}");
        assert!(html.contains("rel=\"nofollow ugc\""), "{html}");
    }
}
