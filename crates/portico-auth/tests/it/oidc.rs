//! OIDC ID tokens: the tests play the identity provider with the fixture keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use portico_auth::{sign_in, AuthError, OidcVerifier, UnknownUsers};
use serde_json::{json, Value};

use crate::ownership::{catalog, lookup_in};
use crate::support::*;

const IDP: &str = "https://login.example.com";
const CLIENT_ID: &str = "portico-client";

fn verifier() -> OidcVerifier {
    OidcVerifier::from_jwks(&fixture("idp-jwks.json"), IDP, CLIENT_ID).unwrap()
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_der(&pem_der(&fixture("rsa-private.pem")))
}

fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_der(&pem_der(&fixture("ec-private.pem")))
}

fn id_claims(email: &str) -> Value {
    json!({
        "iss": IDP,
        "aud": CLIENT_ID,
        "sub": "00u1a2b3c4",
        "email": email,
        "email_verified": true,
        "name": "Jane Doe",
        "iat": NOW - 5,
        "nbf": NOW - 5,
        "exp": NOW + 300,
    })
}

fn rs256(claims: &Value) -> String {
    mint(Algorithm::RS256, Some("rsa-test-1"), claims, &rsa_key())
}

fn refused(token: &str) -> AuthError {
    let err = verifier().verify(token, NOW).unwrap_err();
    assert_eq!(err.status(), 401, "{err}");
    assert!(!err.to_string().contains(token), "{err}");
    let signature = token.rsplit('.').next().unwrap_or_default();
    assert!(
        signature.len() < 8 || !err.to_string().contains(signature),
        "{err}"
    );
    err
}

#[test]
fn valid_id_token_for_a_known_email_signs_in_with_transitive_groups() {
    let token = rs256(&id_claims("Jane.Doe@Example.com"));
    let claims = verifier().verify(&token, NOW).unwrap();
    assert_eq!(claims.sub, "00u1a2b3c4");
    assert_eq!(claims.email.as_deref(), Some("Jane.Doe@Example.com"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.name.as_deref(), Some("Jane Doe"));

    let entities = catalog();
    let identity = sign_in(
        &claims,
        entities.clone().into_iter(),
        lookup_in(&entities),
        UnknownUsers::Refuse,
    )
    .unwrap();
    assert_eq!(identity.user_entity_ref, "user:default/jane");
    assert_eq!(
        identity.ownership_entity_refs,
        [
            "user:default/jane",
            "group:default/team-web",
            "group:default/dept-eng",
            "group:default/org-acme",
        ],
        "the user, its team, the team's department and the department's organisation"
    );
}

#[test]
fn es256_id_token_verifies() {
    let token = mint(
        Algorithm::ES256,
        Some("ec-test-1"),
        &id_claims("jane.doe@example.com"),
        &ec_key(),
    );
    assert_eq!(verifier().verify(&token, NOW).unwrap().sub, "00u1a2b3c4");
}

#[test]
fn eddsa_id_token_verifies_against_an_okp_jwk_and_a_lone_key_needs_no_kid() {
    let key = ed_key();
    let jwks = json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()),
    }]});
    let verifier = OidcVerifier::from_jwks(&jwks.to_string(), IDP, CLIENT_ID).unwrap();
    let token = mint(
        Algorithm::EdDSA,
        None,
        &id_claims("a@example.com"),
        &ed_encoding(&key),
    );
    assert!(verifier.verify(&token, NOW).is_ok());
}

#[test]
fn a_token_for_an_unknown_user_is_refused() {
    let token = rs256(&id_claims("mallory@example.com"));
    let claims = verifier().verify(&token, NOW).unwrap();
    let entities = catalog();
    assert_eq!(
        portico_auth::resolve_user(&claims, entities.clone().into_iter()),
        None
    );
    let err = sign_in(
        &claims,
        entities.clone().into_iter(),
        lookup_in(&entities),
        UnknownUsers::Refuse,
    )
    .unwrap_err();
    assert!(
        matches!(&err, AuthError::UnknownUser(m) if m.contains("mallory@example.com")),
        "{err:?}"
    );
    assert_eq!(err.status(), 401);
}

