//! Timing of the hot queries over 100,000 entities. Run with
//! `cargo test --release -p portico-query --test it -- --ignored --nocapture perf`.

use std::time::{Duration, Instant};

use portico_query::{
    CatalogIndex, EntityFilter, FullTextFilter, ListRequest, QueryRequest, SortField,
};
use serde_json::json;

use crate::strings;

const KINDS: [&str; 7] = [
    "Component",
    "Component",
    "API",
    "Resource",
    "System",
    "Group",
    "User",
];

fn ref_of(i: usize) -> String {
    format!(
        "{}:default/entity-{i:06}",
        KINDS[i % KINDS.len()].to_lowercase()
    )
}

fn synthetic(i: usize) -> serde_json::Value {
    let kinds = KINDS;
    let types = [
        "service", "website", "library", "openapi", "database", "grpc",
    ];
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
            "lifecycle": if i.is_multiple_of(2) { "production" } else { "experimental" },
            "system": format!("system-{}", i % 300),
        },
        "relations": [
            {"type": "ownedBy", "targetRef": format!("group:default/team-{}", i % 200)},
            {"type": "partOf", "targetRef": format!("system:default/system-{}", i % 300)},
        ],
    })
}

fn rss_kb() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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
    let rss_start = rss_kb();
    let entities: Vec<_> = (0..n).map(synthetic).collect();
    let rss_json = rss_kb();
    let start = Instant::now();
    let mut idx = CatalogIndex::new();
    for e in entities {
        idx.upsert(e).unwrap();
    }
    println!("upsert {n} entities: {:?}", start.elapsed());
    if let (Some(a), Some(b), Some(c)) = (rss_start, rss_json, rss_kb()) {
        println!(
            "RSS: entity JSON {} MB, index on top {} MB",
            (b - a) / 1024,
            (c.saturating_sub(b)) / 1024
        );
    }
    assert_eq!(idx.len(), n);

    let components = QueryRequest::new(&strings(&["kind=component"]), vec![], None, 50).unwrap();
    let page = idx.query(&components);
    assert_eq!(page.items.len(), 50);
    assert_eq!(page.total_items, 2 * n / 7 + 1);
    let t1 = time("by-query kind=component limit 50 (+totalItems)", 20, || {
        idx.query(&components)
    });

    let by_name = QueryRequest::new(
        &strings(&["kind=component"]),
        vec![SortField::desc("metadata.name")],
        None,
        50,
    )
    .unwrap();
    time(
        "by-query kind=component order name desc limit 50",
        20,
        || idx.query(&by_name),
    );
    let next = idx.query(&by_name).next_cursor.unwrap();
    let next_req = QueryRequest::from_cursor(&next, None).unwrap();
    time("by-query same, next cursor page", 20, || {
        idx.query(&next_req)
    });

    let owner = ListRequest {
        filter: EntityFilter::parse(&strings(&["spec.owner=group:default/team-7"])).unwrap(),
        ..ListRequest::default()
    };
    assert_eq!(idx.list(&owner).items.len(), n / 200);
    let t2 = time("list filter spec.owner=<one team>", 20, || idx.list(&owner));

    let all = EntityFilter::all();
    let facet = strings(&["spec.type"]);
    assert_eq!(idx.facets(&all, &facet)["spec.type"].len(), 6);
    let t3 = time("facets spec.type (no filter)", 20, || {
        idx.facets(&all, &facet)
    });
    let comp = EntityFilter::parse(&strings(&["kind=component"])).unwrap();
    time("facets spec.type (filter kind=component)", 20, || {
        idx.facets(&comp, &facet)
    });

    let text = QueryRequest::new(
        &[],
        vec![SortField::asc("metadata.name")],
        Some(FullTextFilter::new(
            "ity-0123",
            strings(&["metadata.name", "metadata.title"]),
        )),
        50,
    )
    .unwrap();
    assert_eq!(idx.query(&text).total_items, 100);
    let t4 = time("full text 'ity-0123' over name+title, limit 50", 20, || {
        idx.query(&text)
    });

    // Harder shapes: everything matches, huge tie groups, a term matching every value, a sort
    // field nobody has, a deep cursor, and a selective filter with a sort.
    let mut extra = Vec::new();
    let all_by_default = QueryRequest::new(&[], vec![], None, 50).unwrap();
    extra.push(time(
        "by-query no filter, default order, limit 50",
        20,
        || idx.query(&all_by_default),
    ));
    let by_type = QueryRequest::new(&[], vec![SortField::asc("spec.type")], None, 50).unwrap();
    extra.push(time(
        "by-query no filter, order spec.type (6 values), limit 50",
        20,
        || idx.query(&by_type),
    ));
    let common = QueryRequest::new(
        &[],
        vec![SortField::asc("metadata.name")],
        Some(FullTextFilter::new(
            "entity",
            strings(&["metadata.name", "metadata.title"]),
        )),
        50,
    )
    .unwrap();
    assert_eq!(idx.query(&common).total_items, n);
    extra.push(time(
        "full text 'entity' (matches all), limit 50",
        20,
        || idx.query(&common),
    ));
    let nobody = QueryRequest::new(
        &[],
        vec![SortField::asc("spec.profile.displayName")],
        None,
        50,
    )
    .unwrap();
    extra.push(time(
        "by-query order by a field no entity has, limit 50",
        20,
        || idx.query(&nobody),
    ));
    let mut deep = idx.query(&by_name);
    for _ in 0..200 {
        deep = idx
            .query(&QueryRequest::from_cursor(deep.next_cursor.as_deref().unwrap(), None).unwrap());
    }
    let deep_req = QueryRequest::from_cursor(deep.next_cursor.as_deref().unwrap(), None).unwrap();
    extra.push(time(
        "by-query cursor page 202 of kind=component by name",
        20,
        || idx.query(&deep_req),
    ));
    let deep_prev = QueryRequest::from_cursor(deep.prev_cursor.as_deref().unwrap(), None).unwrap();
    extra.push(time("by-query prev cursor from page 201", 20, || {
        idx.query(&deep_prev)
    }));
    let owner_sorted = QueryRequest::new(
        &strings(&["spec.owner=group:default/team-7"]),
        vec![SortField::desc("metadata.title")],
        None,
        50,
    )
    .unwrap();
    extra.push(time(
        "by-query owner=<one team> order title desc, limit 50",
        20,
        || idx.query(&owner_sorted),
    ));
    let legacy_all = ListRequest::default();
    extra.push(time(
        "list everything (100k, no limit), default order",
        3,
        || idx.list(&legacy_all),
    ));

    let lookup = time("get by ref", 1000, || {
        idx.get("Component:default/entity-054321")
    });
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
    // Removing a quarter of the catalog triggers one compaction along the way.
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut removed = 0;
    for i in (0..n).filter(|i| i % 3 == 1) {
        let t = Instant::now();
        removed += usize::from(idx.remove(&ref_of(i)));
        slowest = slowest.max(t.elapsed());
    }
    println!(
        "remove {removed} more entities: {:?} (slowest single remove, i.e. the compaction: {slowest:?})",
        start.elapsed()
    );
    let after = idx.query(&components);
    assert_eq!(after.items.len(), 50);
    time(
        "by-query kind=component limit 50 after compaction",
        20,
        || idx.query(&components),
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(rss) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak RSS of the test process: {}",
                rss.trim_start_matches("VmHWM:").trim()
            );
        }
    }

    for t in [t1, t2, t3, t4]
        .into_iter()
        .chain(extra.into_iter().take(7))
    {
        assert!(t < Duration::from_millis(20), "{t:?}");
    }
}
