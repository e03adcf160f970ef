//! Verifying ID tokens from the company's OpenID Connect provider against its JWKS.
//!
//! The order of checks: the token's shape; `alg` is not `none` or HMAC (refused whatever the
//! configuration says); `alg` is in the allow-list; `kid` selects a key of the JWKS (a token
//! without `kid` is accepted only when the JWKS has exactly one key); `alg` fits that key's type
//! (RSA: `RS*`/`PS*`, EC P-256: `ES256`, EC P-384: `ES384`, OKP Ed25519: `EdDSA`) and its
//! `alg`, if the JWK names one; the signature; then `iss`, `aud` (string or array), `azp` (if
//! present), `exp` (required), `nbf`, `iat` (30 s leeway) and `sub`.

use std::path::Path;
use std::str::FromStr as _;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{shorten, AuthError};
use crate::jwt;

/// The allow-list used unless [`OidcVerifier::with_algorithms`] sets another.
pub const DEFAULT_ALGORITHMS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

/// What a verified ID token says about the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcClaims {
    /// The provider's subject id.
    pub sub: String,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified` (a boolean, or the strings "true"/"false" some providers send).
    pub email_verified: Option<bool>,
    /// `name`.
    pub name: Option<String>,
    /// `preferred_username`.
    pub preferred_username: Option<String>,
}

/// Which kind of key a JWK is; decides which algorithms may be used with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyType {
    fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyType::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyType::P256 => alg == ES256,
            KeyType::P384 => alg == ES384,
            KeyType::Ed25519 => alg == EdDSA,
        }
    }

    fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::P256 => "EC P-256",
            KeyType::P384 => "EC P-384",
            KeyType::Ed25519 => "OKP Ed25519",
        }
    }

    fn algorithms(self) -> &'static str {
        match self {
            KeyType::Rsa => "RS256, RS384, RS512, PS256, PS384, PS512",
            KeyType::P256 => "ES256",
            KeyType::P384 => "ES384",
            KeyType::Ed25519 => "EdDSA",
        }
    }
}

#[derive(Clone)]
struct ProviderKey {
    kid: Option<String>,
    key_type: KeyType,
    /// The JWK's own `alg`, if it names one.
    alg: Option<Algorithm>,
    decoding: DecodingKey,
}

/// Verifies the provider's ID tokens: its keys, its issuer, our client id as audience, and an
/// algorithm allow-list.
#[derive(Clone)]
pub struct OidcVerifier {
    issuer: String,
    audience: String,
    algorithms: Vec<Algorithm>,
    keys: Vec<ProviderKey>,
}

impl std::fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("algorithms", &self.algorithms)
            .field("kids", &self.key_ids())
            .finish()
    }
}

impl OidcVerifier {
    /// A verifier for tokens issued by `issuer` for `audience` (our client id), checked against
    /// the keys of a JWKS document (`{"keys":[...]}`), with [`DEFAULT_ALGORITHMS`].
    ///
    /// RSA (at least 2048 bits), EC P-256/P-384 and OKP Ed25519 keys are used; keys of other
    /// types or curves, symmetric (`oct`) keys and keys whose `use` is not `sig` are skipped.
    /// A malformed key of a supported type, a repeated `kid`, or no usable key is an error.
    pub fn from_jwks(
        jwks: &str,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<OidcVerifier, AuthError> {
        let doc: Value = serde_json::from_str(jwks)
            .map_err(|e| AuthError::InvalidConfig(format!("the JWKS is not JSON: {e}")))?;
        let Some(list) = doc.get("keys").and_then(Value::as_array) else {
            return Err(AuthError::InvalidConfig(
                "the JWKS has no `keys` array".to_owned(),
            ));
        };
        let mut keys: Vec<ProviderKey> = Vec::new();
        for (i, jwk) in list.iter().enumerate() {
            let Some(key) = parse_jwk(jwk, i)? else {
                continue;
            };
            if key.kid.is_some() && keys.iter().any(|k| k.kid == key.kid) {
                return Err(AuthError::InvalidConfig(format!(
                    "the JWKS has key id `{}` twice",
                    key.kid.as_deref().unwrap_or_default()
                )));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(AuthError::InvalidConfig(
                "the JWKS has no usable signature key (RSA, EC P-256/P-384 or Ed25519)".to_owned(),
            ));
        }
        let issuer = issuer.into();
        let audience = audience.into();
        if issuer.is_empty() || audience.is_empty() {
            return Err(AuthError::InvalidConfig(
                "the OIDC issuer and audience (client id) must be set".to_owned(),
            ));
        }
        let verifier = OidcVerifier {
            issuer,
            audience,
            algorithms: Vec::new(),
            keys,
        };
        verifier.with_algorithms(&DEFAULT_ALGORITHMS)
    }

    /// [`OidcVerifier::from_jwks`] with the JWKS read from a file.
    pub fn from_jwks_file(
        path: &Path,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<OidcVerifier, AuthError> {
        let json = std::fs::read_to_string(path).map_err(|source| AuthError::KeyStoreIo {
            path: path.to_owned(),
            source,
        })?;
        Self::from_jwks(&json, issuer, audience).map_err(|e| match e {
            AuthError::InvalidConfig(msg) => {
                AuthError::InvalidConfig(format!("{}: {msg}", path.display()))
            }
            other => other,
        })
    }

    /// Replaces the algorithm allow-list (names as in JWT headers: `RS256`, `PS256`, `ES256`,
    /// `ES384`, `EdDSA`, ...). `none` and `HS*` are refused: an ID token is verified with the
    /// provider's public keys, and an HMAC keyed with a public key proves nothing.
    pub fn with_algorithms(mut self, names: &[&str]) -> Result<OidcVerifier, AuthError> {
        let mut algorithms = Vec::new();
        for name in names {
            if jwt::is_never_allowed(name) {
                return Err(AuthError::InvalidConfig(format!(
                    "algorithm `{name}` cannot be allowed for ID tokens (never `none` or HMAC)"
                )));
            }
            let alg = Algorithm::from_str(name).map_err(|_| {
                AuthError::InvalidConfig(format!(
                    "unknown algorithm `{name}` (use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA)"
                ))
            })?;
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        if algorithms.is_empty() {
            return Err(AuthError::InvalidConfig(
                "the algorithm allow-list is empty".to_owned(),
            ));
        }
        self.algorithms = algorithms;
        Ok(self)
    }

    /// The expected `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The expected `aud` (our client id).
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The allowed algorithms.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The key ids of the usable keys (keys without `kid` are left out).
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().filter_map(|k| k.kid.as_deref()).collect()
    }

    /// Verifies an ID token at time `now` (see the module docs for the checks and their order).
    pub fn verify(&self, id_token: &str, now: i64) -> Result<OidcClaims, AuthError> {
        let header = jwt::parse_header(id_token)?;
        let allowed = || {
            self.algorithms
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if jwt::is_never_allowed(&header.alg) {
            return Err(AuthError::DisallowedAlgorithm {
                alg: shorten(&header.alg),
                allowed: allowed(),
            });
        }
        let alg = match Algorithm::from_str(&header.alg) {
            Ok(alg) if self.algorithms.contains(&alg) => alg,
            _ => {
                return Err(AuthError::DisallowedAlgorithm {
                    alg: shorten(&header.alg),
                    allowed: allowed(),
                })
            }
        };
        let key = self.select_key(header.kid.as_deref())?;
        let kid = key.kid.as_deref().unwrap_or("(no kid)");
        if !key.key_type.fits(alg) || key.alg.is_some_and(|a| a != alg) {
            return Err(AuthError::DisallowedAlgorithm {
                alg: shorten(&header.alg),
                allowed: format!(
                    "{} for {} key `{}`",
                    match key.alg {
                        Some(a) => format!("{a:?}"),
                        None => key.key_type.algorithms().to_owned(),
                    },
                    key.key_type.name(),
                    shorten(kid)
                ),
            });
        }
        let validation: Validation = jwt::signature_only_validation(alg);
        let claims = jwt::decode(id_token, &key.decoding, &validation, &header, kid)?;
        jwt::check_issuer(&claims, &self.issuer)?;
        jwt::check_audience(&claims, &self.audience)?;
        if let Some(azp) = jwt::str_claim(&claims, "azp")? {
            if azp != self.audience {
                return Err(AuthError::WrongAuthorizedParty {
                    expected: self.audience.clone(),
                    found: shorten(azp),
                });
            }
        }
        jwt::check_times(&claims, now)?;
        claims_of(&claims)
    }

    fn select_key(&self, kid: Option<&str>) -> Result<&ProviderKey, AuthError> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or_else(|| {
                    AuthError::UnknownKeyId(format!(
                        "`{}` is not in the identity provider's JWKS (known: {})",
                        shorten(kid),
                        self.key_ids().join(", ")
                    ))
                }),
            None if self.keys.len() == 1 => Ok(&self.keys[0]),
            None => Err(AuthError::UnknownKeyId(format!(
                "the token names no key (`kid` is missing) and the JWKS has {} keys",
                self.keys.len()
            ))),
        }
    }
}

