//! A cookie-keeping HTTP client for the server-rendered forms (`/report`,
//! `/admin`): it follows no redirects, so tests see every 303, and it reads
//! the CSRF token out of the page the way a browser would submit it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::TestApp;

pub struct Web {
    client: reqwest::Client,
    base: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    pub content_type: String,
    pub body: String,
}

impl Page {
    /// The first CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").expect("a form with a CSRF token")
    }
}

/// The form fields of the Lạng Sơn counters, in the competition's order.
pub const COUNTER_FIELDS: [&str; 6] = [
    "counters.received",
    "counters.received_online",
    "counters.fee_required",
    "counters.paid_online",
    "counters.results_issued",
    "counters.results_signed",
];

/// The value of the first `<input … name="NAME" value="…">` in `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// `application/x-www-form-urlencoded`, as a browser sends a form.
pub fn urlencoded(fields: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Web {
    pub fn new(app: &TestApp) -> Web {
        Web {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.to_string(), value.to_string());
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let first = text.split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            let mut cookies = self.cookies.lock().unwrap();
            if text.contains("Max-Age=0") || value.is_empty() {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_string(), value.to_string());
            }
        }
        let header = |n: &str| {
            response
                .headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
        };
        Page {
            status: response.status().as_u16(),
            location: header("location"),
            retry_after: header("retry-after"),
            content_type: header("content-type").unwrap_or_default(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(urlencoded(fields))
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// Opens the unit login page and signs in.
    pub async fn login_unit(&self, code: &str, access_code: &str) -> Page {
        let login = self.get("/report").await;
        let csrf = login.csrf();
        self.post_form(
            "/report/login",
            &[
                ("csrf", &csrf),
                ("code", code),
                ("access_code", access_code),
            ],
        )
        .await
    }

    /// Opens the organiser login page and signs in.
    pub async fn login_admin(&self, name: &str, password: &str) -> Page {
        let login = self.get("/admin/login").await;
        let csrf = login.csrf();
        self.post_form(
            "/admin/login",
            &[("csrf", &csrf), ("name", name), ("password", password)],
        )
        .await
    }
}
