//! A small blocking W3C WebDriver client for the end-to-end browser tests.
//!
//! Why our own: fantoccini and chromiumoxide are async and bring a second HTTP stack (hyper and
//! a tokio runtime) into a build that has two cores, next to the `ureq` the root package already
//! uses. The tests are synchronous and need about twenty commands, each one JSON request, so a
//! few hundred lines over `ureq` and `serde_json` do the job.
//!
//! [`Browser::launch`] starts chromedriver on a free 127.0.0.1 port with one headless Chromium
//! session; dropping the [`Browser`] ends both. Learnt against chromedriver 156 (Debian):
//! - killing chromedriver leaves Chromium running, so `Drop` asks it to `/shutdown` instead;
//! - both ways of turning JavaScript off work; we use the content-settings pref, as a user would;
//! - the legacy `/se/log` endpoint still returns console messages; a missing favicon is logged
//!   as a `SEVERE` network error, so test servers should answer `/favicon.ico`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};
use std::{env, error::Error, fmt, fs, net::TcpListener, thread};

use base64::Engine as _;
use serde_json::{json, Value};
use ureq::Agent;

/// The key under which W3C WebDriver passes element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const POLL: Duration = Duration::from_millis(100);

/// A failed command: what was sent, the HTTP status (none when there was no answer) and the
/// WebDriver error code and message (e.g. `no such element`).
#[derive(Debug)]
pub struct WdError {
    pub command: String,
    pub status: Option<u16>,
    pub error: String,
    pub message: String,
}

impl WdError {
    fn new(command: &str, error: &str, message: impl fmt::Display) -> Self {
        WdError {
            command: command.into(),
            status: None,
            error: error.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for WdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.command)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}: {}", self.error, self.message)
    }
}

impl Error for WdError {}

/// Sends one command (POST when there is a body) and returns the answer's `value`.
fn request(agent: &Agent, base: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
    let url = format!("{base}{path}");
    let command = format!("{} {path}", if body.is_some() { "POST" } else { "GET" });
    let failed = |e: ureq::Error| WdError::new(&command, "http", e);
    let mut response = match body {
        Some(body) => {
            let post = agent.post(&url).header("content-type", "application/json");
            post.send(body.to_string()).map_err(failed)?
        }
        None => agent.get(&url).call().map_err(failed)?,
    };
    let text = response.body_mut().read_to_string().map_err(failed)?;
    let mut answer: Value = serde_json::from_str(&text)
        .map_err(|e| WdError::new(&command, "invalid json", format!("{e} in {text:.200}")))?;
    let value = answer.get_mut("value").map(Value::take).unwrap_or_default();
    let status = response.status().as_u16();
    if status < 400 {
        return Ok(value);
    }
    let text = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
    let mut error = WdError::new(&command, &text("error"), text("message"));
    error.status = Some(status);
    Err(error)
}

/// One session: the agent and `http://127.0.0.1:{port}/session/{id}`.
#[derive(Debug)]
struct Session {
    agent: Agent,
    url: String,
}

