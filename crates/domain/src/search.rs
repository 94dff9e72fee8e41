//! What readers type into the search box, read the way people type it: words (all must match),
//! `"a phrase"`, `-word` to leave posts out, and the last word matched as a prefix (so that
//! results come while a word is half typed). Nothing a reader types is an error: stray quotes
//! and operators are plain text, and a very long query is cut to its first words.
//!
//! The query is written out for each database's engine from these terms alone (never from the
//! reader's text), so that the engine's own syntax can never be reached: SQLite FTS5's `MATCH`
//! and PostgreSQL's `to_tsquery`.

/// The longest query read, in characters: the rest is ignored.
pub const MAX_CHARS: usize = 256;
/// The most terms a query keeps (each one costs the engine a list of posts to intersect).
pub const MAX_TERMS: usize = 8;
/// The longest word kept, in characters (longer ones are cut: no post has such a word anyway).
pub const MAX_WORD_CHARS: usize = 64;
/// Results per page, as on the home page.
pub const PER_PAGE: u64 = 20;
/// The most posts one query ranks: the newest of those it matches. A blog's search rarely
/// matches more; a query for the commonest word then costs about what a rarer one does
/// (ranking is a lookup per post: 1,000 of them take ~15 ms at 1,000,000 posts).
pub const MOST_RANKED: u64 = 1_000;

/// The most indexed words a half-typed last word is searched as (see
/// [`SearchQuery::to_fts5_completed`]); a prefix more words start with is searched as a prefix.
pub const MOST_COMPLETIONS: u64 = 16;

/// One thing the reader asked for: a word, or several in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Its words, lowercased; two or more make a phrase.
    pub words: Vec<String>,
    /// Posts with it are left out.
    pub excluded: bool,
    /// The last word may be the start of a longer one.
    pub prefix: bool,
}

/// A query read from the search box.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    terms: Vec<Term>,
}

impl SearchQuery {
    /// Reads what the reader typed. Never fails: see the module's documentation.
    pub fn parse(input: &str) -> Self {
        let input: String = input.chars().take(MAX_CHARS).collect();
        let mut terms = Vec::new();
        let mut rest = input.as_str();
        // Whether the input ends inside a word, or after it (a space after the last word means
        // it is complete).
        let ends_in_word = input.chars().last().is_some_and(|c| !c.is_whitespace() && c != '"');
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let excluded = rest.starts_with('-');
            let body = if excluded { &rest[1..] } else { rest };
            let (text, quoted, after) = if let Some(inner) = body.strip_prefix('"') {
                match inner.find('"') {
                    Some(end) => (&inner[..end], true, &inner[end + 1..]),
                    // A quote never closed: the rest is a phrase.
                    None => (inner, true, ""),
                }
            } else {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                (&body[..end], false, &body[end..])
            };
            rest = after;
            let words = words_of(text);
            if words.is_empty() {
                continue;
            }
            terms.push(Term { words, excluded, prefix: false });
            if !quoted
                && rest.is_empty()
                && ends_in_word
                && let Some(last) = terms.last_mut()
            {
                last.prefix = !last.excluded;
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        Self { terms }
    }

    /// Its terms, in the order typed.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Whether it asks for anything: a query of exclusions alone (or of nothing) finds nothing.
    pub fn is_searchable(&self) -> bool {
        self.terms.iter().any(|t| !t.excluded)
    }

    /// The query in SQLite FTS5's syntax: every word quoted, terms joined with `AND`, exclusions
    /// with `NOT`. Empty when the query is not searchable.
    pub fn to_fts5(&self) -> String {
        self.fts5(None)
    }

    /// The word the query's last term may be the start of ([`Term::prefix`]), when it is one
    /// that SQLite's index holds as typed (lowercase ASCII letters and digits): its completions
    /// can then be looked up among the indexed words and given to [`Self::to_fts5_completed`].
    pub fn completable_prefix(&self) -> Option<&str> {
        let term = self.terms.iter().rev().find(|t| t.prefix)?;
        let word = term.words.last()?;
        word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()).then_some(word.as_str())
    }

    /// [`Self::to_fts5`] with the prefix term written as each of its `completions` (the indexed
    /// words that start with [`Self::completable_prefix`]) instead of as a prefix: FTS5 then
    /// walks each word's list of posts, newest first, as it would for a whole word, where a
    /// prefix makes it copy every post of every such word into memory first (4-5 MB for a word
    /// every post has, at 1,000,000 posts). Without completions the prefix stays a prefix.
    pub fn to_fts5_completed(&self, completions: &[String]) -> String {
        self.fts5(Some(completions))
    }

