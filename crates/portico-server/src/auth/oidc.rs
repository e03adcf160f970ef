//! The `oidc` sign-in provider: ID tokens are checked against the identity
//! provider's JWKS, from a file or a URL. Providers rotate their keys; an ID
//! token naming a key the JWKS we hold does not have sends us to read the
//! JWKS again (at most once a minute, so tokens with made-up key ids cannot
//! turn into a stream of fetches).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{PoisonError, RwLock};

use portico_auth::{AuthError, OidcClaims, OidcVerifier, UnknownUsers};

use super::invalid;
use crate::config::{ConfigError, OidcProviderConfig};

/// Seconds between reads of the JWKS prompted by unknown key ids.
const REREAD_AT_MOST_EVERY: i64 = 60;

pub(super) struct OidcProvider {
    config: OidcProviderConfig,
    verifier: RwLock<OidcVerifier>,
    /// What a sign-in that matches no User entity gets.
    pub unknown: UnknownUsers,
    /// When an unknown key id last sent us to read the JWKS (Unix seconds).
    reread: AtomicI64,
}

impl OidcProvider {
    /// Reads the JWKS (a URL is fetched here, at start).
    pub fn from_config(config: &OidcProviderConfig) -> Result<OidcProvider, ConfigError> {
        Ok(OidcProvider {
            config: config.clone(),
            verifier: RwLock::new(verifier(config)?),
            unknown: if config.allow_unknown_users {
                UnknownUsers::AllowPlainIdentity
            } else {
                UnknownUsers::Refuse
            },
            reread: AtomicI64::new(0),
        })
    }

    /// The ID token's claims, if the provider signed it and it is valid
    /// at `now`. Blocks while the JWKS is read again: call it off the
    /// server's async threads.
    pub fn verify(&self, id_token: &str, now: i64) -> Result<OidcClaims, AuthError> {
        let first = self
            .verifier
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .verify(id_token, now);
        match first {
            Err(AuthError::UnknownKeyId(_))
                if now - self.reread.load(Ordering::Relaxed) >= REREAD_AT_MOST_EVERY =>
            {
                self.reread.store(now, Ordering::Relaxed);
                match verifier(&self.config) {
                    Ok(fresh) => {
                        tracing::info!(
                            "read the identity provider's JWKS again, for a key it had not listed"
                        );
                        let verified = fresh.verify(id_token, now);
                        *self
                            .verifier
                            .write()
                            .unwrap_or_else(PoisonError::into_inner) = fresh;
                        verified
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the identity provider's JWKS again failed");
                        first
                    }
                }
            }
            other => other,
        }
    }
}

/// A verifier over the provider's JWKS as it is now.
fn verifier(config: &OidcProviderConfig) -> Result<OidcVerifier, ConfigError> {
    let verifier = match (&config.jwks_file, &config.jwks_url) {
        (Some(file), None) => {
            OidcVerifier::from_jwks_file(file, config.issuer.clone(), config.audience.clone())
        }
        (None, Some(url)) => {
            let json = fetch_jwks(url).map_err(|e| invalid("auth.providers.oidc.jwksUrl", e))?;
            OidcVerifier::from_jwks(&json, config.issuer.clone(), config.audience.clone())
        }
        _ => {
            return Err(invalid(
                "auth.providers.oidc",
                "needs exactly one of jwksFile and jwksUrl",
            ))
        }
    }
    .map_err(|e| invalid("auth.providers.oidc", e))?;
    match &config.algorithms {
        Some(names) => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            verifier
                .with_algorithms(&names)
                .map_err(|e| invalid("auth.providers.oidc.algorithms", e))
        }
        None => Ok(verifier),
    }
}

/// Reads a JWKS document over HTTP(S). On a thread of its own: the
/// blocking client must not run inside the server's async runtime.
fn fetch_jwks(url: &str) -> Result<String, String> {
    let owned = url.to_owned();
    let fetch = move || -> Result<String, String> {
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .get(&owned)
            .send()
            .and_then(reqwest::blocking::Response::error_for_status)
            .map_err(|e| e.to_string())?;
        let body = response.text().map_err(|e| e.to_string())?;
        if body.len() > 1024 * 1024 {
            return Err("the JWKS is larger than 1 MiB".to_owned());
        }
        Ok(body)
    };
    std::thread::spawn(fetch)
        .join()
        .map_err(|_| "the JWKS fetch panicked".to_owned())?
        .map_err(|e| format!("{url}: {e}"))
}