impl Session {
    fn get(&self, path: &str) -> Result<Value, WdError> {
        request(&self.agent, &self.url, path, None)
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, WdError> {
        request(&self.agent, &self.url, path, Some(body))
    }

    fn run(&self, path: &str, body: Value) -> Result<(), WdError> {
        self.post(path, body).map(drop)
    }

    fn get_string(&self, path: &str) -> Result<String, WdError> {
        serde_json::from_value(self.get(path)?).map_err(|e| WdError::new(path, "bad answer", e))
    }

    /// Finds in `scope`: "" for the document, "/element/{id}" for an element's descendants.
    fn find(self: &Arc<Self>, scope: &str, css: &str) -> Result<Element, WdError> {
        let query = json!({"using": "css selector", "value": css});
        Element::new(self, &self.post(&format!("{scope}/element"), query)?)
    }

    fn find_all(self: &Arc<Self>, scope: &str, css: &str) -> Result<Vec<Element>, WdError> {
        let query = json!({"using": "css selector", "value": css});
        let found = self.post(&format!("{scope}/elements"), query)?;
        let found = found.as_array().map(Vec::as_slice).unwrap_or_default();
        found.iter().map(|v| Element::new(self, v)).collect()
    }
}

/// The chromedriver process; dropping it stops chromedriver and its Chromium.
struct Driver {
    child: Child,
    agent: Agent,
    url: String,
}

impl Driver {
    /// Starts chromedriver on a free port, writing its output to `log`, and waits until ready.
    fn start(binary: &Path, log: &Path) -> Result<Driver, Box<dyn Error>> {
        let out = fs::File::create(log)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut command = Command::new(binary);
        command
            .arg(format!("--port={port}"))
            .stdout(out.try_clone()?)
            .stderr(out);
        let timeout = Some(Duration::from_secs(120));
        let config = Agent::config_builder().proxy(None).timeout_global(timeout);
        let agent = config.http_status_as_error(false).build().new_agent();
        let (child, url) = (command.spawn()?, format!("http://127.0.0.1:{port}"));
        let mut driver = Driver { child, agent, url };
        let started = Instant::now();
        loop {
            let status = request(&driver.agent, &driver.url, "/status", None);
            if status.is_ok_and(|status| status["ready"] == true) {
                return Ok(driver);
            }
            if let Some(exit) = driver.child.try_wait()? {
                return Err(format!("chromedriver exited ({exit})").into());
            }
            if started.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver was not ready after 20 s".into());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A killed chromedriver leaves Chromium running; `/shutdown` quits both.
        let _ = request(&self.agent, &self.url, "/shutdown", None);
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub enum Launch {
    Ready(Browser),
    Skipped(String),
}

/// A chromedriver process with one headless Chromium session.
pub struct Browser {
    session: Arc<Session>,
    _driver: Driver,
    /// The Chromium profile and chromedriver's log; removed after `_driver` has stopped.
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile; `javascript: false`
    /// turns scripts off. Without the binaries this skips, or panics if PORTICO_REQUIRE_BROWSER=1.
    /// Installed binaries that fail to start always panic: that is a broken setup, not a skip.
    pub fn launch(javascript: bool) -> Launch {
        let found = locate("PORTICO_CHROMIUM", "chromium")
            .and_then(|chromium| Ok((chromium, locate("PORTICO_CHROMEDRIVER", "chromedriver")?)));
        let (chromium, driver) = match found {
            Ok(paths) => paths,
            Err(why) if env::var("PORTICO_REQUIRE_BROWSER").as_deref() == Ok("1") => {
                panic!("PORTICO_REQUIRE_BROWSER=1 but {why}")
            }
            Err(why) => return Launch::Skipped(why),
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
        match Browser::start(javascript, &chromium, &driver, dir.path()) {
            Ok((session, driver)) => Launch::Ready(Browser {
                session,
                _driver: driver,
                _dir: dir,
            }),
            Err(e) => {
                let log = fs::read_to_string(dir.path().join("chromedriver.log"));
                let (driver, chromium) = (driver.display(), chromium.display());
                panic!(
                    "{driver} with {chromium} did not start: {e}\n{}",
                    log.unwrap_or_default()
                )
            }
        }
    }

    /// Starts chromedriver and opens a session; both keep their files in `dir`.
    fn start(
        javascript: bool,
        chromium: &Path,
        chromedriver: &Path,
        dir: &Path,
    ) -> Result<(Arc<Session>, Driver), Box<dyn Error>> {
        let driver = Driver::start(chromedriver, &dir.join("chromedriver.log"))?;
        let profile = dir.join("profile");
        let mut options = json!({"binary": chromium.to_string_lossy(), "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,900", format!("--user-data-dir={}", profile.to_string_lossy()),
        ]});
        if !javascript {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
            "timeouts": {"pageLoad": 30_000, "script": 30_000},
        }}});
        let created = request(&driver.agent, &driver.url, "/session", Some(capabilities))?;
        let id = created["sessionId"]
            .as_str()
            .ok_or(format!("no sessionId in {created}"))?;
        let (agent, url) = (driver.agent.clone(), format!("{}/session/{id}", driver.url));
        Ok((Arc::new(Session { agent, url }), driver))
    }

    pub fn goto(&self, url: &str) -> Result<(), WdError> {
        self.session.run("/url", json!({ "url": url }))
    }

    pub fn current_url(&self) -> Result<String, WdError> {
        self.session.get_string("/url")
    }

    pub fn title(&self) -> Result<String, WdError> {
        self.session.get_string("/title")
    }

    pub fn source(&self) -> Result<String, WdError> {
        self.session.get_string("/source")
    }

    pub fn find(&self, css: &str) -> Result<Element, WdError> {
        self.session.find("", css)
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<Element>, WdError> {
        self.session.find_all("", css)
    }

    /// Polls until an element matching `css` is displayed; the error names the selector and URL.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element, WdError> {
        let what = format!("displayed element matching {css:?}");
        let shown = |e: &Element| matches!(e.is_displayed(), Ok(true));
        self.poll(&what, timeout, |browser| match browser.find_all(css) {
            Ok(found) => Ok(found.into_iter().find(shown)),
            Err(e) if e.error == "invalid selector" => Err(e),
            Err(_) => Ok(None), // e.g. while the page is being replaced
        })
    }

