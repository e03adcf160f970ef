//! The audit log: every write, through the API or a UI form, is recorded
//! with the caller and the outcome; `GET /api/audit` is for admins and
//! services permitted `audit-read`.

use portico_server::config::{AuthSection, ServiceTokenConfig};
use portico_store::testing::TestDb;
use serde_json::Value;

use crate::app::TestApp;

const AUDITOR: &str = "Bearer audit-token-0123456789abcdef";

fn apps() -> Vec<TestApp> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let section = AuthSection {
                admin_group: Some("group:default/admins".into()),
                service_tokens: vec![ServiceTokenConfig {
                    token: Some("audit-token-0123456789abcdef".into()),
                    token_env: None,
                    subject: "auditor".into(),
                    permissions: vec!["audit-read".into()],
                }],
                ..AuthSection::default()
            };
            TestApp::spawn_auth(db, section)
        })
        .collect()
}

fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let reply = app.get_with(&format!("/api/audit{query}"), &[("Authorization", AUDITOR)]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"].as_array().unwrap().clone()
}

#[test]
fn every_write_is_recorded_with_its_caller_and_outcome() {
    for app in apps() {
        let file = app.write("c.yaml", crate::app::SERVICES);
        assert_eq!(app.register(&file).status, 201);
        let anonymous = app.post_anonymous(
            "/api/catalog/locations",
            &serde_json::json!({ "type": "file", "target": file.to_string_lossy() }),
        );
        assert_eq!(anonymous.status, 401, "{}", anonymous.text);
        let guest = app.post_raw("/api/auth/guest/refresh", "");
        let token = guest.body["backstageIdentity"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let refresh = app.post_with_headers(
            "/api/catalog/refresh",
            br#"{"entityRef":"component:default/web-app"}"#,
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/json"),
            ],
        );
        assert_eq!(refresh.status, 200, "{}", refresh.text);
        // A UI form post, and a write that fails.
        let ui = app.post_form("/catalog/default/component/web-app/refresh", &[]);
        assert_eq!(ui.status, 303);
        assert_eq!(app.delete("/api/catalog/locations/no-such-id").status, 404);
        // Reads are not writes.
        app.get("/api/catalog/entities");

        let items = audit(&app, "");
        let seen: Vec<(String, String, String)> = items
            .iter()
            .map(|i| {
                (
                    i["actor"].as_str().unwrap().to_owned(),
                    i["action"].as_str().unwrap().to_owned(),
                    i["result"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let has = |actor: &str, action: &str, result: &str| {
            seen.iter()
                .any(|(a, act, r)| a == actor && act == action && r == result)
        };
        assert!(
            has(
                "user:default/operator",
                "POST /api/catalog/locations",
                "allowed"
            ),
            "{seen:?}"
        );
        assert!(
            has("anonymous", "POST /api/catalog/locations", "denied"),
            "{seen:?}"
        );
        assert!(
            has("user:default/guest", "POST /api/catalog/refresh", "allowed"),
            "{seen:?}"
        );
        assert!(
            has(
                "user:default/operator",
                "POST /catalog/{namespace}/{kind}/{name}/refresh",
                "allowed"
            ),
            "{seen:?}"
        );
        assert!(
            has(
                "user:default/operator",
                "DELETE /api/catalog/locations/{id}",
                "failed"
            ),
            "{seen:?}"
        );
        assert!(
            has(
                "user:default/guest",
                "POST /api/auth/{provider}/refresh",
                "allowed"
            ),
            "{seen:?}"
        );
        assert!(
            !seen.iter().any(|(_, action, _)| action.starts_with("GET ")),
            "{seen:?}"
        );

        // Filters: by entity (the UI form names it), actor and time.
        let web_app = audit(&app, "?entityRef=component:default/web-app");
        assert_eq!(web_app.len(), 1, "{web_app:?}");
        assert_eq!(
            web_app[0]["target"],
            "/catalog/default/component/web-app/refresh"
        );
        let guests = audit(&app, "?actor=user:default/guest");
        assert_eq!(guests.len(), 2, "the sign-in and the refresh: {guests:?}");
        let newest = items[0]["at"].as_str().unwrap().to_owned();
        let since = audit(&app, &format!("?since={newest}"));
        assert!(!since.is_empty() && since.len() < items.len(), "{since:?}");
        let bad = app.get_with("/api/audit?since=yesterday", &[("Authorization", AUDITOR)]);
        assert_eq!(bad.status, 400);
        assert!(bad.text.contains("RFC 3339"), "{}", bad.text);

        // Only admins and permitted services read it.
        assert_eq!(app.get("/api/audit").status, 401);
        let reply = app.get_with(
            "/api/audit",
            &[("Authorization", &format!("Bearer {token}"))],
        );
        assert_eq!(reply.status, 403, "{}", reply.text);
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("group:default/admins"), "{message}");
        // A write with credentials that are no one's is recorded as such.
        app.post_with_headers(
            "/api/catalog/refresh",
            b"{}",
            &[
                ("Authorization", "Bearer nonsense"),
                ("Content-Type", "application/json"),
            ],
        );
        let items = audit(&app, "?actor=invalid-credentials");
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["action"], "POST /api/catalog/refresh");
    }
}
