//! Gazette's outgoing mail: messages rendered from Tera templates under `templates/mail/`, and
//! the transports that deliver them (SMTP, `.eml` files in a folder, or the log).
//!
//! Nothing here is called on a request path: requests store messages in the outbox, and the
//! outbox worker hands them to a [`Transport`].

#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// The sender used when none is configured.
pub const DEFAULT_FROM: &str = "Gazette <noreply@localhost>";

/// A message ready to go: addressee, subject, plain text and, optionally, HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// One address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body, if the template has one.
    pub html: Option<String>,
}

/// What went wrong with mail.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A setting is wrong (unknown transport, bad URL or address).
    #[error("mail settings: {0}")]
    Settings(String),
    /// A template is missing or does not render.
    #[error("mail template: {0}")]
    Template(String),
    /// The message could not be built (a bad address).
    #[error("mail message: {0}")]
    Message(String),
    /// Delivery failed; worth trying again later.
    #[error("mail delivery: {0}")]
    Delivery(String),
}

/// Mail templates, one folder per message: `<name>/subject.txt.tera` (the subject line),
/// `<name>/text.txt.tera` (the plain-text body) and, optionally, `<name>/html.html.tera`.
/// (Distinct file names keep them apart for the page renderer too, which reads the same
/// folder and names templates without their extensions.)
pub struct Templates {
    tera: tera::Tera,
}

impl Templates {
    /// Loads every template in `dir`.
    pub fn load(dir: &Path) -> Result<Self, MailError> {
        let glob = format!("{}/**/*.tera", dir.display());
        let mut tera = tera::Tera::new(&glob).map_err(|e| MailError::Template(e.to_string()))?;
        // Only the HTML bodies are escaped; plain text is sent as written.
        tera.autoescape_on(vec![".html.tera"]);
        Ok(Self { tera })
    }

    /// Renders the message `name` for `to`.
    pub fn render(&self, name: &str, to: &str, context: &impl serde::Serialize) -> Result<Mail, MailError> {
        let context = tera::Context::from_serialize(context).map_err(|e| MailError::Template(e.to_string()))?;
        let render = |file: String| self.tera.render(&file, &context).map_err(|e| MailError::Template(e.to_string()));
        let subject = render(format!("{name}/subject.txt.tera"))?.trim().to_owned();
        let text = render(format!("{name}/text.txt.tera"))?;
        let html_name = format!("{name}/html.html.tera");
        let html = if self.tera.get_template_names().any(|n| n == html_name) { Some(render(html_name)?) } else { None };
        Ok(Mail { to: to.to_owned(), subject, text, html })
    }
}

/// The longest a connection to the SMTP server may take to open (TCP, and TLS for `smtps`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server (lettre's URL forms: `smtp://host:port` plain, `smtp://user:pass@host:587?tls=required`
    /// STARTTLS, `smtps://host:465` TLS), and the longest one delivery may take.
    ///
    /// Each message goes over a connection of its own that ends with the delivery: no connection
    /// is kept between messages, so none can be found broken (or stuck) by the next one, and a
    /// delivery cut short by its time limit takes its connection with it.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
    /// One `.eml` file per message in a folder.
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
    /// The log, at info level (development only: it shows whole messages).
    Log,
}

