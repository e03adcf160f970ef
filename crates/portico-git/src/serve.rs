//! Serving repositories the way remotes do, for tests and `portico bench`:
//! `git daemon` (git://) and `git http-backend` behind a small HTTP server
//! (smart HTTP, as forges serve it). Both need the git programs installed;
//! Portico itself never does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A program of git's own (`git-daemon`, `git-http-backend`): run directly,
/// not through the `git` wrapper, whose child killing the wrapper would
/// leave behind.
fn git_program(name: &str) -> Result<PathBuf, String> {
    let output = Command::new("git")
        .arg("--exec-path")
        .output()
        .map_err(|e| format!("git is not installed: {e}"))?;
    let program = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join(name);
    if program.exists() {
        Ok(program)
    } else {
        Err(format!("{} is not installed", program.display()))
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// `git daemon` serving every repository under a directory on a free port
/// of 127.0.0.1; killed on drop.
pub struct GitDaemon {
    child: Child,
    pub port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path) -> Result<GitDaemon, String> {
        let program = git_program("git-daemon")?;
        let port = free_port()?;
        let child = Command::new(program)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .arg("--reuseaddr")
            .arg(format!("--base-path={}", base.display()))
            .args(["--export-all", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start git daemon: {e}"))?;
        let daemon = GitDaemon { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("git daemon did not listen on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(daemon)
    }

    /// `git://127.0.0.1:<port>/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "git://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Smart HTTP over the repositories under a directory, through
/// `git http-backend` (CGI), on a free port of 127.0.0.1.
pub struct HttpGitServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl HttpGitServer {
    /// With `slow`, responses trickle out at about 0.8 MB/s (for testing
    /// fetch limits).
    pub fn start(root: &Path, slow: bool) -> Result<HttpGitServer, String> {
        Self::serve(root, slow, None)
    }

    /// Like `start`, but every request must carry this account (HTTP Basic),
    /// as a private repository on a forge does; others get 401.
    pub fn start_private(
        root: &Path,
        username: &str,
        token: &str,
    ) -> Result<HttpGitServer, String> {
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{token}"))
        );
        Self::serve(root, false, Some(expected))
    }

    fn serve(root: &Path, slow: bool, auth: Option<String>) -> Result<HttpGitServer, String> {
        let backend = git_program("git-http-backend")?;
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("cannot listen: {e}"))?
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                let backend = backend.clone();
                let auth = auth.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, &backend, &root, slow, auth.as_deref());
                });
            }
        });
        Ok(HttpGitServer { port, stop })
    }

    /// `http://127.0.0.1:<port>/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }
}

impl Drop for HttpGitServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn handle(
    stream: TcpStream,
    backend: &Path,
    root: &Path,
    slow: bool,
    auth: Option<&str>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(length) = header("content-length") {
        body.resize(length.parse().unwrap_or(0), 0);
        reader.read_exact(&mut body)?;
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    if let Some(expected) = auth {
        if header("authorization").as_deref() != Some(expected) {
            let mut stream = stream;
            stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return stream.flush();
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut command = Command::new(backend);
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
    ] {
        if let Some(value) = header(name) {
            command.env(var, value);
        }
    }
    let mut child = command.spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&body)?;
    }
    let output = child.wait_with_output()?;
    let out = output.stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4));
    let split = split.or_else(|| {
        out.windows(2)
            .position(|w| w == b"\n\n")
            .map(|i| (i, i + 2))
    });
    let (head_end, body_start) = split.unwrap_or((0, 0));
    let head = String::from_utf8_lossy(&out[..head_end]).to_string();
    let mut status = "200 OK".to_string();
    let mut response = Vec::new();
    for line in head.lines() {
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("status") => {
                status = value.trim().to_string()
            }
            Some(_) => response.extend_from_slice(format!("{line}\r\n").as_bytes()),
            None => {}
        }
    }
    let content = &out[body_start..];
    let mut stream = stream;
    stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            content.len()
        )
        .as_bytes(),
    )?;
    stream.write_all(&response)?;
    stream.write_all(b"\r\n")?;
    if slow {
        for chunk in content.chunks(16 * 1024) {
            stream.write_all(chunk)?;
            stream.flush()?;
            std::thread::sleep(Duration::from_millis(20));
        }
    } else {
        stream.write_all(content)?;
    }
    stream.flush()
}
