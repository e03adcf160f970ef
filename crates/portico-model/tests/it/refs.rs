//! Entity reference parsing, defaults, and case-insensitive identity.

use std::collections::HashSet;

use portico_model::{EntityRef, RefDefaults, RefError};

fn defaults(kind: Option<&'static str>) -> RefDefaults<'static> {
    RefDefaults {
        kind,
        namespace: "home",
    }
}

fn parts(r: &EntityRef) -> (&str, &str, &str) {
    (&r.kind, &r.namespace, &r.name)
}

#[test]
fn all_forms() {
    let d = defaults(Some("Group"));
    let cases = [
        ("team-a", ("Group", "home", "team-a")),
        ("other/team-a", ("Group", "other", "team-a")),
        ("user:jdoe", ("user", "home", "jdoe")),
        ("user:other/jdoe", ("user", "other", "jdoe")),
        // A `/` before the first `:` means there is no kind part.
        ("ns/a:b", ("Group", "ns", "a:b")),
        // Only the first `/` splits; the rest belongs to the name.
        ("k:ns/a/b", ("k", "ns", "a/b")),
        // Only the first `:` splits.
        ("k:a:b", ("k", "home", "a:b")),
    ];
    for (input, want) in cases {
        let r = EntityRef::parse(input, d).unwrap();
        assert_eq!(parts(&r), want, "{input}");
    }
}

#[test]
fn parts_keep_their_case() {
    let r = EntityRef::parse("Component:Prod/My-Service", defaults(None)).unwrap();
    assert_eq!(parts(&r), ("Component", "Prod", "My-Service"));
    assert_eq!(r.key(), "component:prod/my-service");
    assert_eq!(r.to_string(), "component:prod/my-service");
    let c = r.compound();
    assert_eq!(
        (c.kind.as_str(), c.namespace.as_str(), c.name.as_str()),
        ("component", "prod", "my-service")
    );
}

#[test]
fn empty_parts_are_errors() {
    let d = defaults(Some("Group"));
    assert_eq!(EntityRef::parse("", d), Err(RefError::Empty));
    assert!(matches!(
        EntityRef::parse(":x", d),
        Err(RefError::EmptyPart(_, "kind"))
    ));
    assert!(matches!(
        EntityRef::parse("k:/x", d),
        Err(RefError::EmptyPart(_, "namespace"))
    ));
    assert!(matches!(
        EntityRef::parse("/x", d),
        Err(RefError::EmptyPart(_, "namespace"))
    ));
    assert!(matches!(
        EntityRef::parse("k:", d),
        Err(RefError::EmptyPart(_, "name"))
    ));
    assert!(matches!(
        EntityRef::parse("k:ns/", d),
        Err(RefError::EmptyPart(_, "name"))
    ));
    assert!(matches!(
        EntityRef::parse("ns/", d),
        Err(RefError::EmptyPart(_, "name"))
    ));
}

#[test]
fn missing_kind_without_default_is_an_error() {
    let err = EntityRef::parse("ns/db", defaults(None)).unwrap_err();
    assert_eq!(err, RefError::MissingKind("ns/db".to_string()));
    assert!(err.to_string().contains("no kind"), "{err}");
    assert!(EntityRef::parse("resource:ns/db", defaults(None)).is_ok());
}

#[test]
fn default_namespace_is_default() {
    let r = EntityRef::parse("group:a", RefDefaults::default()).unwrap();
    assert_eq!(r.namespace, "default");
}

#[test]
fn equality_and_hash_ignore_case() {
    let a = EntityRef::new("Group", "Default", "Team-A");
    let b = EntityRef::new("group", "default", "team-a");
    let c = EntityRef::new("group", "default", "team-b");
    assert_eq!(a, b);
    assert_ne!(a, c);
    let set: HashSet<EntityRef> = [a, b, c].into_iter().collect();
    assert_eq!(set.len(), 2);
}
