//! Static service tokens from configuration, for CI and automation.

use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable as _, ConstantTimeEq as _};

use crate::error::AuthError;
use crate::policy::{Permission, Principal};

/// Shorter configured tokens are refused: a service token is a long random secret.
pub const MIN_TOKEN_LEN: usize = 16;

/// One configured service token.
#[derive(Clone, Deserialize)]
pub struct ServiceToken {
    /// The secret the service presents as `Authorization: Bearer <token>`.
    pub token: String,
    /// Who the token is, for audit and messages (e.g. `ci-deploy`).
    pub subject: String,
    /// What it may do (kebab-case names in configuration: `location-create`, ...).
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

impl fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceToken")
            .field("token", &"[redacted]")
            .field("subject", &self.subject)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl ServiceToken {
    /// The principal this token acts as.
    pub fn principal(&self) -> Principal {
        Principal::Service {
            subject: self.subject.clone(),
            permissions: self.permissions.clone(),
        }
    }
}

/// The configured service tokens.
///
/// A presented token is compared with every configured one in constant time: both sides are
/// hashed with SHA-256 first, so every comparison is of 32 bytes whatever the lengths, and
/// the loop never stops early. What leaks is only whether some token matched.
#[derive(Clone)]
pub struct ServiceTokens {
    tokens: Vec<ServiceToken>,
    digests: Vec<[u8; 32]>,
}

impl fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.tokens).finish()
    }
}

impl ServiceTokens {
    /// Checks and keeps the configured tokens: each at least [`MIN_TOKEN_LEN`] bytes, with
    /// a subject, and no token twice; errors name the subject.
    pub fn new(tokens: Vec<ServiceToken>) -> Result<ServiceTokens, AuthError> {
        let mut digests: Vec<[u8; 32]> = Vec::with_capacity(tokens.len());
        for t in &tokens {
            if t.subject.trim().is_empty() {
                return Err(AuthError::InvalidConfig(
                    "a service token has no subject".to_owned(),
                ));
            }
            if t.token.len() < MIN_TOKEN_LEN {
                return Err(AuthError::InvalidConfig(format!(
                    "service token `{}` is shorter than {MIN_TOKEN_LEN} characters",
                    t.subject
                )));
            }
            let digest: [u8; 32] = Sha256::digest(t.token.as_bytes()).into();
            if digests.contains(&digest) {
                return Err(AuthError::InvalidConfig(format!(
                    "service token `{}` is the same secret as another service token",
                    t.subject
                )));
            }
            digests.push(digest);
        }
        Ok(ServiceTokens { tokens, digests })
    }

    /// No tokens configured.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The configured token equal to `presented`, if any.
    pub fn check(&self, presented: &str) -> Option<&ServiceToken> {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, digest) in self.digests.iter().enumerate() {
            let equal = digest.ct_eq(&presented);
            index.conditional_assign(&(i as u64), equal);
            found |= equal;
        }
        if bool::from(found) {
            self.tokens.get(usize::try_from(index).ok()?)
        } else {
            None
        }
    }
}
