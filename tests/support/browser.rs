//! A browser and what it reads back: cookies, the CSRF token, pages, redirects and JSON.

use std::collections::BTreeMap;

use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::LocalResponse;

use crate::TestApp;

/// What a browser saw in answer to one request.
#[derive(Debug)]
pub struct Page {
    pub status: Status,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub set_cookies: Vec<String>,
    /// Seconds from a `Retry-After` header.
    pub retry_after: Option<u64>,
    pub body: String,
    pub bytes: Vec<u8>,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Page {
    /// The first value of the header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The `Set-Cookie` header for `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies.iter().find(|c| c.starts_with(&format!("{name}="))).map(String::as_str)
    }

    /// Whether the page shows this text, as a reader would read it (HTML entities decoded).
    pub fn shows(&self, text: &str) -> bool {
        unescape(&self.body).contains(text)
    }

    /// The flash messages shown on the page, as (category, text).
    pub fn flashes(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find("class=\"alert alert-") {
            rest = &rest[i + "class=\"alert alert-".len()..];
            let category = rest[..rest.find('"').unwrap()].to_owned();
            let start = rest.find('>').unwrap() + 1;
            let end = rest[start..].find("</div>").unwrap() + start;
            out.push((category, unescape(rest[start..end].trim())));
        }
        out
    }

    /// The error shown next to a form field, if any.
    pub fn field_error(&self, field: &str) -> Option<String> {
        let marker = format!("id=\"{field}-error\">");
        let i = self.body.find(&marker)? + marker.len();
        let end = self.body[i..].find('<')? + i;
        Some(unescape(&self.body[i..end]))
    }

    /// The value an input shows, if any (the first `<input>` with that name: not a `<meta>`).
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let (start, i) = self.body.match_indices(&marker).find_map(|(i, _)| {
            let start = self.body[..i].rfind('<')?;
            self.body[start..].starts_with("<input").then_some((start, i))
        })?;
        let tag_end = self.body[i..].find('>')? + i;
        let tag = &self.body[start..tag_end];
        let v = tag.find("value=\"")? + "value=\"".len();
        let end = tag[v..].find('"')? + v;
        Some(unescape(&tag[v..end]))
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// One person's browser: its own cookies, and the CSRF token its pages carry.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub(crate) cookies: BTreeMap<String, String>,
    pub(crate) csrf: Option<String>,
    pub user_id: Option<i64>,
    pub username: String,
    /// The client address the server sees (none, as for in-process requests, unless set).
    pub(crate) remote: Option<std::net::SocketAddr>,
}

/// A file to upload.
pub struct Upload<'b> {
    pub field: &'b str,
    pub filename: &'b str,
    pub content_type: &'b str,
    pub bytes: &'b [u8],
}

impl<'a> Browser<'a> {
    async fn read(&mut self, response: LocalResponse<'_>) -> Page {
        let set_cookies: Vec<String> = response.headers().get("Set-Cookie").map(str::to_owned).collect();
        for raw in &set_cookies {
            let cookie = Cookie::parse_encoded(raw.clone()).unwrap();
            let expired = cookie.value().is_empty() || cookie.max_age().is_some_and(|a| a.is_zero() || a.is_negative());
            if expired {
                self.cookies.remove(cookie.name());
                // The form token went with it: the next page brings a new one.
                if cookie.name() == "csrf_token" {
                    self.csrf = None;
                }
            } else {
                self.cookies.insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let status = response.status();
        let location = response.headers().get_one("Location").map(str::to_owned);
        let content_type = response.content_type().map(|c| c.to_string());
        let retry_after = response.headers().get_one("Retry-After").and_then(|v| v.parse().ok());
        let headers =
            response.headers().iter().map(|h| (h.name().as_str().to_lowercase(), h.value().to_owned())).collect();
        let bytes = response.into_bytes().await.unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(token) = find_csrf(&body) {
            self.csrf = Some(token);
        }
        Page { status, location, content_type, set_cookies, retry_after, body, bytes, headers }
    }

    fn jar(&self) -> Vec<Cookie<'static>> {
        self.cookies.iter().map(|(k, v)| Cookie::new(k.clone(), v.clone())).collect()
    }

    /// A request from this browser: its cookies, and its address if it has one.
    fn request(&self, method: rocket::http::Method, uri: &str) -> rocket::local::asynchronous::LocalRequest<'a> {
        let request = self.app.client.req(method, uri.to_owned()).cookies(self.jar());
        match self.remote {
            Some(remote) => request.remote(remote),
            None => request,
        }
    }

    /// This browser, seen from now on as coming from `address`.
    pub fn from_address(mut self, address: &str) -> Self {
        self.remote = Some(std::net::SocketAddr::new(address.parse().unwrap(), 40_000));
        self
    }

    /// A copy of this browser's cookies.
    pub fn clone_cookies(&self) -> BTreeMap<String, String> {
        self.cookies.clone()
    }

