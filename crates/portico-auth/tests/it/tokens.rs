//! Portico's own tokens: issue, verify, and every refusal.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use portico_auth::{AuthError, Identity, KeyStore, Tokens};
use serde_json::json;

use crate::support::*;

fn jane() -> Identity {
    Identity {
        user_entity_ref: "user:default/jane".to_owned(),
        ownership_entity_refs: vec![
            "user:default/jane".to_owned(),
            "group:default/web".to_owned(),
            "group:default/eng".to_owned(),
        ],
    }
}

/// The error's message must not carry the token (or its signature).
fn refused(tokens: &Tokens, token: &str, now: i64) -> AuthError {
    let err = tokens.verify(token, now).unwrap_err();
    assert_eq!(err.status(), 401, "{err}");
    let message = err.to_string();
    if token.len() > 8 {
        assert!(
            !message.contains(token),
            "message carries the token: {message}"
        );
    }
    if let Some(signature) = token.rsplit('.').next().filter(|s| s.len() > 8) {
        assert!(
            !message.contains(signature),
            "message carries the signature: {message}"
        );
    }
    err
}

#[test]
fn issued_token_verifies_to_the_same_identity() {
    let tokens = tokens_with(&ed_key(), "k1");
    let token = tokens.issue(&jane(), NOW, 900).unwrap();
    assert_eq!(tokens.verify(&token, NOW + 10).unwrap(), jane());

    let parts: Vec<&str> = token.split('.').collect();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], "k1");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["sub"], "user:default/jane");
    assert_eq!(claims["ent"], json!(jane().ownership_entity_refs));
    assert_eq!(claims["aud"], "portico");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 900);
}

#[test]
fn token_minted_by_the_test_with_the_configured_key_verifies() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    let token = mint(
        Algorithm::EdDSA,
        Some("k1"),
        &portico_claims(),
        &ed_encoding(&key),
    );
    let identity = tokens.verify(&token, NOW).unwrap();
    assert_eq!(identity.user_entity_ref, "user:default/jane");
    assert_eq!(
        identity.ownership_entity_refs,
        ["user:default/jane", "group:default/web"]
    );
}

#[test]
fn expired_token_is_refused_after_the_leeway() {
    let tokens = tokens_with(&ed_key(), "k1");
    let token = tokens.issue(&jane(), NOW, 60).unwrap();
    assert!(
        tokens.verify(&token, NOW + 60 + 29).is_ok(),
        "within the 30 s leeway"
    );
    let err = refused(&tokens, &token, NOW + 60 + 30);
    assert!(
        matches!(err, AuthError::Expired { exp, .. } if exp == NOW + 60),
        "{err:?}"
    );
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn token_without_exp_is_refused() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    let mut claims = portico_claims();
    claims.as_object_mut().unwrap().remove("exp");
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &ed_encoding(&key));
    let err = refused(&tokens, &token, NOW);
    assert!(
        matches!(&err, AuthError::Malformed(m) if m.contains("exp")),
        "{err:?}"
    );
}

#[test]
fn not_yet_valid_token_is_refused() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    let mut claims = portico_claims();
    claims["nbf"] = json!(NOW + 300);
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &ed_encoding(&key));
    let err = refused(&tokens, &token, NOW);
    assert!(
        matches!(err, AuthError::NotYetValid { claim: "nbf", .. }),
        "{err:?}"
    );
    assert!(tokens.verify(&token, NOW + 300).is_ok());

    // Issued in the future (a clock far ahead): `iat` beyond the leeway.
    let token = tokens.issue(&jane(), NOW + 100, 600).unwrap();
    let err = refused(&tokens, &token, NOW);
    assert!(
        matches!(err, AuthError::NotYetValid { claim: "iat", .. }),
        "{err:?}"
    );
    assert!(
        tokens.verify(&token, NOW + 71).is_ok(),
        "within the 30 s leeway"
    );
}

