//! The permission policy, enforced: writes need a signed-in caller or a
//! permitted service token, unregistering and deleting need ownership (or
//! the admin group), reads need sign-in where anonymous reads are off, and
//! the UI offers only what the viewer may do. Every refusal changes nothing.

use portico_server::config::{AuthSection, ServiceTokenConfig};
use portico_store::testing::TestDb;
use serde_json::json;

use crate::app::TestApp;

const ORG: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: admins }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-a }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-a-sre }
spec: { type: sub-team, parent: team-a, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-b }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: jane }
spec: { memberOf: [team-a] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: carol }
spec: { memberOf: [team-a-sre] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bob }
spec: { memberOf: [team-b] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: root }
spec: { memberOf: [admins] }
"#;

const SERVICES: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: playlist-service }
spec: { type: service, lifecycle: production, owner: team-a }
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: { name: playlist-api }
spec: { type: openapi, lifecycle: production, owner: group:default/team-a, definition: "openapi: 3.0.0" }
"#;

/// A service token that may register and refresh, but not delete.
const CI_BOT: &str = "ci-bot-token-0123456789abcdef";
/// A service token that may only unregister.
const CLEANER: &str = "cleaner-token-0123456789abcdef";

fn section(allow_anonymous_read: bool) -> AuthSection {
    let service = |token: &str, subject: &str, permissions: &[&str]| ServiceTokenConfig {
        token: Some(token.into()),
        token_env: None,
        subject: subject.into(),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
    };
    AuthSection {
        allow_anonymous_read,
        admin_group: Some("admins".into()),
        service_tokens: vec![
            service(CI_BOT, "ci-bot", &["location-create", "entity-refresh"]),
            service(CLEANER, "cleaner", &["location-delete"]),
        ],
        ..AuthSection::default()
    }
}

fn apps(allow_anonymous_read: bool) -> Vec<TestApp> {
    TestDb::all()
        .into_iter()
        .map(|db| TestApp::spawn_auth(db, section(allow_anonymous_read)))
        .collect()
}

