//! `mkdocs.yml`: the few settings that shape a site. Everything about
//! Python (plugins, Markdown extensions, themes) is ignored with a note; the
//! renderer supports the common extensions natively.

mod nav;
mod tags;

use serde_yaml::Value;

use crate::tree::{normalize, DocTree, TreeError};
use crate::warning::BuildWarning;

pub(crate) use nav::is_url;
pub use nav::NavEntry;
pub(crate) use tags::line_of;

/// The config file names mkdocs looks for, preferred first.
pub const CONFIG_FILES: [&str; 2] = ["mkdocs.yml", "mkdocs.yaml"];

/// Keys Portico reads; any other top-level key is listed in one note.
const KNOWN_KEYS: [&str; 7] = [
    "site_name",
    "site_description",
    "docs_dir",
    "nav",
    "repo_url",
    "edit_uri",
    "use_directory_urls",
];

/// The settings of one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MkdocsConfig {
    /// The config file used, relative to the tree root; `None` without one.
    pub file: Option<String>,
    pub site_name: String,
    pub site_description: Option<String>,
    /// Normalized and relative to the tree root; `""` is the root itself.
    pub docs_dir: String,
    pub nav: Option<Vec<NavEntry>>,
    /// An `http(s)` URL.
    pub repo_url: Option<String>,
    /// Resolved edit base: a page's edit link is this plus its docs-relative
    /// path. `None` when editing is off or there is no `repo_url`.
    pub edit_uri: Option<String>,
    pub use_directory_urls: bool,
    pub warnings: Vec<BuildWarning>,
    /// Remarks that do not fail a strict build (ignored keys, `!ENV`).
    pub notes: Vec<String>,
}

