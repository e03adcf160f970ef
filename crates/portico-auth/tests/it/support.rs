//! Minting tokens with the tests' own keys.

use std::path::PathBuf;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portico_auth::{KeyStore, Tokens};
use serde_json::{json, Value};

/// A fixed "now" for deterministic tests.
pub const NOW: i64 = 1_750_000_000;
pub const ISSUER: &str = "https://portico.example/api/auth";

/// A fresh Ed25519 key.
pub fn ed_key() -> SigningKey {
    SigningKey::from_bytes(&rand::random::<[u8; 32]>())
}

pub fn ed_pem(key: &SigningKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

pub fn ed_encoding(key: &SigningKey) -> EncodingKey {
    EncodingKey::from_ed_der(key.to_pkcs8_der().unwrap().as_bytes())
}

/// `Tokens` over a store holding only `key` as `kid`, so the test can mint tokens itself.
pub fn tokens_with(key: &SigningKey, kid: &str) -> Tokens {
    Tokens::new(KeyStore::from_pem(&ed_pem(key), kid).unwrap(), ISSUER)
}

/// Signs `claims` with jsonwebtoken under `alg`, `kid`.
pub fn mint(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

/// A token from raw header and claims JSON and raw signature bytes (for what jsonwebtoken
/// refuses to make, such as `alg: none`).
pub fn hand_made(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Typical Portico claims at `NOW`.
pub fn portico_claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": "portico",
        "sub": "user:default/jane",
        "ent": ["user:default/jane", "group:default/web"],
        "iat": NOW,
        "exp": NOW + 600,
    })
}

pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap()
}

/// The DER inside a PEM file.
pub fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

/// Replaces the payload of a signed token, keeping header and signature.
pub fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}
