//! Reading location trees: order, parents, annotations, targets, globs,
//! cycles, limits, duplicates and the content hash.

use std::path::PathBuf;

use portico_catalog::read::{
    generated_location_name, read_location, validate_paths, LocationSpec, ReadError, ReadOptions,
    Severity,
};
use portico_model::annotations::{MANAGED_BY_LOCATION, MANAGED_BY_ORIGIN_LOCATION};

use crate::support::*;

#[test]
fn generated_name_is_sha1_of_type_and_target() {
    let spec = LocationSpec::file("/srv/catalog/all.yaml");
    assert_eq!(
        generated_location_name(&spec),
        "generated-4aa64c2729a42eb02ed9a9e9dcf6cafa68f1f787"
    );
    let other = LocationSpec {
        location_type: "url".into(),
        target: spec.target.clone(),
    };
    assert_ne!(
        generated_location_name(&other),
        generated_location_name(&spec)
    );
}

#[test]
fn reads_a_tree_in_order_with_parents_and_annotations() {
    let t = Tree::new();
    t.write(
        "catalog.yaml",
        location_named("root-loc", &["./components/*.yaml", "./group.yaml"]),
    );
    t.write("components/b.yaml", component("svc-b", "team-a"));
    t.write("components/a.yaml", component("svc-a", "group:team-a"));
    t.write(
        "group.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n",
    );
    let spec = t.spec("catalog.yaml");
    let read = read_location(&spec, &ReadOptions::default()).unwrap();
    assert!(read.complete);
    assert!(read.all_problems().next().is_none(), "{:?}", shown(&read));
    assert!(!read.has_errors());

    let root_key = format!("location:default/{}", generated_location_name(&spec));
    assert_eq!(
        keys(&read),
        vec![
            root_key.as_str(),
            "location:default/root-loc",
            "component:default/svc-a",
            "component:default/svc-b",
            "group:default/team-a",
        ]
    );

    let root = &read.entities[0];
    assert_eq!(root.parent_ref, None);
    assert_eq!(root.file, t.abs("catalog.yaml"));
    let root_entity = root.entity.as_ref().unwrap();
    assert_eq!(root_entity.kind, "Location");
    assert_eq!(root_entity.api_version, "backstage.io/v1alpha1");
    assert_eq!(root_entity.metadata.namespace.as_deref(), Some("default"));
    let origin = format!("file:{}", t.abs("catalog.yaml"));
    assert_eq!(annotation(root, MANAGED_BY_LOCATION), origin);
    assert_eq!(annotation(root, MANAGED_BY_ORIGIN_LOCATION), origin);
    assert_eq!(root_entity.spec_str("type"), Some("file"));
    assert_eq!(root_entity.spec_str("target"), Some(spec.target.as_str()));

    let loc = entity(&read, "location:default/root-loc");
    assert_eq!(loc.parent_ref.as_deref(), Some(root_key.as_str()));
    let a = entity(&read, "component:default/svc-a");
    assert_eq!(a.parent_ref.as_deref(), Some("location:default/root-loc"));
    assert_eq!(a.file, t.abs("components/a.yaml"));
    assert_eq!(a.line, 1);
    assert_eq!(
        annotation(a, MANAGED_BY_LOCATION),
        format!("file:{}", t.abs("components/a.yaml"))
    );
    assert_eq!(annotation(a, MANAGED_BY_ORIGIN_LOCATION), origin);
    assert_eq!(
        a.entity.as_ref().unwrap().metadata.namespace.as_deref(),
        Some("default")
    );
    let owned_by: Vec<String> = a
        .relations
        .iter()
        .filter(|r| r.relation_type == "ownedBy")
        .map(|r| format!("{} {}", r.source, r.target))
        .collect();
    assert_eq!(
        owned_by,
        vec!["component:default/svc-a group:default/team-a"]
    );
    assert!(a.relations.iter().any(|r| r.relation_type == "ownerOf"
        && r.source.key() == "group:default/team-a"
        && r.target.key() == "component:default/svc-a"));

    assert_eq!(
        read.files_read,
        vec![
            t.abs("catalog.yaml"),
            t.abs("components/a.yaml"),
            t.abs("components/b.yaml"),
            t.abs("group.yaml")
        ]
    );
}

