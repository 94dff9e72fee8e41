//! What a post is made of.

/// A post title: 1 to 100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

/// A post body: required, at most [`Content::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content(String);

/// Why a post was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// Empty title.
    #[error("Title is required.")]
    TitleMissing,
    /// Title over 100 characters.
    #[error("Title must be at most 100 characters long.")]
    TitleTooLong,
    /// Empty body.
    #[error("Content is required.")]
    ContentMissing,
    /// Body over the limit.
    #[error("Content must be at most 100000 characters long.")]
    ContentTooLong,
}

impl Title {
    /// Longest accepted title, in characters.
    pub const MAX: usize = 100;

    /// Checks a title as typed.
    pub fn parse(raw: &str) -> Result<Self, PostError> {
        let title = raw.trim();
        match title.chars().count() {
            0 => Err(PostError::TitleMissing),
            n if n > Self::MAX => Err(PostError::TitleTooLong),
            _ => Ok(Self(title.to_owned())),
        }
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The title.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl Content {
    /// Longest accepted body, in characters.
    pub const MAX: usize = 100_000;

    /// Checks a body as typed. Inner whitespace and line breaks are the author's and kept.
    pub fn parse(raw: &str) -> Result<Self, PostError> {
        if raw.trim().is_empty() {
            return Err(PostError::ContentMissing);
        }
        if raw.chars().count() > Self::MAX {
            return Err(PostError::ContentTooLong);
        }
        Ok(Self(raw.trim_end().replace("\r\n", "\n")))
    }

    /// The body.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The body.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Why a description, tag list or comment was refused (the messages complete "description ...",
/// "tagList ...", "body ...", as the RealWorld API words its errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The description is over [`Description::MAX`] characters.
    #[error("must be at most 300 characters long")]
    DescriptionTooLong,
    /// A tag is over [`Tags::MAX_CHARS`] characters.
    #[error("tags must be at most 64 characters long")]
    TagTooLong,
    /// More than [`Tags::MAX`] tags.
    #[error("at most 20 tags")]
    TooManyTags,
    /// A blank comment.
    #[error("can't be blank")]
    CommentBlank,
    /// A comment over [`CommentBody::MAX`] characters.
    #[error("must be at most 10000 characters long")]
    CommentTooLong,
}

/// A post's summary: optional (blank is none), at most [`Description::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Longest accepted description, in characters.
    pub const MAX: usize = 300;

    /// Checks a description as typed.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let d = raw.trim();
        if d.chars().count() > Self::MAX {
            return Err(FieldError::DescriptionTooLong);
        }
        Ok(Self(d.to_owned()))
    }

    /// The description (empty for none).
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A post's tags: trimmed, blanks and repeats dropped, at most [`Tags::MAX`] of at most
/// [`Tags::MAX_CHARS`] characters each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags(Vec<String>);

impl Tags {
    /// Most tags on one post.
    pub const MAX: usize = 20;
    /// Longest tag, in characters.
    pub const MAX_CHARS: usize = 64;

    /// Checks tags as given.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, FieldError> {
        let mut out: Vec<String> = Vec::new();
        for tag in raw.iter().map(|t| t.as_ref().trim()).filter(|t| !t.is_empty()) {
            if tag.chars().count() > Self::MAX_CHARS {
                return Err(FieldError::TagTooLong);
            }
            if !out.iter().any(|t| t == tag) {
                out.push(tag.to_owned());
            }
        }
        if out.len() > Self::MAX {
            return Err(FieldError::TooManyTags);
        }
        Ok(Self(out))
    }

    /// The tags, in the order given.
    pub fn into_inner(self) -> Vec<String> {
        self.0
    }
}

/// A comment's text: required, at most [`CommentBody::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    /// Longest accepted comment, in characters.
    pub const MAX: usize = 10_000;

    /// Checks a comment as typed.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::CommentBlank);
        }
        if text.chars().count() > Self::MAX {
            return Err(FieldError::CommentTooLong);
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_1_to_100_characters() {
        assert_eq!(Title::parse("   "), Err(PostError::TitleMissing));
        assert_eq!(Title::parse(&"t".repeat(101)), Err(PostError::TitleTooLong));
        assert_eq!(Title::parse(&"ü".repeat(100)).map(Title::into_inner), Ok("ü".repeat(100)));
        assert_eq!(Title::parse(" Hello ").map(Title::into_inner), Ok("Hello".into()));
    }

    #[test]
    fn content_is_required_and_keeps_its_line_breaks() {
        assert_eq!(Content::parse(" \n "), Err(PostError::ContentMissing));
        assert_eq!(Content::parse("a\r\n\r\nb\n").map(Content::into_inner), Ok("a\n\nb".into()));
        assert_eq!(Content::parse(&"c".repeat(100_001)), Err(PostError::ContentTooLong));
    }
}

/// The URL name of a post, made from its title: lower-case ASCII letters and digits joined by
/// single dashes, at most 60 characters; `post` when the title has none of those.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "post".to_owned() } else { slug.to_owned() }
}

#[cfg(test)]
mod slug_tests {
    use super::slugify;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(slugify("How to train your dragon"), "how-to-train-your-dragon");
        assert_eq!(slugify("  Rust & Rocket: 0.5!  "), "rust-rocket-0-5");
        assert_eq!(slugify("Ünïcödé only ✓"), "n-c-d-only");
        assert_eq!(slugify("✓✓✓"), "post");
        assert!(slugify(&"word ".repeat(40)).len() <= 60);
    }
}

/// Characters of plain text a listing shows of a post without a description.
pub const EXCERPT_CHARS: usize = 300;
/// Reading speed for "N min read".
pub const WORDS_PER_MINUTE: u32 = 230;

/// Minutes a body of `words` words takes to read: at least one.
pub fn read_minutes(words: u32) -> u32 {
    words.div_ceil(WORDS_PER_MINUTE).max(1)
}

/// How a post's body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostFormat {
    /// Plain text, shown as typed (posts written on the site before Markdown).
    Text,
    /// Markdown, shown rendered.
    Markdown,
}

impl PostFormat {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Markdown => "markdown",
        }
    }

    /// From what is stored; anything unknown is plain text (shown as typed, never as HTML).
    pub fn from_stored(value: &str) -> Self {
        if value == "markdown" { Self::Markdown } else { Self::Text }
    }
}

#[cfg(test)]
mod reading_tests {
    use super::*;

    #[test]
    fn read_time_is_words_over_230_rounded_up_and_at_least_a_minute() {
        assert_eq!(read_minutes(0), 1);
        assert_eq!(read_minutes(230), 1);
        assert_eq!(read_minutes(231), 2);
        assert_eq!(read_minutes(920), 4);
    }

    #[test]
    fn a_format_is_stored_by_name_and_unknown_ones_stay_text() {
        assert_eq!(PostFormat::from_stored(PostFormat::Markdown.as_str()), PostFormat::Markdown);
        assert_eq!(PostFormat::from_stored("html"), PostFormat::Text);
    }
}
