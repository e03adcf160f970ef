//! Writing URLs for a [`HostedFile`], and finding the hosted repository
//! behind a plain clone URL.

use crate::text::{
    encode_path, encode_query_value, encode_segment, normalize, parent, percent_decode,
};
use crate::urls::{classify_ref, forge_by_host, locate};
use crate::{Forge, HostedFile, RefKind};

impl HostedFile {
    /// Browser URL of the file at its ref: GitHub `.../blob/REF/PATH`,
    /// GitLab `.../-/blob/REF/PATH`, Gitea `.../src/branch/REF/PATH`
    /// (`src/tag/`, `src/commit/`), Bitbucket Cloud `.../src/REF/PATH`,
    /// Bitbucket Server `.../browse/PATH?at=refs/heads/REF`. For the
    /// repository root GitHub and GitLab get their directory form.
    pub fn view_url(&self) -> String {
        if self.path.is_empty() && matches!(self.forge, Forge::GitHub | Forge::GitLab) {
            return self.tree_url("");
        }
        self.url_with(self.view_marker(), &self.path, false)
    }

    /// Browser URL that opens the file in the forge's editor: GitHub
    /// `.../edit/REF/PATH`, GitLab `.../-/edit/REF/PATH`, Gitea
    /// `.../_edit/REF/PATH`, Bitbucket Cloud `.../src/REF/PATH?mode=edit&at=REF`.
    /// Bitbucket Server has no deep link to its editor, and nothing edits a
    /// tag or a commit: those give [`HostedFile::view_url`].
    pub fn edit_url(&self) -> String {
        if self.ref_kind != RefKind::Branch {
            return self.view_url();
        }
        let r = self.ref_segment();
        let path = encode_path(&self.path);
        let web = &self.web_base;
        match self.forge {
            Forge::GitHub => format!("{web}/edit/{r}/{path}"),
            Forge::GitLab => format!("{web}/-/edit/{r}/{path}"),
            Forge::Gitea => format!("{web}/_edit/{r}/{path}"),
            Forge::BitbucketCloud => format!(
                "{web}/src/{r}/{path}?mode=edit&at={}",
                encode_query_value(self.ref_name())
            ),
            Forge::BitbucketServer => self.view_url(),
        }
    }

    /// The same repository and ref with another path, given relative to the
    /// repository root. `.` and `..` are resolved; a `..` that would climb
    /// above the root is dropped (clamped), because the path came from a
    /// file that was found inside the repository. Use
    /// [`HostedFile::resolve`] to refuse such paths instead.
    pub fn with_path(&self, path: &str) -> HostedFile {
        HostedFile {
            path: normalize(path).0,
            ..self.clone()
        }
    }

    /// Another file named relative to this one's directory, as a nested
    /// catalog file names its targets (`./other.yaml`, `../api/openapi.yaml`;
    /// a leading `/` starts at the repository root). `None` when `..` climbs
    /// above the repository root.
    pub fn resolve(&self, relative: &str) -> Option<HostedFile> {
        let joined = match relative.strip_prefix('/') {
            Some(rooted) => rooted.to_string(),
            None => format!("{}/{relative}", parent(&self.path)),
        };
        let (path, escaped) = normalize(&joined);
        (!escaped).then(|| HostedFile {
            path,
            ..self.clone()
        })
    }

    /// Browser URL of a directory (repository-relative, `""` for the root),
    /// with a trailing slash, as Backstage writes
    /// `backstage.io/source-location`: GitHub `.../tree/REF/DIR/`, GitLab
    /// `.../-/tree/REF/DIR/`, Gitea `.../src/branch/REF/DIR/`, Bitbucket
    /// Cloud `.../src/REF/DIR/`, Bitbucket Server `.../browse/DIR/?at=...`.
    pub fn tree_url(&self, dir: &str) -> String {
        let marker = match self.forge {
            Forge::GitHub => "tree",
            Forge::GitLab => "-/tree",
            _ => self.view_marker(),
        };
        self.url_with(marker, &normalize(dir).0, true)
    }

    fn view_marker(&self) -> &'static str {
        match (self.forge, self.ref_kind) {
            (Forge::GitHub, _) => "blob",
            (Forge::GitLab, _) => "-/blob",
            (Forge::Gitea, RefKind::Branch) => "src/branch",
            (Forge::Gitea, RefKind::Tag) => "src/tag",
            (Forge::Gitea, RefKind::Commit) => "src/commit",
            (Forge::BitbucketCloud, _) => "src",
            (Forge::BitbucketServer, _) => "browse",
        }
    }

    fn url_with(&self, marker: &str, path: &str, dir: bool) -> String {
        let web = &self.web_base;
        let mut path = encode_path(path);
        if dir && !path.is_empty() {
            path.push('/');
        }
        if self.forge != Forge::BitbucketServer {
            return format!("{web}/{marker}/{}/{path}", self.ref_segment());
        }
        match self.bitbucket_server_at() {
            Some(at) => format!("{web}/{marker}/{path}?at={}", encode_query_value(&at)),
            None => format!("{web}/{marker}/{path}"),
        }
    }

    /// The ref as written in a path; an empty ref (the default branch) is
    /// `HEAD`, which GitHub, GitLab and Bitbucket Cloud resolve.
    fn ref_name(&self) -> &str {
        if self.branch.is_empty() {
            "HEAD"
        } else {
            &self.branch
        }
    }

    /// One path segment: a `/` in the ref is escaped so the URL parses back
    /// to the same ref (see the module documentation of `urls`).
    fn ref_segment(&self) -> String {
        encode_segment(self.ref_name())
    }

    /// Bitbucket Server's `at=`: absent for the default branch.
    fn bitbucket_server_at(&self) -> Option<String> {
        let b = self.branch.as_str();
        if b.is_empty() || b == "HEAD" {
            return None;
        }
        Some(match self.ref_kind {
            _ if b.starts_with("refs/") => b.to_string(),
            RefKind::Branch => format!("refs/heads/{b}"),
            RefKind::Tag => format!("refs/tags/{b}"),
            RefKind::Commit => b.to_string(),
        })
    }
}

