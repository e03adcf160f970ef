//! Envelope rules: root fields, apiVersion, kind, metadata, spec shape.

use portico_model::{validate_entity, RESERVED_KEYS};
use serde_json::json;

use crate::*;

/// Kinds not built in get the envelope rules only, so their apiVersion is free.
fn custom() -> serde_json::Value {
    json!({ "apiVersion": "example.com/v1", "kind": "Custom", "metadata": { "name": "x" } })
}

#[test]
fn valid_component_becomes_typed_entity() {
    let mut doc = component();
    set(&mut doc, "metadata.namespace", json!("prod"));
    set(&mut doc, "metadata.title", json!("Artist Web"));
    set(&mut doc, "metadata.description", json!("The web site"));
    set(
        &mut doc,
        "metadata.labels",
        json!({ "backstage.io/custom": "ValueStuff", "tier": "" }),
    );
    set(
        &mut doc,
        "metadata.annotations",
        json!({ "backstage.io/techdocs-ref": "dir:." }),
    );
    set(&mut doc, "metadata.tags", json!(["java", "c++"]));
    set(&mut doc, "metadata.generation", json!(3));
    let e = ok(&doc);
    assert_eq!(e.api_version, "backstage.io/v1alpha1");
    assert_eq!(e.kind, "Component");
    assert_eq!(e.metadata.name, "artist-web");
    assert_eq!(e.namespace(), "prod");
    assert_eq!(e.metadata.title.as_deref(), Some("Artist Web"));
    assert_eq!(e.metadata.description.as_deref(), Some("The web site"));
    assert_eq!(e.metadata.labels["backstage.io/custom"], "ValueStuff");
    assert_eq!(e.metadata.labels["tier"], "");
    assert_eq!(e.metadata.annotations["backstage.io/techdocs-ref"], "dir:.");
    assert_eq!(e.metadata.tags, ["java", "c++"]);
    assert_eq!(e.metadata.extra["generation"], json!(3));
    assert_eq!(e.spec_str("owner"), Some("team-a"));
    // The typed entity serializes back to the document it came from.
    assert_eq!(serde_json::to_value(&e).unwrap(), doc);
}

#[test]
fn namespace_defaults_to_default_without_being_written() {
    let e = ok(&component());
    assert_eq!(e.metadata.namespace, None);
    assert_eq!(e.namespace(), "default");
}

#[test]
fn root_must_be_an_object() {
    for doc in [json!([]), json!("x"), json!(null), json!(1)] {
        let errs = validate_entity(&doc).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "");
        assert!(
            errs[0].message.contains("must be an object"),
            "{}",
            errs[0].message
        );
    }
}

#[test]
fn unknown_root_fields_are_named() {
    let mut doc = component();
    set(&mut doc, "spec2", json!({}));
    set(&mut doc, "Kind", json!("x"));
    let mut f = fields(&doc);
    f.sort();
    assert_eq!(f, ["Kind", "spec2"]);
    assert!(message_for(&doc, "spec2").starts_with("\"spec2\" is not a known root field"));
}

#[test]
fn relations_and_status_are_allowed_root_fields() {
    let mut doc = component();
    set(&mut doc, "relations", json!([]));
    set(&mut doc, "status", json!({ "items": [] }));
    ok(&doc);
}

#[test]
fn all_errors_are_collected() {
    let doc = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": "bad name",
            "namespace": "Bad_NS",
            "labels": { "a/b/c": "x" },
            "tags": ["ok", "Not OK"]
        },
        "spec": { "type": "service", "lifecycle": "production" },
        "extra": 1
    });
    let mut f = fields(&doc);
    f.sort();
    assert_eq!(
        f,
        [
            "extra",
            "metadata.labels.a/b/c",
            "metadata.name",
            "metadata.namespace",
            "metadata.tags[1]",
            "spec.owner"
        ]
    );
}

#[test]
fn format_messages_follow_backstage_form() {
    let msg = only_error_on(
        component(),
        "metadata.name",
        json!("invalid component"),
        "metadata.name",
    );
    assert!(
        msg.starts_with("\"metadata.name\" is not valid; expected "),
        "{msg}"
    );
    assert!(msg.ends_with(" but found \"invalid component\"."), "{msg}");
}

#[test]
fn long_values_are_shortened_in_messages() {
    let long = "x ".repeat(500);
    let msg = only_error_on(component(), "metadata.name", json!(long), "metadata.name");
    assert!(msg.len() < 500, "{msg}");
    assert!(msg.ends_with("...\"."), "{msg}");
}