fn claims_of(claims: &Map<String, Value>) -> Result<OidcClaims, AuthError> {
    let text = |name: &'static str| -> Result<Option<String>, AuthError> {
        Ok(jwt::str_claim(claims, name)?
            .filter(|s| !s.is_empty())
            .map(str::to_owned))
    };
    let sub =
        text("sub")?.ok_or_else(|| AuthError::Malformed("claim `sub` is missing".to_owned()))?;
    let email_verified = match claims.get("email_verified") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        Some(_) => {
            return Err(AuthError::Malformed(
                "claim `email_verified` is not a boolean".to_owned(),
            ))
        }
    };
    Ok(OidcClaims {
        sub,
        email: text("email")?,
        email_verified,
        name: text("name")?,
        preferred_username: text("preferred_username")?,
    })
}

/// One JWK: `Ok(None)` for a key that is skipped (see [`OidcVerifier::from_jwks`]).
fn parse_jwk(jwk: &Value, index: usize) -> Result<Option<ProviderKey>, AuthError> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    let kid = field("kid").map(str::to_owned);
    let label = match &kid {
        Some(kid) => format!("JWKS key `{kid}`"),
        None => format!("JWKS key #{index}"),
    };
    let bad = |what: &str| AuthError::InvalidConfig(format!("{label}: {what}"));
    if field("use").is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    let alg = match field("alg") {
        None => None,
        Some(name) if jwt::is_never_allowed(name) => return Ok(None),
        Some(name) => match Algorithm::from_str(name) {
            Ok(alg) => Some(alg),
            Err(_) => return Ok(None),
        },
    };
    let b64 = |name: &str| -> Result<Vec<u8>, AuthError> {
        let value = field(name).ok_or_else(|| bad(&format!("`{name}` is missing")))?;
        URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| bad(&format!("`{name}` is not base64url")))
    };
    let (key_type, decoding) = match field("kty") {
        Some("RSA") => {
            let n = b64("n")?;
            let e = b64("e")?;
            let bits = significant_bits(&n);
            if bits < 2048 {
                return Err(bad(&format!(
                    "RSA modulus has {bits} bits, fewer than the 2048 required"
                )));
            }
            if e.is_empty() {
                return Err(bad("RSA exponent is empty"));
            }
            (KeyType::Rsa, DecodingKey::from_rsa_raw_components(&n, &e))
        }
        Some("EC") => {
            let (key_type, len) = match field("crv") {
                Some("P-256") => (KeyType::P256, 32),
                Some("P-384") => (KeyType::P384, 48),
                _ => return Ok(None),
            };
            let (x, y) = (b64("x")?, b64("y")?);
            if x.len() != len || y.len() != len {
                return Err(bad(&format!("EC coordinates must be {len} bytes each")));
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (key_type, DecodingKey::from_ec_der(&point))
        }
        Some("OKP") => {
            if field("crv") != Some("Ed25519") {
                return Ok(None);
            }
            let x = b64("x")?;
            if x.len() != 32 {
                return Err(bad("an Ed25519 `x` is 32 bytes"));
            }
            (KeyType::Ed25519, DecodingKey::from_ed_der(&x))
        }
        _ => return Ok(None),
    };
    if let Some(alg) = alg {
        if !key_type.fits(alg) {
            return Err(bad(&format!(
                "`alg` {alg:?} does not fit a {} key",
                key_type.name()
            )));
        }
    }
    Ok(Some(ProviderKey {
        kid,
        key_type,
        alg,
        decoding,
    }))
}

fn significant_bits(bytes: &[u8]) -> usize {
    match bytes.iter().position(|b| *b != 0) {
        Some(first) => (bytes.len() - first - 1) * 8 + (8 - bytes[first].leading_zeros() as usize),
        None => 0,
    }
}
