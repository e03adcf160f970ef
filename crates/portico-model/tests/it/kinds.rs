//! Spec rules of the built-in kinds.

use portico_model::{api_versions_for_kind, is_builtin_kind, BUILTIN_KINDS};
use serde_json::{json, Value};

use crate::*;

fn entity(api_version: &str, kind: &str, spec: Value) -> Value {
    json!({ "apiVersion": api_version, "kind": kind, "metadata": { "name": "x" }, "spec": spec })
}

/// A minimal valid entity of each built-in kind.
fn minimal(kind: &str) -> Value {
    let v1 = "backstage.io/v1alpha1";
    match kind {
        "Component" => entity(
            v1,
            kind,
            json!({ "type": "service", "lifecycle": "production", "owner": "team-a" }),
        ),
        "API" => entity(
            v1,
            kind,
            json!({ "type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": "openapi: 3.0.0" }),
        ),
        "Resource" => entity(v1, kind, json!({ "type": "database", "owner": "team-a" })),
        "System" => entity(v1, kind, json!({ "owner": "team-a" })),
        "Domain" => entity(v1, kind, json!({ "owner": "team-a" })),
        "Group" => entity(v1, kind, json!({ "type": "team", "children": [] })),
        "User" => entity(v1, kind, json!({ "memberOf": [] })),
        "Location" => entity(v1, kind, json!({})),
        "Template" => entity(
            "scaffolder.backstage.io/v1beta3",
            kind,
            json!({ "type": "service", "steps": [] }),
        ),
        other => panic!("no minimal entity for {other}"),
    }
}

/// The spec fields each kind requires.
fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "Component" => &["type", "lifecycle", "owner"],
        "API" => &["type", "lifecycle", "owner"],
        "Resource" => &["type", "owner"],
        "System" | "Domain" => &["owner"],
        "Group" => &["type", "children"],
        "User" => &["memberOf"],
        "Location" => &[],
        "Template" => &["type", "steps"],
        _ => unreachable!(),
    }
}

#[test]
fn builtin_kind_list() {
    assert_eq!(BUILTIN_KINDS.len(), 9);
    assert!(is_builtin_kind("API"));
    assert!(!is_builtin_kind("api"));
    assert!(!is_builtin_kind("Custom"));
    assert_eq!(
        api_versions_for_kind("Template"),
        Some(&["scaffolder.backstage.io/v1beta3"][..])
    );
    assert_eq!(
        api_versions_for_kind("Group"),
        Some(&["backstage.io/v1alpha1", "backstage.io/v1beta1"][..])
    );
    assert_eq!(api_versions_for_kind("Custom"), None);
}

#[test]
fn every_minimal_entity_is_valid() {
    for kind in BUILTIN_KINDS {
        ok(&minimal(kind));
    }
}

#[test]
fn each_required_field_is_reported_with_its_kind() {
    for kind in BUILTIN_KINDS {
        for field in required(kind) {
            let mut doc = minimal(kind);
            remove(&mut doc, &format!("spec.{field}"));
            let path = format!("spec.{field}");
            assert_eq!(
                message_for(&doc, &path),
                format!("\"{path}\" is required for kind {kind}"),
                "{kind}"
            );
            assert_eq!(fields(&doc), [path]);
        }
    }
}

#[test]
fn spec_is_required_for_builtin_kinds() {
    for kind in BUILTIN_KINDS {
        let mut doc = minimal(kind);
        remove(&mut doc, "spec");
        assert_eq!(
            message_for(&doc, "spec"),
            format!("\"spec\" is required for kind {kind}")
        );
    }
}

#[test]
fn required_strings_must_be_non_empty_strings() {
    let msg = only_error_on(
        minimal("Component"),
        "spec.owner",
        json!(["team-a"]),
        "spec.owner",
    );
    assert_eq!(msg, "\"spec.owner\" must be a string, but found an array");
    let msg = only_error_on(minimal("Component"), "spec.type", json!(""), "spec.type");
    assert_eq!(msg, "\"spec.type\" must not be empty");
    only_error_on(minimal("Resource"), "spec.type", json!(3), "spec.type");
    only_error_on(minimal("Group"), "spec.type", json!(null), "spec.type");
}

