//! Browser URLs of files in hosted repositories: parsing the forms each forge
//! uses, and writing view, edit and directory URLs back.
//!
//! A branch name containing `/` cannot be told apart from the path in these
//! URLs (`/blob/feature/x/catalog-info.yaml`): the first segment is taken as
//! the branch, as Backstage does. Written URLs therefore escape a `/` in a
//! branch name as `%2F`: a URL this module wrote parses back to the same
//! branch, which matters because written URLs become location targets.

use crate::text::{encode_segment, normalize, percent_decode};
use crate::Forge;

/// What the ref of a [`HostedFile`] names, where the URL says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// A branch, or a ref whose kind the URL does not tell (GitHub, GitLab
    /// and Bitbucket Cloud write branches and tags the same way).
    Branch,
    /// Gitea `src/tag/`, Bitbucket Server `at=refs/tags/`, or a ref given as
    /// `refs/tags/...`.
    Tag,
    /// Gitea `src/commit/`, or a full 40- or 64-digit commit id.
    Commit,
}

/// A file (or directory) in a hosted repository, as named by a browser URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostedFile {
    pub forge: Forge,
    /// Lower-cased, with `:port` if not the scheme's default.
    pub host: String,
    /// The clone URL over http(s), e.g. `https://github.com/org/repo.git`,
    /// `https://bitbucket.example.com/scm/PROJ/repo.git`.
    pub repo_url: String,
    /// The repository's web page without a trailing slash, e.g.
    /// `https://github.com/org/repo`.
    pub web_base: String,
    /// The ref as written in the URL (branch, tag or commit), percent-decoded
    /// and without `refs/heads/`. Empty means the default branch (a Bitbucket
    /// Server URL without `at=`).
    pub branch: String,
    /// Whether `branch` is known to be a tag or a commit, which Gitea and
    /// Bitbucket Server URLs must say again when written.
    pub ref_kind: RefKind,
    /// Repository-relative, no leading `/`, percent-decoded; `""` is the
    /// repository root. May be a glob.
    pub path: String,
}

/// Why a URL names no file of a known forge. The messages are whole
/// sentences that quote the URL and show the form that was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    #[error(
        "'{url}' is not a URL; expected the browser URL of a file in a hosted repository, \
         e.g. https://github.com/ORG/REPO/blob/BRANCH/catalog-info.yaml."
    )]
    NotUrl { url: String },
    #[error(
        "'{url}' uses the {scheme} scheme; only http and https URLs of hosted repositories \
         can be read, e.g. https://github.com/ORG/REPO/blob/BRANCH/catalog-info.yaml."
    )]
    UnsupportedScheme { url: String, scheme: String },
    #[error(
        "'{url}' is not a file URL of a known git forge; expected one of \
         https://HOST/ORG/REPO/blob/BRANCH/PATH (GitHub), \
         https://HOST/GROUP/PROJECT/-/blob/BRANCH/PATH (GitLab), \
         https://HOST/OWNER/REPO/src/branch/BRANCH/PATH (Gitea, Forgejo), \
         https://bitbucket.org/WORKSPACE/REPO/src/BRANCH/PATH (Bitbucket Cloud) or \
         https://HOST/projects/PROJECT/repos/REPO/browse/PATH?at=refs/heads/BRANCH \
         (Bitbucket Server)."
    )]
    UnknownForge { url: String },
    #[error("'{url}' is not a {forge} file URL: it {problem}; expected {expected}.")]
    NotAFile {
        url: String,
        forge: Forge,
        problem: String,
        expected: &'static str,
    },
}

fn expected_form(forge: Forge) -> &'static str {
    match forge {
        Forge::GitHub => {
            "https://HOST/ORG/REPO/blob/BRANCH/PATH (or /tree/BRANCH/PATH for a directory)"
        }
        Forge::GitLab => {
            "https://HOST/GROUP[/SUBGROUP...]/PROJECT/-/blob/BRANCH/PATH \
             (or /-/tree/BRANCH/PATH for a directory)"
        }
        Forge::Gitea => {
            "https://HOST/OWNER/REPO/src/branch/BRANCH/PATH (or src/tag/TAG, src/commit/SHA)"
        }
        Forge::BitbucketCloud => "https://bitbucket.org/WORKSPACE/REPO/src/BRANCH/PATH",
        Forge::BitbucketServer => {
            "https://HOST/projects/PROJECT/repos/REPO/browse/PATH?at=refs/heads/BRANCH"
        }
    }
}