#[test]
fn expired_id_token_is_refused() {
    let mut claims = id_claims("jane.doe@example.com");
    claims["exp"] = json!(NOW - 31);
    assert!(matches!(
        refused(&rs256(&claims)),
        AuthError::Expired { .. }
    ));
    claims["exp"] = json!(NOW - 29);
    assert!(
        verifier().verify(&rs256(&claims), NOW).is_ok(),
        "30 s leeway"
    );
    claims.as_object_mut().unwrap().remove("exp");
    assert!(matches!(refused(&rs256(&claims)), AuthError::Malformed(m) if m.contains("exp")));
}

#[test]
fn not_yet_valid_id_token_is_refused() {
    let mut claims = id_claims("jane.doe@example.com");
    claims["nbf"] = json!(NOW + 120);
    let err = refused(&rs256(&claims));
    assert!(
        matches!(err, AuthError::NotYetValid { claim: "nbf", at, .. } if at == NOW + 120),
        "{err:?}"
    );
    let mut claims = id_claims("jane.doe@example.com");
    claims["iat"] = json!(NOW + 120);
    assert!(matches!(
        refused(&rs256(&claims)),
        AuthError::NotYetValid { claim: "iat", .. }
    ));
}

#[test]
fn wrong_audience_is_refused_and_arrays_are_understood() {
    let mut claims = id_claims("jane.doe@example.com");
    claims["aud"] = json!("another-app");
    let err = refused(&rs256(&claims));
    assert!(
        matches!(&err, AuthError::WrongAudience { expected, .. } if expected == CLIENT_ID),
        "{err:?}"
    );
    claims["aud"] = json!(["another-app", "third-app"]);
    assert!(matches!(
        refused(&rs256(&claims)),
        AuthError::WrongAudience { .. }
    ));
    claims["aud"] = json!(["another-app", CLIENT_ID]);
    claims["azp"] = json!(CLIENT_ID);
    assert!(verifier().verify(&rs256(&claims), NOW).is_ok());
    claims["azp"] = json!("another-app");
    assert!(matches!(
        refused(&rs256(&claims)),
        AuthError::WrongAuthorizedParty { .. }
    ));
}

#[test]
fn wrong_issuer_is_refused() {
    let mut claims = id_claims("jane.doe@example.com");
    claims["iss"] = json!("https://login.example.com.evil.example");
    assert!(matches!(
        refused(&rs256(&claims)),
        AuthError::WrongIssuer { .. }
    ));
    claims["iss"] = json!("https://login.example.com/");
    assert!(
        matches!(refused(&rs256(&claims)), AuthError::WrongIssuer { .. }),
        "exact match only"
    );
    claims.as_object_mut().unwrap().remove("iss");
    let err = refused(&rs256(&claims));
    assert!(
        matches!(&err, AuthError::WrongIssuer { found, .. } if found == "missing"),
        "{err:?}"
    );
}

#[test]
fn wrong_signature_is_refused() {
    let good = rs256(&id_claims("someone@example.com"));
    // The payload swapped for another person's: the provider's signature no longer fits.
    let forged = with_payload(&good, &id_claims("jane.doe@example.com"));
    let err = refused(&forged);
    assert!(
        matches!(&err, AuthError::BadSignature { kid } if kid == "rsa-test-1"),
        "{err:?}"
    );

    // Signed by a key that is not the provider's, under the provider's EdDSA-less kid: an
    // attacker's Ed25519 key claiming to be `ec-test-1` is refused for not fitting the key.
    let attacker = ed_key();
    let token = mint(
        Algorithm::EdDSA,
        Some("ec-test-1"),
        &id_claims("jane.doe@example.com"),
        &ed_encoding(&attacker),
    );
    assert!(matches!(
        refused(&token),
        AuthError::DisallowedAlgorithm { .. }
    ));

    // An EC signature that is not the provider's: the signature part of another token.
    let other = mint(
        Algorithm::ES256,
        Some("ec-test-1"),
        &id_claims("x@example.com"),
        &ec_key(),
    );
    let mine = mint(
        Algorithm::ES256,
        Some("ec-test-1"),
        &id_claims("jane.doe@example.com"),
        &ec_key(),
    );
    let spliced = format!(
        "{}.{}",
        mine.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );
    assert!(matches!(refused(&spliced), AuthError::BadSignature { .. }));
}

