//! `/api/auth`: guest and OIDC sign-in issue Portico tokens (bearer and
//! cookie), `/me` says who a token is, bad tokens are 401, and the JWKS
//! publishes the keys. The identity provider here is the test's own key.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portico_server::config::{AuthSection, OidcProviderConfig};
use portico_store::testing::TestDb;
use serde_json::{json, Value};

use crate::app::TestApp;

const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "portico-test";

const ORG: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: org }
spec: { type: organization, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: engineering }
spec: { type: department, parent: org, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: payments }
spec: { type: team, parent: engineering, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: jane }
spec:
  profile: { email: Jane@Example.com, displayName: Jane Doe }
  memberOf: [payments]
"#;

/// The identity provider: an Ed25519 key of the test's, its JWKS in a file.
struct Idp {
    _dir: tempfile::TempDir,
    jwks_file: std::path::PathBuf,
    kid: String,
    key: EncodingKey,
}

impl Idp {
    fn new() -> Idp {
        let dir = tempfile::tempdir().unwrap();
        let keys = portico_auth::KeyStore::open(&dir.path().join("keys"), 1).unwrap();
        let jwks_file = dir.path().join("jwks.json");
        let (kid, key) = Idp::publish(&keys, dir.path(), &jwks_file);
        Idp {
            jwks_file,
            kid,
            key,
            _dir: dir,
        }
    }

    /// Writes the JWKS of `keys`; the current key's id and signing key.
    fn publish(
        keys: &portico_auth::KeyStore,
        dir: &std::path::Path,
        jwks_file: &std::path::Path,
    ) -> (String, EncodingKey) {
        let kid = keys.current_kid().to_owned();
        std::fs::write(jwks_file, keys.jwks().to_string()).unwrap();
        let pem = std::fs::read_to_string(dir.join("keys").join(format!("{kid}.pem"))).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        (kid, EncodingKey::from_ed_der(&der))
    }

    /// The provider rotates its keys: a new one signs, both are published.
    fn rotate(&mut self) {
        let dir = self._dir.path().to_owned();
        let mut keys = portico_auth::KeyStore::open(&dir.join("keys"), 1).unwrap();
        keys.rotate(2).unwrap();
        (self.kid, self.key) = Idp::publish(&keys, &dir, &self.jwks_file);
    }

    /// Serves the JWKS file over HTTP, as it is at each request; its URL
    /// and the count of requests served.
    fn serve(&self) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{Read as _, Write as _};
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = served.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let file = self.jwks_file.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let body = std::fs::read_to_string(&file).unwrap_or_default();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (url, served)
    }

    fn id_token(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

fn now() -> i64 {
    portico_server::auth::now_secs()
}

fn claims(email: &str) -> Value {
    json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "idp-123", "email": email, "iat": now(), "exp": now() + 300 })
}

