//! Push payloads of each forge.

use portico_forge::{parse_push, sign, verify, Forge, PushEvent, WebhookError};

const GITHUB_PUSH: &str = include_str!("fixtures/github-push.json");
const GITHUB_PING: &str = include_str!("fixtures/github-ping.json");
const GITLAB_PUSH: &str = include_str!("fixtures/gitlab-push.json");
const GITEA_PUSH: &str = include_str!("fixtures/gitea-push.json");
const BITBUCKET_CLOUD_PUSH: &str = include_str!("fixtures/bitbucket-cloud-push.json");
const BITBUCKET_SERVER_PUSH: &str = include_str!("fixtures/bitbucket-server-push.json");

fn push(forge: Forge, event: &str, body: &str) -> PushEvent {
    match parse_push(forge, event, body.as_bytes()) {
        Ok(Some(push)) => push,
        other => panic!("{forge} {event}: {other:?}"),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn github_push() {
    let event = push(Forge::GitHub, "push", GITHUB_PUSH);
    assert_eq!(
        event,
        PushEvent {
            forge: Forge::GitHub,
            branch: Some("main".to_string()),
            reference: "refs/heads/main".to_string(),
            repo_urls: strings(&[
                "https://github.com/acme/payments.git",
                "git@github.com:acme/payments.git",
                "git://github.com/acme/payments.git",
                "https://github.com/acme/payments",
            ]),
            default_branch: Some("main".to_string()),
            after: Some("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c".to_string()),
        }
    );
}

#[test]
fn github_tag_push_and_branch_deletion() {
    let tag = GITHUB_PUSH.replace("refs/heads/main", "refs/tags/v1.2.0");
    let event = push(Forge::GitHub, "push", &tag);
    assert_eq!(event.branch, None);
    assert_eq!(event.reference, "refs/tags/v1.2.0");

    let deleted = GITHUB_PUSH.replace(
        r#""after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c""#,
        r#""after": "0000000000000000000000000000000000000000""#,
    );
    let event = push(Forge::GitHub, "push", &deleted);
    assert_eq!(event.branch.as_deref(), Some("main"));
    assert_eq!(
        event.after.as_deref(),
        Some("0000000000000000000000000000000000000000")
    );
}

#[test]
fn non_push_events_are_not_pushes() {
    assert_eq!(
        parse_push(Forge::GitHub, "ping", GITHUB_PING.as_bytes()),
        Ok(None)
    );
    assert_eq!(parse_push(Forge::GitHub, "pull_request", b"{}"), Ok(None));
    assert_eq!(
        parse_push(Forge::Gitea, "create", b"not even json"),
        Ok(None)
    );
    assert_eq!(
        parse_push(Forge::GitLab, "Merge Request Hook", b"{}"),
        Ok(None)
    );
    assert_eq!(
        parse_push(Forge::BitbucketServer, "diagnostics:ping", b"{}"),
        Ok(None)
    );
    assert_eq!(
        parse_push(Forge::BitbucketCloud, "pullrequest:created", b"{}"),
        Ok(None)
    );
}

#[test]
fn github_form_encoded_payload() {
    let encoded: String = GITHUB_PUSH
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else if b == b' ' {
                "+".to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let body = format!("payload={encoded}");
    assert_eq!(
        push(Forge::GitHub, "push", &body),
        push(Forge::GitHub, "push", GITHUB_PUSH)
    );
}

#[test]
fn gitea_push() {
    let event = push(Forge::Gitea, "push", GITEA_PUSH);
    assert_eq!(event.forge, Forge::Gitea);
    assert_eq!(event.branch.as_deref(), Some("main"));
    assert_eq!(event.reference, "refs/heads/main");
    assert_eq!(
        event.repo_urls,
        strings(&[
            "https://codeberg.org/acme/docs-site.git",
            "ssh://git@codeberg.org/acme/docs-site.git",
            "https://codeberg.org/acme/docs-site",
        ])
    );
    assert_eq!(event.default_branch.as_deref(), Some("main"));
    assert_eq!(
        event.after.as_deref(),
        Some("bffeb74224043ba2feb48d137756c8a9331c449a")
    );
}

#[test]
fn gitlab_push_tag_push_and_system_hook() {
    let event = push(Forge::GitLab, "Push Hook", GITLAB_PUSH);
    assert_eq!(
        event,
        PushEvent {
            forge: Forge::GitLab,
            branch: Some("develop".to_string()),
            reference: "refs/heads/develop".to_string(),
            repo_urls: strings(&[
                "https://gitlab.acme.example/platform/finance/billing.git",
                "git@gitlab.acme.example:platform/finance/billing.git",
                "https://gitlab.acme.example/platform/finance/billing",
            ]),
            default_branch: Some("main".to_string()),
            after: Some("da1560886d4f094c3e6c9ef40349f7d38b5d27d7".to_string()),
        }
    );

    let tag = GITLAB_PUSH
        .replace(r#""object_kind": "push""#, r#""object_kind": "tag_push""#)
        .replace("refs/heads/develop", "refs/tags/v3.0.0");
    let event = push(Forge::GitLab, "Tag Push Hook", &tag);
    assert_eq!(event.branch, None);
    assert_eq!(event.reference, "refs/tags/v3.0.0");

    assert_eq!(
        push(Forge::GitLab, "System Hook", GITLAB_PUSH)
            .branch
            .as_deref(),
        Some("develop")
    );
    let merge = GITLAB_PUSH.replace(
        r#""object_kind": "push""#,
        r#""object_kind": "merge_request""#,
    );
    assert_eq!(
        parse_push(Forge::GitLab, "System Hook", merge.as_bytes()),
        Ok(None)
    );
}

#[test]
fn bitbucket_cloud_push_takes_the_first_branch_change() {
    let event = push(Forge::BitbucketCloud, "repo:push", BITBUCKET_CLOUD_PUSH);
    assert_eq!(
        event,
        PushEvent {
            forge: Forge::BitbucketCloud,
            branch: Some("release/2024".to_string()),
            reference: "refs/heads/release/2024".to_string(),
            repo_urls: strings(&["https://bitbucket.org/acme-ws/inventory"]),
            default_branch: None,
            after: Some("a3f1c2b9d7e4508f61b2c39a4d5e6f7081920a1b".to_string()),
        }
    );
}

#[test]
fn bitbucket_cloud_tag_only_push_and_branch_deletion() {
    let payload: serde_json::Value =
        serde_json::from_str(BITBUCKET_CLOUD_PUSH).expect("fixture is JSON");
    let mut tag_only = payload.clone();
    tag_only["push"]["changes"]
        .as_array_mut()
        .expect("changes")
        .truncate(1);
    let event = push(Forge::BitbucketCloud, "repo:push", &tag_only.to_string());
    assert_eq!(event.branch, None);
    assert_eq!(event.reference, "refs/tags/v1.0.0");

    let mut deleted = payload;
    deleted["push"]["changes"][1]["new"] = serde_json::Value::Null;
    let event = push(Forge::BitbucketCloud, "repo:push", &deleted.to_string());
    assert_eq!(event.branch.as_deref(), Some("release/2024"));
    assert_eq!(
        event.after.as_deref(),
        Some("0000000000000000000000000000000000000000")
    );
}

#[test]
fn bitbucket_server_push_takes_the_first_branch_change() {
    let event = push(
        Forge::BitbucketServer,
        "repo:refs_changed",
        BITBUCKET_SERVER_PUSH,
    );
    assert_eq!(
        event,
        PushEvent {
            forge: Forge::BitbucketServer,
            branch: Some("feature/checkout".to_string()),
            reference: "refs/heads/feature/checkout".to_string(),
            repo_urls: strings(&[
                "ssh://git@bitbucket.acme.example:7999/shop/orders.git",
                "https://bitbucket.acme.example/scm/shop/orders.git",
                "https://bitbucket.acme.example/projects/SHOP/repos/orders",
            ]),
            default_branch: None,
            after: Some("4a24622fd85f304770079a8b4dbf9566ea1928c5".to_string()),
        }
    );
    let tag_only = BITBUCKET_SERVER_PUSH.replace("refs/heads/feature/checkout", "refs/tags/v2.0.9");
    let event = push(Forge::BitbucketServer, "repo:refs_changed", &tag_only);
    assert_eq!(event.branch, None);
    assert_eq!(event.reference, "refs/tags/v2.1.0");
}

fn bad_payload(forge: Forge, event: &str, body: &str) -> String {
    match parse_push(forge, event, body.as_bytes()) {
        Err(WebhookError::BadPayload(message)) => message,
        other => panic!("{forge} {event} {body}: {other:?}"),
    }
}

#[test]
fn garbage_is_a_bad_payload_that_says_what_is_missing() {
    let not_json = bad_payload(Forge::GitHub, "push", "ref=refs/heads/main");
    assert!(
        not_json.starts_with("the body is not valid JSON"),
        "{not_json}"
    );
    assert_eq!(
        bad_payload(Forge::GitHub, "push", "[]"),
        "the GitHub push payload is not a JSON object"
    );
    assert_eq!(
        bad_payload(Forge::GitHub, "push", r#"{"after":"abc","repository":{}}"#),
        "the GitHub push payload has no `ref` (e.g. \"refs/heads/main\")"
    );
    assert_eq!(
        bad_payload(Forge::Gitea, "push", r#"{"ref":"refs/heads/main"}"#),
        "the Gitea push payload has no `repository` object"
    );
    assert_eq!(
        bad_payload(Forge::GitHub, "push", r#"{"ref":"refs/heads/main","repository":{"clone_url":""}}"#),
        "the GitHub push payload names no repository URL (repository.clone_url, ssh_url, git_url or html_url)"
    );
    assert_eq!(
        bad_payload(
            Forge::BitbucketCloud,
            "repo:push",
            r#"{"push":{"changes":[]}}"#
        ),
        "the Bitbucket Cloud push payload has no `push.changes` entries"
    );
    assert_eq!(
        bad_payload(
            Forge::BitbucketServer,
            "repo:refs_changed",
            r#"{"changes":[{"toHash":"abc"}]}"#
        ),
        "the Bitbucket Server push payload has a change without `ref.id` (changes[].ref.id)"
    );
    let form = bad_payload(Forge::GitHub, "push", "payload=%7Bnope");
    assert!(
        form.starts_with("the form field `payload` is not valid JSON"),
        "{form}"
    );
    let message = WebhookError::BadPayload(not_json).to_string();
    assert!(
        message.starts_with("the webhook payload is not a push event Portico can read: "),
        "{message}"
    );
}

#[test]
fn verified_request_to_push_event() {
    let secret = "s3cr3t";
    let signature = sign(secret, BITBUCKET_SERVER_PUSH.as_bytes());
    let signature = format!("sha256={signature}");
    let headers = [
        ("X-Event-Key", "repo:refs_changed"),
        ("X-Hub-Signature", signature.as_str()),
    ];
    let (forge, event) =
        verify(headers, BITBUCKET_SERVER_PUSH.as_bytes(), Some(secret)).expect("verified");
    let push = parse_push(forge, &event, BITBUCKET_SERVER_PUSH.as_bytes())
        .expect("parses")
        .expect("is a push");
    assert_eq!(push.branch.as_deref(), Some("feature/checkout"));
}