    fn fts5(&self, completions: Option<&[String]>) -> String {
        if !self.is_searchable() {
            return String::new();
        }
        // FTS5 strings are double-quoted with `""` for a quote; words hold no quotes.
        let phrase = |t: &Term| match (t.prefix, completions) {
            (false, _) => format!("\"{}\"", t.words.join(" ")),
            (true, Some(completions)) if !completions.is_empty() => {
                let head = &t.words[..t.words.len() - 1];
                let each: Vec<String> = completions
                    .iter()
                    .map(|c| {
                        let words: Vec<&str> = head.iter().map(String::as_str).chain([c.as_str()]).collect();
                        format!("\"{}\"", words.join(" "))
                    })
                    .collect();
                format!("({})", each.join(" OR "))
            }
            (true, _) => format!("\"{}\"*", t.words.join(" ")),
        };
        let wanted: Vec<String> = self.terms.iter().filter(|t| !t.excluded).map(phrase).collect();
        let mut out = format!("({})", wanted.join(" AND "));
        for t in self.terms.iter().filter(|t| t.excluded) {
            out.push_str(" NOT ");
            out.push_str(&phrase(t));
        }
        out
    }

    /// The query in PostgreSQL's `to_tsquery` syntax: every word quoted, a phrase's words joined
    /// with `<->`, terms with `&`, exclusions negated with `!`, a prefix marked `:*`. Empty when
    /// the query is not searchable.
    pub fn to_tsquery(&self) -> String {
        if !self.is_searchable() {
            return String::new();
        }
        let mut parts = Vec::new();
        // The terms wanted first: a leading `!` would need one anyway.
        let ordered = self.terms.iter().filter(|t| !t.excluded).chain(self.terms.iter().filter(|t| t.excluded));
        for t in ordered {
            let last = t.words.len() - 1;
            let words: Vec<String> = t
                .words
                .iter()
                .enumerate()
                .map(|(k, w)| if t.prefix && k == last { format!("'{w}':*") } else { format!("'{w}'") })
                .collect();
            let phrase = if words.len() > 1 { format!("({})", words.join(" <-> ")) } else { words.join("") };
            parts.push(if t.excluded { format!("!{phrase}") } else { phrase });
        }
        parts.join(" & ")
    }

    /// The words to look for, for highlighting: every word of the terms wanted.
    pub fn wanted_words(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().filter(|t| !t.excluded).flat_map(|t| t.words.iter().map(String::as_str))
    }
}

/// The words of `text` as both engines cut them: runs of letters and digits, lowercased, each
/// at most [`MAX_WORD_CHARS`].
pub fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD_CHARS).flat_map(char::to_lowercase).collect())
        .collect()
}

/// Words a snippet shows.
pub const SNIPPET_WORDS: usize = 30;
/// Words shown before the first match, for its context.
const CONTEXT_WORDS: usize = 6;

/// A post's Markdown source as text to read: emphasis, headings, code fences, table bars,
/// quotation marks and list bullets left out, links and pictures as their text, whitespace
/// collapsed.
pub fn plain_text(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut last_space = true;
    // At the start of a line: where list bullets and quotation marks stand.
    let mut line_start = true;
    while let Some(c) = chars.next() {
        if c == '\n' {
            line_start = true;
        }
        let at_line_start = line_start && !c.is_whitespace();
        if !c.is_whitespace() {
            line_start = false;
        }
        match c {
            // A link's target: `](…)` leaves its text only.
            ']' if chars.peek() == Some(&'(') => {
                for t in chars.by_ref() {
                    if t == ')' {
                        break;
                    }
                }
                continue;
            }
            '>' | '-' | '+' if at_line_start && chars.peek().is_some_and(|n| n.is_whitespace()) => {
                line_start = true;
                continue;
            }
            '!' if chars.peek() == Some(&'[') => continue,
            '*' | '#' | '`' | '~' | '[' | ']' | '|' => continue,
            c if c.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
                continue;
            }
            c => out.push(c),
        }
        last_space = false;
    }
    out.truncate(out.trim_end().len());
    out
}