/// Why a config cannot be used: the build stops.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}{}: {message}", at(.line))]
    Syntax {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{file}{}: python tags are not supported", at(.line))]
    PythonTag { file: String, line: Option<usize> },
    #[error("{file}{}: {key}: {message}", at(.line))]
    Field {
        file: String,
        line: Option<usize>,
        key: String,
        message: String,
    },
    #[error("{0}")]
    Tree(#[from] TreeError),
}

fn at(line: &Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

impl MkdocsConfig {
    /// The settings of a source without a config file: Markdown under
    /// `docs/`, named after the entity.
    pub fn without_file(site_name: &str) -> MkdocsConfig {
        MkdocsConfig {
            file: None,
            site_name: site_name.to_string(),
            site_description: None,
            docs_dir: "docs".to_string(),
            nav: None,
            repo_url: None,
            edit_uri: None,
            use_directory_urls: true,
            warnings: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The "edit this page" URL of a page at docs-relative `source`.
    pub fn edit_url(&self, source: &str) -> Option<String> {
        self.edit_uri.as_ref().map(|base| format!("{base}{source}"))
    }

    /// `rel` (docs-relative) as a path relative to the tree root.
    pub fn source_path(&self, rel: &str) -> String {
        if self.docs_dir.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.docs_dir)
        }
    }
}

/// Finds and reads the config at the root of `tree`, whose file list is
/// `files`. Without one, [`MkdocsConfig::without_file`].
pub fn load_config(
    tree: &dyn DocTree,
    files: &[String],
    default_site_name: &str,
) -> Result<MkdocsConfig, ConfigError> {
    let present: Vec<&str> = CONFIG_FILES
        .into_iter()
        .filter(|name| files.binary_search_by(|f| f.as_str().cmp(name)).is_ok())
        .collect();
    let Some(&file) = present.first() else {
        return Ok(MkdocsConfig::without_file(default_site_name));
    };
    let bytes = tree.read(file)?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError::Syntax {
        file: file.to_string(),
        line: None,
        message: format!("not UTF-8 ({e})"),
    })?;
    let mut config = parse_config(file, &text, default_site_name)?;
    if let Some(ignored) = present.get(1) {
        config.warnings.insert(
            0,
            BuildWarning::new(
                *ignored,
                None,
                format!("both {file} and {ignored} exist; {ignored} is ignored"),
            ),
        );
    }
    Ok(config)
}

/// Parses the text of a config file named `file`.
pub fn parse_config(
    file: &str,
    text: &str,
    default_site_name: &str,
) -> Result<MkdocsConfig, ConfigError> {
    // Before parsing: the parser drops `!!` tags, and a file that asks for
    // Python should be refused as such even if it has other problems.
    if let Some(line) = tags::python_tag_line(text) {
        return Err(ConfigError::PythonTag {
            file: file.to_string(),
            line: Some(line),
        });
    }
    let raw: Value = serde_yaml::from_str(text).map_err(|e| ConfigError::Syntax {
        file: file.to_string(),
        line: e.location().map(|l| l.line()),
        message: e.to_string(),
    })?;
    let untagged = tags::untag(raw, file, text)?;
    let mut config = MkdocsConfig::without_file(default_site_name);
    config.file = Some(file.to_string());
    config.notes = untagged.notes;
    let map = match untagged.value {
        Value::Mapping(map) => map,
        Value::Null => serde_yaml::Mapping::new(),
        _ => {
            return Err(ConfigError::Syntax {
                file: file.to_string(),
                line: Some(1),
                message: "the configuration must be a mapping of settings".to_string(),
            })
        }
    };
    let mut fields = Fields {
        file,
        text,
        warnings: Vec::new(),
    };
    let mut ignored = Vec::new();
    for key in map.keys() {
        match key.as_str() {
            Some(k) if KNOWN_KEYS.contains(&k) => {}
            Some(k) => ignored.push(k.to_string()),
            None => ignored.push(format!("{key:?}")),
        }
    }
    if !ignored.is_empty() {
        ignored.sort();
        config.notes.push(format!(
            "{file}: these settings are ignored (Portico renders natively, without mkdocs \
             plugins, extensions or themes): {}",
            ignored.join(", ")
        ));
    }

    match fields.string(&map, "site_name") {
        Some(name) if !name.trim().is_empty() => config.site_name = name,
        _ => fields.warn(
            "site_name",
            format!("site_name is missing; {default_site_name:?} is used"),
        ),
    }
    config.site_description = fields.string(&map, "site_description");
    if let Some(dir) = fields.string(&map, "docs_dir") {
        config.docs_dir = checked_docs_dir(file, fields.line("docs_dir"), &dir)?;
    }
    if let Some(flag) = map.get("use_directory_urls") {
        match flag {
            Value::Bool(b) => config.use_directory_urls = *b,
            Value::Null => {}
            _ => fields.warn(
                "use_directory_urls",
                "use_directory_urls must be true or false; true is used".to_string(),
            ),
        }
    }
    if let Some(url) = fields.string(&map, "repo_url") {
        if url.starts_with("https://") || url.starts_with("http://") {
            config.repo_url = Some(url);
        } else {
            fields.warn(
                "repo_url",
                format!("repo_url {url:?} is not an http(s) URL; it is ignored"),
            );
        }
    }
    config.edit_uri = edit_base(
        config.repo_url.as_deref(),
        map.get("edit_uri"),
        &config.docs_dir,
        &mut fields,
    );
    if let Some(nav) = map.get("nav").filter(|v| !v.is_null()) {
        let start = key_offset(text, "nav").unwrap_or(0);
        let mut reader = nav::NavReader::new(file, text, start);
        config.nav = Some(reader.entries(nav));
        fields.warnings.append(&mut reader.warnings);
    }
    config.warnings = fields.warnings;
    Ok(config)
}

/// `docs_dir` normalized; absolute or escaping paths are refused because the
/// site must be built from the source alone.
fn checked_docs_dir(file: &str, line: Option<usize>, dir: &str) -> Result<String, ConfigError> {
    match normalize(dir) {
        Some(parts) => Ok(parts.join("/")),
        None => Err(ConfigError::Field {
            file: file.to_string(),
            line,
            key: "docs_dir".to_string(),
            message: format!(
                "{dir:?} leads outside the documentation source; use a relative path inside it"
            ),
        }),
    }
}

/// The edit base. Without `edit_uri`, GitHub and GitLab repositories get
/// `edit/main/<docs_dir>/` (GitLab: `-/edit/main/<docs_dir>/`): mkdocs
/// assumes `master`, but `main` is today's default branch. An empty
/// `edit_uri` turns edit links off; an absolute one is used as it is.
fn edit_base(
    repo_url: Option<&str>,
    edit_uri: Option<&Value>,
    docs_dir: &str,
    fields: &mut Fields,
) -> Option<String> {
    let uri = match edit_uri {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => return None,
        Some(_) => {
            fields.warn(
                "edit_uri",
                "edit_uri must be a string; it is ignored".to_string(),
            );
            return None;
        }
        None => {
            let repo = repo_url?;
            let host = repo
                .split("://")
                .nth(1)?
                .split('/')
                .next()?
                .to_ascii_lowercase();
            let dir = if docs_dir.is_empty() {
                String::new()
            } else {
                format!("{docs_dir}/")
            };
            if host == "github.com" {
                format!("edit/main/{dir}")
            } else if host == "gitlab.com" || host.starts_with("gitlab.") {
                format!("-/edit/main/{dir}")
            } else {
                return None;
            }
        }
    };
    if uri.is_empty() {
        return None;
    }
    let mut base = if uri.starts_with("https://") || uri.starts_with("http://") {
        uri
    } else {
        let repo = repo_url?;
        format!(
            "{}/{}",
            repo.trim_end_matches('/'),
            uri.trim_start_matches('/')
        )
    };
    if !base.ends_with(['/', '=', '?', '#']) {
        base.push('/');
    }
    Some(base)
}

/// Reads typed top-level fields, warning (with the key's line) about the
/// wrong type instead of failing: the rest of the site is still useful.
struct Fields<'a> {
    file: &'a str,
    text: &'a str,
    warnings: Vec<BuildWarning>,
}

impl Fields<'_> {
    fn line(&self, key: &str) -> Option<usize> {
        key_offset(self.text, key).map(|at| line_of(self.text, at))
    }

    fn warn(&mut self, key: &str, message: String) {
        let line = self.line(key);
        self.warnings
            .push(BuildWarning::new(self.file, line, message));
    }

    fn string(&mut self, map: &serde_yaml::Mapping, key: &str) -> Option<String> {
        match map.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.warn(key, format!("{key} must be a string; it is ignored"));
                None
            }
        }
    }
}

/// The byte offset of top-level `key:` in `text` (a line starting with the
/// key, optionally quoted).
fn key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let rest = line
            .strip_prefix(key)
            .or_else(|| line.strip_prefix(&format!("\"{key}\"")))
            .or_else(|| line.strip_prefix(&format!("'{key}'")));
        if rest.is_some_and(|r| r.trim_start().starts_with(':')) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}
