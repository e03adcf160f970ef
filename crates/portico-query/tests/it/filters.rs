use portico_query::{EntityFilter, QueryError};
use serde_json::json;

use crate::{entity, index_of, names_matching, strings};

fn catalog() -> portico_query::CatalogIndex {
    index_of(vec![
        entity(
            "Component",
            "svc-a",
            json!({
                "metadata": {"tags": ["Java", "web"],
                             "annotations": {"backstage.io/techdocs-ref": "dir:.",
                                             "github.com/project-slug": "Org/Svc-A"}},
                "spec": {"type": "Service", "owner": "team-a", "lifecycle": "production"},
                "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"},
                              {"type": "partOf", "targetRef": "system:default/shop"}],
            }),
        ),
        entity(
            "Component",
            "svc-b",
            json!({
                "metadata": {"namespace": "ops", "tags": ["rust"]},
                "spec": {"type": "website", "owner": "Team-B", "lifecycle": "experimental"},
                "relations": [{"type": "ownedBy", "targetRef": "group:default/team-b"}],
            }),
        ),
        entity(
            "API",
            "api-c",
            json!({"spec": {"type": "openapi", "owner": "team-a", "definition": null}}),
        ),
        entity("Group", "team-a", json!({"spec": {"type": "team"}})),
    ])
}

#[test]
fn conditions_in_one_param_are_anded() {
    let idx = catalog();
    assert_eq!(
        names_matching(&idx, &["kind=component,spec.owner=team-a"]),
        vec!["svc-a"]
    );
    assert!(names_matching(&idx, &["kind=api,spec.type=service"]).is_empty());
}

#[test]
fn params_are_ored() {
    let idx = catalog();
    assert_eq!(
        names_matching(&idx, &["kind=api", "kind=group"]),
        vec!["api-c", "team-a"]
    );
    assert_eq!(
        names_matching(&idx, &["spec.type=service", "spec.owner=team-a"]),
        vec!["api-c", "svc-a"]
    );
}

#[test]
fn no_filter_matches_all() {
    let idx = catalog();
    assert_eq!(names_matching(&idx, &[]).len(), 4);
    assert_eq!(names_matching(&idx, &[""]).len(), 4);
}

#[test]
fn bare_key_means_exists() {
    let idx = catalog();
    assert_eq!(
        names_matching(&idx, &["spec.lifecycle"]),
        vec!["svc-a", "svc-b"]
    );
    assert_eq!(
        names_matching(&idx, &["metadata.tags,kind=component"]),
        vec!["svc-a", "svc-b"]
    );
    // A null value still makes the key exist, as in Backstage's search table.
    assert_eq!(names_matching(&idx, &["spec.definition"]), vec!["api-c"]);
    assert!(names_matching(&idx, &["spec.nothing"]).is_empty());
}

#[test]
fn matching_is_case_insensitive_on_keys_and_values() {
    let idx = catalog();
    assert_eq!(
        names_matching(&idx, &["KIND=COMPONENT,Spec.Type=SERVICE"]),
        vec!["svc-a"]
    );
    assert_eq!(names_matching(&idx, &["spec.owner=team-b"]), vec!["svc-b"]);
    assert_eq!(
        names_matching(&idx, &["metadata.name=SVC-A"]),
        vec!["svc-a"]
    );
}

#[test]
fn array_fields_match_any_element() {
    let idx = catalog();
    assert_eq!(names_matching(&idx, &["metadata.tags=java"]), vec!["svc-a"]);
    assert_eq!(names_matching(&idx, &["metadata.tags=web"]), vec!["svc-a"]);
    assert_eq!(names_matching(&idx, &["metadata.tags=rust"]), vec!["svc-b"]);
    // Backstage also indexes `<array path>.<element>` so one param can require several tags.
    assert_eq!(
        names_matching(&idx, &["metadata.tags.java,metadata.tags.web"]),
        vec!["svc-a"]
    );
    assert!(names_matching(&idx, &["metadata.tags.java,metadata.tags.rust"]).is_empty());
}

#[test]
fn repeated_key_in_one_param_means_any_of_its_values() {
    let idx = catalog();
    assert_eq!(
        names_matching(&idx, &["kind=component,kind=api"]),
        vec!["api-c", "svc-a", "svc-b"]
    );
    assert_eq!(
        names_matching(&idx, &["kind=component,kind=api,spec.owner=team-a"]),
        vec!["api-c", "svc-a"]
    );
}

#[test]
fn relations_filter_by_type_case_insensitively() {
    let idx = catalog();
    assert_eq!(
        names_matching(&idx, &["relations.ownedBy=group:default/team-a"]),
        vec!["svc-a"]
    );
    assert_eq!(
        names_matching(&idx, &["relations.OWNEDBY=Group:Default/Team-B"]),
        vec!["svc-b"]
    );
    assert_eq!(names_matching(&idx, &["relations.partof"]), vec!["svc-a"]);
    assert!(names_matching(&idx, &["relations.ownedby=group:default/nobody"]).is_empty());
}

#[test]
fn annotation_keys_with_dots_and_slashes() {
    let idx = catalog();
    assert_eq!(
        names_matching(
            &idx,
            &["metadata.annotations.backstage.io/techdocs-ref=dir:."]
        ),
        vec!["svc-a"]
    );
    assert_eq!(
        names_matching(
            &idx,
            &["metadata.annotations.github.com/project-slug=org/svc-a"]
        ),
        vec!["svc-a"]
    );
    assert_eq!(
        names_matching(&idx, &["metadata.annotations.backstage.io/techdocs-ref"]),
        vec!["svc-a"]
    );
}

#[test]
fn namespace_defaults_and_explicit_namespaces() {
    let idx = catalog();
    assert_eq!(
        names_matching(&idx, &["metadata.namespace=ops"]),
        vec!["svc-b"]
    );
    assert_eq!(
        names_matching(&idx, &["metadata.namespace=default"]),
        vec!["api-c", "svc-a", "team-a"]
    );
}

#[test]
fn bad_syntax_is_rejected_with_the_bad_part() {
    for (params, bad) in [
        (vec!["=x"], "'=x'"),
        (vec!["kind=component,=api"], "'=api'"),
        (vec!["kind=a", " = "], "'='"),
    ] {
        match EntityFilter::parse(&strings(&params)) {
            Err(e @ QueryError::InvalidFilter(_)) => {
                assert!(e.to_string().contains(bad), "{e} should name {bad}")
            }
            other => panic!("{params:?}: {other:?}"),
        }
    }
}
