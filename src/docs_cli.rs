//! `portico docs`: build a TechDocs site from a directory, or serve it while
//! it is being written.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use actix_web::{http::header, web, App, HttpRequest, HttpResponse, HttpServer};
use clap::Subcommand;
use portico_techdocs::site::percent_decode;
use portico_techdocs::{
    build_site, escape_html, now_ms, output_files, write_static, BuildError, BuildOptions, DirTree,
    Site, THEME_DIR,
};

/// How often `docs serve` looks for changed files.
const POLL: Duration = Duration::from_millis(500);

#[derive(Subcommand, Debug)]
pub enum DocsCommand {
    /// Build the site of DIR (mkdocs.yml and Markdown) into static files.
    /// Prints `file:line: message` per warning; exits 1 on a fatal error,
    /// and with --strict on any warning.
    Build {
        dir: PathBuf,
        /// Output directory (default DIR/site).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Fail when there are warnings.
        #[arg(long)]
        strict: bool,
    },
    /// Build the site of DIR, serve it, and rebuild when a file changes.
    Serve {
        dir: PathBuf,
        #[arg(long, default_value_t = 8000)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
    },
}

pub fn run(command: DocsCommand) -> ExitCode {
    match command {
        DocsCommand::Build { dir, out, strict } => build(&dir, out, strict),
        DocsCommand::Serve { dir, port, host } => match serve(&dir, &host, port) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn build(dir: &Path, out: Option<PathBuf>, strict: bool) -> ExitCode {
    let out = out.unwrap_or_else(|| dir.join("site"));
    // The output is created first so that, when it lies inside the source,
    // it can be left out of the build (a rebuild must not publish the
    // previous one).
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let exclude = inside(dir, &out).into_iter().collect();
    let started = Instant::now();
    let site = match build_dir(dir, exclude) {
        Ok(site) => site,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    report(&site);
    if let Err(e) = write_static(&site, &out) {
        eprintln!("error: cannot write the site to {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!("{}", summary(&site, started.elapsed()));
    if strict && !site.warnings.is_empty() {
        eprintln!("error: {} warning(s) in strict mode", site.warnings.len());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `path` relative to `dir` when it is inside it.
fn inside(dir: &Path, path: &Path) -> Option<String> {
    let dir = dir.canonicalize().ok()?;
    let path = path.canonicalize().ok()?;
    let rel = path.strip_prefix(&dir).ok()?;
    let rel = rel.to_str()?.replace('\\', "/");
    (!rel.is_empty()).then_some(rel)
}

fn build_dir(dir: &Path, exclude: Vec<String>) -> Result<Site, BuildError> {
    let tree = DirTree::open(dir)?;
    let default_site_name = tree
        .root()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("Documentation")
        .to_string();
    let opts = BuildOptions {
        default_site_name,
        exclude,
        ..BuildOptions::default()
    };
    build_site(&tree, &opts)
}

/// Notes and warnings on stderr, one per line.
fn report(site: &Site) {
    for note in &site.notes {
        eprintln!("note: {note}");
    }
    for warning in &site.warnings {
        eprintln!("{warning}");
    }
}

fn summary(site: &Site, took: Duration) -> String {
    let theme = format!("{THEME_DIR}/");
    let assets = site
        .assets
        .iter()
        .filter(|a| !a.path.starts_with(&theme))
        .count();
    format!(
        "built {} pages, {assets} assets in {} ms ({} warnings)",
        site.pages.len(),
        took.as_millis(),
        site.warnings.len()
    )
}

/// What the server answers with: the last good build's files, or the error
/// when no build has succeeded yet.
struct Served {
    files: HashMap<String, (&'static str, Vec<u8>)>,
    error: Option<String>,
}

type Shared = Arc<RwLock<Arc<Served>>>;

fn serve(dir: &Path, host: &str, port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let dir = dir.to_path_buf();
    // `docs build`'s default output is not part of the site being served.
    let exclude = vec!["site".to_string()];
    let shared: Shared = Arc::new(RwLock::new(Arc::new(rebuild(&dir, &exclude, None))));
    let listener = TcpListener::bind((host, port))
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    println!(
        "serving {} at http://{}/ (rebuilt when a file changes; Ctrl-C stops)",
        dir.display(),
        listener.local_addr()?
    );

    let watched = shared.clone();
    std::thread::spawn(move || {
        let mut last = fingerprint(&dir, &exclude);
        loop {
            std::thread::sleep(POLL);
            let now = fingerprint(&dir, &exclude);
            if now == last {
                continue;
            }
            last = now;
            let previous = watched.read().ok().map(|s| s.clone());
            let next = rebuild(&dir, &exclude, previous.as_deref());
            if let Ok(mut slot) = watched.write() {
                *slot = Arc::new(next);
            }
        }
    });

    let data = web::Data::new(shared);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(2)
        .listen(listener)?
        .run()
        .await
    })?;
    Ok(())
}

/// Builds and reports; a failed build keeps the previous files.
fn rebuild(dir: &Path, exclude: &[String], previous: Option<&Served>) -> Served {
    let started = Instant::now();
    match build_dir(dir, exclude.to_vec()) {
        Ok(site) => {
            report(&site);
            println!("{}", summary(&site, started.elapsed()));
            let files = output_files(&site, Some(now_ms()))
                .into_iter()
                .map(|f| (f.path, (f.content_type, f.bytes)))
                .collect();
            Served { files, error: None }
        }
        Err(e) => {
            eprintln!("error: {e}");
            match previous {
                Some(old) if old.error.is_none() => Served {
                    files: old.files.clone(),
                    error: None,
                },
                _ => Served {
                    files: HashMap::new(),
                    error: Some(e.to_string()),
                },
            }
        }
    }
}

async fn answer(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let Ok(served) = shared.read().map(|s| s.clone()) else {
        return HttpResponse::InternalServerError().body("the site is unavailable");
    };
    let html = |status: actix_web::http::StatusCode, body: String| {
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    };
    if let Some(error) = &served.error {
        return html(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "<!doctype html><title>Build failed</title><h1>The site could not be built</h1><pre>{}</pre>",
                escape_html(error)
            ),
        );
    }
    let path = percent_decode(req.path().trim_start_matches('/'));
    let key = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.clone()
    };
    if let Some((content_type, bytes)) = served.files.get(&key) {
        return HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(bytes.clone());
    }
    // `page` for a page served at `page/`: relative links need the slash.
    if served.files.contains_key(&format!("{path}/index.html")) {
        return HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, format!("/{path}/")))
            .finish();
    }
    html(
        actix_web::http::StatusCode::NOT_FOUND,
        format!(
            "<!doctype html><title>Not found</title><h1>Not found</h1><p>{} is not part of the site.</p>",
            escape_html(&path)
        ),
    )
}

/// A digest of every file's path, size and modification time under `dir`:
/// a change of any of them means a rebuild. Symbolic links to directories
/// are not walked (they could loop); `.git` and excluded paths are skipped.
fn fingerprint(dir: &Path, exclude: &[String]) -> u64 {
    let mut hasher = DefaultHasher::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    let mut entries: Vec<(String, u64, SystemTime)> = Vec::new();
    while let Some((path, rel)) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if name == ".git" || exclude.contains(&child) {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push((entry.path(), child));
            } else if let Ok(meta) = entry.path().metadata() {
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                entries.push((child, meta.len(), modified));
            }
        }
    }
    entries.sort();
    entries.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_follow_changes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/index.md"), "a").unwrap();
        let exclude = vec!["site".to_string()];
        let first = fingerprint(dir.path(), &exclude);
        assert_eq!(first, fingerprint(dir.path(), &exclude));
        std::fs::create_dir_all(dir.path().join("site")).unwrap();
        std::fs::write(dir.path().join("site/index.html"), "x").unwrap();
        assert_eq!(
            first,
            fingerprint(dir.path(), &exclude),
            "output is ignored"
        );
        std::fs::write(dir.path().join("docs/index.md"), "ab").unwrap();
        assert_ne!(first, fingerprint(dir.path(), &exclude));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b/c%2"), "a b/c%2");
        assert_eq!(percent_decode("%E2%9C%93"), "\u{2713}");
    }
}