    /// Polls until `predicate(self)` holds; the error names `what` and the URL.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut predicate: impl FnMut(&Browser) -> bool,
    ) -> Result<(), WdError> {
        self.poll(what, timeout, |b| Ok(predicate(b).then_some(())))
    }

    /// Calls `attempt` every 100 ms until it gives a value or an error, or `timeout` passes.
    fn poll<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut attempt: impl FnMut(&Browser) -> Result<Option<T>, WdError>,
    ) -> Result<T, WdError> {
        let started = Instant::now();
        loop {
            if let Some(done) = attempt(self)? {
                return Ok(done);
            }
            if started.elapsed() >= timeout {
                let url = self.current_url().unwrap_or_else(|e| e.message);
                let (command, message) = (
                    format!("wait for {what}"),
                    format!("none after {timeout:?} on {url}"),
                );
                return Err(WdError::new(&command, "timeout", message));
            }
            thread::sleep(POLL);
        }
    }

    /// Runs `script` as a function body with `arguments` (see [`Element::as_arg`]).
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, WdError> {
        let body = json!({ "script": script, "args": args });
        self.session.post("/execute/sync", body)
    }

    pub fn back(&self) -> Result<(), WdError> {
        self.session.run("/back", json!({}))
    }

    /// Saves a PNG of the viewport to `path`, creating its parent directories.
    pub fn screenshot(&self, path: &Path) -> Result<(), WdError> {
        let png = base64::engine::general_purpose::STANDARD
            .decode(self.session.get_string("/screenshot")?)
            .map_err(|e| WdError::new("/screenshot", "invalid base64", e))?;
        let failed = |e| WdError::new("screenshot", "io", format!("{}: {e}", path.display()));
        fs::create_dir_all(path.parent().unwrap_or(Path::new(""))).map_err(failed)?;
        fs::write(path, png).map_err(failed)
    }

    /// Console messages (level, message) since the last call, from chromedriver's legacy
    /// `/se/log` endpoint. Levels are Chrome's: SEVERE, WARNING, INFO, DEBUG.
    pub fn console(&self) -> Result<Vec<(String, String)>, WdError> {
        let entries = self.session.post("/se/log", json!({"type": "browser"}))?;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let entries = entries.as_array().map(Vec::as_slice).unwrap_or_default();
        let pair = |e: &Value| (text(&e["level"]), text(&e["message"]));
        Ok(entries.iter().map(pair).collect())
    }

    /// The SEVERE console messages since the last call to this or [`Browser::console`].
    pub fn console_errors(&self) -> Result<Vec<String>, WdError> {
        let mut messages = self.console()?;
        messages.retain(|(level, _)| level == "SEVERE");
        Ok(messages.into_iter().map(|(_, message)| message).collect())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.session.agent.delete(&self.session.url).call();
        // Then `_driver` drops (stopping chromedriver) and `_dir` is removed.
    }
}

/// `$var`, else /usr/bin/{name}, else {name} on PATH.
fn locate(var: &str, name: &str) -> Result<PathBuf, String> {
    if let Some(path) = env::var_os(var).map(PathBuf::from) {
        let missing = format!("{var}={} is not a file", path.display());
        return path.is_file().then_some(path).ok_or(missing);
    }
    let path = env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(PathBuf::from("/usr/bin")).chain(env::split_paths(&path));
    let mut candidates = dirs.map(|dir| dir.join(name));
    let missing = || format!("no {name} in /usr/bin or on PATH (or set {var})");
    candidates.find(|path| path.is_file()).ok_or_else(missing)
}

/// An element of the current page; after navigation its commands fail with
/// `stale element reference`.
#[derive(Debug)]
pub struct Element {
    session: Arc<Session>,
    id: String,
}

impl Element {
    fn new(session: &Arc<Session>, value: &Value) -> Result<Element, WdError> {
        let Some(id) = value[ELEMENT_KEY].as_str() else {
            return Err(WdError::new("find", "not an element", value));
        };
        let (session, id) = (Arc::clone(session), id.to_owned());
        Ok(Element { session, id })
    }

    fn path(&self, command: &str) -> String {
        format!("/element/{}{command}", self.id)
    }

