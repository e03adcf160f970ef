use portico_query::{CatalogIndex, FullTextFilter, QueryRequest, SortField};
use serde_json::json;

use crate::{entity, index_of, names, strings};

fn catalog() -> CatalogIndex {
    index_of(vec![
        entity(
            "Component",
            "payments-api",
            json!({"metadata": {"title": "Billing Gateway", "uid": "aaa-111"}, "spec": {"owner": "team-pay"}}),
        ),
        entity(
            "Component",
            "checkout",
            json!({"metadata": {"title": "Checkout UI", "uid": "bbb-222"}, "spec": {"owner": "team-web"}}),
        ),
        entity(
            "User",
            "jdoe",
            json!({"metadata": {"uid": "ccc-333"}, "spec": {"profile": {"displayName": "Jane PAYNE"}}}),
        ),
        entity(
            "API",
            "payments",
            json!({"metadata": {"uid": "ddd-444"}, "spec": {"owner": "team-pay"}}),
        ),
    ])
}

fn search(
    idx: &CatalogIndex,
    filter: &[&str],
    order: Vec<SortField>,
    term: &str,
    fields: &[&str],
) -> (Vec<String>, usize) {
    let req = QueryRequest::new(
        &strings(filter),
        order,
        Some(FullTextFilter::new(term, strings(fields))),
        50,
    )
    .unwrap();
    let page = idx.query(&req);
    (names(&page.items), page.total_items)
}

#[test]
fn substring_over_given_fields_case_insensitively() {
    let idx = catalog();
    let by_name = vec![SortField::asc("metadata.name")];
    assert_eq!(
        search(
            &idx,
            &[],
            by_name.clone(),
            "PAY",
            &["metadata.name", "spec.profile.displayName"]
        ),
        (strings(&["jdoe", "payments", "payments-api"]), 3)
    );
    assert_eq!(
        search(&idx, &[], by_name.clone(), "gate", &["metadata.title"]),
        (strings(&["payments-api"]), 1)
    );
    assert_eq!(
        search(
            &idx,
            &["kind=component"],
            by_name.clone(),
            "pay",
            &["metadata.name"]
        ),
        (strings(&["payments-api"]), 1)
    );
    assert_eq!(search(&idx, &[], by_name, "zzz", &["metadata.name"]).1, 0);
}

#[test]
fn default_fields_follow_backstage() {
    let idx = catalog();
    // No fields: the first sort field is searched ...
    assert_eq!(
        search(&idx, &[], vec![SortField::asc("spec.owner")], "WEB", &[]),
        (strings(&["checkout"]), 1)
    );
    // ... and without a sort field, metadata.uid.
    assert_eq!(
        search(&idx, &[], vec![], "ccc", &[]),
        (strings(&["jdoe"]), 1)
    );
    assert_eq!(search(&idx, &[], vec![], "jdoe", &[]).1, 0);
}

#[test]
fn blank_term_filters_nothing() {
    let idx = catalog();
    assert_eq!(search(&idx, &[], vec![], "   ", &["metadata.name"]).1, 4);
    assert_eq!(
        search(&idx, &[], vec![], "  checkout ", &["metadata.name"]),
        (strings(&["checkout"]), 1)
    );
}
