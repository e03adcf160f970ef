//! What token verification costs per request: `cargo bench -p portico-auth --bench verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use portico_auth::{Identity, KeyStore, OidcVerifier, Tokens};

const NOW: i64 = 1_750_000_000;

fn typical_identity() -> Identity {
    let refs = [
        "user:default/jane.doe",
        "group:default/team-web",
        "group:default/dept-engineering",
        "group:default/org-acme",
        "group:default/guild-frontend",
        "group:default/oncall-web",
    ];
    Identity {
        user_entity_ref: refs[0].to_owned(),
        ownership_entity_refs: refs.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn portico_tokens(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("portico-auth-bench-{}", std::process::id()));
    let keys = KeyStore::open(&dir, NOW).unwrap();
    let tokens = Tokens::new(keys, "https://portico.example/api/auth");
    let identity = typical_identity();
    let token = tokens.issue(&identity, NOW, 900).unwrap();
    assert_eq!(tokens.verify(&token, NOW + 1).unwrap(), identity);

    // First sight: a fresh clone has verified nothing (cloning is not timed).
    c.bench_function("verify portico token (sub + 5 ent)", |b| {
        b.iter_batched_ref(
            || tokens.clone(),
            |fresh| fresh.verify(black_box(&token), black_box(NOW + 1)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    // Every later request with the same token.
    c.bench_function("verify portico token seen before", |b| {
        b.iter(|| {
            tokens
                .verify(black_box(&token), black_box(NOW + 1))
                .unwrap()
        })
    });
    // The floor: the Ed25519 signature check alone, with the public key already decompressed.
    let public: [u8; 32] = {
        use base64::Engine as _;
        let x = tokens.keys().jwks()["keys"][0]["x"]
            .as_str()
            .unwrap()
            .to_owned();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(x)
            .unwrap()
            .try_into()
            .unwrap()
    };
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    let signature = {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap();
        ed25519_dalek::Signature::from_slice(&bytes).unwrap()
    };
    c.bench_function("baseline: Ed25519 signature check only", |b| {
        b.iter(|| {
            use ed25519_dalek::Verifier as _;
            verifying
                .verify(black_box(message.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });
    c.bench_function("issue portico token (sub + 5 ent)", |b| {
        b.iter(|| {
            tokens
                .issue(black_box(&identity), black_box(NOW), 900)
                .unwrap()
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn oidc_tokens(c: &mut Criterion) {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let verifier = OidcVerifier::from_jwks_file(
        &fixtures.join("idp-jwks.json"),
        "https://login.example.com",
        "portico-client",
    )
    .unwrap();
    let pem = std::fs::read_to_string(fixtures.join("rsa-private.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("rsa-test-1".to_owned());
    let claims = serde_json::json!({
        "iss": "https://login.example.com", "aud": "portico-client", "sub": "00u1",
        "email": "jane.doe@example.com", "iat": NOW, "exp": NOW + 300,
    });
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_der(&der),
    )
    .unwrap();
    assert!(verifier.verify(&token, NOW).is_ok());
    c.bench_function("verify OIDC ID token (RS256, 2048 bits)", |b| {
        b.iter(|| verifier.verify(black_box(&token), black_box(NOW)).unwrap())
    });
}

criterion_group!(benches, portico_tokens, oidc_tokens);
criterion_main!(benches);