#[test]
fn documents_get_their_start_lines_and_empty_ones_are_skipped() {
    let t = Tree::new();
    let text = format!(
        "# A file of several entities\n---\n{}---\n# nothing here\n---\n\n{}---\n",
        component("one", "team-a"),
        component("two", "team-a")
    );
    t.write("c.yaml", text);
    let read = t.read("c.yaml");
    assert!(read.problems.is_empty(), "{:?}", shown(&read));
    assert!(read.complete);
    assert_eq!(entity(&read, "component:default/one").line, 3);
    assert_eq!(entity(&read, "component:default/two").line, 15);
}

#[test]
fn relative_root_target_is_resolved_against_the_current_dir() {
    let t = Tree::new();
    t.write("c.yaml", component("rel", "team-a"));
    let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
    let ups = "../".repeat(cwd.components().count() - 1);
    let rel = format!("{ups}{}", t.abs("c.yaml").trim_start_matches('/'));
    let read = read_location(&LocationSpec::file(rel), &ReadOptions::default()).unwrap();
    let e = entity(&read, "component:default/rel");
    assert_eq!(e.file, t.abs("c.yaml"));
    assert_eq!(
        annotation(e, MANAGED_BY_LOCATION),
        format!("file:{}", t.abs("c.yaml"))
    );
}

#[test]
fn root_glob_target_reads_every_match() {
    let t = Tree::new();
    t.write("x/b.yaml", component("b", "team-a"));
    t.write("x/a.yaml", component("a", "team-a"));
    t.write("x/.hidden.yaml", component("hidden", "team-a"));
    let read = read_location(
        &LocationSpec::file(t.abs("x/*.yaml")),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        &keys(&read)[1..],
        ["component:default/a", "component:default/b"]
    );
    assert_eq!(read.entities[0].file, t.abs("x/*.yaml"));
}

#[test]
fn nesting_is_bounded() {
    let t = Tree::new();
    for i in 0..70 {
        t.write(
            &format!("l{i}.yaml"),
            location_named(&format!("l{i}"), &[&format!("./l{}.yaml", i + 1)]),
        );
    }
    t.write("l70.yaml", component("bottom", "team-a"));
    let read = t.read("l0.yaml");
    assert!(!read.complete);
    let p = problem(
        &entity(&read, "location:default/l63").problems,
        "nested more than 64",
    );
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(read.files_read.len(), 64);
}

#[test]
fn root_errors_are_read_errors() {
    let t = Tree::new();
    let err = read_location(
        &LocationSpec {
            location_type: "url".into(),
            target: "https://x/y.yaml".into(),
        },
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ReadError::InvalidTarget(m) if m.contains("https://x/y.yaml")),
        "{err:?}"
    );
    let err = read_location(
        &LocationSpec {
            location_type: "s3".into(),
            target: "s3://bucket/x.yaml".into(),
        },
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err, ReadError::UnsupportedType("s3".into()));

    let missing = t.abs("missing.yaml");
    let err = read_location(&LocationSpec::file(&missing), &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("location target {missing} does not exist")
    );

    std::fs::create_dir_all(t.path("dir")).unwrap();
    let err = read_location(&t.spec("dir"), &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, ReadError::Unreadable { message, .. } if message.contains("is a directory")),
        "{err:?}"
    );
    let err = read_location(
        &LocationSpec::file(t.abs("none/*.yaml")),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ReadError::NotFound(_)), "{err:?}");
}