#[test]
fn api_versions_per_kind() {
    for kind in BUILTIN_KINDS.iter().filter(|k| **k != "Template") {
        valid_with(minimal(kind), "apiVersion", json!("backstage.io/v1beta1"));
        let msg = only_error_on(
            minimal(kind),
            "apiVersion",
            json!("backstage.io/v2"),
            "apiVersion",
        );
        assert!(
            msg.starts_with("\"apiVersion\" is not valid; expected backstage.io/v1alpha1 or backstage.io/v1beta1 for kind"),
            "{msg}"
        );
        only_error_on(
            minimal(kind),
            "apiVersion",
            json!("scaffolder.backstage.io/v1beta3"),
            "apiVersion",
        );
    }
    only_error_on(
        minimal("Template"),
        "apiVersion",
        json!("backstage.io/v1alpha1"),
        "apiVersion",
    );
    only_error_on(
        minimal("Template"),
        "apiVersion",
        json!("scaffolder.backstage.io/v1beta2"),
        "apiVersion",
    );
}

#[test]
fn kind_match_is_case_sensitive() {
    // `component` is not the built-in kind: only the envelope applies.
    ok(&entity("backstage.io/v1alpha1", "component", json!({})));
    let mut doc = entity("anything.io/v9", "user", json!({}));
    remove(&mut doc, "spec");
    ok(&doc);
}

#[test]
fn component_relation_fields_are_typed() {
    let c = minimal("Component");
    valid_with(c.clone(), "spec.system", json!("audio"));
    valid_with(
        c.clone(),
        "spec.dependsOn",
        json!(["resource:db", "component:x"]),
    );
    valid_with(c.clone(), "spec.dependencyOf", json!([]));
    only_error_on(c.clone(), "spec.system", json!(1), "spec.system");
    only_error_on(
        c.clone(),
        "spec.subcomponentOf",
        json!(""),
        "spec.subcomponentOf",
    );
    let msg = only_error_on(
        c.clone(),
        "spec.dependsOn",
        json!("resource:db"),
        "spec.dependsOn",
    );
    assert_eq!(
        msg,
        "\"spec.dependsOn\" must be an array of strings, but found a string"
    );
    only_error_on(
        c.clone(),
        "spec.providesApis",
        json!(["a", 2]),
        "spec.providesApis[1]",
    );
    only_error_on(
        c.clone(),
        "spec.consumesApis",
        json!([null]),
        "spec.consumesApis[0]",
    );
    only_error_on(c, "spec.dependencyOf", json!({}), "spec.dependencyOf");
}

#[test]
fn resource_system_domain_optional_fields() {
    only_error_on(
        minimal("Resource"),
        "spec.dependsOn",
        json!(["a", ""]),
        "spec.dependsOn[1]",
    );
    only_error_on(minimal("Resource"), "spec.system", json!([]), "spec.system");
    valid_with(minimal("System"), "spec.domain", json!("artists"));
    only_error_on(minimal("System"), "spec.domain", json!(1), "spec.domain");
    valid_with(minimal("System"), "spec.type", json!("product"));
    valid_with(minimal("Domain"), "spec.subdomainOf", json!("audio"));
    only_error_on(
        minimal("Domain"),
        "spec.subdomainOf",
        json!(["a"]),
        "spec.subdomainOf",
    );
    only_error_on(minimal("API"), "spec.system", json!(false), "spec.system");
}

#[test]
fn group_rules() {
    let g = minimal("Group");
    let e = valid_with(
        g.clone(),
        "spec",
        json!({
            "type": "team", "children": ["sub"], "parent": "org", "members": ["jdoe"],
            "profile": { "displayName": "Team", "email": "t@example.com", "picture": "https://x/y.png" }
        }),
    );
    assert_eq!(e.spec_str("parent"), Some("org"));
    only_error_on(g.clone(), "spec.children", json!("sub"), "spec.children");
    only_error_on(
        g.clone(),
        "spec.children",
        json!(["a", 1]),
        "spec.children[1]",
    );
    only_error_on(g.clone(), "spec.members", json!([{}]), "spec.members[0]");
    only_error_on(g.clone(), "spec.parent", json!(["org"]), "spec.parent");
    only_error_on(g.clone(), "spec.profile", json!("x"), "spec.profile");
    only_error_on(
        g,
        "spec.profile",
        json!({ "email": 1 }),
        "spec.profile.email",
    );
}