/// Parses a Backstage `url` location target, the browser URL of a file or
/// directory:
///
/// - GitHub: `https://HOST/ORG/REPO/blob/REF/PATH` (`/tree/` for a directory);
/// - GitLab: `https://HOST/GROUP[/SUBGROUP...]/PROJECT/-/blob/REF/PATH`
///   (`/-/tree/`; the older form without `/-` is read too);
/// - Gitea, Forgejo: `https://HOST[/SUBPATH]/OWNER/REPO/src/branch/REF/PATH`
///   (`src/tag/`, `src/commit/`, and the older `src/REF/`);
/// - Bitbucket Cloud: `https://bitbucket.org/WORKSPACE/REPO/src/REF/PATH`;
/// - Bitbucket Server: `https://HOST[/CONTEXT]/projects/PROJECT/repos/REPO/browse/PATH?at=REF`
///   (`users/USER/` for personal repositories), where `at=` is
///   `refs/heads/X`, `refs/tags/X` or `X`, and its absence means the default
///   branch (`branch == ""`).
///
/// The forge is told by the host name (github.com, gitlab.com, bitbucket.org,
/// codeberg.org, or a name containing github, gitlab, gitea, forgejo,
/// codeberg or bitbucket), else by the markers in the path; a bare `/src/`
/// is read as Bitbucket Cloud's form, which also writes it back unchanged.
/// Credentials, other query parameters and the fragment are dropped. A
/// branch containing `/` must be escaped (see the module documentation).
pub fn parse_file_url(url: &str) -> Result<HostedFile, ForgeError> {
    let parts = split_url(url)?;
    let forge = forge_by_host(parts.hostname())
        .or_else(|| forge_by_path(&parts.segments))
        .ok_or_else(|| ForgeError::UnknownForge {
            url: url.to_string(),
        })?;
    let refuse = |problem: &str| ForgeError::NotAFile {
        url: url.to_string(),
        forge,
        problem: problem.to_string(),
        expected: expected_form(forge),
    };
    let found = match forge {
        Forge::GitHub => github_like(&parts.segments, false),
        Forge::GitLab => github_like(&parts.segments, true),
        Forge::Gitea => gitea(&parts.segments),
        Forge::BitbucketCloud => bitbucket_cloud(&parts.segments),
        Forge::BitbucketServer => bitbucket_server(&parts.segments, parts.query),
    }
    .map_err(|problem| refuse(&problem))?;
    let decode = |raw: &str| percent_decode(raw).ok_or_else(|| refuse(NOT_UTF8));
    let decode_all = |raw: &[&str]| raw.iter().map(|s| decode(s)).collect::<Result<Vec<_>, _>>();
    let prefix = decode_all(&found.prefix)?;
    let mut repo = decode_all(&found.repo)?;
    if found.personal {
        if let Some(user) = repo.first_mut() {
            *user = format!("~{user}");
        }
    }
    let (branch, kind) = match found.reference {
        Reference::Raw(raw) => classify_ref(&decode(raw)?),
        Reference::Query(Some(value)) => classify_ref(&value),
        Reference::Query(None) => (String::new(), RefKind::Branch),
        Reference::Typed(raw, kind) => (decode(raw)?, kind),
    };
    let (path, escaped) = normalize(&decode_all(&found.path)?.join("/"));
    if escaped {
        return Err(refuse(
            "has a path whose '..' climbs above the repository root",
        ));
    }
    let (web_base, repo_url) = locate(forge, &parts.scheme, &parts.host, &prefix, &repo);
    Ok(HostedFile {
        forge,
        host: parts.host,
        repo_url,
        web_base,
        branch,
        ref_kind: kind,
        path,
    })
}

const NOT_UTF8: &str = "has percent-escapes that do not decode to UTF-8 text";

