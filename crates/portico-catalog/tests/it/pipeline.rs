//! The whole pipeline — read, validate, relate, commit, stitch, index — over
//! Backstage's own example catalog, on every configured database.

use std::path::{Path, PathBuf};

use portico_catalog::{AddMode, Catalog, CatalogConfig, CatalogError};
use portico_store::testing::TestDb;
use serde_json::Value;

fn examples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/backstage-examples/catalog-model");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: Backstage's example catalog is not at {}",
            dir.display()
        );
        None
    }
}

fn relations(catalog: &Catalog, key: &str, relation_type: &str) -> Vec<String> {
    let entity = catalog
        .index()
        .get(key)
        .unwrap_or_else(|| panic!("{key} is in the catalog"))
        .value();
    let mut out: Vec<String> = entity["relations"]
        .as_array()
        .map(|rels| {
            rels.iter()
                .filter(|r| r["type"] == relation_type)
                .filter_map(|r| r["targetRef"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn backstage_example_catalog_ingests_with_zero_errors_and_backstage_relations() {
    let Some(dir) = examples() else { return };
    for db in TestDb::all() {
        let catalog = Catalog::open(db.store().clone(), CatalogConfig::default()).unwrap();
        let mut roots = vec![
            dir.join("all.yaml"),
            dir.join("acme/org.yaml"),
            dir.join("components/different-namespace.yaml"),
        ];
        let mut apis: Vec<PathBuf> = std::fs::read_dir(dir.join("apis"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.to_string_lossy().ends_with(".oas.yaml"))
            .collect();
        apis.sort();
        roots.extend(apis);
        for root in &roots {
            // Strict: any error would refuse the file.
            let added = catalog
                .add_location("file", &root.to_string_lossy(), AddMode::Strict)
                .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
            let errors: Vec<_> = Catalog::location_problems(&added.location)
                .into_iter()
                .filter(|p| p.level == "error")
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", root.display());
        }
        assert!(catalog.failed_entities().unwrap().is_empty());
        // 67 entities in the files, minus the invalid one, plus one generated
        // Location per registered root.
        let files_entities = 66;
        assert_eq!(catalog.index().len(), files_entities + roots.len());

        assert_eq!(
            relations(&catalog, "component:default/artist-lookup", "ownedBy"),
            vec!["group:default/team-a"]
        );
        assert_eq!(
            relations(&catalog, "component:default/artist-lookup", "partOf"),
            vec!["system:default/artist-engagement-portal"]
        );
        assert_eq!(
            relations(
                &catalog,
                "component:default/wayback-archive-storage",
                "partOf"
            ),
            vec!["component:default/wayback-archive"]
        );
        assert_eq!(
            relations(&catalog, "component:default/wayback-search", "consumesApi"),
            vec!["api:default/wayback-archive"]
        );
        assert_eq!(
            relations(&catalog, "api:default/wayback-archive", "apiConsumedBy"),
            vec!["component:default/wayback-search"]
        );
        assert_eq!(
            relations(&catalog, "api:default/wayback-archive", "apiProvidedBy"),
            vec!["component:default/wayback-archive"]
        );
        assert_eq!(
            relations(&catalog, "component:default/petstore", "providesApi"),
            vec![
                "api:default/hello-world",
                "api:default/petstore",
                "api:default/streetlights"
            ]
        );
        assert_eq!(
            relations(&catalog, "system:default/audio-playback", "partOf"),
            vec!["domain:default/playback"]
        );
        assert_eq!(
            relations(&catalog, "group:default/backstage", "parentOf"),
            vec!["group:default/team-a", "group:default/team-b"]
        );
        assert_eq!(
            relations(&catalog, "group:default/team-b", "childOf"),
            vec!["group:default/backstage"]
        );
        assert!(relations(&catalog, "group:default/team-b", "hasMember")
            .contains(&"user:default/amelia.park".to_string()));
        assert_eq!(
            relations(&catalog, "user:default/amelia.park", "memberOf"),
            vec!["group:default/team-b"]
        );
        // A ref with a namespace keeps it; the referring entity's namespace is the default.
        assert_eq!(
            relations(
                &catalog,
                "component:alternative/different-namespace",
                "ownedBy"
            ),
            vec!["group:default/team-a"]
        );
        assert!(relations(&catalog, "group:default/team-a", "ownerOf")
            .contains(&"component:alternative/different-namespace".to_string()));
        // Placeholders: the local one resolved, remote ones left with a warning.
        let webhook = catalog
            .index()
            .get("api:default/petstore-webhook")
            .unwrap()
            .value();
        assert!(
            webhook["spec"]["definition"]
                .as_str()
                .unwrap()
                .contains("openapi"),
            "{}",
            webhook["spec"]["definition"]
        );
        let spotify = catalog.index().get("api:default/spotify").unwrap().value();
        assert_eq!(
            spotify["status"]["items"][0]["level"], "warning",
            "{}",
            spotify["status"]
        );
        // The missing all-apis.yaml is reported on the root Location, not fatal.
        let all = catalog
            .index()
            .get("location:default/example-all")
            .unwrap()
            .value();
        assert!(
            all["status"]["items"].to_string().contains("all-apis.yaml"),
            "{}",
            all["status"]
        );
    }
}

#[test]
fn the_intentionally_invalid_example_is_refused_with_both_errors() {
    let Some(dir) = examples() else { return };
    let db = TestDb::sqlite();
    let catalog = Catalog::open(db.store().clone(), CatalogConfig::default()).unwrap();
    let err = catalog
        .add_location(
            "file",
            &dir.join("components/invalid-component.yaml")
                .to_string_lossy(),
            AddMode::Strict,
        )
        .unwrap_err();
    let CatalogError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("metadata.name") && t.contains(":4:")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("metadata.tags[1]")),
        "{text:?}"
    );
    assert!(catalog.locations().unwrap().is_empty());
    assert_eq!(catalog.index().len(), 0);
}

#[test]
fn uid_is_stable_and_etag_follows_content_across_refreshes() {
    for db in TestDb::all() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.yaml");
        let doc = |lifecycle: &str| {
            format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c1\nspec:\n  type: service\n  lifecycle: {lifecycle}\n  owner: team-x\n")
        };
        std::fs::write(&file, doc("production")).unwrap();
        let catalog = Catalog::open(db.store().clone(), CatalogConfig::default()).unwrap();
        let added = catalog
            .add_location("file", &file.to_string_lossy(), AddMode::Strict)
            .unwrap();
        let first: Value = catalog.index().get("component:default/c1").unwrap().value();
        assert_eq!(
            catalog.refresh_location(&added.location.id).unwrap(),
            portico_catalog::RefreshOutcome::Unchanged
        );
        std::fs::write(&file, doc("deprecated")).unwrap();
        catalog.refresh_location(&added.location.id).unwrap();
        let second = catalog.index().get("component:default/c1").unwrap().value();
        assert_eq!(first["metadata"]["uid"], second["metadata"]["uid"]);
        assert_ne!(first["metadata"]["etag"], second["metadata"]["etag"]);
        // The index keeps the stored final JSON text as is.
        let rows = db
            .store()
            .read(|tx| tx.entities_by_refs(&["component:default/c1".to_string()]))
            .unwrap();
        assert_eq!(
            Some(
                catalog
                    .index()
                    .get("component:default/c1")
                    .unwrap()
                    .as_str()
            ),
            rows[0].final_json.as_deref()
        );

        // A second catalog over the same database (another replica) sees the
        // same state, and follows later writes through the change log.
        let replica = Catalog::open(db.store().clone(), CatalogConfig::default()).unwrap();
        assert_eq!(
            replica.index().get("component:default/c1").unwrap().value()["spec"]["lifecycle"],
            "deprecated"
        );
        std::fs::write(&file, doc("experimental")).unwrap();
        catalog.refresh_location(&added.location.id).unwrap();
        assert_eq!(
            replica.index().get("component:default/c1").unwrap().value()["spec"]["lifecycle"],
            "deprecated"
        );
        assert!(replica.sync().unwrap() >= 1);
        assert_eq!(
            replica.index().get("component:default/c1").unwrap().value()["spec"]["lifecycle"],
            "experimental"
        );
    }
}
