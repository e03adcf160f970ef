//! Bad input of every kind: each gets a clear problem with file, line and
//! field, and never stops the rest of the read.

use portico_catalog::read::{ReadOptions, Severity};

use crate::support::*;

#[test]
fn yaml_syntax_error_names_file_line_and_column() {
    let t = Tree::new();
    let text = format!(
        "{}---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a: b\n",
        component("fine", "team-a")
    );
    t.write("c.yaml", text);
    let read = t.read("c.yaml");
    assert!(
        !read.complete,
        "a file that does not parse must not orphan anything"
    );
    let p = problem(&read.problems, "YAML syntax error");
    assert_eq!(p.severity, Severity::Error);
    assert_eq!((p.line, p.column), (Some(13), Some(10)));
    let shown = p.to_string();
    assert!(
        shown.starts_with(&format!(
            "{}:13:10: YAML syntax error: mapping values are not allowed",
            t.abs("c.yaml")
        )),
        "{shown}"
    );
    // The parser's own position text speaks of file lines too.
    assert!(shown.contains("line 13"), "{shown}");
    // The document before the broken one is still read.
    entity(&read, "component:default/fine");
}

#[test]
fn non_mapping_documents_are_named_with_their_line() {
    let t = Tree::new();
    let text = format!(
        "- a\n- b\n---\njust some text\n---\n{}",
        component("fine", "team-a")
    );
    t.write("c.yaml", text);
    let read = t.read("c.yaml");
    let file = t.abs("c.yaml");
    assert_eq!(
        shown(&read),
        vec![
            format!("{file}:1: expected a mapping (an entity), found a sequence"),
            format!(
                "{file}:4: expected a mapping (an entity), found a string (\"just some text\")"
            ),
        ]
    );
    assert!(!read.complete);
    entity(&read, "component:default/fine");
}

#[test]
fn document_without_kind_or_name_is_a_location_problem() {
    let t = Tree::new();
    t.write(
        "c.yaml",
        "apiVersion: backstage.io/v1alpha1\nmetadata:\n  name: x\n---\nkind: Component\nmetadata:\n  title: no name\n",
    );
    let read = t.read("c.yaml");
    assert_eq!(read.entities.len(), 1, "only the generated root");
    let lines: Vec<_> = read.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(1), Some(5)]);
    for p in &read.problems {
        assert_eq!(
            p.message,
            "document is not an entity: it needs a string \"kind\" and \"metadata.name\""
        );
    }
}

/// One document with one bad field; returns (field, line, message) of its only error.
fn only_error(doc: &str) -> (String, u32, String) {
    let t = Tree::new();
    t.write("c.yaml", doc);
    let read = t.read("c.yaml");
    assert_eq!(read.entities.len(), 2, "{:?}", shown(&read));
    let e = &read.entities[1];
    assert!(e.entity.is_none(), "an invalid document has no entity");
    let errs = errors(&e.problems);
    assert_eq!(errs.len(), 1, "{:#?}", e.problems);
    let p = errs[0];
    assert_eq!(p.file.as_deref(), Some(t.abs("c.yaml").as_str()));
    (p.field.clone().unwrap(), p.line.unwrap(), p.message.clone())
}

const HEAD: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n";
const SPEC: &str = "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

#[test]
fn invalid_name() {
    let (field, line, message) = only_error(&format!("{HEAD}  name: bad name!\n{SPEC}"));
    assert_eq!((field.as_str(), line), ("metadata.name", 4));
    assert!(
        message.contains("metadata.name") && message.contains("bad name!"),
        "{message}"
    );
}

#[test]
fn invalid_namespace() {
    let (field, line, message) =
        only_error(&format!("{HEAD}  name: ok\n  namespace: Bad_NS\n{SPEC}"));
    assert_eq!((field.as_str(), line), ("metadata.namespace", 5));
    assert!(
        message.contains("metadata.namespace") && message.contains("Bad_NS"),
        "{message}"
    );
}