fn apps(idp: &Idp) -> Vec<TestApp> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let mut section = AuthSection::default();
            section.providers.oidc = Some(OidcProviderConfig {
                issuer: ISSUER.into(),
                audience: AUDIENCE.into(),
                jwks_file: Some(idp.jwks_file.clone()),
                jwks_url: None,
                algorithms: None,
                allow_unknown_users: false,
            });
            let app = TestApp::spawn_auth(db, section);
            let org = app.write("org.yaml", ORG);
            assert_eq!(app.register(&org).status, 201);
            app
        })
        .collect()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn an_oidc_id_token_for_a_known_email_signs_in_as_that_user_with_its_groups() {
    let idp = Idp::new();
    for app in apps(&idp) {
        let id_token = idp.id_token(&claims("jane@example.com"));
        let reply = app.post_with_headers(
            "/api/auth/oidc/refresh",
            b"",
            &[("Authorization", &bearer(&id_token))],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        let identity = &reply.body["backstageIdentity"]["identity"];
        assert_eq!(identity["userEntityRef"], "user:default/jane");
        let ent: Vec<&str> = identity["ownershipEntityRefs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for want in [
            "user:default/jane",
            "group:default/payments",
            "group:default/engineering",
            "group:default/org",
        ] {
            assert!(ent.contains(&want), "{want} in {ent:?}");
        }
        assert_eq!(reply.body["profile"]["displayName"], "Jane Doe");
        let expires = reply.body["backstageIdentity"]["expiresInSeconds"]
            .as_i64()
            .unwrap();
        assert_eq!(expires, 3600);
        let cookie = reply.set_cookie.clone().unwrap();
        assert!(cookie.starts_with("portico_token="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        // The Portico token says who it is, as bearer and as the cookie.
        let token = reply.body["backstageIdentity"]["token"].as_str().unwrap();
        let me = app.get_with("/api/auth/me", &[("Authorization", &bearer(token))]);
        assert_eq!(
            me.body["identity"]["userEntityRef"], "user:default/jane",
            "{}",
            me.text
        );
        let me = app.get_with(
            "/api/auth/me",
            &[("Cookie", &format!("portico_token={token}"))],
        );
        assert_eq!(me.body["identity"]["userEntityRef"], "user:default/jane");

        // The ID token in a form field works as well.
        let form = format!("id_token={id_token}");
        let reply = app.post_with_headers(
            "/api/auth/oidc/refresh",
            form.as_bytes(),
            &[("Content-Type", "application/x-www-form-urlencoded")],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
}

#[test]
fn sign_ins_that_prove_nothing_are_refused() {
    let idp = Idp::new();
    let other = Idp::new();
    for app in apps(&idp) {
        let refused = |token: &str, why: &str| {
            let reply = app.post_with_headers(
                "/api/auth/oidc/refresh",
                b"",
                &[("Authorization", &bearer(token))],
            );
            assert_eq!(reply.status, 401, "{why}: {}", reply.text);
            assert_eq!(reply.body["error"]["name"], "AuthenticationError", "{why}");
            reply.body["error"]["message"].as_str().unwrap().to_owned()
        };
        let message = refused(
            &idp.id_token(&claims("nobody@example.com")),
            "unknown email",
        );
        assert!(message.contains("nobody@example.com"), "{message}");
        let mut expired = claims("jane@example.com");
        expired["exp"] = json!(now() - 3600);
        refused(&idp.id_token(&expired), "expired");
        let mut audience = claims("jane@example.com");
        audience["aud"] = json!("someone-else");
        refused(&idp.id_token(&audience), "wrong audience");
        let mut issuer = claims("jane@example.com");
        issuer["iss"] = json!("https://evil.example.com");
        refused(&idp.id_token(&issuer), "wrong issuer");
        // Signed by another key under the provider's key id.
        let mut forged = other.id_token(&claims("jane@example.com"));
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({ "alg": "EdDSA", "kid": idp.kid }).to_string());
        forged = format!("{header}.{}", forged.split_once('.').unwrap().1);
        refused(&forged, "wrong signature");
        let none = format!(
            "{}.{}.",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(claims("jane@example.com").to_string())
        );
        refused(&none, "alg none");
        let mut early = claims("jane@example.com");
        early["nbf"] = json!(now() + 600);
        refused(&idp.id_token(&early), "not yet valid");
        // HS256, keyed with the provider's public key (which anyone has).
        let jwks: Value =
            serde_json::from_str(&std::fs::read_to_string(&idp.jwks_file).unwrap()).unwrap();
        let public = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["x"].as_str().unwrap())
            .unwrap();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(idp.kid.clone());
        let confused = jsonwebtoken::encode(
            &header,
            &claims("jane@example.com"),
            &EncodingKey::from_secret(&public),
        )
        .unwrap();
        let message = refused(&confused, "HS256 with the public key");
        assert!(message.contains("HS256"), "{message}");

        // Without any ID token.
        let reply = app.post_with_headers("/api/auth/oidc/refresh", b"", &[]);
        assert_eq!(reply.status, 401);
        // A provider that is not there.
        assert_eq!(app.get("/api/auth/github/refresh").status, 404);

        // Bad Portico tokens are 401 wherever they are presented as bearer.
        let me = app.get_with("/api/auth/me", &[("Authorization", "Bearer not-a-token")]);
        assert_eq!(me.status, 401, "{}", me.text);
        // A stale cookie is no credential: anonymous.
        let me = app.get_with("/api/auth/me", &[("Cookie", "portico_token=stale")]);
        assert_eq!(me.status, 200);
        assert_eq!(me.body["identity"], Value::Null);
    }
}

#[test]
fn guest_sign_in_the_keys_and_logout() {
    for db in TestDb::all() {
        let app = TestApp::spawn(db);
        let jwks = app.get("/api/auth/.well-known/jwks.json");
        assert_eq!(jwks.status, 200);
        let key = &jwks.body["keys"][0];
        assert_eq!(
            (
                key["kty"].as_str(),
                key["crv"].as_str(),
                key["alg"].as_str()
            ),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );

        let reply = app.get("/api/auth/guest/refresh");
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            reply.body["backstageIdentity"]["identity"]["userEntityRef"],
            "user:default/guest"
        );
        let token = reply.body["backstageIdentity"]["token"].as_str().unwrap();
        // The token's key is the published one.
        let header: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["kid"], key["kid"]);
        assert_eq!(header["alg"], "EdDSA");

        let me = app.get("/api/auth/me");
        assert_eq!(
            me.body["identity"],
            Value::Null,
            "anonymous without a token"
        );
        let out = app.post_with_headers("/api/auth/guest/logout", b"", &[]);
        assert_eq!(out.status, 200);
        let cookie = out.set_cookie.unwrap();
        assert!(
            cookie.starts_with("portico_token=;") || cookie.contains("Max-Age=0"),
            "{cookie}"
        );
    }
}

fn guest_token(app: &TestApp) -> String {
    let reply = app.post_raw("/api/auth/guest/refresh", "");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["backstageIdentity"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn who(app: &TestApp, token: &str) -> (u16, Value) {
    let me = app.get_with("/api/auth/me", &[("Authorization", &bearer(token))]);
    (me.status, me.body["identity"]["userEntityRef"].clone())
}

fn published_kids(app: &TestApp) -> Vec<String> {
    app.get("/api/auth/.well-known/jwks.json").body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Two replicas share a key directory: a key one of them makes is taken
/// up by the other at the first token it signed, old tokens stay valid
/// through a rotation, and a retired key's tokens are refused.
#[test]
fn keys_rotate_across_replicas_sharing_a_key_directory() {
    let keys = tempfile::tempdir().unwrap();
    let section = AuthSection {
        keys_dir: Some(keys.path().to_path_buf()),
        key_rotation_interval: 3600,
        token_ttl: 600,
        ..AuthSection::default()
    };
    let mut dbs = TestDb::all().into_iter();
    let (a, b) = (
        TestApp::spawn_auth(dbs.next().unwrap(), section.clone()),
        TestApp::spawn_auth(TestDb::sqlite(), section),
    );
    let first = guest_token(&a);
    assert_eq!(who(&b, &first), (200, json!("user:default/guest")));
    let before = published_kids(&a);
    assert_eq!(before.len(), 1, "{before:?}");

    // Not yet due: nothing changes.
    a.auth.maintain_keys(now() + 60).unwrap();
    assert_eq!(published_kids(&a), before);

    // Due: a new key signs; the old one still verifies.
    let later = now() + 3601;
    a.auth.maintain_keys(later).unwrap();
    let rotated = published_kids(&a);
    assert_eq!(rotated.len(), 2, "{rotated:?}");
    assert_eq!(rotated[1], before[0], "the newest key is listed first");
    let second = guest_token(&a);
    assert_ne!(kid_of(&second), kid_of(&first));
    assert_eq!(kid_of(&second), rotated[0]);
    assert_eq!(who(&a, &first), (200, json!("user:default/guest")));
    // The other replica has not seen the new key, and looks for it.
    assert_eq!(who(&b, &second), (200, json!("user:default/guest")));
    assert_eq!(published_kids(&b), rotated);

    // Once no token of the old key can be unexpired, it is retired: its
    // file goes, and its tokens are refused even before their `exp`.
    // (token ttl + verification leeway + the key loop's period)
    a.auth.maintain_keys(later + 600 + 31 + 60).unwrap();
    assert_eq!(published_kids(&a), vec![rotated[0].clone()]);
    let files = std::fs::read_dir(keys.path()).unwrap().count();
    assert_eq!(files, 1);
    let (status, _) = who(&a, &first);
    assert_eq!(status, 401);
    assert_eq!(who(&a, &second), (200, json!("user:default/guest")));
    b.auth.maintain_keys(now()).unwrap();
    assert_eq!(published_kids(&b), vec![rotated[0].clone()]);
    assert_eq!(who(&b, &first).0, 401);
}

fn kid_of(token: &str) -> String {
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

/// The identity provider rotates its keys: an ID token signed with the new
/// key sends Portico to fetch the JWKS again, and the sign-in works.
#[test]
fn a_new_identity_provider_key_is_fetched_when_a_token_names_it() {
    let mut idp = Idp::new();
    let (url, served) = idp.serve();
    let fetches = || served.load(std::sync::atomic::Ordering::SeqCst);
    let mut section = AuthSection::default();
    section.providers.oidc = Some(OidcProviderConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        jwks_file: None,
        jwks_url: Some(url),
        algorithms: None,
        allow_unknown_users: false,
    });
    let app = TestApp::spawn_auth(TestDb::sqlite(), section);
    let org = app.write("org.yaml", ORG);
    assert_eq!(app.register(&org).status, 201);
    let sign_in = |token: &str| {
        app.post_with_headers(
            "/api/auth/oidc/refresh",
            b"",
            &[("Authorization", &bearer(token))],
        )
    };
    let reply = sign_in(&idp.id_token(&claims("jane@example.com")));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(fetches(), 1, "read once, at start");

    idp.rotate();
    let reply = sign_in(&idp.id_token(&claims("jane@example.com")));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["backstageIdentity"]["identity"]["userEntityRef"],
        "user:default/jane"
    );

    // A key the provider never published is refused, and asks for no
    // second fetch within the minute.
    let stranger = Idp::new();
    let reply = sign_in(&stranger.id_token(&claims("jane@example.com")));
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert!(reply.text.contains("unknown key id"), "{}", reply.text);
    assert_eq!(fetches(), 2, "once at start, once for the rotated key");
}
