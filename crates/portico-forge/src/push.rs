//! Push webhook payloads: which repository, which ref, which commit.

use serde_json::Value;

use crate::text::form_decode;
use crate::{Forge, WebhookError};

/// A push to one ref of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEvent {
    pub forge: Forge,
    /// `main` for `refs/heads/main`; `None` for tags and other refs.
    pub branch: Option<String>,
    /// The full ref as sent. Bitbucket Cloud sends only a name and a type;
    /// its ref is written as `refs/heads/NAME` or `refs/tags/NAME`.
    pub reference: String,
    /// Every repository URL the payload carries (http clone, ssh, git, web
    /// page), without duplicates or empty strings, in payload order.
    pub repo_urls: Vec<String>,
    pub default_branch: Option<String>,
    /// The new commit id, if sent. All zeros means the ref was deleted; a
    /// Bitbucket Cloud deletion (which sends no new commit) gets all zeros
    /// too, so there is one way to tell.
    pub after: Option<String>,
}

const DELETED: &str = "0000000000000000000000000000000000000000";

/// Reads a verified webhook body. `Ok(None)` for events that are not pushes
/// (GitHub `ping`, Bitbucket Server `diagnostics:ping`, merge requests, ...);
/// tag pushes are pushes, with `branch: None`.
///
/// GitHub and Gitea: `ref`, `after`, `repository.{clone_url, ssh_url,
/// git_url, html_url, default_branch}`. GitLab (`Push Hook`, `Tag Push Hook`,
/// and `System Hook` with `object_kind` `push`/`tag_push`): `ref`, `after`,
/// `project.{git_http_url, git_ssh_url, web_url, default_branch}` and
/// `repository.{git_http_url, git_ssh_url, url, homepage}`. Bitbucket Cloud
/// (`repo:push`): `push.changes[].new.{type, name, target.hash}` and
/// `repository.links.html.href`. Bitbucket Server (`repo:refs_changed`):
/// `changes[].{ref.id, toHash}` and `repository.links.{clone[], self[]}.href`.
///
/// One Bitbucket push may change several refs; the event describes the
/// first change to a branch, or the first change when no branch changed.
/// (GitHub, GitLab and Gitea send one request per ref.)
///
/// Bodies sent as `application/x-www-form-urlencoded` (`payload=...`, an
/// option on GitHub and Gitea) are read too.
pub fn parse_push(
    forge: Forge,
    event: &str,
    body: &[u8],
) -> Result<Option<PushEvent>, WebhookError> {
    let event = event.trim();
    let is_push = match forge {
        Forge::GitHub | Forge::Gitea => event.eq_ignore_ascii_case("push"),
        Forge::GitLab => matches!(event, "Push Hook" | "Tag Push Hook" | "System Hook"),
        Forge::BitbucketCloud => event == "repo:push",
        Forge::BitbucketServer => event == "repo:refs_changed",
    };
    if !is_push {
        return Ok(None);
    }
    let payload = json_body(body)?;
    if !payload.is_object() {
        return Err(bad(forge, "is not a JSON object"));
    }
    match forge {
        Forge::GitHub | Forge::Gitea => github_like(forge, &payload).map(Some),
        Forge::GitLab => gitlab(event, &payload),
        Forge::BitbucketCloud => bitbucket_cloud(&payload).map(Some),
        Forge::BitbucketServer => bitbucket_server(&payload).map(Some),
    }
}

fn bad(forge: Forge, problem: &str) -> WebhookError {
    WebhookError::BadPayload(format!("the {forge} push payload {problem}"))
}

fn json_body(body: &[u8]) -> Result<Value, WebhookError> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    if let Some(form) = body.strip_prefix(b"payload=") {
        let end = form.iter().position(|&b| b == b'&').unwrap_or(form.len());
        let text = form_decode(&form[..end]).ok_or_else(|| {
            WebhookError::BadPayload("the form field `payload` is not UTF-8 text".to_string())
        })?;
        return serde_json::from_str(&text).map_err(|e| {
            WebhookError::BadPayload(format!("the form field `payload` is not valid JSON: {e}"))
        });
    }
    serde_json::from_slice(body)
        .map_err(|e| WebhookError::BadPayload(format!("the body is not valid JSON: {e}")))
}

/// The string at a path of object keys, if present and non-empty.
fn text<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn collect<'v>(urls: &mut Vec<String>, candidates: impl IntoIterator<Item = Option<&'v str>>) {
    for url in candidates.into_iter().flatten() {
        if !url.is_empty() && !urls.iter().any(|u| u == url) {
            urls.push(url.to_string());
        }
    }
}

fn branch_of(reference: &str) -> Option<String> {
    reference
        .strip_prefix("refs/heads/")
        .filter(|b| !b.is_empty())
        .map(str::to_string)
}

fn require_ref(forge: Forge, payload: &Value) -> Result<&str, WebhookError> {
    text(payload, &["ref"]).ok_or_else(|| bad(forge, "has no `ref` (e.g. \"refs/heads/main\")"))
}

fn require_urls(
    forge: Forge,
    urls: Vec<String>,
    fields: &str,
) -> Result<Vec<String>, WebhookError> {
    if urls.is_empty() {
        Err(bad(forge, &format!("names no repository URL ({fields})")))
    } else {
        Ok(urls)
    }
}

