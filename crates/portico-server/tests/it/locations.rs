use serde_json::json;

use crate::app::{assert_error, names, seed, TestApp, SERVICES};

#[test]
fn register_list_get_by_entity_and_delete_a_location() {
    for app in TestApp::all() {
        let root = seed(&app);
        let list = app.get("/api/catalog/locations");
        assert_eq!(list.status, 200);
        let locations = list.body.as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let id = locations[0]["data"]["id"].as_str().unwrap().to_string();
        assert_eq!(locations[0]["data"]["type"], "file");
        assert_eq!(
            locations[0]["data"]["target"],
            root.canonicalize().unwrap().to_string_lossy().as_ref()
        );

        let one = app.get(&format!("/api/catalog/locations/{id}"));
        assert_eq!(one.body["id"], id.as_str());
        let by_entity = app.get("/api/catalog/locations/by-entity/component/default/web-app");
        assert_eq!(by_entity.body["id"], id.as_str());

        // The same target again is a conflict, under any spelling of the path.
        let again = app.post(
            "/api/catalog/locations",
            &json!({ "type": "file", "target": format!("{}/./all.yaml", app.dir.path().display()) }),
        );
        assert_error(&again, 409, "ConflictError", "already exists");

        assert_eq!(
            app.delete(&format!("/api/catalog/locations/{id}")).status,
            204
        );
        assert_eq!(app.get("/api/catalog/entities").body, json!([]));
        assert_error(
            &app.get(&format!("/api/catalog/locations/{id}")),
            404,
            "NotFoundError",
            &id,
        );
        assert_error(
            &app.delete(&format!("/api/catalog/locations/{id}")),
            404,
            "NotFoundError",
            &id,
        );
    }
}

#[test]
fn registering_returns_the_entities_as_served() {
    for app in TestApp::all() {
        app.write("org.yaml", crate::app::ORG);
        let added = app.register(&app.dir.path().join("org.yaml"));
        assert_eq!(added.status, 201, "{}", added.body);
        assert!(added.body.get("exists").is_none(), "{}", added.body);
        let entities = added.body["entities"].as_array().unwrap();
        let mut got = names(&added.body["entities"]);
        got.sort();
        // The registration itself is served as a generated Location entity.
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("generated-"), "{got:?}");
        assert_eq!(got[1..], ["jane", "team-a"]);
        // Stitched relations and all, exactly what by-name serves.
        for e in entities {
            let name = e["metadata"]["name"].as_str().unwrap();
            let kind = e["kind"].as_str().unwrap().to_lowercase();
            let served = app.get(&format!(
                "/api/catalog/entities/by-name/{kind}/default/{name}"
            ));
            assert_eq!(e, &served.body);
            assert!(served.text.len() > 2 && added.text.contains(&served.text));
        }
    }
}

#[test]
fn dry_run_returns_entities_and_stores_nothing() {
    for app in TestApp::all() {
        let path = app.write("services.yaml", SERVICES);
        let r = app.post(
            "/api/catalog/locations?dryRun=true",
            &json!({ "type": "file", "target": path.to_string_lossy() }),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["exists"], false);
        let mut got = names(&r.body["entities"]);
        got.sort();
        assert!(got.contains(&"playlist-service".to_string()), "{got:?}");
        assert_eq!(app.get("/api/catalog/locations").body, json!([]));
        assert_eq!(app.get("/api/catalog/entities").body, json!([]));
        assert_eq!(app.last_change_seq(), 0);
    }
}

#[test]
fn analyze_location_reports_existing_files_or_suggests_an_entity() {
    for app in TestApp::all() {
        app.write("repo/catalog-info.yaml", SERVICES);
        let r = app.post(
            "/api/catalog/analyze-location",
            &json!({ "location": { "type": "file", "target": app.dir.path().join("repo").to_string_lossy() } }),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let files = r.body["existingEntityFiles"].as_array().unwrap();
        assert_eq!(files.len(), 4);
        assert_eq!(files[0]["isRegistered"], false);
        assert!(files[0]["location"]["target"]
            .as_str()
            .unwrap()
            .ends_with("catalog-info.yaml"));

        std::fs::create_dir_all(app.dir.path().join("empty-repo")).unwrap();
        let r = app.post(
            "/api/catalog/analyze-location",
            &json!({ "location": { "type": "file", "target": app.dir.path().join("empty-repo").to_string_lossy() } }),
        );
        assert_eq!(r.body["existingEntityFiles"], json!([]));
        assert_eq!(
            r.body["generateEntities"][0]["entity"]["metadata"]["name"],
            "empty-repo"
        );
        assert_eq!(
            r.body["generateEntities"][0]["fields"][0]["field"],
            "spec.owner"
        );
    }
}

#[test]
fn validate_entity_accepts_good_and_lists_every_problem_of_bad() {
    for app in TestApp::all() {
        let good = json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": { "name": "ok" }, "spec": { "type": "service", "lifecycle": "production", "owner": "team-a" }
        });
        let r = app.post(
            "/api/catalog/validate-entity",
            &json!({ "entity": good, "location": "url:https://example.com/x.yaml" }),
        );
        assert_eq!(r.status, 200, "{}", r.body);

        let bad = json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": { "name": "not ok", "tags": ["Go 1.15"] }, "spec": { "type": "service", "lifecycle": "production" }
        });
        let r = app.post(
            "/api/catalog/validate-entity",
            &json!({ "entity": bad, "location": "url:https://example.com/x.yaml" }),
        );
        assert_eq!(r.status, 400);
        let messages: Vec<String> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains("metadata.name")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("metadata.tags")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("spec.owner")),
            "{messages:?}"
        );
        assert_error(
            &app.post("/api/catalog/validate-entity", &json!({ "entity": good })),
            400,
            "InputError",
            "location",
        );
    }
}

#[test]
fn health_routes_answer() {
    for app in TestApp::all() {
        assert_eq!(app.get("/healthz").status, 200);
        assert_eq!(app.get("/readyz").body["status"], "ok");
    }
}
