use portico_catalog::OrphanStrategy;
use portico_store::testing::TestDb;
use serde_json::json;

use crate::app::{relation_targets, seed, TestApp, SERVICES};

fn refresh(app: &TestApp, entity_ref: &str) {
    let r = app.post("/api/catalog/refresh", &json!({ "entityRef": entity_ref }));
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn refresh_picks_up_edits_and_an_identical_read_writes_nothing() {
    for app in TestApp::all() {
        seed(&app);
        let before = app
            .get("/api/catalog/entities/by-name/component/default/web-app")
            .body;
        let seq = app.last_change_seq();
        refresh(&app, "component:default/web-app");
        assert_eq!(
            app.last_change_seq(),
            seq,
            "identical content must write nothing"
        );

        app.write(
            "services.yaml",
            &SERVICES.replace("lifecycle: experimental", "lifecycle: production"),
        );
        refresh(&app, "component:default/web-app");
        let after = app
            .get("/api/catalog/entities/by-name/component/default/web-app")
            .body;
        assert_eq!(after["spec"]["lifecycle"], "production");
        assert_eq!(
            after["metadata"]["uid"], before["metadata"]["uid"],
            "uid is stable"
        );
        assert_ne!(
            after["metadata"]["etag"], before["metadata"]["etag"],
            "etag changes with the entity"
        );
    }
}

#[test]
fn a_vanished_or_broken_file_keeps_entities_and_reports_the_error() {
    for app in TestApp::all() {
        seed(&app);
        // Location entities may gain a warning about the missing target; the
        // entities a user relies on must stay exactly as they were.
        let catalog = "/api/catalog/entities?filter=kind=component&filter=kind=api&filter=kind=resource&filter=kind=group&filter=kind=user";
        let before = app.get(catalog).body;
        app.write("services.yaml", "kind: [broken\n");
        refresh(&app, "group:default/team-a");
        assert_eq!(
            app.get(catalog).body,
            before,
            "a failed read must not change entities"
        );
        let failed = app.get("/api/catalog/entities/unprocessed/failed").body;
        let loc_errors = failed["locations"][0]["errors"].to_string();
        assert!(
            loc_errors.contains("services.yaml:") && loc_errors.contains("YAML syntax error"),
            "{failed}"
        );

        std::fs::remove_file(app.dir.path().join("services.yaml")).unwrap();
        refresh(&app, "group:default/team-a");
        assert_eq!(
            app.get(catalog).body,
            before,
            "a vanished file must not change entities"
        );
        // A missing target is reported on the Location entity that names it.
        let root = app
            .get("/api/catalog/entities/by-name/location/default/root")
            .body;
        let items = root["status"]["items"].to_string();
        assert!(
            items.contains("services.yaml") && items.contains("does not exist"),
            "{root}"
        );

        // The root itself vanishing is also just an error on the location.
        std::fs::remove_file(app.dir.path().join("all.yaml")).unwrap();
        refresh(&app, "group:default/team-a");
        assert_eq!(app.get(catalog).body, before);
    }
}

#[test]
fn an_entity_that_breaks_keeps_its_last_good_version_with_errors_in_status() {
    for app in TestApp::all() {
        seed(&app);
        app.write(
            "services.yaml",
            &SERVICES.replace("  owner: group:default/team-a\n", ""),
        );
        refresh(&app, "component:default/web-app");
        let web = app
            .get("/api/catalog/entities/by-name/component/default/web-app")
            .body;
        assert_eq!(
            web["spec"]["owner"], "group:default/team-a",
            "last good version stays served"
        );
        let items = web["status"]["items"].as_array().expect("status items");
        assert_eq!(items[0]["level"], "error");
        assert_eq!(items[0]["type"], "backstage.io/catalog-processing");
        assert!(
            items[0]["message"].as_str().unwrap().contains("spec.owner"),
            "{web}"
        );
        let failed = app.get("/api/catalog/entities/unprocessed/failed").body;
        assert_eq!(
            failed["entities"][0]["entityRef"],
            "component:default/web-app"
        );
        // Other entities of the same file were still processed.
        assert_eq!(
            app.get("/api/catalog/entities/by-name/api/default/playlist-api")
                .status,
            200
        );
    }
}

#[test]
fn entities_a_location_stops_emitting_are_deleted_or_orphaned_per_config() {
    let without_db = SERVICES
        .split("---")
        .filter(|d| !d.contains("name: playlist-db"))
        .collect::<Vec<_>>()
        .join("---");
    for db in TestDb::all() {
        let app = TestApp::spawn_with(db, OrphanStrategy::Keep);
        seed(&app);
        app.write("services.yaml", &without_db);
        refresh(&app, "group:default/team-a");
        let orphan = app
            .get("/api/catalog/entities/by-name/resource/default/playlist-db")
            .body;
        assert_eq!(
            orphan["metadata"]["annotations"]["backstage.io/orphan"], "true",
            "{orphan}"
        );
        let svc = app
            .get("/api/catalog/entities/by-name/component/default/playlist-service")
            .body;
        assert!(svc["metadata"]["annotations"]
            .get("backstage.io/orphan")
            .is_none());
    }
    for app in TestApp::all() {
        seed(&app);
        app.write("services.yaml", &without_db);
        refresh(&app, "group:default/team-a");
        assert_eq!(
            app.get("/api/catalog/entities/by-name/resource/default/playlist-db")
                .status,
            404
        );
        let group = app
            .get("/api/catalog/entities/by-name/group/default/team-a")
            .body;
        assert!(!relation_targets(&group, "ownerOf")
            .contains(&"resource:default/playlist-db".to_string()));
    }
}