#[test]
fn wrong_audience_is_refused() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    let mut claims = portico_claims();
    claims["aud"] = json!("grafana");
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &ed_encoding(&key));
    let err = refused(&tokens, &token, NOW);
    assert!(matches!(err, AuthError::WrongAudience { .. }), "{err:?}");
    assert!(err.to_string().contains("grafana"), "{err}");

    claims.as_object_mut().unwrap().remove("aud");
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &ed_encoding(&key));
    assert!(matches!(
        refused(&tokens, &token, NOW),
        AuthError::WrongAudience { .. }
    ));

    // A configured audience: our default-audience token is not for it.
    let other = tokens_with(&key, "k1").with_audience("portico-staging");
    let token = tokens.issue(&jane(), NOW, 60).unwrap();
    assert!(matches!(
        refused(&other, &token, NOW),
        AuthError::WrongAudience { .. }
    ));
    let token = other.issue(&jane(), NOW, 60).unwrap();
    assert!(other.verify(&token, NOW).is_ok());
}

#[test]
fn wrong_issuer_is_refused() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    let mut claims = portico_claims();
    claims["iss"] = json!("https://evil.example");
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &ed_encoding(&key));
    let err = refused(&tokens, &token, NOW);
    assert!(matches!(err, AuthError::WrongIssuer { .. }), "{err:?}");
    assert!(err.to_string().contains("evil.example"), "{err}");
}

#[test]
fn token_signed_by_another_key_under_our_kid_is_refused() {
    let tokens = tokens_with(&ed_key(), "k1");
    let intruder = ed_key();
    let token = mint(
        Algorithm::EdDSA,
        Some("k1"),
        &portico_claims(),
        &ed_encoding(&intruder),
    );
    let err = refused(&tokens, &token, NOW);
    assert!(
        matches!(&err, AuthError::BadSignature { kid } if kid == "k1"),
        "{err:?}"
    );
}

#[test]
fn tampered_claims_are_refused() {
    let tokens = tokens_with(&ed_key(), "k1");
    let token = tokens.issue(&jane(), NOW, 600).unwrap();
    let mut claims = portico_claims();
    claims["ent"] = json!(["user:default/jane", "group:default/admins"]);
    let forged = with_payload(&token, &claims);
    assert!(matches!(
        refused(&tokens, &forged, NOW),
        AuthError::BadSignature { .. }
    ));
}

#[test]
fn alg_none_is_refused() {
    let tokens = tokens_with(&ed_key(), "k1");
    for alg in ["none", "None", "NONE"] {
        let token = hand_made(
            &json!({"alg": alg, "typ": "JWT", "kid": "k1"}),
            &portico_claims(),
            b"",
        );
        let err = refused(&tokens, &token, NOW);
        assert!(
            matches!(err, AuthError::DisallowedAlgorithm { .. }),
            "{alg}: {err:?}"
        );
    }
    // Without even a kid.
    let token = hand_made(&json!({"alg": "none"}), &portico_claims(), b"");
    assert!(matches!(
        refused(&tokens, &token, NOW),
        AuthError::DisallowedAlgorithm { .. }
    ));
}

#[test]
fn hs256_keyed_with_our_public_key_is_refused() {
    let tokens = tokens_with(&ed_key(), "k1");
    let jwks = tokens.keys().jwks();
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let raw = URL_SAFE_NO_PAD.decode(&x).unwrap();
    // The raw public key bytes, its base64url text, and the whole JWK JSON as HMAC secrets.
    let secrets: Vec<Vec<u8>> = vec![
        raw,
        x.into_bytes(),
        jwks["keys"][0].to_string().into_bytes(),
    ];
    for secret in secrets {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let token = mint(
                alg,
                Some("k1"),
                &portico_claims(),
                &EncodingKey::from_secret(&secret),
            );
            let err = refused(&tokens, &token, NOW);
            assert!(
                matches!(err, AuthError::DisallowedAlgorithm { .. }),
                "{err:?}"
            );
        }
    }
}

#[test]
fn other_asymmetric_algorithms_are_refused() {
    let tokens = tokens_with(&ed_key(), "k1");
    let rsa = EncodingKey::from_rsa_der(&pem_der(&fixture("rsa-private.pem")));
    let token = mint(Algorithm::RS256, Some("k1"), &portico_claims(), &rsa);
    let err = refused(&tokens, &token, NOW);
    assert!(
        matches!(&err, AuthError::DisallowedAlgorithm { alg, .. } if alg == "RS256"),
        "{err:?}"
    );
}