/// The [`HostedFile`] for `path` at `branch` in a repository given by its
/// clone URL, so that `git` locations on known forges get view and edit URLs
/// too. Takes `https://HOST/ORG/REPO(.git)`, `ssh://[USER@]HOST[:PORT]/ORG/REPO.git`
/// and `[USER@]HOST:ORG/REPO.git`; Bitbucket Server's `https://HOST/scm/PROJECT/REPO.git`
/// and `ssh://git@HOST:7999/PROJECT/REPO.git`. The forge must show in the
/// host name (see [`crate::parse_file_url`]) or, for Bitbucket Server, in the
/// `/scm/` path. `None` for other hosts, local paths, `file://` and `git://`.
///
/// `branch` may be a full ref (`refs/heads/main`, `refs/tags/v1`); an empty
/// branch or `HEAD` means the default branch.
pub fn hosted_file(repo_url: &str, branch: &str, path: &str) -> Option<HostedFile> {
    let clone = CloneUrl::parse(repo_url)?;
    let hostname = clone.host.split(':').next().unwrap_or(&clone.host);
    let mut segments: Vec<String> = clone
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect::<Option<_>>()?;
    if let Some(last) = segments.last_mut() {
        if let Some(stem) = last.strip_suffix(".git") {
            *last = stem.to_string();
        }
    }
    let scm = segments.iter().position(|s| s == "scm");
    let forge = match forge_by_host(hostname) {
        Some(forge) => forge,
        None if scm.is_some() && !clone.ssh => Forge::BitbucketServer,
        None => return None,
    };
    let (prefix, repo): (&[String], &[String]) = match forge {
        Forge::GitHub | Forge::BitbucketCloud if segments.len() == 2 => (&[], &segments),
        Forge::GitLab if segments.len() >= 2 => (&[], &segments),
        Forge::Gitea if segments.len() >= 2 => segments.split_at(segments.len() - 2),
        Forge::BitbucketServer if clone.ssh && segments.len() == 2 => (&[], &segments),
        Forge::BitbucketServer => match scm {
            Some(k) if segments.len() == k + 3 => (&segments[..k], &segments[k + 1..]),
            _ => return None,
        },
        _ => return None,
    };
    let (web_base, repo_url) = locate(forge, &clone.web_scheme, &clone.host, prefix, repo);
    let (branch, ref_kind) = match branch {
        "" | "HEAD" if forge == Forge::BitbucketServer => (String::new(), RefKind::Branch),
        other => classify_ref(other),
    };
    Some(HostedFile {
        forge,
        host: clone.host,
        repo_url,
        web_base,
        branch,
        ref_kind,
        path: normalize(path).0,
    })
}

/// The parts of a clone URL that lead to the repository's web pages.
struct CloneUrl<'a> {
    /// `https`, or `http` for a repository cloned over plain http.
    web_scheme: String,
    /// Host of the web pages: lower-cased, with the http(s) port if not
    /// default; an ssh port is not a web port and is dropped.
    host: String,
    path: &'a str,
    ssh: bool,
}

impl<'a> CloneUrl<'a> {
    fn parse(url: &'a str) -> Option<CloneUrl<'a>> {
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        if let Some((scheme, rest)) = url.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            let ssh = match scheme.as_str() {
                "http" | "https" => false,
                "ssh" | "git+ssh" | "ssh+git" => true,
                _ => return None,
            };
            let rest = rest.split(['?', '#']).next().unwrap_or(rest);
            let (authority, path) = rest.split_at(rest.find('/')?);
            let web_scheme = if ssh { "https" } else { scheme.as_str() };
            let host = if ssh {
                let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                let host = hostport.split(':').next()?;
                authority_host_only(host)?
            } else {
                crate::urls::authority_host(web_scheme, authority)?
            };
            return Some(CloneUrl {
                web_scheme: web_scheme.to_string(),
                host,
                path,
                ssh,
            });
        }
        // git's rule: `host:path` is scp-like when a `:` comes before any `/`.
        let colon = url.find(':')?;
        if url[..colon].contains('/') || colon < 2 {
            // A local path, or a Windows drive letter.
            return None;
        }
        let left = &url[..colon];
        let host = left.rsplit_once('@').map_or(left, |(_, h)| h);
        Some(CloneUrl {
            web_scheme: "https".to_string(),
            host: authority_host_only(host)?,
            path: &url[colon + 1..],
            ssh: true,
        })
    }
}

fn authority_host_only(host: &str) -> Option<String> {
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    ok.then(|| host.to_ascii_lowercase())
}
