//! Webhook senders and signatures.

use portico_forge::{sign, verify, Forge, WebhookError};

const SECRET: &str = "s3cr3t-shared-with-the-forge";
const BODY: &[u8] =
    br#"{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}"#;

fn check(
    headers: &[(&str, &str)],
    body: &[u8],
    secret: Option<&str>,
) -> Result<(Forge, String), WebhookError> {
    verify(headers.iter().copied(), body, secret)
}

fn sha256_header(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", sign(secret, body))
}

#[test]
fn sign_is_hex_hmac_sha256() {
    // RFC 4231-style known answer, independent of this crate.
    assert_eq!(
        sign("key", b"The quick brown fox jumps over the lazy dog"),
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
}

#[test]
fn github_signature_is_checked() {
    let good = sha256_header(SECRET, BODY);
    let headers = [
        ("X-GitHub-Event", "push"),
        ("X-Hub-Signature-256", good.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::GitHub, "push".to_string()))
    );

    let other_secret = sha256_header("another secret", BODY);
    let headers = [
        ("X-GitHub-Event", "push"),
        ("X-Hub-Signature-256", other_secret.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::BadSignature)
    );

    let headers = [
        ("X-GitHub-Event", "push"),
        ("X-Hub-Signature-256", good.as_str()),
    ];
    let tampered =
        br#"{"ref":"refs/heads/evil","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}"#;
    assert_eq!(
        check(&headers, tampered, Some(SECRET)),
        Err(WebhookError::BadSignature)
    );

    // The bare hex without GitHub's prefix, and junk, are not signatures.
    let bare = sign(SECRET, BODY);
    for value in [bare.as_str(), "sha256=not-hex", "sha1=0123abcd"] {
        let headers = [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", value)];
        assert_eq!(
            check(&headers, BODY, Some(SECRET)),
            Err(WebhookError::BadSignature),
            "{value}"
        );
    }
}

#[test]
fn header_names_match_in_any_case() {
    let good = sha256_header(SECRET, BODY);
    let headers = [
        ("x-github-event", "ping"),
        ("X-HUB-SIGNATURE-256", good.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::GitHub, "ping".to_string()))
    );
    let headers = [("x-gitlab-event", "Push Hook"), ("x-gitlab-token", SECRET)];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::GitLab, "Push Hook".to_string()))
    );
}

#[test]
fn missing_signature_missing_secret_and_unknown_sender() {
    let headers = [("X-GitHub-Event", "push")];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::MissingSignature)
    );
    let good = sha256_header(SECRET, BODY);
    let headers = [
        ("X-GitHub-Event", "push"),
        ("X-Hub-Signature-256", good.as_str()),
    ];
    assert_eq!(check(&headers, BODY, None), Err(WebhookError::NoSecret));
    assert_eq!(check(&headers, BODY, Some("")), Err(WebhookError::NoSecret));
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Hub-Signature-256", good.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::UnknownSender)
    );
}

#[test]
fn gitea_and_forgejo_sign_without_prefix_and_win_over_their_github_headers() {
    let hex = sign(SECRET, BODY);
    let github_style = sha256_header(SECRET, BODY);
    // What Gitea sends: its own headers and GitHub's, for compatibility.
    let headers = [
        ("X-GitHub-Event", "push"),
        ("X-Gitea-Event", "push"),
        ("X-Gogs-Event", "push"),
        ("X-Gitea-Signature", hex.as_str()),
        ("X-Hub-Signature-256", github_style.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::Gitea, "push".to_string()))
    );

    let headers = [
        ("X-Forgejo-Event", "push"),
        ("X-Forgejo-Signature", hex.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::Gitea, "push".to_string()))
    );

    let wrong = sign("another secret", BODY);
    let headers = [
        ("X-Gitea-Event", "push"),
        ("X-Gitea-Signature", wrong.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::BadSignature)
    );

    // Gitea sends an empty signature when its webhook has no secret.
    let headers = [("X-Gitea-Event", "push"), ("X-Gitea-Signature", "")];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::MissingSignature)
    );
}

#[test]
fn gitlab_token_is_the_secret_itself() {
    let with = |token: &str| {
        let headers = [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", token)];
        check(&headers, BODY, Some(SECRET))
    };
    assert_eq!(with(SECRET), Ok((Forge::GitLab, "Push Hook".to_string())));
    assert_eq!(with("s3cr3t"), Err(WebhookError::BadSignature));
    assert_eq!(
        with("s3cr3t-shared-with-the-forge-and-more"),
        Err(WebhookError::BadSignature)
    );
    let signed = sign(SECRET, BODY);
    assert_eq!(with(&signed), Err(WebhookError::BadSignature));
    let headers = [("X-Gitlab-Event", "Push Hook")];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::MissingSignature)
    );
}

#[test]
fn bitbucket_server_and_cloud_use_x_hub_signature() {
    let good = sha256_header(SECRET, BODY);
    let headers = [
        ("X-Event-Key", "repo:refs_changed"),
        ("X-Request-Id", "0d6d2a4c-1f8e-4a39-9d8e-3c0f8e7a1b2c"),
        ("X-Hub-Signature", good.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::BitbucketServer, "repo:refs_changed".to_string()))
    );
    let headers = [
        ("X-Event-Key", "diagnostics:ping"),
        ("X-Hub-Signature", good.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::BitbucketServer, "diagnostics:ping".to_string()))
    );
    let headers = [
        ("X-Event-Key", "repo:push"),
        ("X-Hook-UUID", "{8f1d5e2a-6b7c-4d3e-9f0a-1b2c3d4e5f60}"),
        ("X-Hub-Signature", good.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Ok((Forge::BitbucketCloud, "repo:push".to_string()))
    );

    let wrong = sha256_header("another secret", BODY);
    let headers = [
        ("X-Event-Key", "repo:refs_changed"),
        ("X-Hub-Signature", wrong.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::BadSignature)
    );
    let sha1 = format!("sha1={}", sign(SECRET, BODY));
    let headers = [
        ("X-Event-Key", "repo:refs_changed"),
        ("X-Hub-Signature", sha1.as_str()),
    ];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::BadSignature)
    );
    let headers = [("X-Event-Key", "repo:push")];
    assert_eq!(
        check(&headers, BODY, Some(SECRET)),
        Err(WebhookError::MissingSignature)
    );
}

#[test]
fn error_messages_say_what_to_fix() {
    assert_eq!(
        WebhookError::BadSignature.to_string(),
        "the webhook signature (or GitLab token) does not match catalog.webhookSecret"
    );
    assert!(WebhookError::NoSecret
        .to_string()
        .contains("catalog.webhookSecret"));
    assert!(WebhookError::MissingSignature
        .to_string()
        .contains("X-Hub-Signature-256"));
    assert!(WebhookError::UnknownSender
        .to_string()
        .contains("X-Gitlab-Event"));
}