/// A URL cut into the pieces the forms are told apart by.
struct UrlParts<'a> {
    /// Lower-cased `http` or `https`.
    scheme: String,
    /// Lower-cased host with `:port` when not the default.
    host: String,
    /// Non-empty path segments, still percent-encoded.
    segments: Vec<&'a str>,
    query: Option<&'a str>,
}

impl UrlParts<'_> {
    fn hostname(&self) -> &str {
        host_without_port(&self.host)
    }
}

fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.split(':').next().unwrap_or(host)
}

fn split_url(url: &str) -> Result<UrlParts<'_>, ForgeError> {
    let not_url = || ForgeError::NotUrl {
        url: url.to_string(),
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(not_url)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || url.chars().any(char::is_control) {
        return Err(not_url());
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(ForgeError::UnsupportedScheme {
            url: url.to_string(),
            scheme,
        });
    }
    let rest = rest.split('#').next().unwrap_or(rest);
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority_host(&scheme, authority).ok_or_else(not_url)?;
    Ok(UrlParts {
        scheme,
        host,
        segments: path.split('/').filter(|s| !s.is_empty()).collect(),
        query,
    })
}

/// The host (lower-cased, `:port` kept unless default) of an authority;
/// credentials are dropped so they never reach a written URL.
pub(crate) fn authority_host(scheme: &str, authority: &str) -> Option<String> {
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (addr, after) = inner.split_once(']')?;
        if addr.is_empty()
            || !addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{addr}]"), port)
    } else {
        let (host, port) = match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        };
        let ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !ok {
            return None;
        }
        (host.to_string(), port)
    };
    let host = host.to_ascii_lowercase();
    let default = if scheme == "http" { 80 } else { 443 };
    match port {
        None | Some("") => Some(host),
        Some(p) => {
            let p: u16 = p.parse().ok()?;
            Some(if p == default {
                host
            } else {
                format!("{host}:{p}")
            })
        }
    }
}

pub(crate) fn forge_by_host(host: &str) -> Option<Forge> {
    match host {
        "github.com" | "www.github.com" => return Some(Forge::GitHub),
        "gitlab.com" | "www.gitlab.com" => return Some(Forge::GitLab),
        "bitbucket.org" | "www.bitbucket.org" => return Some(Forge::BitbucketCloud),
        "codeberg.org" | "gitea.com" => return Some(Forge::Gitea),
        _ => {}
    }
    if host.contains("github") {
        Some(Forge::GitHub)
    } else if host.contains("gitlab") {
        Some(Forge::GitLab)
    } else if ["gitea", "forgejo", "codeberg"]
        .iter()
        .any(|k| host.contains(k))
    {
        Some(Forge::Gitea)
    } else if host.contains("bitbucket") {
        // bitbucket.org is Cloud; every other Bitbucket host is a Server.
        Some(Forge::BitbucketServer)
    } else {
        None
    }
}

fn forge_by_path(segments: &[&str]) -> Option<Forge> {
    let at = |i: usize| segments.get(i).copied().unwrap_or("");
    let any = |f: &dyn Fn(usize) -> bool| (0..segments.len()).any(f);
    if any(&|i| at(i) == "-" && matches!(at(i + 1), "blob" | "tree")) {
        Some(Forge::GitLab)
    } else if any(&|i| i >= 2 && at(i) == "src" && matches!(at(i + 1), "branch" | "tag" | "commit"))
    {
        Some(Forge::Gitea)
    } else if any(&|i| {
        matches!(at(i), "projects" | "users") && at(i + 2) == "repos" && at(i + 4) == "browse"
    }) {
        Some(Forge::BitbucketServer)
    } else if matches!(at(2), "blob" | "tree") {
        Some(Forge::GitHub)
    } else if at(2) == "src" {
        // OWNER/REPO/src/REF/PATH: Bitbucket Cloud's form (also Gogs'), which
        // the written view URL reproduces.
        Some(Forge::BitbucketCloud)
    } else {
        None
    }
}

