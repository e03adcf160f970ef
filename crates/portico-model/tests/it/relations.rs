//! Relation derivation: every field of every built-in kind, both directions.

use portico_model::relations::*;
use portico_model::{derive_relations, Entity, EntityRef, RelationEdge};
use serde_json::{json, Value};

use crate::ok;

fn entity(kind: &str, namespace: &str, spec: Value) -> Entity {
    let api_version = if kind == "Template" {
        "scaffolder.backstage.io/v1beta3"
    } else {
        "backstage.io/v1alpha1"
    };
    let mut e: Entity = serde_json::from_value(json!({
        "apiVersion": api_version, "kind": kind, "metadata": { "name": "me", "namespace": namespace }
    }))
    .unwrap();
    e.spec = spec.as_object().cloned();
    e
}

/// Edges as `(source, type, target)` key strings.
fn keyed(edges: &[RelationEdge]) -> Vec<(String, &'static str, String)> {
    edges
        .iter()
        .map(|e| (e.source.key(), e.relation_type, e.target.key()))
        .collect()
}

#[test]
fn every_field_makes_both_directions() {
    // kind, field, value, the entity's relation, the target, the inverse
    let cases: &[(&str, &str, Value, &str, &str, &str)] = &[
        (
            "Component",
            "owner",
            json!("team-a"),
            OWNED_BY,
            "group:ns/team-a",
            OWNER_OF,
        ),
        (
            "Component",
            "system",
            json!("audio"),
            PART_OF,
            "system:ns/audio",
            HAS_PART,
        ),
        (
            "Component",
            "subcomponentOf",
            json!("player"),
            PART_OF,
            "component:ns/player",
            HAS_PART,
        ),
        (
            "Component",
            "providesApis",
            json!(["pay"]),
            PROVIDES_API,
            "api:ns/pay",
            API_PROVIDED_BY,
        ),
        (
            "Component",
            "consumesApis",
            json!(["pay"]),
            CONSUMES_API,
            "api:ns/pay",
            API_CONSUMED_BY,
        ),
        (
            "Component",
            "dependsOn",
            json!(["resource:db"]),
            DEPENDS_ON,
            "resource:ns/db",
            DEPENDENCY_OF,
        ),
        (
            "Component",
            "dependencyOf",
            json!(["component:web"]),
            DEPENDENCY_OF,
            "component:ns/web",
            DEPENDS_ON,
        ),
        (
            "API",
            "owner",
            json!("team-a"),
            OWNED_BY,
            "group:ns/team-a",
            OWNER_OF,
        ),
        (
            "API",
            "system",
            json!("audio"),
            PART_OF,
            "system:ns/audio",
            HAS_PART,
        ),
        (
            "Resource",
            "owner",
            json!("team-a"),
            OWNED_BY,
            "group:ns/team-a",
            OWNER_OF,
        ),
        (
            "Resource",
            "system",
            json!("audio"),
            PART_OF,
            "system:ns/audio",
            HAS_PART,
        ),
        (
            "Resource",
            "dependsOn",
            json!(["resource:disk"]),
            DEPENDS_ON,
            "resource:ns/disk",
            DEPENDENCY_OF,
        ),
        (
            "Resource",
            "dependencyOf",
            json!(["component:web"]),
            DEPENDENCY_OF,
            "component:ns/web",
            DEPENDS_ON,
        ),
        (
            "System",
            "owner",
            json!("team-a"),
            OWNED_BY,
            "group:ns/team-a",
            OWNER_OF,
        ),
        (
            "System",
            "domain",
            json!("music"),
            PART_OF,
            "domain:ns/music",
            HAS_PART,
        ),
        (
            "Domain",
            "owner",
            json!("team-a"),
            OWNED_BY,
            "group:ns/team-a",
            OWNER_OF,
        ),
        (
            "Domain",
            "subdomainOf",
            json!("music"),
            PART_OF,
            "domain:ns/music",
            HAS_PART,
        ),
        (
            "Group",
            "parent",
            json!("org"),
            CHILD_OF,
            "group:ns/org",
            PARENT_OF,
        ),
        (
            "Group",
            "children",
            json!(["sub"]),
            PARENT_OF,
            "group:ns/sub",
            CHILD_OF,
        ),
        (
            "Group",
            "members",
            json!(["jdoe"]),
            HAS_MEMBER,
            "user:ns/jdoe",
            MEMBER_OF,
        ),
        (
            "User",
            "memberOf",
            json!(["team-a"]),
            MEMBER_OF,
            "group:ns/team-a",
            HAS_MEMBER,
        ),
        (
            "Template",
            "owner",
            json!("team-a"),
            OWNED_BY,
            "group:ns/team-a",
            OWNER_OF,
        ),
    ];
    for (kind, field, value, relation, target, inverse) in cases {
        let e = entity(kind, "ns", json!({ *field: value }));
        let me = format!("{}:ns/me", kind.to_lowercase());
        let (edges, errors) = derive_relations(&e);
        assert!(errors.is_empty(), "{kind}.{field}: {errors:?}");
        assert_eq!(
            keyed(&edges),
            vec![
                (me.clone(), *relation, target.to_string()),
                (target.to_string(), *inverse, me.clone()),
            ],
            "{kind}.{field}"
        );
        assert_eq!(inverse_of(relation), Some(*inverse));
        assert_eq!(inverse_of(inverse), Some(*relation));
    }
}

