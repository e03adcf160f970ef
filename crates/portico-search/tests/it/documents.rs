//! Reading entities, and the Backstage document shapes results carry.

use portico_search::{EntityDoc, SearchQuery};
use serde_json::json;

use crate::common::{locations, Fixture, RUNBOOK};

#[test]
fn reads_a_backstage_entity() {
    let doc = EntityDoc::from_entity_json(&json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": "Payments",
            "namespace": "shop",
            "title": "Payments",
            "description": "Takes money",
            "tags": ["java", 3],
            "annotations": { "backstage.io/techdocs-ref": "dir:." },
            "links": [{ "url": "https://pay.example.com", "title": "Dashboard" }],
        },
        "spec": { "type": "service", "owner": "team-pay", "lifecycle": "production", "system": "shop" },
    }))
    .expect("valid entity");
    assert_eq!(doc.entity_ref, "component:shop/payments");
    assert_eq!(doc.kind, "Component");
    assert_eq!(doc.name, "Payments");
    assert_eq!(doc.owner.as_deref(), Some("group:shop/team-pay"));
    assert_eq!(doc.spec_type.as_deref(), Some("service"));
    assert_eq!(doc.system.as_deref(), Some("shop"));
    assert_eq!(doc.tags, vec!["java".to_owned()]);
    for part in ["dir:.", "Dashboard", "https://pay.example.com"] {
        assert!(
            doc.extra_text.contains(part),
            "{part} in {:?}",
            doc.extra_text
        );
    }
}

#[test]
fn owner_refs_are_completed_not_rewritten() {
    let owner = |o: &str| {
        EntityDoc::from_entity_json(&json!({
            "kind": "Component", "metadata": { "name": "x" }, "spec": { "owner": o },
        }))
        .and_then(|d| d.owner)
    };
    assert_eq!(owner("team-a").as_deref(), Some("group:default/team-a"));
    assert_eq!(owner("user:jdoe").as_deref(), Some("user:default/jdoe"));
    assert_eq!(
        owner("Group:Ops/Team-A").as_deref(),
        Some("Group:Ops/Team-A")
    );
}

#[test]
fn rejects_entities_without_kind_or_name() {
    assert!(EntityDoc::from_entity_json(&json!({ "metadata": { "name": "x" } })).is_none());
    assert!(EntityDoc::from_entity_json(&json!({ "kind": "Component", "metadata": {} })).is_none());
    assert!(EntityDoc::from_entity_json(&json!("nope")).is_none());
}

#[test]
fn catalog_document_has_backstage_fields() {
    let f = Fixture::catalog();
    let page = f.query(
        SearchQuery::term("payments")
            .filter("name", "payments")
            .filter("kind", "component"),
    );
    let doc = &page.results[0].document;
    assert_eq!(page.results[0].result_type, "software-catalog");
    assert_eq!(doc["title"], "Payments");
    assert_eq!(doc["text"], "Handles card payments and refunds");
    assert_eq!(doc["location"], "/catalog/default/component/payments");
    assert_eq!(doc["kind"], "Component");
    assert_eq!(doc["namespace"], "default");
    assert_eq!(doc["name"], "payments");
    assert_eq!(doc["type"], "service");
    assert_eq!(doc["lifecycle"], "production");
    assert_eq!(doc["owner"], "group:default/team-pay");
    assert_eq!(doc["tags"], json!(["java", "payments"]));
}

#[test]
fn entity_without_type_reads_other() {
    let f = Fixture::catalog();
    let page = f.search("jdoe");
    assert_eq!(page.results[0].document["type"], "other");
    assert_eq!(page.results[0].document["owner"], "");
}

#[test]
fn techdocs_document_has_backstage_fields() {
    let f = Fixture::catalog();
    let page = f.query(SearchQuery {
        types: vec!["techdocs".into()],
        ..SearchQuery::term("failover")
    });
    let doc = &page.results[0].document;
    assert_eq!(page.results[0].result_type, "techdocs");
    assert_eq!(doc["title"], "Database failover");
    assert_eq!(doc["location"], format!("{RUNBOOK}#database-failover"));
    assert_eq!(doc["entityTitle"], "Payments");
    assert_eq!(doc["pageTitle"], "Runbook");
    assert_eq!(doc["kind"], "Component");
    assert_eq!(doc["name"], "payments");
    assert_eq!(doc["owner"], "group:default/team-pay");
    assert_eq!(doc["lifecycle"], "production");
    assert!(doc["text"]
        .as_str()
        .unwrap_or_default()
        .starts_with("Promote the replica"));
}

#[test]
fn preamble_section_is_titled_by_its_page_and_has_no_anchor() {
    let f = Fixture::catalog();
    let page = f.query(SearchQuery {
        types: vec!["techdocs".into()],
        ..SearchQuery::term("operate")
    });
    assert_eq!(locations(&page), vec![RUNBOOK.to_owned()]);
    assert_eq!(page.results[0].document["title"], "Runbook");
}

#[test]
fn page_serializes_in_backstage_shape() {
    let f = Fixture::catalog();
    let page = f.query(SearchQuery {
        page_limit: 1,
        ..SearchQuery::term("payments")
    });
    let v = serde_json::to_value(&page).expect("serializes");
    assert!(v["results"][0]["type"].is_string());
    assert!(v["results"][0]["document"]["location"].is_string());
    assert_eq!(v["results"][0]["highlight"]["preTag"], "<mark>");
    assert_eq!(v["results"][0]["highlight"]["postTag"], "</mark>");
    assert!(v["results"][0]["highlight"]["fields"]["title"].is_string());
    assert_eq!(v["results"][0]["rank"], 1);
    assert!(v["nextPageCursor"].is_string());
    assert!(
        v.get("previousPageCursor").is_none(),
        "absent on the first page"
    );
    assert!(v["numberOfResults"].as_u64().unwrap_or(0) >= 3);
}
