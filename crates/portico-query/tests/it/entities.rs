use portico_query::{CatalogIndex, QueryError};
use serde_json::json;

use crate::{entity, names_matching};

#[test]
fn get_and_get_by_uid() {
    let mut idx = CatalogIndex::new();
    assert!(idx.is_empty());
    idx.upsert(entity(
        "Component",
        "Svc",
        json!({"metadata": {"namespace": "Ops", "uid": "U-1"}}),
    ))
    .unwrap();
    assert_eq!(idx.len(), 1);
    let e = idx.get("component:ops/svc").unwrap();
    assert_eq!(e.value()["metadata"]["name"], "Svc");
    assert!(idx.get("Component:OPS/SVC").is_some());
    assert!(idx.get("component:default/svc").is_none());
    assert_eq!(
        idx.get_by_uid("U-1").unwrap().value()["metadata"]["name"],
        "Svc"
    );
    assert!(
        idx.get_by_uid("u-1").is_none(),
        "uids are opaque and compared exactly"
    );
    idx.upsert(entity("Component", "plain", json!({}))).unwrap();
    assert!(
        idx.get("component:plain").is_some(),
        "kind:name means the default namespace"
    );
}

#[test]
fn upsert_replaces_the_entity_with_the_same_ref() {
    let mut idx = CatalogIndex::new();
    idx.upsert(entity(
        "Component",
        "a",
        json!({"metadata": {"uid": "old"}, "spec": {"type": "service"}}),
    ))
    .unwrap();
    idx.upsert(entity(
        "component",
        "A",
        json!({"metadata": {"uid": "new"}, "spec": {"type": "website"}}),
    ))
    .unwrap();
    assert_eq!(idx.len(), 1);
    assert_eq!(
        idx.get("component:default/a").unwrap().value()["spec"]["type"],
        "website"
    );
    assert!(names_matching(&idx, &["spec.type=service"]).is_empty());
    assert_eq!(names_matching(&idx, &["spec.type=website"]), vec!["A"]);
    assert!(idx.get_by_uid("old").is_none());
    assert!(idx.get_by_uid("new").is_some());
}

#[test]
fn unchanged_reupsert_keeps_matches() {
    let mut idx = CatalogIndex::new();
    let e = entity(
        "Component",
        "a",
        json!({"spec": {"type": "service"}, "metadata": {"tags": ["x", "x"]}}),
    );
    idx.upsert(e.clone()).unwrap();
    idx.upsert(e).unwrap();
    assert_eq!(
        names_matching(&idx, &["spec.type=service,metadata.tags=x"]),
        vec!["a"]
    );
}

#[test]
fn remove_drops_the_entity_from_every_lookup() {
    let mut idx = CatalogIndex::new();
    idx.upsert(entity(
        "Component",
        "a",
        json!({"spec": {"type": "service"}}),
    ))
    .unwrap();
    idx.upsert(entity(
        "Component",
        "b",
        json!({"spec": {"type": "service"}}),
    ))
    .unwrap();
    assert!(idx.remove("Component:Default/A"));
    assert!(!idx.remove("component:default/a"));
    assert_eq!(idx.len(), 1);
    assert!(idx.get("component:default/a").is_none());
    assert!(idx.get_by_uid("uid-component-a").is_none());
    assert_eq!(names_matching(&idx, &["spec.type=service"]), vec!["b"]);
    assert_eq!(names_matching(&idx, &["spec.type"]), vec!["b"]);
    // The freed slot takes a new entity without leaking the old one's rows.
    idx.upsert(entity("API", "c", json!({"spec": {"type": "grpc"}})))
        .unwrap();
    assert_eq!(names_matching(&idx, &["spec.type=service"]), vec!["b"]);
    assert_eq!(names_matching(&idx, &["spec.type=grpc"]), vec!["c"]);
}

#[test]
fn uid_moving_between_entities_is_not_lost_on_remove() {
    let mut idx = CatalogIndex::new();
    idx.upsert(entity(
        "Component",
        "a",
        json!({"metadata": {"uid": "same"}}),
    ))
    .unwrap();
    idx.upsert(entity(
        "Component",
        "b",
        json!({"metadata": {"uid": "same"}}),
    ))
    .unwrap();
    idx.remove("component:default/a");
    assert_eq!(
        idx.get_by_uid("same").unwrap().value()["metadata"]["name"],
        "b"
    );
}

#[test]
fn invalid_entities_are_rejected() {
    let mut idx = CatalogIndex::new();
    for bad in [
        json!("x"),
        json!({"kind": "A"}),
        json!({"metadata": {"name": "a"}}),
    ] {
        assert!(matches!(idx.upsert(bad), Err(QueryError::InvalidEntity(_))));
    }
    assert!(idx.is_empty());
}

