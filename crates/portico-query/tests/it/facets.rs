use portico_query::{EntityFilter, FacetCount};
use serde_json::json;

use crate::{entity, index_of, strings};

fn fc(value: &str, count: usize) -> FacetCount {
    FacetCount {
        value: value.into(),
        count,
    }
}

#[test]
fn facets_count_original_values_among_matching_entities() {
    let idx = index_of(vec![
        entity(
            "Component",
            "a",
            json!({"spec": {"type": "service", "owner": "x"}, "metadata": {"tags": ["java", "web"]}}),
        ),
        entity(
            "Component",
            "b",
            json!({"spec": {"type": "service", "owner": "y"}, "metadata": {"tags": ["java", "java"]}}),
        ),
        entity(
            "Component",
            "c",
            json!({"spec": {"type": "Service", "owner": "x"}}),
        ),
        entity(
            "Component",
            "d",
            json!({"spec": {"type": "website", "owner": "x"}}),
        ),
        entity(
            "API",
            "e",
            json!({"spec": {"type": "openapi", "owner": "x"}}),
        ),
    ]);
    let all = idx.facets(
        &EntityFilter::all(),
        &strings(&["spec.type", "kind", "metadata.tags", "spec.nothing"]),
    );
    assert_eq!(
        all["spec.type"],
        vec![
            fc("service", 2),
            fc("Service", 1),
            fc("openapi", 1),
            fc("website", 1)
        ]
    );
    assert_eq!(all["kind"], vec![fc("Component", 4), fc("API", 1)]);
    assert_eq!(all["metadata.tags"], vec![fc("java", 2), fc("web", 1)]);
    assert_eq!(all["spec.nothing"], vec![]);

    let filter = EntityFilter::parse(&strings(&["spec.owner=x,kind=component"])).unwrap();
    let some = idx.facets(&filter, &strings(&["Spec.Type"]));
    assert_eq!(
        some["Spec.Type"],
        vec![fc("Service", 1), fc("service", 1), fc("website", 1)],
        "keyed by the facet as requested, matched case-insensitively"
    );

    let json = serde_json::to_value(&some).unwrap();
    assert_eq!(
        json["Spec.Type"][0],
        json!({"value": "Service", "count": 1})
    );
}