#[test]
fn missing_target_warns_on_the_location_and_makes_the_read_incomplete() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./there.yaml", "./all-apis.yaml"]));
    t.write("there.yaml", component("there", "team-a"));
    let read = t.read("all.yaml");
    assert!(!read.complete);
    assert!(
        !read.has_errors(),
        "a missing target is a warning: {:?}",
        shown(&read)
    );
    let loc = entity(&read, "location:default/loc");
    let p = problem(&loc.problems, "does not exist");
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(
        p.message,
        format!(
            "target ./all-apis.yaml (resolved to {}) does not exist",
            t.abs("all-apis.yaml")
        )
    );
    assert_eq!(p.file.as_deref(), Some(t.abs("all.yaml").as_str()));
    assert_eq!(p.line, Some(8), "the line of the target in the Location");
    assert_eq!(p.field.as_deref(), Some("spec.targets[1]"));
    entity(&read, "component:default/there");
}

#[test]
fn optional_missing_target_is_not_a_problem() {
    let t = Tree::new();
    let mut text = location(&["./maybe.yaml"]);
    text.push_str("  presence: optional\n");
    t.write("all.yaml", text);
    let read = t.read("all.yaml");
    assert!(read.complete);
    assert!(read.all_problems().next().is_none(), "{:?}", shown(&read));
}

#[test]
fn glob_matching_nothing_warns() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./components/*.yaml"]));
    let read = t.read("all.yaml");
    let loc = entity(&read, "location:default/loc");
    let p = problem(&loc.problems, "matches no files");
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(
        p.message,
        format!(
            "target ./components/*.yaml (resolved to {}) matches no files",
            t.abs("components/*.yaml")
        )
    );
    assert!(
        read.complete,
        "an empty glob is a real state, not a failed read"
    );
}

#[test]
fn recursive_glob_reads_nested_dirs_sorted() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./teams/**/catalog-info.yaml"]));
    t.write("teams/z/catalog-info.yaml", component("z", "team-a"));
    t.write(
        "teams/a/deep/catalog-info.yaml",
        component("deep", "team-a"),
    );
    t.write("teams/a/catalog-info.yaml", component("a", "team-a"));
    t.write("teams/a/other.yaml", component("other", "team-a"));
    let read = t.read("all.yaml");
    assert_eq!(
        &keys(&read)[2..],
        [
            "component:default/a",
            "component:default/deep",
            "component:default/z"
        ]
    );
}

#[test]
fn nested_location_of_another_type_is_an_error() {
    let t = Tree::new();
    let mut text = location(&["https://example.com/catalog.yaml"]);
    text.push_str("  type: url\n");
    t.write("all.yaml", text);
    let read = t.read("all.yaml");
    assert!(!read.complete);
    let loc = entity(&read, "location:default/loc");
    let p = problem(&loc.problems, "not supported");
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(p.field.as_deref(), Some("spec.type"));
    assert_eq!(p.line, Some(8));
    assert!(p.message.contains("\"url\""), "{}", p.message);
}

#[test]
fn location_cycle_is_an_error_naming_the_chain() {
    let t = Tree::new();
    t.write(
        "a.yaml",
        format!(
            "{}---\n{}",
            location_named("a", &["./b.yaml"]),
            component("ca", "t")
        ),
    );
    t.write("b.yaml", location_named("b", &["./a.yaml"]));
    let read = t.read("a.yaml");
    let b = entity(&read, "location:default/b");
    let p = problem(&b.problems, "cycle");
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(
        p.message,
        "target ./a.yaml makes a location cycle: a.yaml -> b.yaml -> a.yaml"
    );
    assert_eq!(p.file.as_deref(), Some(t.abs("b.yaml").as_str()));
    assert_eq!(p.line, Some(7));
    // Each file was still read exactly once.
    assert_eq!(read.files_read, vec![t.abs("a.yaml"), t.abs("b.yaml")]);
    assert_eq!(read.entities.len(), 4);
    assert!(read.complete);
}

#[test]
fn same_file_by_two_paths_is_read_once() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./x.yaml", "./sub/../x.yaml"]));
    t.write("x.yaml", component("x", "team-a"));
    std::fs::create_dir_all(t.path("sub")).unwrap();
    let read = t.read("all.yaml");
    assert_eq!(read.entities.len(), 3, "{:?}", keys(&read));
    let loc = entity(&read, "location:default/loc");
    let p = problem(&loc.problems, "already read");
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(p.line, Some(8));
    assert_eq!(
        p.message,
        format!(
            "target ./sub/../x.yaml (resolved to {}) was already read by this location; it is read once",
            t.abs("x.yaml")
        )
    );
    assert!(
        read.problems.is_empty(),
        "no duplicate-entity error: {:?}",
        shown(&read)
    );
}