impl SearchQuery {
    /// Whether `word` (lowercased, as [`words_of`] cuts them) is one the query looks for.
    fn wants(&self, word: &str) -> bool {
        self.terms.iter().filter(|t| !t.excluded).any(|t| {
            let last = t.words.len() - 1;
            t.words
                .iter()
                .enumerate()
                .any(|(k, w)| if t.prefix && k == last { word.starts_with(w.as_str()) } else { word == w })
        })
    }

    /// `text` as escaped HTML with the words the query looks for in `<mark>`.
    pub fn highlight(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        self.mark_into(&mut out, text);
        out
    }

    /// About [`SNIPPET_WORDS`] words of `text` (plain text: [`plain_text`]) from just before
    /// the first word the query looks for, as escaped HTML with those words in `<mark>`; the
    /// start of `text` when it has none of them.
    pub fn snippet(&self, text: &str) -> String {
        let words: Vec<&str> = text.split_whitespace().collect();
        let first = words.iter().position(|w| words_of(w).iter().any(|run| self.wants(run)));
        let start = first.map_or(0, |i| i.saturating_sub(CONTEXT_WORDS));
        let end = (start + SNIPPET_WORDS).min(words.len());
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        self.mark_into(&mut out, &words[start..end].join(" "));
        if end < words.len() {
            out.push('…');
        }
        out
    }

    fn mark_into(&self, out: &mut String, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            // A run of letters and digits, then what separates it from the next.
            let run_end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
            let (run, after) = rest.split_at(run_end);
            if !run.is_empty() {
                let lower: String = run.chars().flat_map(char::to_lowercase).collect();
                if self.wants(&lower) {
                    out.push_str("<mark>");
                    escape_into(out, run);
                    out.push_str("</mark>");
                } else {
                    escape_into(out, run);
                }
            }
            let sep_end = after.find(char::is_alphanumeric).unwrap_or(after.len());
            escape_into(out, &after[..sep_end]);
            rest = &after[sep_end..];
        }
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(words: &[&str], excluded: bool, prefix: bool) -> Term {
        Term { words: words.iter().map(|w| (*w).to_owned()).collect(), excluded, prefix }
    }

    #[test]
    fn words_must_all_match_and_the_last_is_a_prefix() {
        let q = SearchQuery::parse("Rust borrow");
        assert_eq!(q.terms(), [term(&["rust"], false, false), term(&["borrow"], false, true)]);
        assert_eq!(q.to_fts5(), "(\"rust\" AND \"borrow\"*)");
        assert_eq!(q.to_tsquery(), "'rust' & 'borrow':*");
    }

    #[test]
    fn a_prefix_is_written_as_the_indexed_words_that_complete_it() {
        let q = SearchQuery::parse("rust -java borr");
        assert_eq!(q.completable_prefix(), Some("borr"));
        let completions = ["borrow".to_owned(), "borrowck".to_owned()];
        assert_eq!(q.to_fts5_completed(&completions), "(\"rust\" AND (\"borrow\" OR \"borrowck\")) NOT \"java\"");
        // Within a phrase, the phrase is kept around each completion.
        let q = SearchQuery::parse("error-hand");
        assert_eq!(q.completable_prefix(), Some("hand"));
        assert_eq!(q.to_fts5_completed(&["handling".to_owned()]), "((\"error handling\"))");
        // Nothing to complete it with: the prefix stays a prefix.
        assert_eq!(q.to_fts5_completed(&[]), q.to_fts5());
    }

    #[test]
    fn only_a_prefix_the_index_holds_as_typed_is_completed() {
        assert_eq!(SearchQuery::parse("rust ").completable_prefix(), None, "a whole word");
        assert_eq!(SearchQuery::parse("\"rust\"").completable_prefix(), None, "a quoted word");
        assert_eq!(SearchQuery::parse("-rust").completable_prefix(), None, "an exclusion");
        assert_eq!(SearchQuery::parse("Caf\u{e9}").completable_prefix(), None, "the index drops accents");
        assert_eq!(SearchQuery::parse("Tokio2").completable_prefix(), Some("tokio2"));
    }

    #[test]
    fn a_space_after_the_last_word_ends_it() {
        let q = SearchQuery::parse("rust ");
        assert_eq!(q.terms(), [term(&["rust"], false, false)]);
    }

