//! A real headless Chromium (Debian's `chromium`) driven over the W3C WebDriver protocol by
//! Debian's `chromedriver`: plain HTTP and JSON, so no client library stands between the test
//! and the browser. Without chromedriver the browser tests say they skipped, unless
//! `NOROSHI_REQUIRE_BROWSER=1` (CI sets it), which makes a missing browser a failure.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Chromium {
    _driver: tokio::process::Child,
    base: String,
    http: reqwest::Client,
    /// chromedriver's address and the session path, for ending the browser on drop.
    driver_addr: std::net::SocketAddr,
    session_path: String,
}

/// How long a click may take to load the next page before the test says what it saw.
const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(15);

impl Drop for Chromium {
    /// Ends the browser on every path, a failed assertion's unwinding included: killing
    /// chromedriver alone leaves its headless Chromium running (dozens of orphaned processes
    /// after a few failures). A plain blocking DELETE of the session, since drop cannot await.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let Ok(mut stream) =
            std::net::TcpStream::connect_timeout(&self.driver_addr, Duration::from_secs(2))
        else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session_path, self.driver_addr
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
        }
    }
}

impl Chromium {
    /// A browser with JavaScript on or off, or `None` (with a message) when none is installed.
    pub async fn start(javascript: bool) -> Option<Self> {
        let installed =
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
        if !installed {
            assert!(
                std::env::var("NOROSHI_REQUIRE_BROWSER").is_err(),
                "NOROSHI_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing \
                 (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "SKIPPED: no headless Chromium here ({CHROMEDRIVER}, {CHROMIUM}); \
                 apt-get install chromium chromium-driver to run the browser tests"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut options = json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--lang=ja", "--window-size=1280,1024"],
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome", "goog:chromeOptions": options } } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {created}"))
            .to_owned();
        Some(Self {
            _driver: driver,
            base: format!("{base}/session/{session}"),
            http,
            driver_addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            session_path: format!("/session/{session}"),
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !body.is_null() {
            req = req.json(&body);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(e) = v["value"].get("error") {
            panic!("WebDriver {path}: {e}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    pub async fn count(&self, css: &str) -> usize {
        self.call(
            reqwest::Method::POST,
            "/elements",
            json!({ "using": "css selector", "value": css }),
        )
        .await
        .as_array()
        .unwrap()
        .len()
    }

    /// Clicks what `css` finds without waiting for anything (a radio button, a checkbox).
    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    /// Clicks a link or a submit button and waits until the page it leads to has loaded: the
    /// old document is gone (its root element is stale) and the new one is complete. Reading
    /// the page right after a bare click read the old page on a busy machine (issue 20).
    pub async fn click_and_wait(&self, css: &str) {
        let before_url = self.url().await;
        let old_root = self.find("html").await;
        self.click(css).await;
        let started = std::time::Instant::now();
        loop {
            if self.is_stale(&old_root).await && self.ready().await {
                return;
            }
            if started.elapsed() > NAVIGATION_TIMEOUT {
                panic!(
                    "the click on {css} did not load a new page within {}s: still at {} \
                     (before the click: {before_url}); the page shows: {}",
                    NAVIGATION_TIMEOUT.as_secs(),
                    self.url().await,
                    self.source().await.chars().take(500).collect::<String>()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether an element reference belongs to a document that is gone.
    async fn is_stale(&self, element: &str) -> bool {
        let v: Value = match self
            .http
            .get(format!("{}/element/{element}/name", self.base))
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => return false,
        };
        v["value"]["error"] == "stale element reference" || v["value"]["error"] == "no such element"
    }

    /// Whether the current document has finished loading. With JavaScript off the page's own
    /// scripts are off but WebDriver's still run; should the browser refuse, a found `<body>`
    /// stands for a loaded page.
    async fn ready(&self) -> bool {
        let v: Value = match self
            .http
            .post(format!("{}/execute/sync", self.base))
            .json(&json!({ "script": "return document.readyState", "args": [] }))
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => return false,
        };
        match v["value"].as_str() {
            Some(state) => state == "complete",
            None => self.count("body").await > 0,
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{id}/text"),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
    }

    /// A form field's current value (its `value` property), no script needed.
    pub async fn value(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{id}/property/value"),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Runs a script in the page (only in a browser started with JavaScript on).
    pub async fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Runs a script that calls its last argument when done, and returns what it passed.
    pub async fn execute_async(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    pub async fn quit(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}