    /// Replaces this browser's cookies.
    pub fn set_cookies(&mut self, cookies: BTreeMap<String, String>) {
        self.cookies = cookies;
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    pub async fn get(&mut self, uri: &str) -> Page {
        let response = self.request(rocket::http::Method::Get, uri).dispatch().await;
        self.read(response).await
    }

    /// Follows a redirect, as a browser would.
    pub async fn follow(&mut self, page: &Page) -> Page {
        let location = page.location.clone().unwrap_or_else(|| panic!("no redirect: {} {}", page.status, page.body));
        // The fragment stays in the browser.
        let path = location.split('#').next().unwrap_or_default().to_owned();
        self.get(&path).await
    }

    /// The CSRF token of this browser, reading a page for it if none was seen yet.
    pub async fn csrf_token(&mut self) -> String {
        // Visitors see a token in the login form, users in the navigation's logout form.
        if self.csrf.is_none() {
            self.get("/about").await;
        }
        if self.csrf.is_none() {
            self.get("/login").await;
        }
        self.csrf.clone().unwrap()
    }

    /// Submits a form with this browser's CSRF token.
    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(uri, &all).await
    }

    /// Submits exactly these fields (no token added).
    pub async fn post_raw(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let response =
            self.request(rocket::http::Method::Post, uri).header(ContentType::Form).body(body).dispatch().await;
        self.read(response).await
    }

    /// Sends any request: `method`, optional body with its content type, extra headers.
    pub async fn send(
        &mut self,
        method: rocket::http::Method,
        uri: &str,
        body: Option<(ContentType, String)>,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self.request(method, uri);
        for (name, value) in headers {
            request.add_header(Header::new(name.to_string(), value.to_string()));
        }
        if let Some((content_type, body)) = body {
            request.add_header(content_type);
            request.set_body(body);
        }
        let response = request.dispatch().await;
        self.read(response).await
    }

    /// Sends JSON with optional headers.
    pub async fn send_json(
        &mut self,
        method: rocket::http::Method,
        uri: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Page {
        self.send(method, uri, Some((ContentType::JSON, body.to_string())), headers).await
    }

    /// Sends form fields (no CSRF token: the APIs take none).
    pub async fn send_form(&mut self, method: rocket::http::Method, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        self.send(method, uri, Some((ContentType::Form, body)), &[]).await
    }

    /// Submits a multipart form with this browser's CSRF token and optional files.
    pub async fn post_multipart(&mut self, uri: &str, fields: &[(&str, &str)], files: &[Upload<'_>]) -> Page {
        let token = self.csrf_token().await;
        let boundary = "----gazette-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        for (name, value) in std::iter::once(&("csrf_token", token.as_str())).chain(fields.iter()) {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for f in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                    f.field, f.filename, f.content_type
                )
                .as_bytes(),
            );
            body.extend_from_slice(f.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = ContentType::new("multipart", "form-data").with_params(("boundary", boundary));
        let response = self
            .request(rocket::http::Method::Post, uri)
            .header(content_type)
            .header(Header::new("Accept", "text/html"))
            .body(body)
            .dispatch()
            .await;
        self.read(response).await
    }

    /// Sends a multipart form as the editor's script does: exactly these fields (the token
    /// among them, or not) and one `image` file, asking for JSON.
    pub async fn send_multipart_json(&mut self, uri: &str, fields: &[(&str, &str)], image: &[u8]) -> Page {
        let boundary = "----gazette-test-boundary-json-3Qk7";
        let mut body: Vec<u8> = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"pasted.png\"\r\nContent-Type: image/png\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(image);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = ContentType::new("multipart", "form-data").with_params(("boundary", boundary));
        let response = self
            .request(rocket::http::Method::Post, uri)
            .header(content_type)
            .header(Header::new("Accept", "application/json"))
            .body(body)
            .dispatch()
            .await;
        self.read(response).await
    }

    /// Sends a new profile picture through the account form, keeping the other fields as they are.
    pub async fn upload_avatar(&mut self, filename: &str, content_type: &str, bytes: &[u8]) -> Page {
        let username = self.username.clone();
        let email = format!("{username}@example.com");
        self.post_multipart(
            "/account",
            &[("username", &username), ("email", &email)],
            &[Upload { field: "picture", filename, content_type, bytes }],
        )
        .await
    }

    /// Writes a post through the form and returns its id.
    pub async fn writes_post(&mut self, title: &str) -> i64 {
        let page = self.post_form("/post/new", &[("title", title), ("content", "Some words.")]).await;
        let location = page.location.unwrap_or_else(|| panic!("post not created: {}", page.body));
        location.trim_start_matches("/post/").parse().unwrap()
    }
}

fn find_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let i = body.find(marker)? + marker.len();
    let end = body[i..].find('"')? + i;
    Some(body[i..end].to_owned())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