impl Transport {
    /// The transport named by the settings. `timeout` bounds one SMTP delivery as a whole:
    /// connecting, TLS, the greeting, authentication and every command up to the server's
    /// acceptance (connecting alone has at most 10 s of it).
    pub fn from_settings(
        kind: &str,
        smtp_url: Option<&str>,
        file_dir: &Path,
        timeout: Duration,
    ) -> Result<Self, MailError> {
        match kind {
            "smtp" => {
                let url = smtp_url
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| MailError::Settings("mail_transport = \"smtp\" needs smtp_url".into()))?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Settings(format!("smtp_url: {e}")))?
                    .timeout(Some(timeout.min(CONNECT_TIMEOUT)))
                    .build();
                Ok(Self::Smtp(transport, timeout))
            }
            "file" => {
                std::fs::create_dir_all(file_dir)
                    .map_err(|e| MailError::Settings(format!("cannot create {}: {e}", file_dir.display())))?;
                Ok(Self::File(AsyncFileTransport::new(file_dir), file_dir.to_owned()))
            }
            "log" => Ok(Self::Log),
            other => Err(MailError::Settings(format!("unknown mail_transport {other:?} (smtp, file or log)"))),
        }
    }

    /// A short description for logs (never credentials).
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp(..) => "SMTP".into(),
            Self::File(_, dir) => format!("files in {}", dir.display()),
            Self::Log => "the log".into(),
        }
    }

    /// Delivers one message from `from`. An SMTP delivery that takes longer than its time limit
    /// is abandoned (its connection closed) and fails with [`MailError::Delivery`].
    pub async fn send(&self, from: &str, mail: &Mail) -> Result<(), MailError> {
        let message = build(from, mail)?;
        match self {
            Self::Smtp(smtp, timeout) => match tokio::time::timeout(*timeout, smtp.send(message)).await {
                Ok(sent) => sent.map(|_| ()).map_err(|e| MailError::Delivery(e.to_string())),
                Err(_) => Err(MailError::Delivery(format!("no answer from the mail server within {timeout:?}"))),
            },
            Self::File(file, _) => file.send(message).await.map(|_| ()).map_err(|e| MailError::Delivery(e.to_string())),
            Self::Log => {
                log::info!("mail to {}:\n{}", mail.to, String::from_utf8_lossy(&message.formatted()));
                Ok(())
            }
        }
    }
}

/// Checks a sender setting such as `Gazette <noreply@example.com>`.
pub fn check_from(from: &str) -> Result<(), MailError> {
    from.parse::<Mailbox>().map(|_| ()).map_err(|e| MailError::Settings(format!("mail_from {from:?}: {e}")))
}

fn build(from: &str, mail: &Mail) -> Result<lettre::Message, MailError> {
    let from: Mailbox = from.parse().map_err(|e| MailError::Message(format!("from: {e}")))?;
    let to: Mailbox = mail.to.parse().map_err(|e| MailError::Message(format!("to: {e}")))?;
    let builder = lettre::Message::builder().from(from).to(to).subject(mail.subject.clone());
    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone());
    let message = match &mail.html {
        Some(html) => builder.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone())),
        ),
        None => builder.singlepart(text),
    };
    message.map_err(|e| MailError::Message(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_subject_text_and_escaped_html() {
        let dir = tempfile::tempdir().unwrap();
        let hi = dir.path().join("hi");
        std::fs::create_dir(&hi).unwrap();
        std::fs::write(hi.join("subject.txt.tera"), "Hello {{ name }}\n").unwrap();
        std::fs::write(hi.join("text.txt.tera"), "Hi {{ name }}, see {{ link }}").unwrap();
        std::fs::write(hi.join("html.html.tera"), "<p>Hi {{ name }}</p>").unwrap();
        let templates = Templates::load(dir.path()).unwrap();
        #[derive(serde::Serialize)]
        struct Ctx<'a> {
            name: &'a str,
            link: &'a str,
        }
        let mail = templates.render("hi", "a@example.com", &Ctx { name: "<Ann>", link: "http://x/?a=1&b=2" }).unwrap();
        assert_eq!(mail.subject, "Hello <Ann>");
        assert_eq!(mail.text, "Hi <Ann>, see http://x/?a=1&b=2");
        assert_eq!(mail.html.as_deref(), Some("<p>Hi &lt;Ann&gt;</p>"));
    }

    #[test]
    fn unknown_transports_and_smtp_without_a_url_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Transport::from_settings("pigeon", None, dir.path(), Duration::from_secs(1)),
            Err(MailError::Settings(_))
        ));
        assert!(matches!(
            Transport::from_settings("smtp", None, dir.path(), Duration::from_secs(1)),
            Err(MailError::Settings(_))
        ));
        assert!(check_from("Gazette <noreply@example.com>").is_ok());
        assert!(check_from("not an address").is_err());
    }

    #[tokio::test]
    async fn the_file_transport_writes_one_eml_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::from_settings("file", None, dir.path(), Duration::from_secs(1)).unwrap();
        let mail = Mail { to: "ann@example.com".into(), subject: "Test".into(), text: "Body".into(), html: None };
        transport.send(DEFAULT_FROM, &mail).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        assert!(raw.contains("Subject: Test") && raw.contains("To: ann@example.com"));
    }
}