#[test]
fn field_table_matches_kinds() {
    let names = |kind| {
        relation_fields(kind)
            .iter()
            .map(|f| f.field)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names("Component"),
        [
            "owner",
            "system",
            "subcomponentOf",
            "providesApis",
            "consumesApis",
            "dependsOn",
            "dependencyOf"
        ]
    );
    assert_eq!(names("Group"), ["parent", "children", "members"]);
    assert!(relation_fields("Location").is_empty());
    assert!(relation_fields("component").is_empty());
    assert!(relation_fields("Custom").is_empty());
    assert_eq!(inverse_of("somethingElse"), None);
}

#[test]
fn a_full_component() {
    let e = entity(
        "Component",
        "default",
        json!({
            "type": "service", "lifecycle": "production",
            "owner": "user:jdoe",
            "system": "audio",
            "providesApis": ["pay", "other/refund"],
            "dependsOn": ["resource:db", "Component:prod/cache"]
        }),
    );
    let (edges, errors) = derive_relations(&e);
    assert!(errors.is_empty());
    let k = keyed(&edges);
    assert_eq!(k.len(), 12);
    let me = "component:default/me".to_string();
    assert!(k.contains(&(me.clone(), OWNED_BY, "user:default/jdoe".into())));
    assert!(k.contains(&("user:default/jdoe".into(), OWNER_OF, me.clone())));
    assert!(k.contains(&(me.clone(), PROVIDES_API, "api:other/refund".into())));
    assert!(k.contains(&("component:prod/cache".into(), DEPENDENCY_OF, me.clone())));
}

#[test]
fn refs_take_the_entity_namespace_unless_given() {
    let e = entity(
        "Component",
        "prod",
        json!({ "owner": "team-a", "system": "shared/audio", "providesApis": ["api:pay"] }),
    );
    let (edges, _) = derive_relations(&e);
    let targets: Vec<String> = edges
        .iter()
        .filter(|e| e.source.key() == "component:prod/me")
        .map(|e| e.target.key())
        .collect();
    assert_eq!(
        targets,
        ["group:prod/team-a", "system:shared/audio", "api:prod/pay"]
    );
    // Without a namespace on the entity, refs land in `default`.
    let mut e = entity("User", "x", json!({ "memberOf": ["team-a"] }));
    e.metadata.namespace = None;
    let (edges, _) = derive_relations(&e);
    assert_eq!(edges[0].target.key(), "group:default/team-a");
    assert_eq!(edges[0].source.key(), "user:default/me");
}

#[test]
fn owner_may_be_any_kind() {
    let e = entity("System", "default", json!({ "owner": "user:guest" }));
    let (edges, _) = derive_relations(&e);
    assert_eq!(edges[0].target, EntityRef::new("User", "default", "guest"));
}