#[test]
fn unknown_or_missing_kid_is_refused() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    let token = mint(
        Algorithm::EdDSA,
        Some("k2"),
        &portico_claims(),
        &ed_encoding(&key),
    );
    let err = refused(&tokens, &token, NOW);
    assert!(
        matches!(&err, AuthError::UnknownKeyId(m) if m.contains("k2")),
        "{err:?}"
    );
    let token = mint(
        Algorithm::EdDSA,
        None,
        &portico_claims(),
        &ed_encoding(&key),
    );
    assert!(matches!(
        refused(&tokens, &token, NOW),
        AuthError::UnknownKeyId(_)
    ));
}

#[test]
fn malformed_tokens_are_refused() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    for token in ["", "abc", "a.b", "a.b.c.d", "!!!.e30.AA", "e30.e30.AA"] {
        let err = refused(&tokens, token, NOW);
        assert!(matches!(err, AuthError::Malformed(_)), "{token:?}: {err:?}");
    }
    // Oversized.
    let huge = format!("{}.e30.AA", "A".repeat(20_000));
    assert!(matches!(
        refused(&tokens, &huge, NOW),
        AuthError::Malformed(_)
    ));

    // Claims of the wrong type or missing.
    let enc = ed_encoding(&key);
    let mut claims = portico_claims();
    claims["exp"] = json!("tomorrow");
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &enc);
    assert!(matches!(refused(&tokens, &token, NOW), AuthError::Malformed(m) if m.contains("exp")));
    let mut claims = portico_claims();
    claims.as_object_mut().unwrap().remove("ent");
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &enc);
    assert!(matches!(refused(&tokens, &token, NOW), AuthError::Malformed(m) if m.contains("ent")));
    let mut claims = portico_claims();
    claims.as_object_mut().unwrap().remove("sub");
    let token = mint(Algorithm::EdDSA, Some("k1"), &claims, &enc);
    assert!(matches!(refused(&tokens, &token, NOW), AuthError::Malformed(m) if m.contains("sub")));
}

#[test]
fn critical_header_extensions_are_refused() {
    let key = ed_key();
    let tokens = tokens_with(&key, "k1");
    // Signed properly, but with a `crit` this verifier cannot honour.
    let header = json!({"alg": "EdDSA", "kid": "k1", "crit": ["exp-policy"], "exp-policy": 1});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(portico_claims().to_string())
    );
    use ed25519_dalek::Signer as _;
    let signature = key.sign(signing_input.as_bytes());
    let token = format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    );
    let err = refused(&tokens, &token, NOW);
    assert!(
        matches!(&err, AuthError::Malformed(m) if m.contains("crit")),
        "{err:?}"
    );
}

#[test]
fn issue_refuses_nonsense() {
    let tokens = tokens_with(&ed_key(), "k1");
    assert!(tokens.issue(&jane(), NOW, 0).is_err());
    let nobody = Identity {
        user_entity_ref: String::new(),
        ownership_entity_refs: vec![],
    };
    assert!(tokens.issue(&nobody, NOW, 60).is_err());
}

#[test]
fn tokens_from_a_key_directory_verify_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let first = Tokens::new(KeyStore::open(dir.path(), NOW).unwrap(), ISSUER);
    let token = first.issue(&jane(), NOW, 600).unwrap();
    let second = Tokens::new(KeyStore::open(dir.path(), NOW + 5).unwrap(), ISSUER);
    assert_eq!(second.verify(&token, NOW + 10).unwrap(), jane());
}

/// A token that verified is answered from memory the next time, but only
/// within the times a full verification allows, and only for the very same
/// bytes.
#[test]
fn a_token_seen_before_is_still_checked_for_its_times() {
    let tokens = tokens_with(&ed_key(), "k1");
    let token = tokens.issue(&jane(), NOW, 900).unwrap();
    assert_eq!(tokens.verify(&token, NOW + 10).unwrap(), jane());
    assert_eq!(tokens.verify(&token, NOW + 20).unwrap(), jane());
    assert!(matches!(
        refused(&tokens, &token, NOW - 100),
        AuthError::NotYetValid { .. }
    ));
    assert!(matches!(
        refused(&tokens, &token, NOW + 900 + 30),
        AuthError::Expired { .. }
    ));
    assert_eq!(tokens.verify(&token, NOW + 899).unwrap(), jane());
    // One character of the signature changed: not the remembered token.
    let last = token.chars().last().unwrap();
    let other = if last == 'A' { 'B' } else { 'A' };
    let tampered = format!("{}{other}", &token[..token.len() - 1]);
    refused(&tokens, &tampered, NOW + 10);
}