    #[test]
    fn phrases_and_exclusions() {
        let q = SearchQuery::parse("\"error handling\" -java tokio");
        assert_eq!(
            q.terms(),
            [term(&["error", "handling"], false, false), term(&["java"], true, false), term(&["tokio"], false, true)]
        );
        assert_eq!(q.to_fts5(), "(\"error handling\" AND \"tokio\"*) NOT \"java\"");
        assert_eq!(q.to_tsquery(), "('error' <-> 'handling') & 'tokio':* & !'java'");
    }

    #[test]
    fn an_excluded_last_word_is_whole() {
        let q = SearchQuery::parse("rust -java");
        assert_eq!(q.terms()[1], term(&["java"], true, false));
    }

    #[test]
    fn engine_syntax_is_plain_text() {
        for hostile in
            ["\"", "\"\"\"", "NEAR(a b)", "a OR b", "title:x", "*", "'; DROP TABLE posts; --", "a:* & !b", "((("]
        {
            let q = SearchQuery::parse(hostile);
            for t in q.terms() {
                for w in &t.words {
                    assert!(w.chars().all(char::is_alphanumeric), "{hostile:?} kept {w:?}");
                }
            }
        }
        // An operator word is just a word, quoted.
        assert_eq!(SearchQuery::parse("a OR b ").to_fts5(), "(\"a\" AND \"or\" AND \"b\")");
    }

    #[test]
    fn unclosed_quote_is_a_phrase_of_the_rest() {
        let q = SearchQuery::parse("rust \"async runtime");
        assert_eq!(q.terms(), [term(&["rust"], false, false), term(&["async", "runtime"], false, false)]);
    }

    #[test]
    fn hyphenated_words_are_a_phrase() {
        let q = SearchQuery::parse("self-hosted ");
        assert_eq!(q.terms(), [term(&["self", "hosted"], false, false)]);
    }

    #[test]
    fn nothing_to_look_for() {
        for empty in ["", "   ", "-rust", "\"\"", "--- ***", "-\"a b\""] {
            let q = SearchQuery::parse(empty);
            assert!(!q.is_searchable(), "{empty:?}");
            assert_eq!(q.to_fts5(), "");
            assert_eq!(q.to_tsquery(), "");
        }
    }

    #[test]
    fn long_queries_are_cut() {
        let long = "word ".repeat(2_000);
        let q = SearchQuery::parse(&long);
        assert_eq!(q.terms().len(), MAX_TERMS);
        let one = "x".repeat(10_000);
        let q = SearchQuery::parse(&one);
        assert_eq!(q.terms()[0].words[0].chars().count(), MAX_WORD_CHARS);
    }

    #[test]
    fn markdown_reads_as_text() {
        let source = "## Heading\n\nSome **bold** and a [link](https://x.example/?a=1).\n\n> quoted\n\n- item - dash\n\
            ![a picture](/media/x.webp)\n\n```rust\nfn x() {}\n```";
        assert_eq!(plain_text(source), "Heading Some bold and a link. quoted item - dash a picture rust fn x() {}");
    }

    #[test]
    fn highlights_are_escaped_and_only_marks_are_markup() {
        let q = SearchQuery::parse("narwhal bol");
        assert_eq!(
            q.highlight("<script>alert('narwhal')</script> & <b>Narwhals</b> bold"),
            "&lt;script&gt;alert(&#x27;<mark>narwhal</mark>&#x27;)&lt;/script&gt; &amp; &lt;b&gt;Narwhals&lt;/b&gt; <mark>bold</mark>"
        );
        // Left-out words are not marked.
        assert_eq!(SearchQuery::parse("a -b ").highlight("a b"), "<mark>a</mark> b");
    }

    #[test]
    fn snippets_start_just_before_the_first_match() {
        let text: String = (1..=100).map(|n| format!("w{n} ")).collect::<String>() + "walrus end";
        let q = SearchQuery::parse("walrus ");
        let snippet = q.snippet(&text);
        assert!(snippet.starts_with("…w95 w96 w97 w98 w99 w100 <mark>walrus</mark> end"), "{snippet}");
        assert!(!snippet.ends_with('…'));
        let none = SearchQuery::parse("absent ").snippet(&text);
        assert!(none.starts_with("w1 w2") && none.ends_with("w30…"), "{none}");
    }

    #[test]
    fn unicode_words_lowercase() {
        let q = SearchQuery::parse("Ünïcode ДОБРО ");
        assert_eq!(q.terms(), [term(&["ünïcode"], false, false), term(&["добро"], false, false)]);
    }
}