/// Where a form keeps the ref.
enum Reference<'a> {
    /// A path segment, percent-encoded.
    Raw(&'a str),
    /// A path segment after Gitea's `branch`/`tag`/`commit`.
    Typed(&'a str, RefKind),
    /// Bitbucket Server's `at=`, already decoded.
    Query(Option<String>),
}

/// The pieces of one forge's form, still percent-encoded.
struct Found<'a> {
    /// Path before the repository (a context path such as `/bitbucket`).
    prefix: Vec<&'a str>,
    /// The segments naming the repository (GROUP/.../PROJECT, or PROJECT and
    /// REPO for Bitbucket Server with `~USER` for a personal repository).
    repo: Vec<&'a str>,
    /// Bitbucket Server `users/USER/repos/...`: cloned from `/scm/~USER/`.
    personal: bool,
    reference: Reference<'a>,
    path: Vec<&'a str>,
}

/// GitHub's `ORG/REPO/(blob|tree)/REF/PATH`; GitLab's
/// `GROUP/.../PROJECT/-/(blob|tree)/REF/PATH`, and its form from before
/// GitLab 12 without the `-` segment.
fn github_like<'a>(segments: &[&'a str], gitlab: bool) -> Result<Found<'a>, String> {
    let marker = if gitlab {
        let dash = (0..segments.len()).find(|&i| {
            segments[i] == "-" && matches!(segments.get(i + 1), Some(&"blob" | &"tree"))
        });
        match dash {
            Some(i) => Some((i, i + 1)),
            None => (2..segments.len())
                .find(|&i| matches!(segments[i], "blob" | "tree"))
                .map(|i| (i, i)),
        }
    } else {
        (segments.len() > 2 && matches!(segments[2], "blob" | "tree")).then_some((2, 2))
    };
    let Some((repo_end, kind_at)) = marker else {
        return Err(if segments.len() < 2 {
            "names no repository".to_string()
        } else if segments.len() == 2 {
            "names a repository but no /blob/BRANCH/PATH in it".to_string()
        } else if gitlab {
            "has no /-/blob/ or /-/tree/ after the project".to_string()
        } else {
            "has no /blob/ or /tree/ right after ORG/REPO".to_string()
        });
    };
    let kind = segments[kind_at];
    if repo_end < 2 {
        return Err(format!(
            "names no repository before /{}",
            segments[repo_end..=kind_at].join("/")
        ));
    }
    let Some(reference) = segments.get(kind_at + 1) else {
        return Err(format!("names no branch after /{kind}/"));
    };
    let path = segments[kind_at + 2..].to_vec();
    if kind == "blob" && path.is_empty() {
        return Err("names a branch but no file after it".to_string());
    }
    Ok(Found {
        prefix: Vec::new(),
        repo: segments[..repo_end].to_vec(),
        personal: false,
        reference: Reference::Raw(reference),
        path,
    })
}

/// `[PREFIX/]OWNER/REPO/src/(branch|tag|commit)/REF/PATH`, and the older
/// `OWNER/REPO/src/REF/PATH` that Gitea still redirects.
fn gitea<'a>(segments: &[&'a str]) -> Result<Found<'a>, String> {
    let at = |i: usize| segments.get(i).copied().unwrap_or("");
    let typed = (2..segments.len())
        .find(|&i| at(i) == "src" && matches!(at(i + 1), "branch" | "tag" | "commit"));
    let (src, reference, path_from) = match typed {
        Some(i) => {
            let kind = match at(i + 1) {
                "tag" => RefKind::Tag,
                "commit" => RefKind::Commit,
                _ => RefKind::Branch,
            };
            match segments.get(i + 2) {
                Some(r) => (i, Reference::Typed(r, kind), i + 3),
                None => return Err(format!("names no ref after /src/{}/", at(i + 1))),
            }
        }
        None => match (2..segments.len()).find(|&i| at(i) == "src") {
            Some(i) => match segments.get(i + 1) {
                Some(r) => (i, Reference::Raw(r), i + 2),
                None => return Err("names no branch after /src/".to_string()),
            },
            None if segments.len() < 2 => return Err("names no repository".to_string()),
            None => return Err("has no /src/branch/ after OWNER/REPO".to_string()),
        },
    };
    Ok(Found {
        prefix: segments[..src - 2].to_vec(),
        repo: segments[src - 2..src].to_vec(),
        personal: false,
        reference,
        path: segments.get(path_from..).unwrap_or_default().to_vec(),
    })
}

