//! Timing of the hot queries over 100,000 entities. Run with
//! `cargo test --release -p portico-query --test it -- --ignored --nocapture perf`.

use std::time::{Duration, Instant};

use portico_query::{
    CatalogIndex, EntityFilter, FullTextFilter, ListRequest, QueryRequest, SortField,
};
use serde_json::json;

use crate::strings;

fn synthetic(i: usize) -> serde_json::Value {
    let kinds = ["Component", "Component", "API", "Resource", "System", "Group", "User"];
    let types = ["service", "website", "library", "openapi", "database", "grpc"];
    let kind = kinds[i % kinds.len()];
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": {
            "name": format!("entity-{i:06}"),
            "namespace": "default",
            "uid": format!("{:08x}-0000-4000-8000-{:012x}", i * 2654435761 % 4294967296, i),
            "title": format!("Entity number {i}"),
            "description": format!("Synthetic entity {i} used to time the query engine"),
            "tags": [format!("tag-{}", i % 50), "synthetic"],
            "annotations": {
                "backstage.io/managed-by-location": format!("url:https://git/repo-{}/catalog-info.yaml", i % 1000),
                "backstage.io/techdocs-ref": "dir:.",
            },
            "links": [{"url": format!("https://svc-{i}.example.com"), "title": "Home"}],
        },
        "spec": {
            "type": types[i % types.len()],
            "owner": format!("group:default/team-{}", i % 200),
            "lifecycle": if i % 2 == 0 { "production" } else { "experimental" },
            "system": format!("system-{}", i % 300),
        },
        "relations": [
            {"type": "ownedBy", "targetRef": format!("group:default/team-{}", i % 200)},
            {"type": "partOf", "targetRef": format!("system:default/system-{}", i % 300)},
        ],
    })
}

fn time<T>(label: &str, runs: u32, mut f: impl FnMut() -> T) -> Duration {
    let _ = f(); // warm-up
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    let per = start.elapsed() / runs;
    println!("{label:<55} {per:>12.3?}");
    per
}

#[test]
#[ignore]
fn perf_100k() {
    let n = 100_000;
    let entities: Vec<_> = (0..n).map(synthetic).collect();
    let start = Instant::now();
    let mut idx = CatalogIndex::new();
    for e in entities {
        idx.upsert(e).unwrap();
    }
    println!("upsert {n} entities: {:?}", start.elapsed());
    assert_eq!(idx.len(), n);

    let components = QueryRequest::new(&strings(&["kind=component"]), vec![], None, 50).unwrap();
    let page = idx.query(&components);
    assert_eq!(page.items.len(), 50);
    assert_eq!(page.total_items, 2 * n / 7 + 1);
    let t1 = time("by-query kind=component limit 50 (+totalItems)", 20, || idx.query(&components));

    let by_name = QueryRequest::new(
        &strings(&["kind=component"]),
        vec![SortField::desc("metadata.name")],
        None,
        50,
    )
    .unwrap();
    time("by-query kind=component order name desc limit 50", 20, || idx.query(&by_name));
    let next = idx.query(&by_name).next_cursor.unwrap();
    let next_req = QueryRequest::from_cursor(&next, None).unwrap();
    time("by-query same, next cursor page", 20, || idx.query(&next_req));

    let owner = ListRequest {
        filter: EntityFilter::parse(&strings(&["spec.owner=group:default/team-7"])).unwrap(),
        ..ListRequest::default()
    };
    assert_eq!(idx.list(&owner).items.len(), n / 200);
    let t2 = time("list filter spec.owner=<one team>", 20, || idx.list(&owner));

    let all = EntityFilter::all();
    let facet = strings(&["spec.type"]);
    assert_eq!(idx.facets(&all, &facet)["spec.type"].len(), 6);
    let t3 = time("facets spec.type (no filter)", 20, || idx.facets(&all, &facet));
    let comp = EntityFilter::parse(&strings(&["kind=component"])).unwrap();
    time("facets spec.type (filter kind=component)", 20, || idx.facets(&comp, &facet));

    let text = QueryRequest::new(
        &[],
        vec![SortField::asc("metadata.name")],
        Some(FullTextFilter::new("ity-0123", strings(&["metadata.name", "metadata.title"]))),
        50,
    )
    .unwrap();
    assert_eq!(idx.query(&text).total_items, 100);
    let t4 = time("full text 'ity-0123' over name+title, limit 50", 20, || idx.query(&text));

    let lookup = time("get by ref", 1000, || idx.get("Component:default/entity-054321"));
    assert!(lookup < Duration::from_micros(50));

    let start = Instant::now();
    for i in 0..1000 {
        idx.upsert(synthetic(i * 97 % n)).unwrap();
    }
    println!("re-upsert 1000 unchanged entities: {:?}", start.elapsed());
    let start = Instant::now();
    for i in 0..1000 {
        idx.remove(&format!("component:default/entity-{:06}", i * 7));
    }
    println!("remove 1000 entities: {:?}", start.elapsed());

    for t in [t1, t2, t3, t4] {
        assert!(t < Duration::from_millis(20), "{t:?}");
    }
}
