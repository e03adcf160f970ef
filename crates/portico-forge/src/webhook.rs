//! Who sent a webhook request, and whether it knows the shared secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::Forge;

/// Why a webhook request is refused. The messages go to the sender in the
/// HTTP response, so they say what to fix on which side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error(
        "webhooks are disabled on this server: set catalog.webhookSecret and configure \
         the same secret on the forge's webhook"
    )]
    NoSecret,
    #[error(
        "the webhook request is not signed: expected an X-Hub-Signature-256 (GitHub), \
         X-Gitea-Signature or X-Forgejo-Signature (Gitea, Forgejo), X-Gitlab-Token (GitLab) \
         or X-Hub-Signature (Bitbucket) header; configure the webhook with the secret in \
         catalog.webhookSecret"
    )]
    MissingSignature,
    #[error("the webhook signature (or GitLab token) does not match catalog.webhookSecret")]
    BadSignature,
    #[error(
        "the request does not come from a known git forge: it has none of the headers \
         X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event, X-Forgejo-Event or X-Event-Key"
    )]
    UnknownSender,
    #[error("the webhook payload is not a push event Portico can read: {0}")]
    BadPayload(String),
}

/// Which forge sent the request, from its event header, and whether it
/// proves knowledge of `secret`. Header names match in any case; `headers`
/// yields them as sent (the first of repeated headers counts).
///
/// Gitea and Forgejo also send GitHub's headers for compatibility, so their
/// own headers are looked at first. Signatures: GitHub `X-Hub-Signature-256:
/// sha256=HEX`; Gitea/Forgejo `X-Gitea-Signature`/`X-Forgejo-Signature: HEX`
/// (a `sha256=` prefix is tolerated); GitLab `X-Gitlab-Token: SECRET`;
/// Bitbucket Cloud and Server `X-Hub-Signature: sha256=HEX`. HEX is the
/// HMAC-SHA256 of the body keyed with the secret; all comparisons are
/// constant time.
///
/// Returns the forge and the event name as sent (`push`, `Push Hook`,
/// `repo:push`, `repo:refs_changed`, ...).
pub fn verify<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
    secret: Option<&str>,
) -> Result<(Forge, String), WebhookError> {
    let headers: Vec<(&str, &str)> = headers.into_iter().collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let (forge, event) = sender(&header).ok_or(WebhookError::UnknownSender)?;
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or(WebhookError::NoSecret)?;
    let authentic = match forge {
        Forge::GitLab => {
            let token = header("X-Gitlab-Token").ok_or(WebhookError::MissingSignature)?;
            bool::from(token.as_bytes().ct_eq(secret.as_bytes()))
        }
        Forge::GitHub => {
            let signature = header("X-Hub-Signature-256").ok_or(WebhookError::MissingSignature)?;
            strip_sha256(signature).is_some_and(|hex| hmac_matches(secret, body, hex))
        }
        Forge::Gitea => {
            let signature = [
                "X-Forgejo-Signature",
                "X-Gitea-Signature",
                "X-Gogs-Signature",
                "X-Hub-Signature-256",
            ]
            .into_iter()
            .find_map(header)
            .ok_or(WebhookError::MissingSignature)?;
            let hex = strip_sha256(signature).unwrap_or(signature);
            hmac_matches(secret, body, hex)
        }
        Forge::BitbucketCloud | Forge::BitbucketServer => {
            let signature = header("X-Hub-Signature").ok_or(WebhookError::MissingSignature)?;
            strip_sha256(signature).is_some_and(|hex| hmac_matches(secret, body, hex))
        }
    };
    if authentic {
        Ok((forge, event.to_string()))
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// The forge and event name from the event headers.
fn sender<'h>(header: &dyn Fn(&str) -> Option<&'h str>) -> Option<(Forge, &'h str)> {
    for name in ["X-Forgejo-Event", "X-Gitea-Event", "X-Gogs-Event"] {
        if let Some(event) = header(name) {
            return Some((Forge::Gitea, event));
        }
    }
    if let Some(event) = header("X-Gitlab-Event") {
        return Some((Forge::GitLab, event));
    }
    if let Some(event) = header("X-GitHub-Event") {
        return Some((Forge::GitHub, event));
    }
    let event = header("X-Event-Key")?;
    // Both Bitbucket products send X-Event-Key; Cloud alone sends
    // X-Hook-UUID, and the two name their events differently.
    let cloud = header("X-Hook-UUID").is_some() || header("X-Request-UUID").is_some();
    let server_event = event == "repo:refs_changed"
        || event == "repo:modified"
        || event == "repo:forked"
        || event == "project:modified"
        || ["pr:", "mirror:", "diagnostics:", "repo:comment:"]
            .iter()
            .any(|p| event.starts_with(p));
    let forge = if cloud || !server_event {
        Forge::BitbucketCloud
    } else {
        Forge::BitbucketServer
    };
    Some((forge, event))
}

fn strip_sha256(signature: &str) -> Option<&str> {
    let (algorithm, hex) = signature.split_once('=')?;
    algorithm.eq_ignore_ascii_case("sha256").then_some(hex)
}

fn hmac_matches(secret: &str, body: &[u8], signature_hex: &str) -> bool {
    let Ok(expected) = hex::decode(signature_hex) else {
        return false;
    };
    match keyed(secret) {
        Some(mut mac) => {
            mac.update(body);
            mac.verify_slice(&expected).is_ok()
        }
        None => false,
    }
}

fn keyed(secret: &str) -> Option<Hmac<Sha256>> {
    // HMAC takes keys of any length, so this never fails; the Option keeps
    // the impossible case from becoming a panic.
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()
}

/// Lower-case hex HMAC-SHA256 of `body` keyed with `secret`: the signature
/// GitHub sends after `sha256=`, and Gitea sends as is.
pub fn sign(secret: &str, body: &[u8]) -> String {
    match keyed(secret) {
        Some(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        None => String::new(),
    }
}