#[test]
fn upsert_json_keeps_the_text_and_indexes_it() {
    let mut idx = CatalogIndex::new();
    // Not in sorted key order: the text is kept as written, not rebuilt from a tree.
    let text = r#"{"kind":"Component","metadata":{"uid":"u1","name":"Svc","tags":["a b"]},"spec":{"type":"service"}}"#;
    idx.upsert_json(text).unwrap();
    let e = idx.get("component:default/svc").unwrap();
    assert_eq!(e.as_str(), text);
    assert_eq!(serde_json::to_string(&*e).unwrap(), text);
    assert_eq!(idx.get_by_uid("u1").unwrap().as_str(), text);
    assert_eq!(names_matching(&idx, &["spec.type=service"]), vec!["Svc"]);
    assert_eq!(names_matching(&idx, &["metadata.tags=a b"]), vec!["Svc"]);

    // Text with whitespace is stored compactly; replacing updates the index.
    idx.upsert_json(
        "{ \"kind\": \"Component\",\n  \"metadata\": {\"name\": \"svc\"}, \"spec\": {\"type\": \"website\"} }",
    )
    .unwrap();
    assert_eq!(idx.len(), 1);
    assert_eq!(
        idx.get("component:default/svc").unwrap().as_str(),
        r#"{"kind":"Component","metadata":{"name":"svc"},"spec":{"type":"website"}}"#
    );
    assert!(names_matching(&idx, &["spec.type=service"]).is_empty());
    assert!(idx.get_by_uid("u1").is_none());

    for bad in [
        "",
        "{",
        r#"{"kind":"A"}"#,
        r#"{"kind":"A","metadata":{"name":"a"}} x"#,
    ] {
        assert!(
            matches!(idx.upsert_json(bad), Err(QueryError::InvalidEntity(_))),
            "{bad}"
        );
    }
    assert_eq!(idx.len(), 1);
}

#[test]
fn upsert_of_a_value_serves_its_compact_json() {
    let mut idx = CatalogIndex::new();
    let e = entity("Component", "a", json!({"spec": {"type": "service"}}));
    idx.upsert(e.clone()).unwrap();
    let got = idx.get("component:default/a").unwrap();
    assert_eq!(got.value(), e);
    assert_eq!(got.as_str(), serde_json::to_string(&e).unwrap());
}

#[test]
fn removed_entities_vanish_from_filters_facets_and_full_text() {
    use portico_query::{EntityFilter, FullTextFilter, QueryRequest};
    let mut idx = CatalogIndex::new();
    for i in 0..10 {
        idx.upsert(entity(
            "Component",
            &format!("svc-{i}"),
            json!({"spec": {"type": if i < 5 { "service" } else { "website" }}}),
        ))
        .unwrap();
    }
    for i in 0..3 {
        assert!(idx.remove(&format!("component:default/svc-{i}")));
    }
    let facets = idx.facets(&EntityFilter::all(), &crate::strings(&["spec.type"]));
    assert_eq!(facets["spec.type"][0].value, "website");
    assert_eq!(facets["spec.type"][0].count, 5);
    assert_eq!(facets["spec.type"][1].count, 2);
    assert_eq!(
        names_matching(&idx, &["spec.type=service"]),
        vec!["svc-3", "svc-4"]
    );
    let text = QueryRequest::new(
        &[],
        vec![],
        Some(FullTextFilter::new(
            "svc-",
            crate::strings(&["metadata.name"]),
        )),
        100,
    )
    .unwrap();
    assert_eq!(idx.query(&text).total_items, 7);
}

#[test]
fn heavy_churn_keeps_every_lookup_right() {
    use portico_query::{QueryRequest, SortField};
    let mut idx = CatalogIndex::new();
    for i in 0..1500 {
        idx.upsert(entity(
            "Component",
            &format!("e{i:04}"),
            json!({"spec": {"owner": format!("t{}", i % 3)}}),
        ))
        .unwrap();
    }
    let req = QueryRequest::new(
        &crate::strings(&["spec.owner=t1"]),
        vec![SortField::asc("metadata.name")],
        None,
        10,
    )
    .unwrap();
    let before = idx.query(&req);
    // Enough removals to compact (slots are renumbered); the cursor must not care.
    for i in (0..1500).filter(|i| i % 5 != 0) {
        assert!(idx.remove(&format!("component:default/e{i:04}")));
    }
    assert_eq!(idx.len(), 300);
    for i in 0..5 {
        idx.upsert(entity(
            "Component",
            &format!("n{i}"),
            json!({"spec": {"owner": "t1"}}),
        ))
        .unwrap();
    }
    let next = idx
        .query(&QueryRequest::from_cursor(before.next_cursor.as_deref().unwrap(), None).unwrap());
    // Survivors owned by t1 are multiples of 5 with i % 3 == 1: e0010, e0025, e0040, ...
    let names = crate::names(&next.items);
    assert_eq!(
        names.first().map(String::as_str),
        Some("e0040"),
        "{names:?}"
    );
    assert_eq!(next.total_items, 100 + 5);
    assert_eq!(names_matching(&idx, &["spec.owner=t1"]).len(), 105);
    assert!(idx.get("component:default/e1495").is_some());
    assert!(idx.get("component:default/e1496").is_none());
    assert_eq!(
        idx.get_by_uid("uid-component-e0005").unwrap().value()["metadata"]["name"],
        "e0005"
    );
    assert!(idx.get_by_uid("uid-component-e0006").is_none());
}

#[test]
fn index_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<CatalogIndex>();
    shareable::<portico_query::QueryRequest>();
}
