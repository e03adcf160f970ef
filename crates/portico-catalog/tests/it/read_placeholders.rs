//! `$text` / `$json` / `$yaml` placeholders.

use serde_json::json;

use portico_catalog::read::{ReadOptions, Severity};

use crate::support::*;

fn api(name: &str, definition: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: {name}\n\
         spec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  definition:\n    {definition}\n"
    )
}

#[test]
fn text_json_and_yaml_are_read_relative_to_the_file() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./apis/api.yaml"]));
    t.write("apis/openapi.yaml", "openapi: 3.0.0\ninfo:\n  title: X\n");
    t.write("apis/extra.json", r#"{"a": [1, 2], "b": null}"#);
    t.write("apis/extra.yaml", "x: 1\ny: [a, b]\n");
    let mut doc = api("petstore", "$text: ./openapi.yaml");
    doc.push_str("  extraJson:\n    $json: ./extra.json\n  extraYaml:\n    $yaml: extra.yaml\n");
    t.write("apis/api.yaml", doc);
    let read = t.read("all.yaml");
    assert!(read.all_problems().next().is_none(), "{:?}", shown(&read));
    let e = entity(&read, "api:default/petstore");
    let spec = e.entity.as_ref().unwrap().spec.as_ref().unwrap();
    assert_eq!(
        spec["definition"],
        json!("openapi: 3.0.0\ninfo:\n  title: X\n")
    );
    assert_eq!(spec["extraJson"], json!({"a": [1, 2], "b": null}));
    assert_eq!(spec["extraYaml"], json!({"x": 1, "y": ["a", "b"]}));
    // Placeholder files count for the content hash and are listed.
    assert!(
        read.files_read.contains(&t.abs("apis/openapi.yaml")),
        "{:?}",
        read.files_read
    );
}

#[test]
fn changing_a_placeholder_file_changes_the_hash() {
    let t = Tree::new();
    t.write("api.yaml", api("a", "$text: ./def.yaml"));
    t.write("def.yaml", "one");
    let first = t.read("api.yaml").content_hash;
    t.write("def.yaml", "two");
    assert_ne!(t.read("api.yaml").content_hash, first);
}

#[test]
fn placeholder_escaping_the_location_is_an_error() {
    let t = Tree::new();
    t.write("secret.txt", "do not read me");
    t.write("loc/api.yaml", api("a", "$text: ../secret.txt"));
    let read = t.read("loc/api.yaml");
    let e = entity(&read, "api:default/a");
    let p = problem(&e.problems, "escapes the location");
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(p.field.as_deref(), Some("spec.definition"));
    assert_eq!(p.line, Some(9));
    assert_eq!(
        p.message,
        format!(
            "\"spec.definition\": placeholder $text ../secret.txt (resolved to {}) escapes the location; it must stay inside {}",
            t.abs("secret.txt"),
            t.abs("loc")
        )
    );
    assert!(!read.files_read.contains(&t.abs("secret.txt")));
}

#[cfg(unix)]
#[test]
fn placeholder_symlink_out_of_the_location_is_an_error() {
    let t = Tree::new();
    t.write("secret.txt", "do not read me");
    t.write("loc/api.yaml", api("a", "$text: ./link.txt"));
    std::os::unix::fs::symlink(t.path("secret.txt"), t.path("loc/link.txt")).unwrap();
    let read = t.read("loc/api.yaml");
    let e = entity(&read, "api:default/a");
    problem(&e.problems, "escapes the location");
    let definition = &e
        .entity
        .as_ref()
        .map(|x| x.spec.clone().unwrap()["definition"].clone());
    assert_ne!(definition.as_ref(), Some(&json!("do not read me")));
}

#[test]
fn missing_placeholder_file_is_an_entity_error() {
    let t = Tree::new();
    t.write("api.yaml", api("a", "$text: ./nope.yaml"));
    let read = t.read("api.yaml");
    let e = entity(&read, "api:default/a");
    let p = problem(&e.problems, "does not exist");
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(
        p.message,
        format!(
            "\"spec.definition\": placeholder $text ./nope.yaml (resolved to {}) does not exist",
            t.abs("nope.yaml")
        )
    );
    assert_eq!(p.line, Some(9));
    assert!(e.has_errors());
}

#[test]
fn remote_placeholder_is_a_warning_and_stays() {
    let t = Tree::new();
    t.write(
        "api.yaml",
        api("a", "$text: https://example.com/openapi.yaml"),
    );
    let read = t.read("api.yaml");
    let e = entity(&read, "api:default/a");
    let p = problem(&e.problems, "remote placeholder");
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(
        p.message,
        "\"spec.definition\": remote placeholder $text https://example.com/openapi.yaml not fetched; \
         Portico reads local files only here"
    );
    assert!(!e.has_errors(), "{:#?}", e.problems);
    let spec = e.entity.as_ref().unwrap().spec.as_ref().unwrap();
    assert_eq!(
        spec["definition"],
        json!({"$text": "https://example.com/openapi.yaml"})
    );
}

#[test]
fn bad_json_and_oversized_placeholders_are_errors() {
    let t = Tree::new();
    t.write("bad.json", "{\"a\": \n  nope}");
    t.write("big.txt", "x".repeat(200));
    t.write("a.yaml", api("a", "$json: ./bad.json"));
    t.write("b.yaml", api("b", "$text: ./big.txt"));
    let read = t.read("a.yaml");
    let p = problem(&entity(&read, "api:default/a").problems, "invalid JSON");
    assert!(
        p.message
            .ends_with("invalid JSON: expected ident at line 2 column 4"),
        "{}",
        p.message
    );

    let opts = ReadOptions {
        max_file_bytes: 190,
        ..ReadOptions::default()
    };
    let read = t.read_with("b.yaml", &opts);
    problem(
        &entity(&read, "api:default/b").problems,
        "file is 200 bytes, over the limit of 190 bytes",
    );
}
