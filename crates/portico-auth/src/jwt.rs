//! What Portico's tokens and OIDC ID tokens share: reading the header before any key is
//! chosen, mapping jsonwebtoken's errors, and checking the registered claims against a
//! `now` given by the caller (jsonwebtoken's `Validation` only knows the system clock, so its
//! time, audience and issuer checks are switched off and done here).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use crate::error::{shorten, AuthError};

/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECONDS: i64 = 30;

/// Tokens longer than this are refused before any parsing.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The claims of a token whose signature has been verified.
pub(crate) type Claims = Map<String, Value>;

/// The two header fields that decide how a token is checked.
pub(crate) struct RawHeader {
    pub alg: String,
    pub kid: Option<String>,
}

/// The header fields read; any others are ignored.
#[derive(serde::Deserialize)]
struct HeaderFields {
    #[serde(default)]
    alg: Option<Value>,
    #[serde(default)]
    kid: Option<Value>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// Reads the header without trusting it: shape, `alg`, `kid`; `crit` is refused since no
/// critical extension is understood here.
pub(crate) fn parse_header(token: &str) -> Result<RawHeader, AuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::Malformed(format!(
            "the token is {} bytes long, more than the {MAX_TOKEN_LEN} allowed",
            token.len()
        )));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed(
            "a JWT has three parts separated by `.`".to_owned(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed("the header is not base64url".to_owned()))?;
    // Only the fields that matter, typed: reading the whole header into a
    // map costs more than the rest of a verification's parsing together.
    let header: HeaderFields = serde_json::from_slice(&bytes)
        .map_err(|_| AuthError::Malformed("the header is not a JSON object".to_owned()))?;
    let alg = match header.alg {
        Some(Value::String(alg)) => alg,
        Some(_) => {
            return Err(AuthError::Malformed(
                "header `alg` is not a string".to_owned(),
            ))
        }
        None => return Err(AuthError::Malformed("header `alg` is missing".to_owned())),
    };
    let kid = match header.kid {
        Some(Value::String(kid)) => Some(kid),
        None | Some(Value::Null) => None,
        Some(_) => {
            return Err(AuthError::Malformed(
                "header `kid` is not a string".to_owned(),
            ))
        }
    };
    if header.crit.is_some() {
        return Err(AuthError::Malformed(
            "header `crit` names extensions this verifier does not understand".to_owned(),
        ));
    }
    Ok(RawHeader { alg, kid })
}

/// `none` and every HMAC algorithm: refused wherever a public key is involved, whatever the
/// configuration says (an HMAC "verified" with a public key is forgeable by anyone).
pub(crate) fn is_never_allowed(alg: &str) -> bool {
    alg.eq_ignore_ascii_case("none") || alg.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("hs"))
}

/// A `Validation` that only checks the signature and the algorithm: the claims are checked
/// by [`check_times`], [`check_issuer`] and [`check_audience`] with the caller's clock.
pub(crate) fn signature_only_validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
}

/// Verifies the signature with `key` and returns the claims.
pub(crate) fn decode(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    validation: &Validation,
    header: &RawHeader,
    kid: &str,
) -> Result<Claims, AuthError> {
    match jsonwebtoken::decode::<Claims>(token, key, validation) {
        Ok(data) => Ok(data.claims),
        Err(err) => Err(match err.kind() {
            ErrorKind::InvalidSignature => AuthError::BadSignature { kid: shorten(kid) },
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
                AuthError::DisallowedAlgorithm {
                    alg: shorten(&header.alg),
                    allowed: format!("{:?} for key `{}`", validation.algorithms, shorten(kid)),
                }
            }
            ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat => {
                AuthError::InvalidConfig(format!("key `{}` is unusable: {err}", shorten(kid)))
            }
            _ => AuthError::Malformed(format!("the token could not be decoded: {err}")),
        }),
    }
}

/// Verifies an Ed25519 signature (`alg: EdDSA`, already checked) with a
/// decompressed public key and returns the claims: Portico's own tokens,
/// where the key is known and decompressing it per request would be waste.
pub(crate) fn decode_eddsa(
    token: &str,
    key: &ed25519_dalek::VerifyingKey,
    kid: &str,
) -> Result<Claims, AuthError> {
    let malformed = |what: &str| AuthError::Malformed(format!("the token's {what}"));
    let (message, signature) = token
        .rsplit_once('.')
        .ok_or_else(|| malformed("signature is missing"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| malformed("signature is not base64url"))?;
    let signature = ed25519_dalek::Signature::from_slice(&signature)
        .map_err(|_| AuthError::BadSignature { kid: shorten(kid) })?;
    // RFC 8032 verification (S must be canonical). The "strict" variant
    // also refuses small-order points, which matters for signatures that
    // must be unique; no one but us holds the key that signs these, and the
    // verified-token memory is keyed by the whole token.
    ed25519_dalek::Verifier::verify(key, message.as_bytes(), &signature)
        .map_err(|_| AuthError::BadSignature { kid: shorten(kid) })?;
    let payload = message
        .split_once('.')
        .map(|(_, payload)| payload)
        .ok_or_else(|| malformed("claims are missing"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| malformed("claims are not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| malformed("claims are not a JSON object"))
}

/// An integer claim (a NumericDate); a fractional one is cut to whole seconds.
pub(crate) fn int_claim(claims: &Claims, name: &'static str) -> Result<Option<i64>, AuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Some(i)),
            (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f as i64)),
            _ => Err(AuthError::Malformed(format!(
                "claim `{name}` is out of range"
            ))),
        },
        Some(_) => Err(AuthError::Malformed(format!(
            "claim `{name}` is not a number"
        ))),
    }
}

/// A string claim.
pub(crate) fn str_claim<'a>(
    claims: &'a Claims,
    name: &'static str,
) -> Result<Option<&'a str>, AuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AuthError::Malformed(format!(
            "claim `{name}` is not a string"
        ))),
    }
}

/// `exp` required and not past; `nbf` and `iat`, when present, not in the future; each with
/// [`LEEWAY_SECONDS`].
pub(crate) fn check_times(claims: &Claims, now: i64) -> Result<(), AuthError> {
    let leeway = LEEWAY_SECONDS;
    let Some(exp) = int_claim(claims, "exp")? else {
        return Err(AuthError::Malformed("claim `exp` is missing".to_owned()));
    };
    if now >= exp.saturating_add(leeway) {
        return Err(AuthError::Expired { exp, now, leeway });
    }
    for claim in ["nbf", "iat"] {
        if let Some(at) = int_claim(claims, claim)? {
            if at > now.saturating_add(leeway) {
                return Err(AuthError::NotYetValid {
                    claim,
                    at,
                    now,
                    leeway,
                });
            }
        }
    }
    Ok(())
}

/// `iss` must be exactly `expected`.
pub(crate) fn check_issuer(claims: &Claims, expected: &str) -> Result<(), AuthError> {
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == expected => Ok(()),
        other => Err(AuthError::WrongIssuer {
            expected: expected.to_owned(),
            found: describe(other),
        }),
    }
}

/// `aud` (a string or an array of strings) must contain `expected`.
pub(crate) fn check_audience(claims: &Claims, expected: &str) -> Result<(), AuthError> {
    let ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AuthError::WrongAudience {
            expected: expected.to_owned(),
            found: describe(claims.get("aud")),
        })
    }
}

/// A claim's value for a message: quoted and shortened.
fn describe(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "missing".to_owned(),
        Some(Value::String(s)) => format!("`{}`", shorten(s)),
        Some(other) => shorten(&other.to_string()),
    }
}