#[test]
fn user_rules() {
    let u = minimal("User");
    valid_with(u.clone(), "spec.memberOf", json!(["team-a", "group:ns/b"]));
    valid_with(
        u.clone(),
        "spec.profile",
        json!({ "displayName": "J", "jobTitle": "Eng" }),
    );
    only_error_on(u.clone(), "spec.memberOf", json!(null), "spec.memberOf");
    only_error_on(
        u.clone(),
        "spec.memberOf",
        json!(["a", 5]),
        "spec.memberOf[1]",
    );
    only_error_on(
        u,
        "spec.profile",
        json!({ "picture": "" }),
        "spec.profile.picture",
    );
}

#[test]
fn api_definition_or_remotes() {
    let api = minimal("API");
    for placeholder in ["$text", "$json", "$yaml"] {
        valid_with(
            api.clone(),
            "spec.definition",
            json!({ placeholder: "https://example.com/openapi.yaml" }),
        );
    }
    let mut remotes = api.clone();
    remove(&mut remotes, "spec.definition");
    set(&mut remotes, "spec.type", json!("mcp-server"));
    set(
        &mut remotes,
        "spec.remotes",
        json!([{ "type": "streamable-http", "url": "http://localhost:7007/api/mcp/v1" }]),
    );
    ok(&remotes);

    let mut neither = api.clone();
    remove(&mut neither, "spec.definition");
    let msg = message_for(&neither, "spec.definition");
    assert!(
        msg.starts_with("\"spec.definition\" is required for kind API"),
        "{msg}"
    );

    for (definition, why) in [
        (json!({ "$text": "a", "$json": "b" }), "two placeholders"),
        (json!({ "$file": "a" }), "unknown placeholder"),
        (json!({ "$text": 1 }), "placeholder value not a string"),
        (json!({}), "empty object"),
        (json!(42), "number"),
        (json!(""), "empty string"),
    ] {
        let mut doc = api.clone();
        set(&mut doc, "spec.definition", definition);
        assert_eq!(fields(&doc), ["spec.definition"], "{why}");
    }

    for (value, field) in [
        (json!([]), "spec.remotes"),
        (json!("http://x"), "spec.remotes"),
        (json!([{ "type": "sse" }]), "spec.remotes[0].url"),
        (
            json!([{ "type": "sse", "url": "http://x" }, { "type": "", "url": "http://y" }]),
            "spec.remotes[1].type",
        ),
        (json!(["http://x"]), "spec.remotes[0]"),
    ] {
        only_error_on(remotes.clone(), "spec.remotes", value, field);
    }
}

#[test]
fn location_rules() {
    let l = minimal("Location");
    let e = valid_with(
        l.clone(),
        "spec",
        json!({ "type": "url", "target": "./a.yaml", "targets": ["./b.yaml"], "presence": "optional" }),
    );
    assert_eq!(e.spec_str("presence"), Some("optional"));
    valid_with(l.clone(), "spec.presence", json!("required"));
    let msg = only_error_on(l.clone(), "spec.presence", json!("maybe"), "spec.presence");
    assert_eq!(
        msg,
        "\"spec.presence\" is not valid; expected required or optional but found \"maybe\"."
    );
    only_error_on(l.clone(), "spec.presence", json!(true), "spec.presence");
    only_error_on(l.clone(), "spec.target", json!(["./a.yaml"]), "spec.target");
    only_error_on(l.clone(), "spec.targets", json!("./a.yaml"), "spec.targets");
    only_error_on(l, "spec.targets", json!(["./a", 1]), "spec.targets[1]");
}

#[test]
fn template_rules() {
    let t = minimal("Template");
    valid_with(
        t.clone(),
        "spec",
        json!({
            "type": "service", "owner": "team-a", "lifecycle": "experimental",
            "parameters": [{ "title": "Fill in", "properties": {} }],
            "steps": [{ "id": "fetch", "action": "fetch:template", "input": { "url": "./skeleton" } }],
            "output": { "links": [] }
        }),
    );
    valid_with(t.clone(), "spec.parameters", json!({ "properties": {} }));
    only_error_on(t.clone(), "spec.steps", json!({}), "spec.steps");
    only_error_on(t.clone(), "spec.steps", json!(["fetch"]), "spec.steps[0]");
    only_error_on(
        t.clone(),
        "spec.steps",
        json!([{ "id": "x" }]),
        "spec.steps[0].action",
    );
    only_error_on(t.clone(), "spec.parameters", json!("x"), "spec.parameters");
    only_error_on(
        t.clone(),
        "spec.parameters",
        json!([1]),
        "spec.parameters[0]",
    );
    only_error_on(t.clone(), "spec.output", json!([]), "spec.output");
    only_error_on(t, "spec.owner", json!(1), "spec.owner");
}
