use portico_query::{CatalogIndex, FullTextFilter, QueryError, QueryPage, QueryRequest, SortField};
use serde_json::json;

use crate::{entity, name_of, names, strings};

fn catalog(n: usize) -> CatalogIndex {
    let mut idx = CatalogIndex::new();
    for i in 0..n {
        let kind = if i % 3 == 0 { "API" } else { "Component" };
        let mut spec = json!({"owner": format!("team-{}", i % 4)});
        if i % 5 != 0 {
            spec["type"] = json!(format!("type-{}", i % 7));
        }
        idx.upsert(entity(kind, &format!("e{i:03}"), json!({"spec": spec})))
            .unwrap();
    }
    idx
}

fn first(idx: &CatalogIndex, filter: &[&str], order: Vec<SortField>, limit: usize) -> QueryPage {
    idx.query(&QueryRequest::new(&strings(filter), order, None, limit).unwrap())
}

fn follow(idx: &CatalogIndex, cursor: &Option<String>) -> QueryPage {
    let cursor = cursor.as_deref().expect("a cursor");
    idx.query(&QueryRequest::from_cursor(cursor, None).unwrap())
}

/// Expected order computed independently of the engine.
fn expected(idx: &CatalogIndex, filter: &[&str], order: &[SortField]) -> Vec<String> {
    let req = portico_query::ListRequest {
        filter: portico_query::EntityFilter::parse(&strings(filter)).unwrap(),
        ..Default::default()
    };
    let mut items: Vec<serde_json::Value> =
        idx.list(&req).items.iter().map(|e| e.value()).collect();
    let value = |e: &serde_json::Value, field: &str| {
        let mut v = e;
        for part in field.split('.') {
            v = &v[part];
        }
        v.as_str().map(str::to_lowercase)
    };
    let key = |e: &serde_json::Value| {
        format!(
            "{}:default/{}",
            e["kind"].as_str().unwrap(),
            e["metadata"]["name"].as_str().unwrap()
        )
        .to_lowercase()
    };
    items.sort_by(|a, b| {
        for o in order {
            let ord = match (value(a, &o.field), value(b, &o.field)) {
                (Some(x), Some(y)) if o.descending => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            if ord.is_ne() {
                return ord;
            }
        }
        key(a).cmp(&key(b))
    });
    items.iter().map(name_of).collect()
}

fn walk_forward_and_back(filter: &[&str], order: Vec<SortField>, limit: usize) {
    let idx = catalog(47);
    let want = expected(&idx, filter, &order);
    let mut pages = vec![first(&idx, filter, order.clone(), limit)];
    assert!(
        pages[0].prev_cursor.is_none(),
        "first page has no previous page"
    );
    while pages.last().unwrap().next_cursor.is_some() {
        let next = follow(&idx, &pages.last().unwrap().next_cursor);
        pages.push(next);
        assert!(pages.len() < 100);
    }
    let forward: Vec<String> = pages.iter().flat_map(|p| names(&p.items)).collect();
    assert_eq!(forward, want, "every item once, in order");
    assert!(pages.iter().all(|p| p.total_items == want.len()));
    assert_eq!(pages.len(), want.len().div_ceil(limit));

    // Back from the last page with prev cursors.
    let mut back = vec![names(&pages.last().unwrap().items)];
    let mut page = pages.pop().unwrap();
    while page.prev_cursor.is_some() {
        page = follow(&idx, &page.prev_cursor);
        assert!(page.next_cursor.is_some());
        assert_eq!(page.items.len(), limit);
        back.push(names(&page.items));
    }
    back.reverse();
    assert_eq!(back.concat(), want);
}

#[test]
fn walks_default_order_both_ways() {
    walk_forward_and_back(&[], vec![], 5);
}

#[test]
fn walks_filtered_ascending_with_missing_values() {
    walk_forward_and_back(&["kind=component"], vec![SortField::asc("spec.type")], 4);
}

#[test]
fn walks_descending_and_multiple_fields() {
    walk_forward_and_back(&[], vec![SortField::desc("spec.type")], 6);
    walk_forward_and_back(
        &["kind=component", "spec.owner=team-1"],
        vec![
            SortField::asc("spec.owner"),
            SortField::desc("metadata.name"),
        ],
        3,
    );
}

#[test]
fn single_page_has_no_cursors() {
    let idx = catalog(10);
    let p = first(&idx, &["kind=api"], vec![], 50);
    assert_eq!((p.items.len(), p.total_items), (4, 4));
    assert!(p.next_cursor.is_none() && p.prev_cursor.is_none());
}

#[test]
fn limit_zero_gives_only_the_total() {
    let idx = catalog(10);
    let p = first(&idx, &["kind=component"], vec![], 0);
    assert!(p.items.is_empty() && p.next_cursor.is_none());
    assert_eq!(p.total_items, 6);
}

#[test]
fn cursor_stays_correct_after_inserts_and_removes() {
    let mut idx = catalog(20);
    let order = vec![SortField::asc("metadata.name")];
    let p1 = first(&idx, &["kind=component"], order.clone(), 4);
    assert_eq!(names(&p1.items), strings(&["e001", "e002", "e004", "e005"]));
    // The last item of the page and the next one disappear; new ones land before and after
    // the cursor position.
    assert!(idx.remove("component:default/e005"));
    assert!(idx.remove("component:default/e007"));
    idx.upsert(entity("Component", "e000b", json!({}))).unwrap();
    idx.upsert(entity("Component", "e007b", json!({}))).unwrap();
    let p2 = follow(&idx, &p1.next_cursor);
    assert_eq!(
        names(&p2.items),
        strings(&["e007b", "e008", "e010", "e011"])
    );
    assert_eq!(p2.total_items, 13); // 13 components, 2 removed, 2 added
    let back = follow(&idx, &p2.prev_cursor);
    assert_eq!(
        names(&back.items),
        strings(&["e000b", "e001", "e002", "e004"])
    );
    assert!(back.prev_cursor.is_none());
    assert!(back.next_cursor.is_some());
}

#[test]
fn empty_page_after_removals_points_back() {
    let mut idx = catalog(6);
    let p1 = first(&idx, &[], vec![], 3);
    for name in [
        "component:default/e004",
        "component:default/e005",
        "component:default/e002",
    ] {
        idx.remove(name);
    }
    let p2 = follow(&idx, &p1.next_cursor);
    assert!(p2.items.is_empty());
    assert!(p2.next_cursor.is_none());
    let back = follow(&idx, &p2.prev_cursor);
    assert_eq!(names(&back.items), strings(&["e000", "e003", "e001"]));
    assert!(back.prev_cursor.is_none());
}

#[test]
fn cursor_carries_filters_order_and_full_text() {
    let idx = catalog(40);
    let req = QueryRequest::new(
        &strings(&["kind=component"]),
        vec![SortField::desc("metadata.name")],
        Some(FullTextFilter::new("e0", strings(&["metadata.name"]))),
        5,
    )
    .unwrap();
    let p1 = idx.query(&req);
    let cursor = p1.next_cursor.clone().unwrap();
    // A cursor request is built from the cursor alone; filter params do not enter it.
    let from = QueryRequest::from_cursor(&cursor, None).unwrap();
    assert!(from.has_cursor());
    assert_eq!(from.filter, req.filter);
    assert_eq!(from.order, req.order);
    assert_eq!(from.full_text, req.full_text);
    assert_eq!(from.limit, 5);
    let p2 = idx.query(&from);
    assert_eq!(p2.total_items, p1.total_items);
    assert!(p2.items.iter().all(|e| e.value()["kind"] == "Component"));
    assert_eq!(
        names(&p1.items),
        strings(&["e038", "e037", "e035", "e034", "e032"])
    );
    assert_eq!(
        names(&p2.items),
        strings(&["e031", "e029", "e028", "e026", "e025"])
    );
    // An explicit limit changes the page size and is carried on.
    let p3 = idx.query(&QueryRequest::from_cursor(&cursor, Some(2)).unwrap());
    assert_eq!(names(&p3.items), strings(&["e031", "e029"]));
    let p4 = follow(&idx, &p3.next_cursor);
    assert_eq!(names(&p4.items), strings(&["e028", "e026"]));
}

#[test]
fn malformed_cursors_are_rejected() {
    for bad in ["", "not a cursor!", "eyJ2IjoxfQ", "bm90IGpzb24"] {
        match QueryRequest::from_cursor(bad, None) {
            Err(QueryError::InvalidCursor(_)) => {}
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn invalid_initial_requests_are_rejected() {
    assert!(matches!(
        QueryRequest::new(&strings(&["=x"]), vec![], None, 10),
        Err(QueryError::InvalidFilter(_))
    ));
    assert!(matches!(
        QueryRequest::new(&[], vec![SortField::asc(" ")], None, 10),
        Err(QueryError::InvalidOrder(_))
    ));
}

#[test]
fn changing_the_order_of_a_cursor_request_restarts_instead_of_panicking() {
    let idx = catalog(20);
    let p1 = first(&idx, &[], vec![SortField::asc("spec.type")], 5);
    let mut req = QueryRequest::from_cursor(p1.next_cursor.as_deref().unwrap(), None).unwrap();
    req.order = vec![];
    let page = idx.query(&req);
    assert_eq!(
        names(&page.items),
        strings(&["e000", "e003", "e006", "e009", "e012"])
    );
}