    /// This element as an argument for [`Browser::execute`].
    pub fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    /// Clicks (WebDriver scrolls the element into view). If something covers it, such as a
    /// sticky header or an overlay still fading out, centres it and retries for up to 2 s
    /// (chromedriver itself waits about 1 s before it reports `element click intercepted`).
    pub fn click(&self) -> Result<(), WdError> {
        let started = Instant::now();
        loop {
            let clicked = self.session.run(&self.path("/click"), json!({}));
            let covered = matches!(&clicked, Err(e) if e.error == "element click intercepted");
            if !covered || started.elapsed() > Duration::from_secs(2) {
                return clicked;
            }
            let centre = "arguments[0].scrollIntoView({block: 'center', inline: 'center'})";
            let body = json!({"script": centre, "args": [self.as_arg()]});
            self.session.run("/execute/sync", body)?;
            thread::sleep(POLL);
        }
    }

    pub fn text(&self) -> Result<String, WdError> {
        self.session.get_string(&self.path("/text"))
    }

    /// The HTML attribute, `None` when absent.
    pub fn attr(&self, name: &str) -> Result<Option<String>, WdError> {
        let path = self.path(&format!("/attribute/{name}"));
        Ok(self.session.get(&path)?.as_str().map(str::to_owned))
    }

    /// The DOM property, e.g. `value` or `checked`.
    pub fn prop(&self, name: &str) -> Result<Value, WdError> {
        self.session.get(&self.path(&format!("/property/{name}")))
    }

    pub fn send_keys(&self, text: &str) -> Result<(), WdError> {
        let body = json!({ "text": text });
        self.session.run(&self.path("/value"), body)
    }

    pub fn clear(&self) -> Result<(), WdError> {
        self.session.run(&self.path("/clear"), json!({}))
    }