#[cfg(unix)]
#[test]
fn same_file_through_a_symlink_is_read_once() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./x.yaml", "./link.yaml"]));
    t.write("x.yaml", component("x", "team-a"));
    std::os::unix::fs::symlink(t.path("x.yaml"), t.path("link.yaml")).unwrap();
    let read = t.read("all.yaml");
    assert_eq!(read.entities.len(), 3, "{:?}", keys(&read));
    let loc = entity(&read, "location:default/loc");
    let p = problem(&loc.problems, "already read");
    assert_eq!(
        p.message,
        format!(
            "target ./link.yaml (resolved to {}) was already read by this location as {}; it is read once",
            t.abs("link.yaml"),
            t.abs("x.yaml")
        )
    );
    assert!(read.problems.is_empty(), "{:?}", shown(&read));
}

#[test]
fn stops_at_max_files() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./c/*.yaml"]));
    for i in 0..4 {
        t.write(
            &format!("c/{i}.yaml"),
            component(&format!("c{i}"), "team-a"),
        );
    }
    let opts = ReadOptions {
        max_files: 3,
        ..ReadOptions::default()
    };
    let read = t.read_with("all.yaml", &opts);
    assert!(!read.complete);
    assert_eq!(read.files_read.len(), 3);
    let p = problem(&read.problems, "more than 3 files");
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(read.problems.len(), 1, "reported once: {:?}", shown(&read));
}

#[test]
fn duplicate_ref_keeps_the_first_and_names_it() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./one.yaml", "./two.yaml"]));
    t.write("one.yaml", component("svc", "first-owner"));
    t.write(
        "two.yaml",
        format!(
            "# the same entity again\n{}",
            component("SVC", "second-owner")
        ),
    );
    let read = t.read("all.yaml");
    let svcs: Vec<_> = read
        .entities
        .iter()
        .filter(|e| e.entity_ref == "component:default/svc")
        .collect();
    assert_eq!(svcs.len(), 1);
    assert_eq!(
        svcs[0].entity.as_ref().unwrap().spec_str("owner"),
        Some("first-owner")
    );
    let p = problem(&read.problems, "defined twice");
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(
        p.to_string(),
        format!(
            "{}:2: entity component:default/svc is defined twice in this location: first at {}:1; this one is ignored",
            t.abs("two.yaml"),
            t.abs("one.yaml")
        )
    );
    assert!(read.has_errors());
}

#[test]
fn content_hash_follows_the_files() {
    let t = Tree::new();
    t.write("all.yaml", location(&["./x.yaml"]));
    t.write("x.yaml", component("x", "team-a"));
    let first = t.read("all.yaml").content_hash;
    assert_eq!(first.len(), 40);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        t.read("all.yaml").content_hash,
        first,
        "same files, same hash"
    );
    t.write("x.yaml", component("x", "team-b"));
    let second = t.read("all.yaml").content_hash;
    assert_ne!(second, first);
    std::fs::remove_file(t.path("x.yaml")).unwrap();
    assert_ne!(t.read("all.yaml").content_hash, second);
}

#[test]
fn validate_paths_collects_problems_of_every_root() {
    let t = Tree::new();
    t.write("good.yaml", component("good", "team-a"));
    t.write("bad.yaml", "kind: [\n");
    let paths: Vec<PathBuf> = vec![
        t.path("good.yaml"),
        t.path("bad.yaml"),
        t.path("missing.yaml"),
    ];
    let problems = validate_paths(&paths, &ReadOptions::default());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    let syntax = problem(&problems, "YAML syntax error");
    assert_eq!(syntax.file.as_deref(), Some(t.abs("bad.yaml").as_str()));
    problem(
        &problems,
        &format!("location target {} does not exist", t.abs("missing.yaml")),
    );
}