#[test]
fn api_version_rule() {
    for v in [
        "backstage.io/v1alpha1",
        "my-company.net/v1",
        "v1",
        "a.b.c/V2beta",
        &format!("x/{}", "a".repeat(63)),
    ] {
        valid_with(custom(), "apiVersion", json!(v));
    }
    for v in [
        "",
        "a/b/c",
        "Backstage.io/v1",
        "backstage.io/",
        "/v1",
        "backstage.io/v1-alpha",
        "backstage.io/v1.0",
        "bad_prefix/v1",
        &format!("x/{}", "a".repeat(64)),
    ] {
        let msg = only_error_on(custom(), "apiVersion", json!(v), "apiVersion");
        assert!(
            msg.starts_with("\"apiVersion\" is not valid; expected"),
            "{msg}"
        );
    }
    let msg = only_error_on(custom(), "apiVersion", json!(1), "apiVersion");
    assert_eq!(msg, "\"apiVersion\" must be a string");
    let mut doc = custom();
    remove(&mut doc, "apiVersion");
    assert_eq!(
        message_for(&doc, "apiVersion"),
        "\"apiVersion\" is required"
    );
}

#[test]
fn kind_rule() {
    for k in ["Custom", "x", "A1b2", &"K".repeat(63)] {
        valid_with(custom(), "kind", json!(k));
    }
    for k in ["", "1abc", "my-kind", "my_kind", "Kind ", &"K".repeat(64)] {
        let msg = only_error_on(custom(), "kind", json!(k), "kind");
        assert!(msg.starts_with("\"kind\" is not valid; expected"), "{msg}");
    }
    only_error_on(custom(), "kind", json!(["Component"]), "kind");
    let mut doc = custom();
    remove(&mut doc, "kind");
    assert_eq!(message_for(&doc, "kind"), "\"kind\" is required");
}

#[test]
fn metadata_must_be_an_object_with_a_name() {
    let mut doc = custom();
    remove(&mut doc, "metadata");
    assert_eq!(fields(&doc), ["metadata"]);
    let msg = only_error_on(custom(), "metadata", json!("x"), "metadata");
    assert_eq!(msg, "\"metadata\" must be an object");
    let mut doc = custom();
    remove(&mut doc, "metadata.name");
    assert_eq!(
        message_for(&doc, "metadata.name"),
        "\"metadata.name\" is required"
    );
    only_error_on(custom(), "metadata.name", json!(5), "metadata.name");
}

#[test]
fn name_rule() {
    for n in [
        "a",
        "A",
        "0",
        "my-service",
        "My_Service.v2",
        "a--b",
        "a._b",
        "x1",
        &"n".repeat(63),
    ] {
        valid_with(custom(), "metadata.name", json!(n));
    }
    for n in [
        "",
        "-a",
        "a-",
        "_a",
        "a.",
        ".a",
        "a b",
        "a/b",
        "a:b",
        "é",
        &"n".repeat(64),
    ] {
        only_error_on(custom(), "metadata.name", json!(n), "metadata.name");
    }
}

#[test]
fn namespace_rule() {
    for n in ["default", "a", "team-a", "ns1", &"n".repeat(63)] {
        valid_with(custom(), "metadata.namespace", json!(n));
    }
    for n in [
        "",
        "Default",
        "team_a",
        "team--a",
        "-a",
        "a-",
        "a.b",
        &"n".repeat(64),
    ] {
        only_error_on(
            custom(),
            "metadata.namespace",
            json!(n),
            "metadata.namespace",
        );
    }
    only_error_on(
        custom(),
        "metadata.namespace",
        json!(null),
        "metadata.namespace",
    );
}

#[test]
fn title_description_uid_etag_are_strings() {
    for field in ["title", "description", "uid", "etag"] {
        let path = format!("metadata.{field}");
        valid_with(custom(), &path, json!("some text"));
        let msg = only_error_on(custom(), &path, json!(1), &path);
        assert!(msg.starts_with(&format!("\"{path}\" must be")), "{msg}");
    }
    // The server-set ids are never empty.
    only_error_on(custom(), "metadata.uid", json!(""), "metadata.uid");
    only_error_on(custom(), "metadata.etag", json!(""), "metadata.etag");
    valid_with(custom(), "metadata.description", json!(""));
}

