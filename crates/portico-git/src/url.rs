//! Repository URLs: what the catalog accepts, one canonical text per
//! repository, and the identity push webhooks are matched by.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::GitError;
use crate::paths::normalize_abs;

/// A repository location: a local path or a `file`, `git`, `http`,
/// `https` or `ssh` URL (including the scp-like `git@host:org/repo.git`).
///
/// Paths and URLs are taken literally: no percent-decoding, and whitespace
/// or control characters are refused everywhere, local paths included, so
/// that the canonical text is itself a valid URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoUrl {
    canonical: String,
    scheme: &'static str,
    host: Option<String>,
    port: Option<u16>,
    /// Network path as sent to the server (for scp-like URLs relative to
    /// the login directory, without a leading `/`).
    path: String,
    local: Option<PathBuf>,
}

impl RepoUrl {
    /// Parses a local path (absolute, or relative to the current directory,
    /// made absolute lexically) or a `file://`, `git://`, `http://`,
    /// `https://`, `ssh://` or scp-like URL.
    pub fn parse(s: &str) -> Result<RepoUrl, GitError> {
        let invalid = |why: &str| GitError::InvalidUrl {
            url: s.to_string(),
            message: format!("invalid git repository URL {s:?}: {why}"),
        };
        if s.is_empty() {
            return Err(GitError::InvalidUrl {
                url: String::new(),
                message: "the git repository URL is empty".to_string(),
            });
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("it contains spaces or control characters"));
        }
        // `<transport>::<address>` makes git run a helper program (`ext::`
        // runs an arbitrary command): never acceptable from catalog input.
        if let Some((prefix, _)) = s.split_once("::") {
            if !prefix.is_empty() && prefix.chars().all(is_scheme_char) {
                return Err(invalid(
                    "transport helpers such as \"ext::\" or \"fd::\" are not supported",
                ));
            }
        }
        if let Some((scheme, rest)) = s.split_once("://") {
            if scheme.is_empty() || !scheme.chars().all(is_scheme_char) {
                return Err(invalid("the scheme is malformed"));
            }
            let scheme = scheme.to_ascii_lowercase();
            return match scheme.as_str() {
                "file" => parse_file(rest).map_err(|why| invalid(&why)),
                "git" => parse_network("git", rest).map_err(|why| invalid(&why)),
                "http" => parse_network("http", rest).map_err(|why| invalid(&why)),
                "https" => parse_network("https", rest).map_err(|why| invalid(&why)),
                "ssh" | "git+ssh" | "ssh+git" => {
                    parse_network("ssh", rest).map_err(|why| invalid(&why))
                }
                other => Err(invalid(&format!(
                    "the scheme {other}:// is not supported; use https://, http://, ssh://, \
                     git://, file:// or a local path"
                ))),
            };
        }
        if let Some((left, path)) = scp_parts(s) {
            return parse_scp(left, path).map_err(|why| invalid(&why));
        }
        parse_local(s).map_err(|why| invalid(&why))
    }

    /// A path or a `file://` URL.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// The absolute path of a local repository.
    pub fn local_path(&self) -> Option<&Path> {
        self.local.as_deref()
    }

    /// `file`, `git`, `http`, `https` or `ssh`.
    pub fn scheme(&self) -> &str {
        self.scheme
    }

    /// The lower-cased host; `None` for a local repository.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The canonical text: `file:///abs/path` for a local repository;
    /// otherwise scheme and host lower-cased, default port, trailing `/` and
    /// credentials dropped (an ssh user name is kept).
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// Host and path, lower-cased, without scheme, user, port, trailing
    /// `.git` or `/`: what push webhooks are matched by. A local
    /// repository gives its absolute path without a trailing `.git`.
    pub fn identity(&self) -> String {
        match (&self.local, &self.host) {
            (Some(path), _) => strip_repo_suffix(&path.to_string_lossy()).to_string(),
            (None, Some(host)) => {
                let path = self.path.trim_start_matches('/');
                let joined = format!("{host}/{path}").to_lowercase();
                strip_repo_suffix(&joined).to_string()
            }
            (None, None) => self.canonical.clone(),
        }
    }

    pub(crate) fn port(&self) -> Option<u16> {
        self.port
    }

    pub(crate) fn network_path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for RepoUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