/// `WORKSPACE/REPO/src/REF/PATH`.
fn bitbucket_cloud<'a>(segments: &[&'a str]) -> Result<Found<'a>, String> {
    if segments.len() < 2 {
        return Err("names no repository".to_string());
    }
    if segments.get(2) != Some(&"src") {
        return Err("has no /src/ right after WORKSPACE/REPO".to_string());
    }
    let Some(reference) = segments.get(3) else {
        return Err("names no branch after /src/".to_string());
    };
    Ok(Found {
        prefix: Vec::new(),
        repo: segments[..2].to_vec(),
        personal: false,
        reference: Reference::Raw(reference),
        path: segments[4..].to_vec(),
    })
}

/// `[CONTEXT/](projects|users)/KEY/repos/REPO/browse/PATH?at=REF`.
fn bitbucket_server<'a>(segments: &[&'a str], query: Option<&'a str>) -> Result<Found<'a>, String> {
    let at = |i: usize| segments.get(i).copied().unwrap_or("");
    let Some(k) = (0..segments.len()).find(|&i| {
        matches!(at(i), "projects" | "users") && at(i + 2) == "repos" && !at(i + 3).is_empty()
    }) else {
        return Err("has no /projects/PROJECT/repos/REPO/ in its path".to_string());
    };
    if at(k + 4) != "browse" {
        return Err("names the repository but no /browse/PATH".to_string());
    }
    let mut reference = None;
    for pair in query.unwrap_or("").split('&') {
        if let Some(value) = pair.strip_prefix("at=") {
            let decoded = percent_decode(value).ok_or_else(|| NOT_UTF8.to_string())?;
            reference = Some(decoded).filter(|v| !v.is_empty());
        }
    }
    Ok(Found {
        prefix: segments[..k].to_vec(),
        repo: vec![segments[k + 1], segments[k + 3]],
        personal: segments[k] == "users",
        reference: Reference::Query(reference),
        path: segments[k + 5..].to_vec(),
    })
}

/// Splits a ref into the name written in URLs and what it is known to be.
pub(crate) fn classify_ref(reference: &str) -> (String, RefKind) {
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
        (branch.to_string(), RefKind::Branch)
    } else if let Some(tag) = reference.strip_prefix("refs/tags/") {
        (tag.to_string(), RefKind::Tag)
    } else if matches!(reference.len(), 40 | 64) && reference.bytes().all(|b| b.is_ascii_hexdigit())
    {
        (reference.to_string(), RefKind::Commit)
    } else {
        (reference.to_string(), RefKind::Branch)
    }
}

/// The web page and the clone URL of a repository.
pub(crate) fn locate(
    forge: Forge,
    scheme: &str,
    host: &str,
    prefix: &[String],
    repo: &[String],
) -> (String, String) {
    let mut base = format!("{scheme}://{host}");
    for segment in prefix {
        base.push('/');
        base.push_str(&encode_segment(segment));
    }
    let join = |segments: &[&str]| {
        segments
            .iter()
            .map(|s| encode_segment(s))
            .collect::<Vec<_>>()
            .join("/")
    };
    match (forge, repo) {
        (Forge::BitbucketServer, [owner, name]) => {
            let (kind, key, scm_owner) = match owner.strip_prefix('~') {
                Some(user) => ("users", user.to_string(), owner.clone()),
                None => ("projects", owner.clone(), owner.clone()),
            };
            (
                format!(
                    "{base}/{kind}/{}/repos/{}",
                    encode_segment(&key),
                    encode_segment(name)
                ),
                format!(
                    "{base}/scm/{}/{}.git",
                    encode_segment(&scm_owner),
                    encode_segment(name)
                ),
            )
        }
        _ => {
            let names: Vec<&str> = repo.iter().map(String::as_str).collect();
            let web = format!("{base}/{}", join(&names));
            let clone = format!("{web}.git");
            (web, clone)
        }
    }
}
