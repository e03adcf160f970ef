//! The key store: generation, files, reloading, configured keys, rotation and retirement.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use portico_auth::{AuthError, Identity, KeyStore, Tokens};

use crate::support::*;

fn someone() -> Identity {
    Identity {
        user_entity_ref: "user:default/jane".to_owned(),
        ownership_entity_refs: vec!["user:default/jane".to_owned()],
    }
}

#[test]
fn first_open_generates_a_key_file_and_second_open_reloads_it() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("data/keys");
    let store = KeyStore::open(&keys_dir, NOW).unwrap();
    let kid = store.current_kid().to_owned();
    assert!(kid.starts_with(&format!("{NOW}-")), "{kid}");
    assert_eq!(store.kids(), [kid.as_str()]);

    let file = keys_dir.join(format!("{kid}.pem"));
    let pem = std::fs::read_to_string(&file).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");
        let dir_mode = std::fs::metadata(&keys_dir).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700, "key dir mode {dir_mode:o}");
    }
    // Only the key file, no leftovers.
    let names: Vec<_> = std::fs::read_dir(&keys_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");

    let again = KeyStore::open(&keys_dir, NOW + 3600).unwrap();
    assert_eq!(again.current_kid(), kid);
    assert_eq!(again.jwks(), store.jwks(), "same key material");
}

#[test]
fn jwks_publishes_the_public_key() {
    let key = ed_key();
    let store = KeyStore::from_pem(&ed_pem(&key), "configured-1").unwrap();
    let jwks = store.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let jwk = &keys[0];
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["kid"], "configured-1");
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    assert_eq!(x, key.verifying_key().to_bytes());
    assert!(jwk.get("d").is_none(), "no private part");
    assert_eq!(jwk.as_object().unwrap().len(), 6);
}

#[test]
fn configured_key_signs_and_bad_configuration_is_refused() {
    let key = ed_key();
    let tokens = Tokens::new(
        KeyStore::from_pem(&ed_pem(&key), "prod-2025").unwrap(),
        ISSUER,
    );
    assert_eq!(tokens.keys().current_kid(), "prod-2025");
    let token = tokens.issue(&someone(), NOW, 60).unwrap();
    assert!(tokens.verify(&token, NOW).is_ok());

    let err = KeyStore::from_pem("not a pem", "k").unwrap_err();
    assert!(
        matches!(&err, AuthError::InvalidConfig(m) if m.contains("`k`")),
        "{err:?}"
    );
    assert_eq!(err.status(), 500);
    let rsa = fixture("rsa-private.pem");
    assert!(matches!(
        KeyStore::from_pem(&rsa, "k"),
        Err(AuthError::InvalidConfig(_))
    ));
    for kid in ["", "has space", "slash/y", &"x".repeat(65)] {
        assert!(
            matches!(
                KeyStore::from_pem(&ed_pem(&key), kid),
                Err(AuthError::InvalidConfig(_))
            ),
            "{kid:?}"
        );
    }
}