#[test]
fn label_keys() {
    for key in ["tier", "backstage.io/custom", "a.b-c.d/My_Key.1", "x/y"] {
        valid_with(custom(), "metadata.labels", json!({ key: "v" }));
    }
    for key in [
        "",
        "a/b/c",
        "Backstage.io/x",
        "-x",
        "x/",
        "/x",
        "x/-y",
        "under_score.io/x",
        &"k".repeat(64),
    ] {
        let field = format!("metadata.labels.{key}");
        let msg = only_error_on(custom(), "metadata.labels", json!({ key: "v" }), &field);
        assert!(
            msg.starts_with(&format!("\"{field}\" is not valid; expected")),
            "{msg}"
        );
    }
}

#[test]
fn label_values() {
    for v in ["", "x", "ValueStuff", "go1.15.3", &"v".repeat(63)] {
        valid_with(custom(), "metadata.labels", json!({ "k": v }));
    }
    for v in ["a b", "-a", "a-", "a/b", &"v".repeat(64)] {
        only_error_on(
            custom(),
            "metadata.labels",
            json!({ "k": v }),
            "metadata.labels.k",
        );
    }
    let msg = only_error_on(
        custom(),
        "metadata.labels",
        json!({ "foo": 1 }),
        "metadata.labels.foo",
    );
    assert!(
        msg.starts_with("\"metadata.labels.foo\" must be a string"),
        "{msg}"
    );
    only_error_on(custom(), "metadata.labels", json!(["a"]), "metadata.labels");
}

#[test]
fn annotation_keys_and_values() {
    let any = "url:https://github.com/x/y/tree/main/ with spaces & symbols!";
    let e = valid_with(
        custom(),
        "metadata.annotations",
        json!({ "backstage.io/managed-by-location": any, "k": "" }),
    );
    assert_eq!(
        e.metadata.annotations["backstage.io/managed-by-location"],
        any
    );
    for key in ["a/b/c", "Example.com/x", "x y"] {
        let field = format!("metadata.annotations.{key}");
        only_error_on(
            custom(),
            "metadata.annotations",
            json!({ key: "v" }),
            &field,
        );
    }
    let msg = only_error_on(
        custom(),
        "metadata.annotations",
        json!({ "a": true }),
        "metadata.annotations.a",
    );
    assert!(
        msg.starts_with("\"metadata.annotations.a\" must be a string"),
        "{msg}"
    );
    only_error_on(
        custom(),
        "metadata.annotations",
        json!("x"),
        "metadata.annotations",
    );
}

#[test]
fn reserved_keys_in_spec_labels_annotations() {
    for key in RESERVED_KEYS {
        let mut doc = custom();
        set(&mut doc, "spec", json!({ *key: "x" }));
        let field = format!("spec.{key}");
        assert!(message_for(&doc, &field).contains("reserved"), "{key}");
        let mut doc = custom();
        set(&mut doc, "metadata.labels", json!({ *key: "x" }));
        assert_eq!(fields(&doc), [format!("metadata.labels.{key}")]);
        let mut doc = custom();
        set(&mut doc, "metadata.annotations", json!({ *key: "x" }));
        assert_eq!(fields(&doc), [format!("metadata.annotations.{key}")]);
    }
    assert_eq!(RESERVED_KEYS.len(), 10);
    // Reserved keys match exactly, as Backstage's own check does.
    valid_with(custom(), "spec", json!({ "Name": "x", "names": "y" }));
    valid_with(
        custom(),
        "metadata.labels",
        json!({ "example.com/name": "x" }),
    );
}

#[test]
fn tag_rule() {
    for t in ["java", "c++", "c#", "a:b", "go-1", "0", &"t".repeat(63)] {
        valid_with(custom(), "metadata.tags", json!([t]));
    }
    for t in [
        "",
        "Java",
        "a b",
        "a--b",
        "-a",
        "a-",
        "a.b",
        "a_b",
        &"t".repeat(64),
    ] {
        let msg = only_error_on(
            custom(),
            "metadata.tags",
            json!(["ok", t]),
            "metadata.tags[1]",
        );
        assert!(
            msg.starts_with("\"metadata.tags[1]\" is not valid; expected"),
            "{msg}"
        );
    }
    only_error_on(
        custom(),
        "metadata.tags",
        json!(["ok", 1]),
        "metadata.tags[1]",
    );
    only_error_on(custom(), "metadata.tags", json!("java"), "metadata.tags");
}