#[test]
fn alg_none_is_refused() {
    for header in [
        json!({"alg": "none"}),
        json!({"alg": "none", "kid": "rsa-test-1"}),
        json!({"alg": "NoNe", "kid": "rsa-test-1", "typ": "JWT"}),
    ] {
        let token = hand_made(&header, &id_claims("jane.doe@example.com"), b"");
        let err = refused(&token);
        assert!(
            matches!(err, AuthError::DisallowedAlgorithm { .. }),
            "{header}: {err:?}"
        );
    }
}

#[test]
fn hs256_keyed_with_the_providers_public_key_is_refused() {
    let public_pem = fixture("rsa-public.pem");
    let jwks: Value = serde_json::from_str(&fixture("idp-jwks.json")).unwrap();
    for secret in [
        public_pem.as_bytes().to_vec(),
        pem_der(&public_pem),
        jwks["keys"][0]["n"].as_str().unwrap().as_bytes().to_vec(),
        jwks["keys"][0].to_string().into_bytes(),
    ] {
        for kid in [Some("rsa-test-1"), None] {
            let token = mint(
                Algorithm::HS256,
                kid,
                &id_claims("jane.doe@example.com"),
                &EncodingKey::from_secret(&secret),
            );
            let err = refused(&token);
            assert!(
                matches!(err, AuthError::DisallowedAlgorithm { .. }),
                "{err:?}"
            );
        }
    }
    // Configuration cannot open the door either.
    for alg in ["HS256", "hs512", "none"] {
        let err = verifier().with_algorithms(&["RS256", alg]).unwrap_err();
        assert!(
            matches!(&err, AuthError::InvalidConfig(m) if m.contains(alg)),
            "{err:?}"
        );
    }
}

#[test]
fn algorithm_must_be_allowed_and_fit_the_key() {
    // ES256 named with the RSA key's kid.
    let token = mint(
        Algorithm::ES256,
        Some("rsa-test-1"),
        &id_claims("j@example.com"),
        &ec_key(),
    );
    let err = refused(&token);
    assert!(
        matches!(&err, AuthError::DisallowedAlgorithm { allowed, .. } if allowed.contains("RSA")),
        "{err:?}"
    );
    // RS256 named with the EC key's kid.
    let token = mint(
        Algorithm::RS256,
        Some("ec-test-1"),
        &id_claims("j@example.com"),
        &rsa_key(),
    );
    assert!(matches!(
        refused(&token),
        AuthError::DisallowedAlgorithm { .. }
    ));
    // RS384 fits an RSA key, but the JWK says RS256 and the allow-list lacks RS384.
    let token = mint(
        Algorithm::RS384,
        Some("rsa-test-1"),
        &id_claims("j@example.com"),
        &rsa_key(),
    );
    assert!(matches!(
        refused(&token),
        AuthError::DisallowedAlgorithm { .. }
    ));
    // An allow-list of ES256 only refuses the provider's RS256 tokens.
    let strict = verifier().with_algorithms(&["ES256"]).unwrap();
    let err = strict
        .verify(&rs256(&id_claims("j@example.com")), NOW)
        .unwrap_err();
    assert!(
        matches!(&err, AuthError::DisallowedAlgorithm { alg, allowed } if alg == "RS256" && allowed == "ES256"),
        "{err:?}"
    );
    assert!(verifier().with_algorithms(&["RS257"]).is_err());
    assert!(verifier().with_algorithms(&[]).is_err());
}

