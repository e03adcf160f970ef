//! Where each source file ends up in the built site, and how one URL of the
//! site refers to another. All URLs here are site-relative (`""` is the
//! site's home page), so a site works under any prefix.

/// Whether a docs file is a Markdown page.
pub fn is_markdown(path: &str) -> bool {
    markdown_stem(path).is_some()
}

fn markdown_stem(path: &str) -> Option<&str> {
    path.strip_suffix(".md")
        .or_else(|| path.strip_suffix(".markdown"))
}

/// The output file and URL of the page whose docs-relative source is
/// `source`. `index.md` and `README.md` stand for their directory; with
/// directory URLs every other page gets a directory of its own, as mkdocs
/// does (`a/b.md` → `a/b/index.html`, served at `a/b/`).
pub fn page_output(source: &str, use_directory_urls: bool) -> (String, String) {
    let stem = markdown_stem(source).unwrap_or(source);
    let (dir, name) = match stem.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), stem),
    };
    if name == "index" || name == "README" {
        let path = format!("{dir}index.html");
        let url = if use_directory_urls {
            dir
        } else {
            path.clone()
        };
        return (path, url);
    }
    if use_directory_urls {
        let url = format!("{dir}{name}/");
        (format!("{url}index.html"), url)
    } else {
        let path = format!("{dir}{name}.html");
        (path.clone(), path)
    }
}

/// The URL that leads from page `from` to `to` (both site-relative):
/// `relative_url("a/b/", "c/")` is `../../c/`. Never empty: the page itself
/// is `./`.
pub fn relative_url(from: &str, to: &str) -> String {
    let from_dir: Vec<&str> = match from.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').filter(|s| !s.is_empty()).collect(),
        None => Vec::new(),
    };
    let (to_dir, to_file) = match to.rsplit_once('/') {
        Some((dir, file)) => (dir.split('/').filter(|s| !s.is_empty()).collect(), file),
        None => (Vec::new(), to),
    };
    let common = from_dir
        .iter()
        .zip(&to_dir)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = "../".repeat(from_dir.len() - common);
    for dir in &to_dir[common..] {
        out.push_str(dir);
        out.push('/');
    }
    out.push_str(to_file);
    if out.is_empty() {
        out.push_str("./");
    }
    out
}

/// The prefix that leads from page `url` to the site root: `""` for a page
/// at the top, `../../` for `a/b/`.
pub fn root_prefix(url: &str) -> String {
    "../".repeat(url.matches('/').count())
}

/// A title made from a file or directory name the way mkdocs does: dashes
/// and underscores become spaces, and an all-lowercase name gets a capital.
pub fn prettify(name: &str) -> String {
    let spaced = name.replace(['-', '_'], " ");
    if spaced.to_lowercase() != spaced {
        return spaced;
    }
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// The title of a page nobody named: its file name prettified; an index
/// page is named after its directory, and the home page is "Home".
pub fn default_title(source: &str) -> String {
    let stem = markdown_stem(source).unwrap_or(source);
    let (dir, name) = match stem.rsplit_once('/') {
        Some((dir, name)) => (Some(dir), name),
        None => (None, stem),
    };
    if name == "index" || name == "README" {
        return match dir {
            Some(dir) => prettify(dir.rsplit('/').next().unwrap_or(dir)),
            None => "Home".to_string(),
        };
    }
    prettify(name)
}

/// The `Content-Type` of a site file, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" | "md" | "markdown" => "text/plain; charset=utf-8",
        "yaml" | "yml" => "text/yaml; charset=utf-8",
        "xml" => "application/xml",
        "csv" => "text/csv; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "pdf" => "application/pdf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wasm" => "application/wasm",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// Characters a path cannot carry in an `href` as they are.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '"' => out.push_str("%22"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out
}