#[test]
fn links() {
    let e = valid_with(
        custom(),
        "metadata.links",
        json!([
            { "url": "https://example.com/dash", "title": "Dashboard", "icon": "dashboard", "type": "admin" },
            { "url": "mailto:team@example.com" }
        ]),
    );
    assert_eq!(e.metadata.links.len(), 2);
    assert_eq!(e.metadata.links[0].link_type.as_deref(), Some("admin"));
    assert_eq!(e.metadata.links[0].icon.as_deref(), Some("dashboard"));
    assert_eq!(e.metadata.links[1].title, None);

    let cases = [
        (json!([{ "title": "x" }]), "metadata.links[0].url"),
        (json!([{ "url": "./relative" }]), "metadata.links[0].url"),
        (json!([{ "url": "https://" }]), "metadata.links[0].url"),
        (json!([{ "url": 1 }]), "metadata.links[0].url"),
        (
            json!([{ "url": "https://a.io", "title": "" }]),
            "metadata.links[0].title",
        ),
        (
            json!([{ "url": "https://a.io", "title": 2 }]),
            "metadata.links[0].title",
        ),
        (
            json!([{ "url": "https://a.io", "icon": "bad icon" }]),
            "metadata.links[0].icon",
        ),
        (
            json!([{ "url": "https://a.io", "type": [] }]),
            "metadata.links[0].type",
        ),
        (
            json!([{ "url": "https://a.io" }, "https://b.io"]),
            "metadata.links[1]",
        ),
        (json!({ "url": "https://a.io" }), "metadata.links"),
    ];
    for (links, field) in cases {
        only_error_on(custom(), "metadata.links", links, field);
    }
}

#[test]
fn spec_must_be_an_object_when_present() {
    ok(&custom()); // no spec at all is fine for a kind that is not built in
    valid_with(custom(), "spec", json!({ "anything": [1, 2] }));
    let msg = only_error_on(custom(), "spec", json!("x"), "spec");
    assert_eq!(msg, "\"spec\" must be an object");
    only_error_on(custom(), "spec", json!(null), "spec");
}

#[test]
fn incoming_relations_accept_both_shapes() {
    let mut doc = custom();
    set(
        &mut doc,
        "relations",
        json!([
            { "type": "ownedBy", "targetRef": "Group:Default/Team-A" },
            { "type": "partOf", "target": { "kind": "System", "namespace": "prod", "name": "audio" } }
        ]),
    );
    let e = ok(&doc);
    assert_eq!(e.relations[0].target_ref, "group:default/team-a");
    assert_eq!(e.relations[0].target.name, "team-a");
    assert_eq!(e.relations[1].target_ref, "system:prod/audio");
    assert_eq!(e.relations[1].relation_type, "partOf");

    for (rels, field) in [
        (
            json!([{ "targetRef": "group:default/a" }]),
            "relations[0].type",
        ),
        (json!([{ "type": "ownedBy" }]), "relations[0].targetRef"),
        (
            json!([{ "type": "ownedBy", "targetRef": "team-a" }]),
            "relations[0].targetRef",
        ),
        (
            json!([{ "type": "ownedBy", "target": { "kind": "Group", "name": "a" } }]),
            "relations[0].target.namespace",
        ),
        (json!(["x"]), "relations[0]"),
        (json!({}), "relations"),
    ] {
        only_error_on(custom(), "relations", rels, field);
    }
}

#[test]
fn incoming_status_is_parsed() {
    let mut doc = custom();
    set(
        &mut doc,
        "status",
        json!({ "items": [{
            "type": "backstage.io/catalog-processing",
            "level": "error",
            "message": "boom",
            "error": { "name": "InputError", "message": "boom" }
        }] }),
    );
    let e = ok(&doc);
    let status = e.status.unwrap();
    assert_eq!(status.items[0].level, "error");
    assert_eq!(status.items[0].error.as_ref().unwrap().name, "InputError");

    for (status, field) in [
        (
            json!({ "items": [{ "type": "t", "level": "error" }] }),
            "status.items[0].message",
        ),
        (
            json!({ "items": [{ "type": "t", "level": "e", "message": "m", "error": { "name": "x" } }] }),
            "status.items[0].error.message",
        ),
        (json!({ "items": {} }), "status.items"),
        (json!([]), "status"),
    ] {
        only_error_on(custom(), "status", status, field);
    }
}
