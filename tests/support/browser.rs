//! Headless Chromium for browser tests: `Browser::open(width, height)` starts
//! its own chromedriver on a free port with a fresh profile and returns a
//! fantoccini `Client` sized to the given window.
//!
//! When chromedriver is not installed the tests skip with a printed note,
//! unless `THIDUA_REQUIRE_BROWSER=1` (as in CI), where they fail loudly.
//! The browser asks for Vietnamese (`Accept-Language: vi-VN`), like the
//! public the pages are made for; use `?lang=en` to test English.
//! Install: `apt-get install -y chromium chromium-driver`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Browser {
    pub client: Client,
    port: u16,
    /// To end the session from `Drop`, where nothing can be awaited.
    session: Option<String>,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn binary(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// Whether a browser test can run here; panics when one is required but missing.
pub fn available() -> bool {
    let driver = binary("CHROMEDRIVER", CHROMEDRIVER);
    let chromium = binary("CHROMIUM", CHROMIUM);
    let present = driver.exists() && chromium.exists();
    if !present {
        let require = std::env::var("THIDUA_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !require,
            "THIDUA_REQUIRE_BROWSER=1 but {} or {} is missing \
             (apt-get install -y chromium chromium-driver)",
            driver.display(),
            chromium.display()
        );
        eprintln!(
            "note: skipping browser test: {} or {} not installed \
             (apt-get install -y chromium chromium-driver; set THIDUA_REQUIRE_BROWSER=1 to fail instead)",
            driver.display(),
            chromium.display()
        );
    }
    present
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

impl Browser {
    /// A headless Chromium window of `width`×`height` CSS pixels, or `None`
    /// (after a printed note) when no browser is installed and none is required.
    pub async fn open(width: u32, height: u32) -> Option<Browser> {
        if !available() {
            return None;
        }
        let port = free_port();
        let driver = Command::new(binary("CHROMEDRIVER", CHROMEDRIVER))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let client = connect_when_ready(port, width, height, profile.path()).await;
        let session = client.session_id().await.ok().flatten();
        let browser = Browser {
            client,
            port,
            session,
            driver,
            _profile: profile,
        };
        browser.resize(width, height).await;
        Some(browser)
    }

    /// Chromium's fresh profile directory: it names this browser's processes.
    pub fn profile_dir(&self) -> &Path {
        self._profile.path()
    }

    /// Makes the viewport (not the outer window) `width`×`height`: tests
    /// measure horizontal overflow against it.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("set window size");
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .expect("viewport size");
        let w = inner[0].as_u64().unwrap_or(width as u64) as u32;
        let h = inner[1].as_u64().unwrap_or(height as u64) as u32;
        if (w, h) != (width, height) {
            self.client
                .set_window_size(
                    width + width.saturating_sub(w),
                    height + height.saturating_sub(h),
                )
                .await
                .expect("adjust window size");
        }
    }

    /// Severe entries from the browser's console log since the last call
    /// (uncaught exceptions, failed resource loads, `console.error`).
    pub async fn console_errors(&self) -> Vec<String> {
        let Ok(Some(session)) = self.client.session_id().await else {
            return vec!["no webdriver session".into()];
        };
        let url = format!("http://127.0.0.1:{}/session/{session}/se/log", self.port);
        let response = reqwest::Client::new()
            .post(url)
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .expect("read browser log");
        let body: Value = response.json().await.expect("browser log JSON");
        body["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Saves a PNG of the current viewport as `screenshots/<name>.png` at the
    /// repository root and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        save_screenshot(name, &png)
    }

    /// Saves the whole page, not just the viewport, as `screenshots/<name>.png`:
    /// the window grows to the page's height for the shot, then returns.
    pub async fn screenshot_full_page(&self, name: &str) -> PathBuf {
        let (width, height) = self.client.get_window_size().await.expect("window size");
        let page = self
            .client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .expect("page height");
        let page = page.as_u64().unwrap_or(height).clamp(1, 16_000);
        self.client
            .set_window_size(
                width as u32,
                page as u32 + (height as u32).saturating_sub(self.viewport_height().await),
            )
            .await
            .expect("grow window");
        let path = self.screenshot(name).await;
        self.client
            .set_window_size(width as u32, height as u32)
            .await
            .expect("restore window");
        path
    }

    async fn viewport_height(&self) -> u32 {
        self.client
            .execute("return window.innerHeight", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u32
    }

    /// Ends the session (which closes Chromium) and stops chromedriver.
    pub async fn close(mut self) {
        self.session = None;
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A panicking test never reaches `close`. Killing chromedriver alone
        // would orphan Chromium, so first ask the driver to end the session.
        if let Some(session) = self.session.take() {
            end_session(self.port, &session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/{id}` over a plain blocking socket.
fn end_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        // The driver answers once the session (and Chromium) has ended;
        // the status line is all that is needed.
        let mut reply = Vec::new();
        let mut chunk = [0u8; 512];
        while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

/// Writes `png` to `screenshots/<name>.png` at the repository root.
pub fn save_screenshot(name: &str, png: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("create screenshots/");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    path
}

async fn connect_when_ready(port: u16, width: u32, height: u32, profile: &Path) -> Client {
    let status = format!("http://127.0.0.1:{port}/status");
    let deadline = Instant::now() + Duration::from_secs(20);
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(&status).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": binary("CHROMIUM", CHROMIUM),
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                // The public is Vietnamese: pages negotiate from this.
                "--lang=vi-VN",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {"intl.accept_languages": "vi-VN,vi"},
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("open a Chromium session")
}

/// Runs `script` in the page and returns what it returns.
pub async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.expect(script)
}

/// Types `value` into the field `css`, replacing what it held.
pub async fn fill(client: &Client, css: &str, value: &str) {
    let input = client.find(Locator::Css(css)).await.expect(css);
    input.clear().await.expect("clear");
    input.send_keys(value).await.expect("type");
}

/// Clicks `css` and waits (polling) for the new document it loads.
pub async fn submit(client: &Client, css: &str) {
    js(client, "window.__stale = true; return true").await;
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let fresh = client
            .execute(
                "return !window.__stale && document.readyState === 'complete'",
                vec![],
            )
            .await
            .unwrap_or(Value::Bool(false));
        if fresh == Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "no new page after {css}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