/// `Authorization` for a user signed in as sign-in would: the ownership
/// refs come from the catalog (the user, its groups and their parents).
fn as_user(app: &TestApp, user: &str) -> String {
    let ent = portico_auth::ownership_refs(user, |r| app.catalog.index().get(r).map(|e| e.value()));
    let identity = portico_auth::Identity {
        user_entity_ref: user.to_owned(),
        ownership_entity_refs: ent,
    };
    format!("Bearer {}", app.auth.issue(&identity).unwrap().0)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Registers the org and the services (as the operator); the services'
/// location id.
fn seed(app: &TestApp) -> String {
    let org = app.write("org.yaml", ORG);
    assert_eq!(app.register(&org).status, 201);
    register_services(app)
}

fn register_services(app: &TestApp) -> String {
    let services = app.write("services.yaml", SERVICES);
    let reply = app.register(&services);
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["location"]["id"].as_str().unwrap().to_owned()
}

fn message(reply: &crate::app::Reply) -> String {
    reply.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn has_playlist(app: &TestApp) -> bool {
    app.get("/api/catalog/entities/by-name/component/default/playlist-service")
        .status
        == 200
}

#[test]
fn only_owners_admins_and_permitted_services_unregister_a_location() {
    for app in apps(true) {
        let id = seed(&app);
        let path = format!("/api/catalog/locations/{id}");
        let before = app.snapshot();

        // A member of another group.
        let bob = as_user(&app, "user:default/bob");
        let reply = app.delete_with(&path, &[("Authorization", &bob)]);
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert_eq!(reply.body["error"]["name"], "NotAllowedError");
        let why = message(&reply);
        assert!(
            why.contains("unregistering this location needs ownership of group:default/team-a")
                && why.contains("group:default/admins")
                && why.contains("you are user:default/bob with group:default/team-b"),
            "{why}"
        );
        assert_eq!(app.snapshot(), before, "a refusal changes nothing");

        // A service token without `location-delete`.
        let reply = app.delete_with(&path, &[("Authorization", &bearer(CI_BOT))]);
        assert_eq!(reply.status, 403, "{}", reply.text);
        let why = message(&reply);
        assert!(
            why.contains("`location-delete`")
                && why.contains("`ci-bot` has location-create, entity-refresh"),
            "{why}"
        );
        // Nobody, and a token that is nobody's.
        let reply = app.delete_with(&path, &[]);
        assert_eq!(reply.status, 401, "{}", reply.text);
        assert!(message(&reply).contains("needs sign-in"), "{}", reply.text);
        let reply = app.delete_with(&path, &[("Authorization", "Bearer forged.token.here")]);
        assert_eq!(reply.status, 401, "{}", reply.text);
        assert_eq!(app.snapshot(), before, "refusals change nothing");

        // A member of the owning group may.
        let jane = as_user(&app, "user:default/jane");
        let reply = app.delete_with(&path, &[("Authorization", &jane)]);
        assert_eq!(reply.status, 204, "{}", reply.text);
        assert!(!has_playlist(&app));

        // So may a member of a sub-team of the owner, an admin, and a
        // service permitted `location-delete`.
        for who in [
            as_user(&app, "user:default/carol"),
            as_user(&app, "user:default/root"),
            bearer(CLEANER),
        ] {
            let id = register_services(&app);
            let reply = app.delete_with(
                &format!("/api/catalog/locations/{id}"),
                &[("Authorization", &who)],
            );
            assert_eq!(reply.status, 204, "{}", reply.text);
            assert!(!has_playlist(&app));
        }

        // The org's location registers every group and user: no team owns
        // all of it, so only an admin may remove it.
        let org_id = app
            .get("/api/catalog/locations/by-entity/group/default/team-a")
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let reply = app.delete_with(
            &format!("/api/catalog/locations/{org_id}"),
            &[("Authorization", &jane)],
        );
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(message(&reply).contains("group:default/"), "{}", reply.text);
        assert_eq!(
            app.get("/api/catalog/entities/by-name/group/default/team-b")
                .status,
            200
        );

        // Each refusal is in the audit log as denied, with its caller.
        let audit = app.get_with(
            "/api/audit?actor=user:default/bob",
            &[("Authorization", &as_user(&app, "user:default/root"))],
        );
        assert_eq!(audit.status, 200, "{}", audit.text);
        let items = audit.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["action"], "DELETE /api/catalog/locations/{id}");
        assert_eq!(items[0]["result"], "denied");
        assert_eq!(items[0]["detail"]["status"], 403);
    }
}

#[test]
fn deleting_an_entity_needs_its_owner_or_an_admin() {
    for app in apps(true) {
        seed(&app);
        let entity = app
            .get("/api/catalog/entities/by-name/api/default/playlist-api")
            .body;
        let uid = entity["metadata"]["uid"].as_str().unwrap().to_owned();
        let path = format!("/api/catalog/entities/by-uid/{uid}");
        let before = app.snapshot();

        let reply = app.delete_with(
            &path,
            &[("Authorization", &as_user(&app, "user:default/bob"))],
        );
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(
            message(&reply)
                .starts_with("deleting this entity needs ownership of group:default/team-a"),
            "{}",
            reply.text
        );
        let reply = app.delete_with(&path, &[("Authorization", &bearer(CLEANER))]);
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(
            message(&reply).contains("`entity-delete`"),
            "{}",
            reply.text
        );
        assert_eq!(app.snapshot(), before);

        let reply = app.delete_with(
            &path,
            &[("Authorization", &as_user(&app, "user:default/jane"))],
        );
        assert_eq!(reply.status, 204, "{}", reply.text);
        assert_eq!(
            app.get("/api/catalog/entities/by-name/api/default/playlist-api")
                .status,
            404
        );
    }
}

#[test]
fn writes_need_a_signed_in_caller_or_a_permitted_service() {
    for app in apps(true) {
        seed(&app);
        let file = app.write(
            "more.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: radio }\nspec: { type: service, lifecycle: production, owner: team-b }\n",
        );
        let location = json!({ "type": "file", "target": file.to_string_lossy() });
        let before = app.snapshot();
        let seq = app.last_change_seq();

        // Anonymous writes are refused before any handler, through the API...
        for (path, body) in [
            ("/api/catalog/locations", location.clone()),
            ("/api/catalog/locations?dryRun=true", location.clone()),
            (
                "/api/catalog/refresh",
                json!({ "entityRef": "component:default/playlist-service" }),
            ),
            (
                "/api/catalog/analyze-location",
                json!({ "location": location }),
            ),
            (
                "/api/scaffolder/v2/tasks",
                json!({ "templateRef": "template:default/x" }),
            ),
            ("/api/scaffolder/v2/dry-run", json!({ "template": {} })),
        ] {
            let reply = app.post_anonymous(path, &body);
            assert_eq!(reply.status, 401, "{path}: {}", reply.text);
            assert_eq!(reply.body["error"]["name"], "AuthenticationError");
            assert!(message(&reply).contains("needs sign-in"), "{}", reply.text);
        }
        // ...and the UI's forms send the browser to sign in first.
        for path in [
            "/catalog/default/component/playlist-service/refresh",
            "/catalog/default/component/playlist-service/unregister",
            "/catalog-import",
        ] {
            let reply = app.post_form_anonymous(path, &[("url", "x")], &[]);
            assert_eq!(reply.status, 303, "{path}: {}", reply.text);
            assert_eq!(
                reply.location.as_deref(),
                Some("/sign-in?next=%2Fcatalog"),
                "{path}"
            );
        }
        // From a page of this site (its Referer), back to that page.
        let page = format!(
            "{}/catalog/default/component/playlist-service?tab=x",
            app.base
        );
        let reply = app.post_form_anonymous(
            "/catalog/default/component/playlist-service/refresh",
            &[],
            &[("Referer", &page)],
        );
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert_eq!(
            reply.location.as_deref(),
            Some("/sign-in?next=%2Fcatalog%2Fdefault%2Fcomponent%2Fplaylist-service%3Ftab%3Dx")
        );
        // Reads that are POSTs stay reads.
        let refs = app.post_anonymous(
            "/api/catalog/entities/by-refs",
            &json!({ "entityRefs": ["component:default/playlist-service"] }),
        );
        assert_eq!(refs.status, 200, "{}", refs.text);
        assert_eq!(app.snapshot(), before);
        assert_eq!(app.last_change_seq(), seq, "nothing was written");

        // A service token does what it is permitted, and only that.
        let ci = [("Authorization", bearer(CI_BOT))];
        let ci: Vec<(&str, &str)> = ci.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = app.post_with_headers(
            "/api/catalog/refresh",
            br#"{"entityRef":"component:default/playlist-service"}"#,
            &ci,
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        let reply = app.post_with_headers("/api/scaffolder/v2/dry-run", br#"{"template":{}}"#, &ci);
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(message(&reply).contains("`template-run`"), "{}", reply.text);
        let reply = app.post_with_headers(
            "/api/catalog/locations",
            location.to_string().as_bytes(),
            &[("Authorization", &bearer(CLEANER))],
        );
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(
            message(&reply).contains("`location-create`"),
            "{}",
            reply.text
        );
        assert_eq!(app.snapshot(), before);
        let reply = app.post_with_headers(
            "/api/catalog/locations",
            location.to_string().as_bytes(),
            &ci,
        );
        assert_eq!(reply.status, 201, "{}", reply.text);

        // Any signed-in user may register and refresh.
        let bob = as_user(&app, "user:default/bob");
        let reply = app.post_with_headers(
            "/api/catalog/refresh",
            br#"{"entityRef":"component:default/playlist-service"}"#,
            &[("Authorization", &bob)],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
}

#[test]
fn with_anonymous_reads_off_everything_but_sign_in_needs_credentials() {
    for app in apps(false) {
        seed(&app);
        for path in [
            "/api/catalog/entities",
            "/api/catalog/locations",
            "/api/search/query?term=playlist",
            "/api/catalog/entities/by-name/component/default/playlist-service",
        ] {
            let reply = app.get(path);
            assert_eq!(reply.status, 401, "{path}: {}", reply.text);
            assert!(
                message(&reply).contains("auth.allowAnonymousRead"),
                "{}",
                reply.text
            );
        }
        let refs = app.post_anonymous(
            "/api/catalog/entities/by-refs",
            &json!({ "entityRefs": ["component:default/playlist-service"] }),
        );
        assert_eq!(refs.status, 401, "{}", refs.text);
        // Pages send the browser to sign in, and back afterwards.
        let page = app.get("/catalog?kind=api");
        assert_eq!(page.status, 303);
        assert_eq!(
            page.location.as_deref(),
            Some("/sign-in?next=%2Fcatalog%3Fkind%3Dapi")
        );
        // What signing in needs stays open.
        for path in ["/healthz", "/sign-in", "/api/auth/.well-known/jwks.json"] {
            assert_eq!(app.get(path).status, 200, "{path}");
        }
        let css = format!("/static/portico.css?v={}", portico_web::assets::version());
        assert_eq!(app.get(&css).status, 200, "{css}");
        let guest = app.post_raw("/api/auth/guest/refresh", "");
        assert_eq!(guest.status, 200, "{}", guest.text);
        let token = guest.body["backstageIdentity"]["token"].as_str().unwrap();

        // Signed in, by bearer or by the UI's cookie, reads work.
        let reply = app.get_with(
            "/api/catalog/entities",
            &[("Authorization", &bearer(token))],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(
            crate::app::names(&reply.body).contains(&"playlist-service".to_owned()),
            "{}",
            reply.text
        );
        let cookie = format!("portico_token={token}");
        let page = app.get_with("/catalog?kind=api", &[("Cookie", &cookie)]);
        assert_eq!(page.status, 200);
        assert!(page.text.contains("playlist-api"));
        // A service token reads whatever its permissions.
        let reply = app.get_with(
            "/api/catalog/entities",
            &[("Authorization", &bearer(CLEANER))],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
}

fn buttons(html: &str) -> (bool, bool, bool) {
    (
        html.contains("/playlist-service/refresh\""),
        html.contains("/playlist-service/unregister\""),
        html.contains("data-testid=\"sign-in-to-act\""),
    )
}

#[test]
fn the_ui_offers_only_what_the_viewer_may_do() {
    for app in apps(true) {
        let id = seed(&app);
        let page = "/catalog/default/component/playlist-service";
        let before = app.snapshot();

        // Anonymous: a way to sign in, no actions.
        let html = app.get(page).text;
        assert_eq!(buttons(&html), (false, false, true));
        let confirm = app.get(&format!("{page}/unregister"));
        assert_eq!(confirm.status, 303);
        let create = app.get("/catalog-import").text;
        assert!(create.contains("data-testid=\"sign-in-needed\""));

        // Another team: refresh, but no unregister; asking anyway is a
        // page that says why, and posting the form changes nothing.
        let bob = as_user(&app, "user:default/bob");
        let html = app.get_with(page, &[("Authorization", &bob)]).text;
        assert_eq!(buttons(&html), (true, false, false));
        let confirm = app.get_with(&format!("{page}/unregister"), &[("Authorization", &bob)]);
        assert_eq!(confirm.status, 403);
        assert!(
            confirm
                .text
                .contains("needs ownership of group:default/team-a"),
            "{}",
            confirm.text
        );
        let reply = app.post_form_with(
            &format!("{page}/unregister"),
            &[("location", &id)],
            &[("Authorization", &bob)],
        );
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert_eq!(app.snapshot(), before);
        let import = app
            .get_with("/catalog-import", &[("Authorization", &bob)])
            .text;
        assert!(!import.contains("sign-in-needed"));

        // The owner: both, and the form works.
        let jane = as_user(&app, "user:default/jane");
        let html = app.get_with(page, &[("Authorization", &jane)]).text;
        assert_eq!(buttons(&html), (true, true, false));
        let confirm = app.get_with(&format!("{page}/unregister"), &[("Authorization", &jane)]);
        assert_eq!(confirm.status, 200, "{}", confirm.text);
        let reply = app.post_form_with(
            &format!("{page}/unregister"),
            &[("location", &id)],
            &[("Authorization", &jane)],
        );
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert!(!has_playlist(&app));
    }
}

/// Memberships decide what a user may do, so a registered file must not
/// be able to make anyone a member of anything: with the organisation
/// confined to configured locations, Groups and Users in a registered
/// location are refused, at registration and at every later read.
#[test]
fn a_registered_location_cannot_make_anyone_a_member_of_anything() {
    for db in TestDb::all() {
        let config = portico_catalog::CatalogConfig {
            org_locations: Some(Vec::new()),
            ..portico_catalog::CatalogConfig::default()
        };
        let app = TestApp::spawn_full(db, config, None);
        let sneaky = app.write(
            "sneaky.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: sneaky }\nspec: { type: team, parent: admins, children: [], members: [bob] }\n",
        );
        let before = app.snapshot();
        let reply = app.register(&sneaky);
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert!(
            reply
                .text
                .contains("group:default/sneaky cannot be registered here")
                && reply
                    .text
                    .contains("catalog.allowOrgFromRegisteredLocations"),
            "{}",
            reply.text
        );
        assert_eq!(app.snapshot(), before);

        // A file that registered fine and later grows a User: the User is
        // not taken, and the location says why.
        let services = register_services(&app);
        app.write(
            "services.yaml",
            &format!("{SERVICES}---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {{ name: bob }}\nspec: {{ memberOf: [admins] }}\n"),
        );
        let reply = app.post(
            "/api/catalog/refresh",
            &json!({ "entityRef": "component:default/playlist-service" }),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            app.get("/api/catalog/entities/by-name/user/default/bob")
                .status,
            404
        );
        assert!(has_playlist(&app));
        let failed = app.get("/api/catalog/entities/unprocessed/failed").text;
        assert!(
            failed.contains("user:default/bob cannot be registered here")
                || app
                    .get(&format!("/api/catalog/locations/{services}"))
                    .text
                    .contains("user:default/bob cannot be registered here"),
            "{failed}"
        );
    }
}

/// A location with nothing anyone owns in the catalog (here: every entity
/// in it failed) cannot be shown to be anyone's: only an admin removes it.
#[test]
fn a_location_nobody_can_be_shown_to_own_is_an_admins_to_remove() {
    for app in apps(true) {
        seed(&app);
        let file = app.write(
            "broken.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: broken }\nspec: { type: service, lifecycle: production, owner: team-a }\n",
        );
        let reply = app.register(&file);
        assert_eq!(reply.status, 201, "{}", reply.text);
        let id = reply.body["location"]["id"].as_str().unwrap().to_owned();
        // The file is emptied: the location now registers nothing.
        app.write("broken.yaml", "# nothing here any more\n");
        let refresh = app.post(
            "/api/catalog/refresh",
            &json!({ "entityRef": "component:default/broken" }),
        );
        assert_eq!(refresh.status, 200, "{}", refresh.text);
        assert_eq!(
            app.get("/api/catalog/entities/by-name/component/default/broken")
                .status,
            404
        );
        let path = format!("/api/catalog/locations/{id}");
        let reply = app.delete_with(
            &path,
            &[("Authorization", &as_user(&app, "user:default/jane"))],
        );
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(
            message(&reply).contains("group:default/admins"),
            "{}",
            reply.text
        );
        assert_eq!(app.get(&path).status, 200);
        let reply = app.delete_with(
            &path,
            &[("Authorization", &as_user(&app, "user:default/root"))],
        );
        assert_eq!(reply.status, 204, "{}", reply.text);
    }
}