    pub fn find(&self, css: &str) -> Result<Element, WdError> {
        self.session.find(&self.path(""), css)
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<Element>, WdError> {
        self.session.find_all(&self.path(""), css)
    }

    pub fn is_displayed(&self) -> Result<bool, WdError> {
        Ok(self.session.get(&self.path("/displayed"))? == true)
    }

    /// For a `<select>`: clicks its `<option value="{value}">`.
    pub fn select_option(&self, value: &str) -> Result<(), WdError> {
        let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
        self.find(&format!("option[value=\"{quoted}\"]"))?.click()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves `/` and `/other` on a free port until the test process ends; returns the base URL.
    fn serve_test_pages() -> String {
        use std::io::{Read, Write};
        const PAGE: &str = r#"<!doctype html><title>WebDriver check</title>
    <p id="status">server-rendered</p>
    <noscript><p id="noscript">scripts are off</p></noscript>
    <p id="hidden" hidden>hidden</p>
    <a id="link" href="/other">other page</a>
    <input id="name" data-kind="text">
    <select id="kind"><option value="a">A</option><option value="b">B</option></select>
    <button id="change" onclick="document.getElementById('status').textContent = 'clicked'">change</button>
    <button id="later" onclick="setTimeout(() => document.body.insertAdjacentHTML('beforeend', '<p id=late>late</p>'), 300)">later</button>
    <button id="fail" onclick="console.error('boom')">fail</button>
<button id="cover" onclick="const d = document.createElement('div'); d.style.cssText = 'position: fixed; inset: 0'; document.body.append(d); setTimeout(() => d.remove(), 1500)">cover</button>"#;
        const OTHER: &str =
            r#"<!doctype html><title>Other</title><p id="other">the other page</p>"#;

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // A thread per connection: Chromium opens speculative connections that may never send.
        let answer = |mut stream: std::net::TcpStream| {
            let (mut request, mut buf) = (Vec::new(), [0; 4096]);
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let (status, body) = match String::from_utf8_lossy(&request).split(' ').nth(1) {
                Some("/") => ("200 OK", PAGE),
                Some("/other") => ("200 OK", OTHER),
                Some("/favicon.ico") => ("204 No Content", ""),
                _ => ("404 Not Found", "not found"),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        };
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || answer(stream));
            }
        });
        base
    }

    #[test]
    fn the_client_drives_a_real_chromium() {
        let (base, started, secs) = (serve_test_pages(), Instant::now(), Duration::from_secs);
        let browser = match Browser::launch(true) {
            Launch::Ready(browser) => browser,
            Launch::Skipped(reason) => return println!("skipped: {reason}"),
        };
        println!("launched with JavaScript in {:?}", started.elapsed());
        browser.goto(&format!("{base}/")).unwrap();
        assert_eq!(browser.title().unwrap(), "WebDriver check");
        assert_eq!(browser.current_url().unwrap(), format!("{base}/"));
        assert!(browser.source().unwrap().contains(r#"<p id="status">"#));
        let noscript = browser.find_all("#noscript").unwrap();
        assert!(
            noscript.is_empty(),
            "<noscript> is only text with scripts on"
        );

        let status = browser.find("#status").unwrap();
        assert_eq!(status.text().unwrap(), "server-rendered");
        browser.find("#change").unwrap().click().unwrap();
        let changed = |_: &Browser| status.text().unwrap() == "clicked";
        browser
            .wait_until("the status to change", secs(5), changed)
            .unwrap();

        let input = browser.find("input").unwrap();
        assert_eq!(input.attr("data-kind").unwrap().as_deref(), Some("text"));
        assert_eq!(input.attr("data-missing").unwrap(), None);
        input.send_keys("hello").unwrap();
        assert_eq!(input.prop("value").unwrap(), "hello");
        input.clear().unwrap();
        input.send_keys("world").unwrap();
        assert_eq!(input.prop("value").unwrap(), "world");

        let select = browser.find("#kind").unwrap();
        assert_eq!(select.find_all("option").unwrap().len(), 2);
        assert_eq!(select.find("option").unwrap().text().unwrap(), "A");
        assert_eq!(select.prop("value").unwrap(), "a");
        select.select_option("b").unwrap();
        assert_eq!(select.prop("value").unwrap(), "b");
        let missing = select.select_option("zz").unwrap_err();
        assert_eq!(missing.error, "no such element");

        let missing = browser.find("#nope").unwrap_err();
        assert_eq!(missing.status, Some(404));
        assert_eq!(missing.error, "no such element");
        assert_eq!(browser.find("[[").unwrap_err().error, "invalid selector");
        assert!(!browser.find("#hidden").unwrap().is_displayed().unwrap());
        let timeout = browser.wait_for("#hidden", Duration::from_millis(300));
        let timeout = timeout.unwrap_err().to_string();
        assert!(
            timeout.contains("#hidden") && timeout.contains(&base),
            "{timeout}"
        );
        browser.find("#cover").unwrap().click().unwrap();
        let later = browser.find("#later").unwrap();
        later.click().unwrap(); // covered for 1.5 s; chromedriver waits 1 s, then we retry
        let late = browser.wait_for("#late", secs(5)).unwrap();
        assert_eq!(late.text().unwrap(), "late");

        let args = vec![json!("id="), status.as_arg()];
        let sum = browser.execute("return arguments[0] + arguments[1].id", args);
        assert_eq!(sum.unwrap(), "id=status");
        // --window-size is the outer window: new headless leaves a 1280x757 viewport.
        assert_eq!(browser.execute("return innerWidth", vec![]).unwrap(), 1280);

        browser.console().unwrap(); // forget earlier messages
        browser.find("#fail").unwrap().click().unwrap();
        let mut errors = Vec::new();
        let logged = |b: &Browser| {
            errors.extend(b.console_errors().unwrap());
            errors.iter().any(|m| m.contains("boom"))
        };
        browser
            .wait_until("console.error('boom')", secs(5), logged)
            .unwrap();
        assert!(browser.console_errors().unwrap().is_empty(), "read once");

        let shots = tempfile::tempdir().unwrap();
        let shot = shots.path().join("nested/page.png");
        browser.screenshot(&shot).unwrap();
        assert!(fs::read(&shot).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));

        browser.find("#link").unwrap().click().unwrap();
        let other = browser.wait_for("#other", secs(5)).unwrap();
        assert_eq!(other.text().unwrap(), "the other page");
        assert_eq!(status.text().unwrap_err().error, "stale element reference");
        browser.back().unwrap();
        browser.wait_for("#status", secs(5)).unwrap();
        assert_eq!(browser.current_url().unwrap(), format!("{base}/"));
        drop(browser);
        println!("with JavaScript done after {:?}", started.elapsed());

        let Launch::Ready(browser) = Browser::launch(false) else {
            unreachable!("launched before")
        };
        browser.goto(&format!("{base}/")).unwrap();
        assert!(browser.find("#noscript").unwrap().is_displayed().unwrap());
        browser.find("#change").unwrap().click().unwrap();
        thread::sleep(Duration::from_millis(300));
        let status = browser.find("#status").unwrap().text().unwrap();
        assert_eq!(
            status, "server-rendered",
            "the onclick ran with scripts off"
        );
        drop(browser);
        println!("without JavaScript done after {:?}", started.elapsed());
    }
}