#[test]
fn dependencies_need_a_kind_and_bad_refs_do_not_stop_the_rest() {
    let e = entity(
        "Component",
        "default",
        json!({
            "owner": "team-a",
            "dependsOn": ["resource:db", "cache", "component:"],
            "dependencyOf": ["web"],
            "consumesApis": ["pay", 7, ""],
        }),
    );
    let (edges, errors) = derive_relations(&e);
    let mut fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "spec.consumesApis[1]",
            "spec.consumesApis[2]",
            "spec.dependencyOf[0]",
            "spec.dependsOn[1]",
            "spec.dependsOn[2]"
        ]
    );
    let missing_kind = errors
        .iter()
        .find(|e| e.field == "spec.dependsOn[1]")
        .unwrap();
    assert!(
        missing_kind
            .message
            .starts_with("\"spec.dependsOn[1]\" is not a valid entity reference"),
        "{}",
        missing_kind.message
    );
    assert!(
        missing_kind.message.contains("no kind"),
        "{}",
        missing_kind.message
    );
    let non_string = errors
        .iter()
        .find(|e| e.field == "spec.consumesApis[1]")
        .unwrap();
    assert!(
        non_string.message.contains("found a number"),
        "{}",
        non_string.message
    );
    // owner (2) + dependsOn resource:db (2) + consumesApis pay (2)
    assert_eq!(edges.len(), 6);
    assert!(keyed(&edges).contains(&(
        "component:default/me".into(),
        DEPENDS_ON,
        "resource:default/db".into()
    )));
}

#[test]
fn wrong_shapes_are_errors() {
    let e = entity(
        "Component",
        "default",
        json!({ "owner": ["team-a"], "providesApis": "pay", "system": 3 }),
    );
    let (edges, errors) = derive_relations(&e);
    assert!(edges.is_empty());
    let mut fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["spec.owner", "spec.providesApis", "spec.system"]);
}

#[test]
fn null_fields_are_absent() {
    let e = entity(
        "Component",
        "default",
        json!({ "owner": null, "dependsOn": null }),
    );
    assert_eq!(derive_relations(&e), (vec![], vec![]));
}

#[test]
fn duplicates_are_dropped() {
    let e = entity(
        "Component",
        "default",
        json!({ "providesApis": ["pay", "API:pay", "default/PAY"], "consumesApis": ["pay"] }),
    );
    let (edges, errors) = derive_relations(&e);
    assert!(errors.is_empty());
    // providesApi + apiProvidedBy once, consumesApi + apiConsumedBy once.
    assert_eq!(edges.len(), 4);
}

#[test]
fn same_pair_from_two_fields_is_one_edge() {
    // dependsOn X gives (me dependsOn X, X dependencyOf me); X in dependencyOf
    // gives the other direction pair, which is distinct.
    let e = entity(
        "Resource",
        "default",
        json!({ "dependsOn": ["resource:x"], "dependencyOf": ["resource:x"] }),
    );
    let (edges, _) = derive_relations(&e);
    assert_eq!(edges.len(), 4);
    let e = entity(
        "Group",
        "default",
        json!({ "parent": "org", "children": [] }),
    );
    assert_eq!(derive_relations(&e).0.len(), 2);
}

#[test]
fn kinds_without_relations() {
    for kind in ["Location", "component", "Custom"] {
        let e = entity(
            kind,
            "default",
            json!({ "owner": "team-a", "target": "./x.yaml" }),
        );
        assert_eq!(derive_relations(&e), (vec![], vec![]), "{kind}");
    }
    let mut e = entity("Component", "default", json!({}));
    e.spec = None;
    assert_eq!(derive_relations(&e), (vec![], vec![]));
}

#[test]
fn validated_entity_derives() {
    let e = ok(&crate::component());
    let (edges, errors) = derive_relations(&e);
    assert!(errors.is_empty());
    assert_eq!(
        keyed(&edges)[0],
        (
            "component:default/artist-web".into(),
            OWNED_BY,
            "group:default/team-a".into()
        )
    );
}