#[test]
fn unknown_kid_is_refused() {
    let token = mint(
        Algorithm::RS256,
        Some("rotated-away"),
        &id_claims("j@example.com"),
        &rsa_key(),
    );
    let err = refused(&token);
    assert!(
        matches!(&err, AuthError::UnknownKeyId(m) if m.contains("rotated-away")),
        "{err:?}"
    );
    // Two keys and no kid: which one is meant is unknown.
    let token = mint(
        Algorithm::RS256,
        None,
        &id_claims("j@example.com"),
        &rsa_key(),
    );
    assert!(matches!(refused(&token), AuthError::UnknownKeyId(_)));
}

#[test]
fn jwks_problems_are_configuration_errors() {
    let cases = [
        ("not json", "not JSON"),
        (r#"{"nokeys": []}"#, "`keys`"),
        (r#"{"keys": []}"#, "no usable"),
        (
            r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}"#,
            "no usable",
        ),
        (
            r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "short"}]}"#,
            "`short`",
        ),
        (
            r#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "ec"}]}"#,
            "32 bytes",
        ),
    ];
    for (jwks, needle) in cases {
        let err = OidcVerifier::from_jwks(jwks, IDP, CLIENT_ID).unwrap_err();
        assert!(
            matches!(&err, AuthError::InvalidConfig(m) if m.contains(needle)),
            "{jwks}: {err:?}"
        );
        assert_eq!(err.status(), 500);
    }
    // A weak RSA key.
    let n = URL_SAFE_NO_PAD.encode([0xffu8; 128]);
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "weak", "n": n, "e": "AQAB"}]});
    let err = OidcVerifier::from_jwks(&jwks.to_string(), IDP, CLIENT_ID).unwrap_err();
    assert!(
        matches!(&err, AuthError::InvalidConfig(m) if m.contains("1024 bits")),
        "{err:?}"
    );
    // The same kid twice.
    let mut doc: Value = serde_json::from_str(&fixture("idp-jwks.json")).unwrap();
    let first = doc["keys"][0].clone();
    doc["keys"].as_array_mut().unwrap().push(first);
    let err = OidcVerifier::from_jwks(&doc.to_string(), IDP, CLIENT_ID).unwrap_err();
    assert!(
        matches!(&err, AuthError::InvalidConfig(m) if m.contains("twice")),
        "{err:?}"
    );
    // Encryption keys and symmetric keys next to a good key are skipped.
    let mut doc: Value = serde_json::from_str(&fixture("idp-jwks.json")).unwrap();
    let mut enc = doc["keys"][1].clone();
    enc["use"] = json!("enc");
    enc["kid"] = json!("enc-1");
    doc["keys"].as_array_mut().unwrap().push(enc);
    doc["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}));
    let verifier = OidcVerifier::from_jwks(&doc.to_string(), IDP, CLIENT_ID).unwrap();
    assert_eq!(verifier.key_ids(), ["rsa-test-1", "ec-test-1"]);
}

#[test]
fn jwks_from_a_file() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idp-jwks.json");
    let verifier = OidcVerifier::from_jwks_file(&path, IDP, CLIENT_ID).unwrap();
    assert!(verifier
        .verify(&rs256(&id_claims("j@example.com")), NOW)
        .is_ok());
    let missing = path.with_file_name("nope.json");
    let err = OidcVerifier::from_jwks_file(&missing, IDP, CLIENT_ID).unwrap_err();
    assert!(err.to_string().contains("nope.json"), "{err}");
}

#[test]
fn email_verified_as_a_string_is_understood() {
    let mut claims = id_claims("jane.doe@example.com");
    claims["email_verified"] = json!("false");
    let verified = verifier().verify(&rs256(&claims), NOW).unwrap();
    assert_eq!(verified.email_verified, Some(false));
    claims["email_verified"] = json!(7);
    assert!(
        matches!(refused(&rs256(&claims)), AuthError::Malformed(m) if m.contains("email_verified"))
    );
}
