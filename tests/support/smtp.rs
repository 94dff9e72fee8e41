//! A small SMTP server for the tests: it speaks enough of the protocol for a real client
//! (lettre, with its connection pool) and keeps every message it accepts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use rocket::tokio::net::TcpListener;
use rocket::tokio::task::JoinHandle;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), with transfer encoding undone where simple.
    pub data: String,
}

impl Received {
    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data.lines().find(|l| l.to_lowercase().starts_with(&prefix)).map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The first link in the message starting with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.data.find(prefix)?;
        let end = self.data[start..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .map_or(self.data.len(), |e| start + e);
        Some(self.data[start..end].to_owned())
    }
}

/// A running server on 127.0.0.1.
pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
    /// The open connections, so that a crash can cut them.
    sessions: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// While true, the server keeps every connection open and says nothing more on any.
    hung: rocket::tokio::sync::watch::Sender<bool>,
}

/// A free port on 127.0.0.1, with nothing listening on it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> Self {
        Self::start_with(port, false).await
    }

    /// A server on `port` that accepts connections and then never answers (a hung mail server).
    pub async fn start_silent_on(port: u16) -> Self {
        Self::start_with(port, true).await
    }

    async fn start_with(port: u16, hung: bool) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind the test SMTP server");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let (hung, _) = rocket::tokio::sync::watch::channel(hung);
        let (store, open, hang) = (received.clone(), sessions.clone(), hung.clone());
        let task = rocket::tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                // A crash resets the connection instead of closing it politely (a zero linger
                // does not block on close).
                #[allow(deprecated)]
                let _ = socket.set_linger(Some(Duration::ZERO));
                let store = store.clone();
                let mut hang = hang.subscribe();
                let handle = rocket::tokio::spawn(async move {
                    let answering = !*hang.borrow();
                    let hung = async {
                        let _ = hang.wait_for(|h| *h).await;
                    };
                    rocket::tokio::select! {
                        _ = session(&mut socket, store), if answering => {}
                        _ = hung => std::future::pending::<()>().await,
                    }
                });
                open.lock().unwrap().push(handle);
            }
        });
        Self { port, received, task, sessions, hung }
    }

    /// Hangs the server, as when its machine vanishes from the network: it accepts nothing new
    /// (the port is free afterwards), and its open connections stay open but never answer again.
    pub async fn hang(mut self) -> Self {
        let listener = std::mem::replace(&mut self.task, rocket::tokio::spawn(async {}));
        listener.abort();
        let _ = listener.await;
        self.hung.send_replace(true);
        self
    }

    /// Crashes the server: the listener and every open connection go at once (connections are
    /// reset, not closed), as when the mail server's process dies. The port is free afterwards.
    pub async fn crash(mut self) {
        let listener = std::mem::replace(&mut self.task, rocket::tokio::spawn(async {}));
        listener.abort();
        let _ = listener.await;
        let sessions: Vec<_> = std::mem::take(&mut *self.sessions.lock().unwrap());
        for session in &sessions {
            session.abort();
        }
        for session in sessions {
            let _ = session.await;
        }
        drop(self);
    }

    /// How many connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.sessions.lock().unwrap().len()
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The path of the first link to `site` + `path_prefix` in the newest message.
    pub fn newest_link_path(&self, site: &str, path_prefix: &str) -> String {
        let mail = self.received().pop().expect("a mail");
        let link = mail.link(&format!("{site}{path_prefix}")).expect("a link in the mail");
        link[site.len()..].to_owned()
    }

    /// Waits (up to `timeout`) until at least `count` messages have arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= count || std::time::Instant::now() > deadline {
                return got;
            }
            rocket::tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
        for session in self.sessions.lock().unwrap().iter() {
            session.abort();
        }
    }
}

async fn session(socket: &mut rocket::tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (read, mut write) = socket.split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test.localhost ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-test.localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_owned();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(|c| c == '<' || c == '>').to_owned());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
            }
            let data = data.replace("=\r\n", "").replace("=3D", "=");
            store.lock().unwrap().push(Received { from: from.clone(), to: std::mem::take(&mut to), data });
            b"250 OK queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
