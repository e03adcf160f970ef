//! Backstage's own example catalog, read as Backstage reads it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use portico_catalog::read::{read_location, LocationRead, LocationSpec, ReadOptions, Severity};

use crate::support::*;

const EXAMPLES: &str = "/work/shared/backstage-examples/catalog-model";

fn examples() -> Option<PathBuf> {
    let dir = Path::new(EXAMPLES);
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        println!("skipped: the Backstage example catalog is not at {EXAMPLES}");
        None
    }
}

fn read_root(dir: &Path, rel: &str) -> LocationRead {
    let spec = LocationSpec::file(file_of(&dir.join(rel)));
    read_location(&spec, &ReadOptions::default()).unwrap()
}

/// Every edge of the read as `source type target`.
fn edges(read: &LocationRead) -> HashSet<String> {
    read.entities
        .iter()
        .flat_map(|e| e.relations.iter())
        .map(|r| format!("{} {} {}", r.source, r.relation_type, r.target))
        .collect()
}

fn assert_edges(read: &LocationRead, expected: &[&str]) {
    let all = edges(read);
    for edge in expected {
        assert!(all.contains(*edge), "missing relation {edge}");
    }
}

#[test]
fn all_yaml_reads_without_errors() {
    let Some(dir) = examples() else { return };
    let read = read_root(&dir, "all.yaml");
    let errors: Vec<String> = read
        .all_problems()
        .filter(|p| p.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // all-apis.yaml is not in the example set: a warning, and the read is partial.
    assert!(!read.complete);
    let all = entity(&read, "location:default/example-all");
    let p = problem(&all.problems, "all-apis.yaml");
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(
        p.message,
        format!(
            "target ./all-apis.yaml (resolved to {}) does not exist",
            file_of(&dir.join("all-apis.yaml"))
        )
    );
    assert_eq!(p.line, Some(8));

    // The generated root, 5 Locations, 13 components, 3 domains, 1 resource, 3 systems.
    assert_eq!(read.entities.len(), 26, "{:?}", keys(&read));
    let artist = entity(&read, "component:default/artist-lookup");
    assert_eq!(
        artist.parent_ref.as_deref(),
        Some("location:default/example-components")
    );
    assert_eq!(
        artist.file,
        file_of(&dir.join("components/artist-lookup-component.yaml"))
    );
    assert_edges(
        &read,
        &[
            "component:default/artist-lookup ownedBy group:default/team-a",
            "group:default/team-a ownerOf component:default/artist-lookup",
            "component:default/artist-lookup partOf system:default/artist-engagement-portal",
            "system:default/artist-engagement-portal hasPart component:default/artist-lookup",
        ],
    );
    // Every entity was read once, from a file inside the examples.
    let files: HashSet<_> = read.files_read.iter().collect();
    assert_eq!(files.len(), read.files_read.len());
    assert!(read.files_read.iter().all(|f| f.starts_with(EXAMPLES)));
}

#[test]
fn spot_check_relations_against_backstage() {
    let Some(dir) = examples() else { return };
    let read = read_root(&dir, "all.yaml");
    let system = entity(&read, "system:default/artist-engagement-portal");
    let domain = system
        .entity
        .as_ref()
        .unwrap()
        .spec_str("domain")
        .unwrap()
        .to_lowercase();
    let expected_domain =
        format!("system:default/artist-engagement-portal partOf domain:default/{domain}");
    let expected_inverse =
        format!("domain:default/{domain} hasPart system:default/artist-engagement-portal");
    assert_edges(
        &read,
        &[expected_domain.as_str(), expected_inverse.as_str()],
    );
    // Components that provide and consume APIs get both directions.
    let all = edges(&read);
    for e in read.entities.iter().filter_map(|e| e.entity.as_ref()) {
        let Some(spec) = e.spec.as_ref() else {
            continue;
        };
        if let Some(apis) = spec.get("providesApis").and_then(|v| v.as_array()) {
            for api in apis.iter().filter_map(|a| a.as_str()) {
                let from = e.entity_ref().key();
                let target = if api.contains(':') {
                    api.to_lowercase()
                } else {
                    format!("api:default/{api}")
                };
                assert!(
                    all.contains(&format!("{from} providesApi {target}")),
                    "{from} -> {target}"
                );
                assert!(
                    all.contains(&format!("{target} apiProvidedBy {from}")),
                    "{target} <- {from}"
                );
            }
        }
    }
}

#[test]
fn org_yaml_reads_groups_and_users() {
    let Some(dir) = examples() else { return };
    let read = read_root(&dir, "acme/org.yaml");
    assert!(read.complete, "{:?}", shown(&read));
    assert!(!read.has_errors(), "{:?}", shown(&read));
    // The generated root, acme-corp, its Location, 8 groups, 17 users.
    assert_eq!(read.entities.len(), 28, "{:?}", keys(&read));
    entity(&read, "user:development/guest");
    entity(&read, "user:default/guest");
    assert_edges(
        &read,
        &[
            "group:default/team-a hasMember user:default/breanna.davison",
            "user:default/breanna.davison memberOf group:default/team-a",
            "group:default/team-a childOf group:default/backstage",
            "group:default/backstage parentOf group:default/team-a",
            "group:default/acme-corp parentOf group:default/infrastructure",
        ],
    );
    let breanna = entity(&read, "user:default/breanna.davison");
    assert_eq!(
        breanna.parent_ref.as_deref(),
        Some("location:default/example-groups")
    );
}

#[test]
fn every_api_file_reads_and_remote_definitions_warn() {
    let Some(dir) = examples() else { return };
    let mut api_files: Vec<PathBuf> = std::fs::read_dir(dir.join("apis"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| !p.to_string_lossy().ends_with(".oas.yaml"))
        .collect();
    api_files.sort();
    assert!(api_files.len() >= 13, "{api_files:?}");
    let mut remote = Vec::new();
    for path in &api_files {
        let read = read_root(&dir, path.strip_prefix(&dir).unwrap().to_str().unwrap());
        assert!(!read.has_errors(), "{}: {:?}", path.display(), shown(&read));
        assert!(read.complete, "{}", path.display());
        let apis: Vec<_> = read
            .entities
            .iter()
            .filter(|e| e.entity_ref.starts_with("api:"))
            .collect();
        assert_eq!(apis.len(), 1, "{}", path.display());
        if apis[0]
            .problems
            .iter()
            .any(|p| p.message.contains("remote placeholder $text https://"))
        {
            remote.push(apis[0].entity_ref.clone());
        }
    }
    remote.sort();
    assert_eq!(
        remote,
        vec![
            "api:default/config-schema",
            "api:default/spotify",
            "api:default/wayback-archive",
            "api:default/wayback-search"
        ]
    );

    let read = read_root(&dir, "apis/petstore-webhook-api.yaml");
    let hook = entity(&read, "api:default/petstore-webhook");
    assert!(hook.problems.is_empty(), "{:?}", hook.problems);
    let definition = hook
        .entity
        .as_ref()
        .unwrap()
        .spec_str("definition")
        .unwrap()
        .to_string();
    let oas = std::fs::read_to_string(dir.join("apis/petstore-webhook.oas.yaml")).unwrap();
    assert_eq!(definition, oas);
    assert!(read
        .files_read
        .contains(&file_of(&dir.join("apis/petstore-webhook.oas.yaml"))));
}

#[test]
fn invalid_component_gives_name_and_tag_errors_on_their_lines() {
    let Some(dir) = examples() else { return };
    let read = read_root(&dir, "components/invalid-component.yaml");
    let e = entity(&read, "component:default/invalid component");
    assert!(e.entity.is_none());
    let mut found: Vec<(String, u32)> = errors(&e.problems)
        .iter()
        .map(|p| (p.field.clone().unwrap(), p.line.unwrap()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("metadata.name".to_string(), 4),
            ("metadata.tags[1]".to_string(), 11)
        ]
    );
    let name = problem(&e.problems, "invalid component");
    assert!(name.to_string().starts_with(&format!(
        "{}:4: ",
        file_of(&dir.join("components/invalid-component.yaml"))
    )));
    problem(&e.problems, "go 1.15.3");
}