fn github_like(forge: Forge, payload: &Value) -> Result<PushEvent, WebhookError> {
    let reference = require_ref(forge, payload)?;
    let repo = payload
        .get("repository")
        .filter(|r| r.is_object())
        .ok_or_else(|| bad(forge, "has no `repository` object"))?;
    let mut urls = Vec::new();
    collect(
        &mut urls,
        ["clone_url", "ssh_url", "git_url", "html_url"].map(|k| text(repo, &[k])),
    );
    let fields = "repository.clone_url, ssh_url, git_url or html_url";
    Ok(PushEvent {
        forge,
        branch: branch_of(reference),
        reference: reference.to_string(),
        repo_urls: require_urls(forge, urls, fields)?,
        default_branch: text(repo, &["default_branch"]).map(str::to_string),
        after: text(payload, &["after"]).map(str::to_string),
    })
}

fn gitlab(event: &str, payload: &Value) -> Result<Option<PushEvent>, WebhookError> {
    let forge = Forge::GitLab;
    // A system hook carries every kind of event under one header; only its
    // object_kind tells a push.
    let kind = text(payload, &["object_kind"]).or_else(|| text(payload, &["event_name"]));
    if event == "System Hook" && !matches!(kind, Some("push" | "tag_push")) {
        return Ok(None);
    }
    let reference = require_ref(forge, payload)?;
    let mut urls = Vec::new();
    collect(
        &mut urls,
        [
            text(payload, &["project", "git_http_url"]),
            text(payload, &["project", "git_ssh_url"]),
            text(payload, &["project", "http_url"]),
            text(payload, &["project", "ssh_url"]),
            text(payload, &["project", "web_url"]),
            text(payload, &["repository", "git_http_url"]),
            text(payload, &["repository", "git_ssh_url"]),
            text(payload, &["repository", "url"]),
            text(payload, &["repository", "homepage"]),
        ],
    );
    let fields = "project.git_http_url, git_ssh_url, web_url or repository.url, homepage";
    Ok(Some(PushEvent {
        forge,
        branch: branch_of(reference),
        reference: reference.to_string(),
        repo_urls: require_urls(forge, urls, fields)?,
        default_branch: text(payload, &["project", "default_branch"]).map(str::to_string),
        after: text(payload, &["after"]).map(str::to_string),
    }))
}

fn bitbucket_cloud(payload: &Value) -> Result<PushEvent, WebhookError> {
    let forge = Forge::BitbucketCloud;
    let changes = payload
        .get("push")
        .and_then(|p| p.get("changes"))
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad(forge, "has no `push.changes` entries"))?;
    let is_branch =
        |change: &&Value| ref_state(change).and_then(|s| text(s, &["type"])) == Some("branch");
    let change = changes
        .iter()
        .find(is_branch)
        .or_else(|| changes.first())
        .ok_or_else(|| bad(forge, "has no `push.changes` entries"))?;
    let named = ref_state(change).ok_or_else(|| {
        bad(
            forge,
            "has a change with neither `new` nor `old` (push.changes[].new.name)",
        )
    })?;
    let name = text(named, &["name"]).ok_or_else(|| {
        bad(
            forge,
            "has a change without a ref name (push.changes[].new.name)",
        )
    })?;
    let kind = text(named, &["type"]).unwrap_or("branch");
    let (branch, reference) = match kind {
        "branch" => (Some(name.to_string()), format!("refs/heads/{name}")),
        "tag" => (None, format!("refs/tags/{name}")),
        _ => (None, name.to_string()),
    };
    let after = match change.get("new").filter(|n| n.is_object()) {
        Some(new) => text(new, &["target", "hash"]).map(str::to_string),
        None => Some(DELETED.to_string()),
    };
    let mut urls = Vec::new();
    collect(
        &mut urls,
        [text(payload, &["repository", "links", "html", "href"])],
    );
    Ok(PushEvent {
        forge,
        branch,
        reference,
        repo_urls: require_urls(forge, urls, "repository.links.html.href")?,
        default_branch: text(payload, &["repository", "mainbranch", "name"]).map(str::to_string),
        after,
    })
}

/// Bitbucket Cloud's description of a changed ref: `new`, or `old` when the
/// ref was deleted (`new: null`).
fn ref_state(change: &Value) -> Option<&Value> {
    change
        .get("new")
        .filter(|n| n.is_object())
        .or_else(|| change.get("old").filter(|o| o.is_object()))
}

fn ref_id(change: &Value) -> Option<&str> {
    text(change, &["ref", "id"]).or_else(|| text(change, &["refId"]))
}

fn bitbucket_server(payload: &Value) -> Result<PushEvent, WebhookError> {
    let forge = Forge::BitbucketServer;
    let changes = payload
        .get("changes")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad(forge, "has no `changes` entries"))?;
    let change = changes
        .iter()
        .find(|c| ref_id(c).is_some_and(|r| r.starts_with("refs/heads/")))
        .or_else(|| changes.first())
        .ok_or_else(|| bad(forge, "has no `changes` entries"))?;
    let reference = ref_id(change)
        .ok_or_else(|| bad(forge, "has a change without `ref.id` (changes[].ref.id)"))?;
    let mut urls = Vec::new();
    let links = |name: &str| {
        payload
            .get("repository")
            .and_then(|r| r.get("links"))
            .and_then(|l| l.get(name))
            .and_then(Value::as_array)
            .map(|list| list.iter().map(|l| text(l, &["href"])).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    collect(&mut urls, links("clone"));
    // The web link ends in /browse; the repository's page is without it.
    let web: Vec<Option<&str>> = links("self")
        .into_iter()
        .map(|href| href.map(|h| h.strip_suffix("/browse").unwrap_or(h)))
        .collect();
    collect(&mut urls, web);
    Ok(PushEvent {
        forge,
        branch: branch_of(reference),
        reference: reference.to_string(),
        repo_urls: require_urls(forge, urls, "repository.links.clone[].href")?,
        default_branch: None,
        after: text(change, &["toHash"]).map(str::to_string),
    })
}
