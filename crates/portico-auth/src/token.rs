//! Portico's own tokens: short-lived EdDSA JWTs carrying the user and its ownership refs.
//!
//! Claims: `iss`, `aud`, `sub` (the user entity ref), `ent` (the ownership entity refs: the
//! user and every group it belongs to, transitively), `iat`, `exp`. Header: `alg: EdDSA`,
//! `kid` of the signing key, `typ: JWT`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{shorten, AuthError};
use crate::jwt;
use crate::keys::KeyStore;

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The User entity ref, e.g. `user:default/jane` (the token's `sub`).
    pub user_entity_ref: String,
    /// The user and every group it is a member of, transitively (the token's `ent`).
    pub ownership_entity_refs: Vec<String>,
}

/// Issues and verifies Portico tokens with the keys of a [`KeyStore`].
#[derive(Debug)]
pub struct Tokens {
    keys: KeyStore,
    issuer: String,
    audience: String,
    verified: Verified,
}

impl Clone for Tokens {
    /// A clone starts with nothing verified: its keys may go their own way.
    fn clone(&self) -> Tokens {
        Tokens {
            keys: self.keys.clone(),
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            verified: Verified::default(),
        }
    }
}

/// Tokens that verified, with who they are and when they are valid. A
/// client sends the same token with every request, and the signature check
/// is most of what verifying costs; a token seen before costs a lookup.
/// Keyed by the whole token, so only the very same bytes match. Emptied when
/// the keys change (a retired key's tokens must stop verifying) and when full.
#[derive(Debug, Default)]
struct Verified(Mutex<HashMap<String, Seen>>);

#[derive(Debug, Clone)]
struct Seen {
    identity: Identity,
    /// The latest of `nbf` and `iat`, if any.
    from: Option<i64>,
    exp: i64,
}

/// Tokens remembered at most; about 1 KiB each.
const VERIFIED_CAPACITY: usize = 10_000;

impl Verified {
    fn get(&self, token: &str, now: i64) -> Option<Identity> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let seen = map.get(token)?;
        let leeway = jwt::LEEWAY_SECONDS;
        // The same time checks a full verification makes.
        let current = now < seen.exp.saturating_add(leeway)
            && seen
                .from
                .is_none_or(|from| from <= now.saturating_add(leeway));
        current.then(|| seen.identity.clone())
    }

    fn insert(&self, token: &str, seen: Seen) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= VERIFIED_CAPACITY {
            map.clear();
        }
        map.insert(token.to_owned(), seen);
    }

    fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[derive(Serialize)]
struct OutClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    ent: &'a [String],
    iat: i64,
    exp: i64,
}

impl Tokens {
    /// The audience used unless [`Tokens::with_audience`] sets another.
    pub const DEFAULT_AUDIENCE: &'static str = "portico";

    /// Tokens issued as `issuer` (e.g. the backend's base URL + `/api/auth`) for the
    /// audience [`Tokens::DEFAULT_AUDIENCE`].
    pub fn new(keys: KeyStore, issuer: impl Into<String>) -> Tokens {
        Tokens {
            keys,
            issuer: issuer.into(),
            audience: Self::DEFAULT_AUDIENCE.to_owned(),
            verified: Verified::default(),
        }
    }