fn strip_repo_suffix(s: &str) -> &str {
    let s = s.trim_end_matches('/');
    let s = s.strip_suffix(".git").unwrap_or(s);
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() {
        "/"
    } else {
        trimmed
    }
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

fn local(path: PathBuf) -> RepoUrl {
    let text = path.to_string_lossy().into_owned();
    RepoUrl {
        canonical: format!("file://{text}"),
        scheme: "file",
        host: None,
        port: None,
        path: text,
        local: Some(path),
    }
}

fn parse_file(rest: &str) -> Result<RepoUrl, String> {
    let path = if rest.starts_with('/') {
        rest
    } else if rest
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("localhost/"))
    {
        &rest[9..]
    } else {
        return Err(
            "a file:// URL must name an absolute path on this machine, like file:///srv/git/repo.git"
                .to_string(),
        );
    };
    Ok(local(normalize_abs(Path::new(path))))
}

fn parse_local(s: &str) -> Result<RepoUrl, String> {
    let path = Path::new(s);
    if path.is_absolute() {
        return Ok(local(normalize_abs(path)));
    }
    let cwd = std::env::current_dir().map_err(|e| {
        format!("the current directory to resolve the relative path against is unknown: {e}")
    })?;
    Ok(local(normalize_abs(&cwd.join(path))))
}

/// git's rule: `host:path` is scp-like when a `:` comes before any `/`.
fn scp_parts(s: &str) -> Option<(&str, &str)> {
    let colon = s.find(':')?;
    match s.find('/') {
        Some(slash) if slash < colon => None,
        _ => Some((&s[..colon], &s[colon + 1..])),
    }
}

fn parse_scp(left: &str, path: &str) -> Result<RepoUrl, String> {
    let (user, host) = match left.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, left),
    };
    if host.contains(['[', ']']) {
        return Err("bracketed hosts are only supported in ssh:// URLs".to_string());
    }
    let host = check_host(host)?;
    let user = user.map(check_user).transpose()?;
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Err("it names no repository path".to_string());
    }
    if path.contains(['?', '#']) {
        return Err("query strings and fragments are not supported".to_string());
    }
    let at = user.map(|u| format!("{u}@")).unwrap_or_default();
    // `host:/abs` and `ssh://host/abs` name the same repository; a relative
    // scp path is relative to the login directory and has no ssh:// form.
    let canonical = if path.starts_with('/') {
        format!("ssh://{at}{host}{path}")
    } else {
        format!("{at}{host}:{path}")
    };
    Ok(RepoUrl {
        canonical,
        scheme: "ssh",
        host: Some(host),
        port: None,
        path: path.to_string(),
        local: None,
    })
}

fn parse_network(scheme: &'static str, rest: &str) -> Result<RepoUrl, String> {
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if path.contains(['?', '#']) || authority.contains(['?', '#']) {
        return Err("query strings and fragments are not supported".to_string());
    }
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Err("it names no repository path".to_string());
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (host, port) = split_host_port(hostport)?;
    let host = check_host(host)?;
    let default_port = match scheme {
        "git" => 9418,
        "http" => 80,
        "https" => 443,
        _ => 22,
    };
    let port = port.filter(|p| *p != default_port);
    // Only an ssh user name says something about the repository; anything
    // else in the user part is a credential that must not be stored.
    let user = match (scheme, userinfo) {
        ("ssh", Some(info)) => {
            let name = info.split_once(':').map_or(info, |(name, _)| name);
            Some(check_user(name)?)
        }
        _ => None,
    };
    let at = user.map(|u| format!("{u}@")).unwrap_or_default();
    let colon_port = port.map(|p| format!(":{p}")).unwrap_or_default();
    Ok(RepoUrl {
        canonical: format!("{scheme}://{at}{host}{colon_port}{path}"),
        scheme,
        host: Some(host),
        port,
        path: path.to_string(),
        local: None,
    })
}

fn split_host_port(hostport: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let Some(end) = inner.find(']') else {
            return Err("the host has an unclosed '['".to_string());
        };
        let after = &inner[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err("unexpected text after the bracketed host".to_string()),
        };
        (&hostport[..end + 2], port)
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(text) => match text.parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => return Err(format!("the port {text:?} is not a number from 1 to 65535")),
        },
    };
    Ok((host, port))
}

fn check_host(host: &str) -> Result<String, String> {
    if host.is_empty() {
        return Err("it names no host".to_string());
    }
    let ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        // A leading '-' would reach ssh as an option.
        !host.starts_with('-')
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    };
    if ok {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(format!("the host {host:?} is not a valid host name"))
    }
}

fn check_user(user: &str) -> Result<String, String> {
    let ok = !user.is_empty()
        && !user.starts_with('-')
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '+' | '~'));
    if ok {
        Ok(user.to_string())
    } else {
        Err(format!("the user name {user:?} is not valid"))
    }
}
