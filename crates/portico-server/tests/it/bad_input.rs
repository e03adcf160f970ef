//! Every kind of bad catalog input is refused with a clear message and leaves
//! what clients see unchanged.

use serde_json::json;

use crate::app::{assert_error, seed, TestApp};

const GOOD_COMPONENT: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: fine\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

fn refused(app: &TestApp, file: &str, content: &str, status: u16, name: &str, parts: &[&str]) {
    let before = app.snapshot();
    let seq = app.last_change_seq();
    let path = app.write(file, content);
    let r = app.register(&path);
    for part in parts {
        assert_error(&r, status, name, part);
    }
    assert_eq!(app.snapshot(), before, "{file}: store changed");
    assert_eq!(app.last_change_seq(), seq, "{file}: change log moved");
}

#[test]
fn bad_documents_are_refused_and_change_nothing() {
    for app in TestApp::all() {
        seed(&app);
        refused(
            &app,
            "syntax.yaml",
            "kind: Component\nmetadata:\n  name: [unclosed\n",
            400,
            "InputError",
            &["syntax.yaml:4:1", "YAML syntax error"],
        );
        refused(
            &app,
            "list.yaml",
            "- just\n- a list\n",
            400,
            "InputError",
            &["list.yaml:1", "mapping"],
        );
        refused(
            &app,
            "name.yaml",
            &GOOD_COMPONENT.replace("name: fine", "name: not fine"),
            400,
            "InputError",
            &["name.yaml:4", "metadata.name"],
        );
        refused(
            &app,
            "namespace.yaml",
            &GOOD_COMPONENT.replace("name: fine", "name: fine\n  namespace: Bad_NS"),
            400,
            "InputError",
            &["metadata.namespace", "Bad_NS"],
        );
        refused(
            &app,
            "tag.yaml",
            &GOOD_COMPONENT.replace("name: fine", "name: fine\n  tags: [ok, Not OK]"),
            400,
            "InputError",
            &["metadata.tags[1]"],
        );
        refused(
            &app,
            "label.yaml",
            &GOOD_COMPONENT.replace("name: fine", "name: fine\n  labels:\n    'bad key!': x"),
            400,
            "InputError",
            &["metadata.labels"],
        );
        refused(
            &app,
            "annotation.yaml",
            &GOOD_COMPONENT.replace("name: fine", "name: fine\n  annotations:\n    '/nokey': x"),
            400,
            "InputError",
            &["metadata.annotations"],
        );
        refused(
            &app,
            "owner.yaml",
            &GOOD_COMPONENT.replace("  owner: team-a\n", ""),
            400,
            "InputError",
            &["spec.owner"],
        );
        refused(
            &app,
            "depends.yaml",
            &GOOD_COMPONENT.replace("owner: team-a", "owner: team-a\n  dependsOn: [playlist-db]"),
            400,
            "InputError",
            &["spec.dependsOn[0]"],
        );
        // A Location cycle.
        app.write("b.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: b\nspec:\n  target: ./a.yaml\n");
        refused(
            &app,
            "a.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: a\nspec:\n  target: ./b.yaml\n",
            400,
            "InputError",
            &["cycle"],
        );
        // 10 MB of junk.
        let junk: String = (0..10 * 1024 * 1024)
            .map(|i| (b'!' + (i % 90) as u8) as char)
            .collect();
        refused(
            &app,
            "junk.yaml",
            &junk,
            400,
            "InputError",
            &["junk.yaml", "limit"],
        );
        // A missing file inside the allowed root.
        let missing = app.dir.path().join("nope/catalog.yaml");
        let r = app.post(
            "/api/catalog/locations",
            &json!({ "type": "file", "target": missing.to_string_lossy() }),
        );
        assert_error(&r, 404, "NotFoundError", "nope/catalog.yaml");
        let r = app.post(
            "/api/catalog/locations",
            &json!({ "type": "ftp", "target": "x" }),
        );
        assert_error(&r, 400, "InputError", "ftp");
    }
}

#[test]
fn a_second_location_claiming_an_entity_is_409_and_the_first_keeps_it() {
    for app in TestApp::all() {
        seed(&app);
        let before = app.snapshot();
        let other = app.write(
            "other.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: web-app\n  description: an impostor\nspec:\n  type: website\n  lifecycle: production\n  owner: team-a\n",
        );
        let r = app.register(&other);
        assert_error(&r, 409, "ConflictError", "component:default/web-app");
        assert_eq!(app.snapshot(), before);
        let web = app
            .get("/api/catalog/entities/by-name/component/default/web-app")
            .body;
        assert!(web["metadata"]["description"].is_null(), "{web}");
    }
}

#[test]
fn files_outside_the_allowed_roots_are_403_and_change_nothing() {
    for app in TestApp::all() {
        seed(&app);
        let before = app.snapshot();
        let seq = app.last_change_seq();
        let elsewhere = tempfile::tempdir().unwrap();
        let outside = elsewhere.path().join("catalog-info.yaml");
        std::fs::write(&outside, GOOD_COMPONENT).unwrap();
        for target in [
            outside.to_string_lossy().into_owned(),
            "/etc/passwd".to_string(),
            "/no/such/file.yaml".to_string(),
        ] {
            let r = app.post(
                "/api/catalog/locations",
                &json!({ "type": "file", "target": target }),
            );
            assert_error(
                &r,
                403,
                "NotAllowedError",
                "outside the allowed file location roots",
            );
            let r = app.post(
                "/api/catalog/locations?dryRun=true",
                &json!({ "type": "file", "target": target }),
            );
            assert_error(&r, 403, "NotAllowedError", "outside");
        }
        // `..` does not climb out, nor does a symlink inside the root.
        let climbing = format!("{}/../{}", app.dir.path().display(), "etc/passwd");
        let r = app.post(
            "/api/catalog/locations",
            &json!({ "type": "file", "target": climbing }),
        );
        assert_error(&r, 403, "NotAllowedError", "outside");
        let link = app.dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        assert_error(&app.register(&link), 403, "NotAllowedError", "outside");
        let r = app.post(
            "/api/catalog/analyze-location",
            &json!({ "location": { "type": "file", "target": "/etc" } }),
        );
        assert_error(&r, 403, "NotAllowedError", "/etc");

        // A Location inside the root may not name a target outside it.
        let nested = app.write(
            "escape.yaml",
            &format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: escape\nspec:\n  target: {}\n",
                outside.display()
            ),
        );
        assert_error(
            &app.register(&nested),
            400,
            "InputError",
            "outside the allowed file location roots",
        );

        assert_eq!(app.snapshot(), before);
        assert_eq!(app.last_change_seq(), seq);
    }
}