#[test]
fn rotation_keeps_old_tokens_valid_until_retirement() {
    const TTL: i64 = 900;
    let dir = tempfile::tempdir().unwrap();
    let mut tokens = Tokens::new(KeyStore::open(dir.path(), NOW).unwrap(), ISSUER);
    let old_kid = tokens.keys().current_kid().to_owned();
    let old_token = tokens.issue(&someone(), NOW + 50, TTL).unwrap();

    let new_kid = tokens.keys_mut().rotate(NOW + 100).unwrap();
    assert_ne!(new_kid, old_kid);
    assert_eq!(tokens.keys().current_kid(), new_kid);
    assert!(new_kid.starts_with(&format!("{}-", NOW + 100)));
    let jwks_kids = |t: &Tokens| -> Vec<String> {
        t.keys().jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        jwks_kids(&tokens),
        [new_kid.clone(), old_kid.clone()],
        "newest first"
    );

    // New tokens use the new key; the old token still verifies.
    let new_token = tokens.issue(&someone(), NOW + 200, TTL).unwrap();
    assert!(
        new_token.starts_with(&URL_SAFE_NO_PAD.encode(format!(
            r#"{{"typ":"JWT","alg":"EdDSA","kid":"{new_kid}"}}"#
        ))),
        "{new_token}"
    );
    assert!(tokens.verify(&old_token, NOW + 200).is_ok());

    // Not yet: a token signed just before the rotation may still be valid.
    let retired = tokens
        .keys_mut()
        .retire_expired(NOW + 100 + TTL, TTL)
        .unwrap();
    assert!(retired.is_empty(), "{retired:?}");
    assert!(tokens.verify(&old_token, NOW + 50 + TTL + 29).is_ok());

    // Rotation + TTL + leeway: the old key goes, from memory, the JWKS and the disk.
    let retired = tokens
        .keys_mut()
        .retire_expired(NOW + 100 + TTL + 30, TTL)
        .unwrap();
    assert_eq!(retired, [old_kid.as_str()]);
    assert_eq!(jwks_kids(&tokens), [new_kid.as_str()]);
    assert!(!dir.path().join(format!("{old_kid}.pem")).exists());
    assert!(dir.path().join(format!("{new_kid}.pem")).exists());
    let err = tokens.verify(&old_token, NOW + 200).unwrap_err();
    assert!(matches!(err, AuthError::UnknownKeyId(_)), "{err:?}");
    assert!(tokens.verify(&new_token, NOW + 300).is_ok());

    // A reopened store sees only the kept key.
    let reopened = KeyStore::open(dir.path(), NOW + 2000).unwrap();
    assert_eq!(reopened.kids(), [new_kid.as_str()]);
}

#[test]
fn the_current_key_is_never_retired() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = KeyStore::open(dir.path(), NOW).unwrap();
    let kid = store.current_kid().to_owned();
    assert!(store
        .retire_expired(NOW + 10_000_000, 60)
        .unwrap()
        .is_empty());
    assert_eq!(store.current_kid(), kid);

    // Three generations: only the ones whose successor is old enough go.
    let second = store.rotate(NOW + 1000).unwrap();
    let third = store.rotate(NOW + 5000).unwrap();
    let retired = store.retire_expired(NOW + 1000 + 60 + 30, 60).unwrap();
    assert_eq!(retired, [kid]);
    assert_eq!(store.kids(), [second.as_str(), third.as_str()]);
    let retired = store.retire_expired(NOW + 10_000_000, 60).unwrap();
    assert_eq!(retired, [second]);
    assert_eq!(store.current_kid(), third);
}

#[test]
fn rotation_with_a_clock_gone_backwards_still_makes_the_new_key_current() {
    let mut store = KeyStore::from_pem(&ed_pem(&ed_key()), "configured").unwrap();
    let a = store.rotate(NOW).unwrap();
    let b = store.rotate(NOW - 500).unwrap();
    assert_eq!(store.current_kid(), b);
    assert!(b.starts_with(&format!("{}-", NOW + 1)), "{b}");
    assert_eq!(store.kids(), ["configured", a.as_str(), b.as_str()]);
}

#[test]
fn a_badly_named_or_broken_key_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prod.pem"), ed_pem(&ed_key())).unwrap();
    let err = KeyStore::open(dir.path(), NOW).unwrap_err();
    assert!(
        matches!(&err, AuthError::InvalidConfig(m) if m.contains("prod.pem")),
        "{err:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1700000000-abc.pem"), "garbage").unwrap();
    let err = KeyStore::open(dir.path(), NOW).unwrap_err();
    assert!(
        matches!(&err, AuthError::InvalidConfig(m) if m.contains("1700000000-abc.pem")),
        "{err:?}"
    );

    // Other files are ignored; a hand-placed key with a valid name is used.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README"), "keys live here").unwrap();
    std::fs::write(dir.path().join("1700000000-manual.pem"), ed_pem(&ed_key())).unwrap();
    let store = KeyStore::open(dir.path(), NOW).unwrap();
    assert_eq!(store.current_kid(), "1700000000-manual");
}