    /// Sets the audience tokens are issued for and must carry.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Tokens {
        self.audience = audience.into();
        self
    }

    /// The keys (for the JWKS endpoint).
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// The keys, to rotate or retire them. Forgets the tokens verified so
    /// far: a retired key's tokens must not verify from memory.
    pub fn keys_mut(&mut self) -> &mut KeyStore {
        self.verified.clear();
        &mut self.keys
    }

    /// The `iss` of our tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` of our tokens.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Signs a token for `identity`, valid from `now` for `ttl_seconds`, with the current key.
    ///
    /// Keep `ttl_seconds` at most the `max_token_ttl` given to [`KeyStore::retire_expired`].
    pub fn issue(
        &self,
        identity: &Identity,
        now: i64,
        ttl_seconds: i64,
    ) -> Result<String, AuthError> {
        if identity.user_entity_ref.is_empty() {
            return Err(AuthError::Signing(
                "the identity has no user entity ref".to_owned(),
            ));
        }
        if ttl_seconds <= 0 {
            return Err(AuthError::Signing(format!(
                "token lifetime must be positive, got {ttl_seconds} s"
            )));
        }
        let key = self.keys.current();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        let claims = OutClaims {
            iss: &self.issuer,
            aud: &self.audience,
            sub: &identity.user_entity_ref,
            ent: &identity.ownership_entity_refs,
            iat: now,
            exp: now.saturating_add(ttl_seconds),
        };
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| AuthError::Signing(format!("with key `{}`: {e}", key.kid)))
    }

    /// Whether `token` names a key made after the current one: a key another
    /// replica sharing the key directory may have made since this one read it.
    pub fn names_newer_key(&self, token: &str) -> bool {
        jwt::parse_header(token)
            .ok()
            .and_then(|h| h.kid)
            .and_then(|kid| crate::keys::created_from_kid(&kid))
            .is_some_and(|created| created > self.keys.current_created())
    }

    /// Verifies a Portico token at time `now` and returns its identity.
    ///
    /// In order: the header's `alg` must be exactly `EdDSA`; its `kid` one of our keys; the
    /// signature must verify; `iss` and `aud` must be ours; `exp` is required and not past,
    /// `nbf`/`iat` not in the future (30 s leeway each); `sub` and `ent` must be present.
    pub fn verify(&self, token: &str, now: i64) -> Result<Identity, AuthError> {
        if let Some(identity) = self.verified.get(token, now) {
            return Ok(identity);
        }
        let header = jwt::parse_header(token)?;
        if header.alg != "EdDSA" {
            return Err(AuthError::DisallowedAlgorithm {
                alg: shorten(&header.alg),
                allowed: "EdDSA".to_owned(),
            });
        }
        let Some(kid) = header.kid.as_deref() else {
            return Err(AuthError::UnknownKeyId(
                "the token names no key (`kid` is missing)".to_owned(),
            ));
        };
        let Some(key) = self.keys.get(kid) else {
            return Err(AuthError::UnknownKeyId(format!(
                "`{}` is not one of Portico's signing keys (expired and retired, or never ours)",
                shorten(kid)
            )));
        };
        let claims = jwt::decode_eddsa(token, &key.verifying, kid)?;
        jwt::check_issuer(&claims, &self.issuer)?;
        jwt::check_audience(&claims, &self.audience)?;
        jwt::check_times(&claims, now)?;
        let sub = match jwt::str_claim(&claims, "sub")? {
            Some(sub) if !sub.is_empty() => sub.to_owned(),
            _ => return Err(AuthError::Malformed("claim `sub` is missing".to_owned())),
        };
        let ent = match claims.get("ent") {
            Some(Value::Array(refs)) => refs
                .iter()
                .map(|r| {
                    r.as_str().map(str::to_owned).ok_or_else(|| {
                        AuthError::Malformed("claim `ent` holds a non-string".to_owned())
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(AuthError::Malformed(
                    "claim `ent` is not an array".to_owned(),
                ))
            }
            None => return Err(AuthError::Malformed("claim `ent` is missing".to_owned())),
        };
        let identity = Identity {
            user_entity_ref: sub,
            ownership_entity_refs: ent,
        };
        let from = ["nbf", "iat"]
            .into_iter()
            .filter_map(|c| jwt::int_claim(&claims, c).ok().flatten())
            .max();
        if let Some(exp) = jwt::int_claim(&claims, "exp")? {
            self.verified.insert(
                token,
                Seen {
                    identity: identity.clone(),
                    from,
                    exp,
                },
            );
        }
        Ok(identity)
    }
}
