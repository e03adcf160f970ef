//! The crate's one error vocabulary.

use std::path::PathBuf;

/// Why a token, a key or a sign-in was refused.
///
/// Messages say what was wrong and never contain the token itself. Values taken from a
/// token (an algorithm name, an issuer, an audience) are cut to a short length.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token is not a well-formed JWT or a claim has the wrong type.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The signature does not verify with the key the header names.
    #[error("bad signature: the token is not signed by key `{kid}`")]
    BadSignature {
        /// The key the token claimed to be signed with.
        kid: String,
    },
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired at {exp} (now {now}, leeway {leeway} s)")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time of the check.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway: i64,
    },
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error("token not valid yet: `{claim}` is {at} (now {now}, leeway {leeway} s)")]
    NotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// The claim's value.
        at: i64,
        /// The time of the check.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway: i64,
    },
    /// `aud` does not contain the expected audience.
    #[error("wrong audience: expected `{expected}`, the token is for {found}")]
    WrongAudience {
        /// Our audience.
        expected: String,
        /// What the token carried (quoted, shortened), or "no audience".
        found: String,
    },
    /// `azp` names another client.
    #[error("wrong authorized party: expected `{expected}`, the token's `azp` is `{found}`")]
    WrongAuthorizedParty {
        /// Our client id (the audience).
        expected: String,
        /// The token's `azp` (shortened).
        found: String,
    },
    /// `iss` is not the expected issuer.
    #[error("wrong issuer: expected `{expected}`, the token's `iss` is {found}")]
    WrongIssuer {
        /// Our issuer.
        expected: String,
        /// What the token carried (quoted, shortened), or "missing".
        found: String,
    },
    /// The header's `alg` is not allowed (always the case for `none` and HMAC).
    #[error("algorithm `{alg}` is not allowed here (allowed: {allowed})")]
    DisallowedAlgorithm {
        /// The header's `alg` (shortened).
        alg: String,
        /// The allow-list, comma separated.
        allowed: String,
    },
    /// The header's `kid` names no key we know (or is missing where needed).
    #[error("unknown key id: {0}")]
    UnknownKeyId(String),
    /// A verified sign-in resolved to no User entity.
    #[error("no User entity matches this sign-in ({0})")]
    UnknownUser(String),
    /// Reading or writing the key directory failed.
    #[error("key store {path}: {source}")]
    KeyStoreIo {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A configured or stored key, a JWKS, or service token configuration is unusable.
    #[error("invalid key or auth configuration: {0}")]
    InvalidConfig(String),
    /// Signing a token failed (a bug or a broken key).
    #[error("could not sign a token: {0}")]
    Signing(String),
}

impl AuthError {
    /// The HTTP status this error should answer with: 401 for anything wrong with what the
    /// caller presented, 500 for our own keys and configuration.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::KeyStoreIo { .. } | AuthError::InvalidConfig(_) | AuthError::Signing(_) => {
                500
            }
            _ => 401,
        }
    }
}

/// Shortens a value taken from a token before it goes into a message.
pub(crate) fn shorten(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