#[test]
fn invalid_tag() {
    let (field, line, message) = only_error(&format!(
        "{HEAD}  name: ok\n  tags:\n    - fine\n    - Not A Tag\n{SPEC}"
    ));
    assert_eq!((field.as_str(), line), ("metadata.tags[1]", 7));
    assert!(message.contains("Not A Tag"), "{message}");
}

#[test]
fn invalid_label() {
    let (field, line, message) = only_error(&format!(
        "{HEAD}  name: ok\n  labels:\n    good: fine\n    bad key!: x\n{SPEC}"
    ));
    assert!(field.starts_with("metadata.labels"), "{field}");
    assert_eq!(line, 7);
    assert!(message.contains("bad key!"), "{message}");
}

#[test]
fn invalid_annotation() {
    let (field, line, message) = only_error(&format!(
        "{HEAD}  name: ok\n  annotations:\n    backstage.io/techdocs-ref: dir:.\n    -bad.io/x: y\n{SPEC}"
    ));
    assert!(field.starts_with("metadata.annotations"), "{field}");
    assert_eq!(line, 7);
    assert!(message.contains("-bad.io/x"), "{message}");
}

#[test]
fn missing_required_spec_field_points_at_spec() {
    let (field, line, message) = only_error(&format!(
        "{HEAD}  name: ok\nspec:\n  type: service\n  owner: team-a\n"
    ));
    assert_eq!((field.as_str(), line), ("spec.lifecycle", 5));
    assert!(message.contains("spec.lifecycle"), "{message}");
}

#[test]
fn depends_on_without_kind_is_a_relation_error() {
    let t = Tree::new();
    t.write(
        "c.yaml",
        format!("{HEAD}  name: ok\n{SPEC}  dependsOn:\n    - resource:db\n    - svc-b\n"),
    );
    let read = t.read("c.yaml");
    let e = entity(&read, "component:default/ok");
    assert!(
        e.entity.is_some(),
        "valid envelope: the entity is still there"
    );
    assert!(e.has_errors());
    let p = problem(&e.problems, "svc-b");
    assert_eq!(p.field.as_deref(), Some("spec.dependsOn[1]"));
    assert_eq!(p.line, Some(11));
    // The good ref still makes its relation.
    assert!(e
        .relations
        .iter()
        .any(|r| r.relation_type == "dependsOn" && r.target.key() == "resource:default/db"));
}

/// Deterministic junk without a random-number crate.
fn junk(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn ten_megabyte_junk_is_refused_unread() {
    let t = Tree::new();
    t.write("junk.yaml", junk(10 * 1024 * 1024));
    t.write("all.yaml", location(&["./junk.yaml"]));
    for root in ["junk.yaml", "all.yaml"] {
        let read = t.read(root);
        assert!(!read.complete);
        assert_eq!(
            shown(&read),
            vec![format!(
                "{}: file is 10485760 bytes, over the limit of 4194304 bytes",
                t.abs("junk.yaml")
            )]
        );
        assert!(!read.files_read.contains(&t.abs("junk.yaml")));
    }
    let small = ReadOptions {
        max_file_bytes: 100,
        ..ReadOptions::default()
    };
    let read = t.read_with("all.yaml", &small);
    problem(&read.problems, "over the limit of 100 bytes");
}

#[test]
fn non_utf8_file_is_refused_with_position() {
    let t = Tree::new();
    t.write(
        "c.yaml",
        b"apiVersion: backstage.io/v1alpha1\nkind: Component\nname: caf\xe9\n",
    );
    let read = t.read("c.yaml");
    assert!(!read.complete);
    assert_eq!(
        shown(&read),
        vec![format!(
            "{}: file is not valid UTF-8 (first invalid byte at line 3, column 10)",
            t.abs("c.yaml")
        )]
    );
}

#[test]
fn invalid_location_makes_the_read_incomplete() {
    let t = Tree::new();
    t.write(
        "all.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: not valid!\nspec:\n  targets: [./x.yaml]\n",
    );
    t.write("x.yaml", component("x", "team-a"));
    let read = t.read("all.yaml");
    assert!(
        !read.complete,
        "its targets were not read; nothing may be orphaned"
    );
    assert_eq!(read.entities.len(), 2);
    assert!(read.entities[1].entity.is_none());
}
