use portico_query::{parse_order, parse_order_field, EntityFilter, ListRequest, SortField};
use serde_json::json;

use crate::{entity, index_of, names, strings};

fn catalog() -> portico_query::CatalogIndex {
    index_of(vec![
        entity(
            "Component",
            "b",
            json!({"spec": {"type": "Service", "owner": "x"}}),
        ),
        entity(
            "Component",
            "a",
            json!({"spec": {"type": "website", "owner": "y"}}),
        ),
        entity(
            "Component",
            "C",
            json!({"spec": {"type": "service", "owner": "y"}}),
        ),
        entity("Component", "d", json!({"spec": {"owner": "x"}})),
        entity("API", "e", json!({"spec": {"type": "openapi"}})),
    ])
}

fn list(idx: &portico_query::CatalogIndex, order: Vec<SortField>) -> Vec<String> {
    names(
        &idx.list(&ListRequest {
            order,
            ..ListRequest::default()
        })
        .items,
    )
}

#[test]
fn default_order_is_entity_ref() {
    assert_eq!(list(&catalog(), vec![]), vec!["e", "a", "b", "C", "d"]);
}

#[test]
fn ascending_is_case_insensitive_with_missing_last() {
    let idx = catalog();
    assert_eq!(
        list(&idx, vec![parse_order("asc:metadata.name").unwrap()]),
        vec!["a", "b", "C", "d", "e"]
    );
    // Ties (service/Service) fall back to the entity ref; `d` has no type.
    assert_eq!(
        list(&idx, vec![parse_order_field("spec.type").unwrap()]),
        vec!["e", "b", "C", "a", "d"]
    );
}

#[test]
fn descending_keeps_missing_last_and_ties_ascending() {
    let idx = catalog();
    assert_eq!(
        list(&idx, vec![parse_order("desc:spec.type").unwrap()]),
        vec!["a", "b", "C", "e", "d"]
    );
    assert_eq!(
        list(&idx, vec![parse_order_field("metadata.name,desc").unwrap()]),
        vec!["e", "d", "C", "b", "a"]
    );
}

#[test]
fn several_sort_fields() {
    let idx = catalog();
    assert_eq!(
        list(
            &idx,
            vec![
                SortField::asc("spec.owner"),
                SortField::desc("metadata.name")
            ]
        ),
        vec!["d", "b", "C", "a", "e"]
    );
    assert_eq!(
        list(
            &idx,
            vec![SortField::desc("spec.owner"), SortField::asc("spec.type")]
        ),
        vec!["C", "a", "b", "d", "e"]
    );
}

#[test]
fn sort_field_names_are_case_insensitive() {
    assert_eq!(
        list(&catalog(), vec![SortField::asc("Metadata.Name")]),
        vec!["a", "b", "C", "d", "e"]
    );
}

#[test]
fn list_offset_limit_and_has_more() {
    let idx = catalog();
    let filter = EntityFilter::parse(&strings(&["kind=component"])).unwrap();
    let page = |offset, limit| {
        idx.list(&ListRequest {
            filter: filter.clone(),
            order: vec![SortField::asc("metadata.name")],
            offset,
            limit,
        })
    };
    let p = page(0, Some(2));
    assert_eq!((names(&p.items), p.has_more), (strings(&["a", "b"]), true));
    let p = page(2, Some(2));
    assert_eq!((names(&p.items), p.has_more), (strings(&["C", "d"]), false));
    let p = page(1, Some(1));
    assert_eq!((names(&p.items), p.has_more), (strings(&["b"]), true));
    let p = page(3, None);
    assert_eq!((names(&p.items), p.has_more), (strings(&["d"]), false));
    let p = page(10, Some(5));
    assert!(p.items.is_empty() && !p.has_more);
    let p = page(0, Some(0));
    assert!(p.items.is_empty() && p.has_more);
}
