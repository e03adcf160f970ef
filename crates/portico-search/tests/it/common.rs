//! Fixtures: a small catalog with one documented entity.

use portico_search::{
    Batch, DocPageDoc, EntityDoc, Position, SearchIndex, SearchPage, SearchQuery, SearchWriter,
    SectionDoc, Update,
};
use serde_json::json;

pub fn entity(
    kind: &str,
    name: &str,
    spec: serde_json::Value,
    meta: serde_json::Value,
) -> EntityDoc {
    let mut metadata = json!({ "name": name });
    if let (Some(m), Some(extra)) = (metadata.as_object_mut(), meta.as_object()) {
        m.extend(extra.clone());
    }
    EntityDoc::from_entity_json(&json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    }))
    .expect("fixture entity is valid")
}

pub fn component(name: &str, spec_type: &str, owner: &str, lifecycle: &str) -> EntityDoc {
    entity(
        "Component",
        name,
        json!({ "type": spec_type, "owner": owner, "lifecycle": lifecycle }),
        json!({}),
    )
}

pub fn page(
    owner: &EntityDoc,
    title: &str,
    url: &str,
    sections: &[(&str, &str, &str)],
) -> DocPageDoc {
    DocPageDoc {
        entity_ref: owner.entity_ref.clone(),
        entity_title: owner.display_title().to_owned(),
        kind: owner.kind.clone(),
        namespace: owner.namespace.clone(),
        name: owner.name.clone(),
        owner: owner.owner.clone(),
        lifecycle: owner.lifecycle.clone(),
        page_title: title.to_owned(),
        page_url: url.to_owned(),
        sections: sections
            .iter()
            .map(|(heading, anchor, text)| SectionDoc {
                heading: (*heading).to_owned(),
                anchor: (*anchor).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
    }
}

pub fn payments() -> EntityDoc {
    entity(
        "Component",
        "payments",
        json!({ "type": "service", "owner": "team-pay", "lifecycle": "production", "system": "commerce" }),
        json!({
            "title": "Payments",
            "description": "Handles card payments and refunds",
            "tags": ["java", "payments"],
        }),
    )
}

pub fn payments_docs(owner: &EntityDoc) -> Vec<DocPageDoc> {
    vec![
        page(
            owner,
            "Runbook",
            "runbook/",
            &[
                ("", "", "How to operate the service when things break."),
                (
                    "Rollback procedure",
                    "rollback-procedure",
                    "To roll back a deploy, run the rollback job from the pipeline.",
                ),
                (
                    "Database failover",
                    "database-failover",
                    "Promote the replica. A rollback of the schema is not needed.",
                ),
                (
                    "Alerts",
                    "alerts",
                    "<script>alert(1)</script> Pager alerts fire when latency climbs.",
                ),
            ],
        ),
        page(
            owner,
            "Overview",
            "",
            &[
                ("", "", "The service takes card payments for the shop."),
                (
                    "Architecture",
                    "architecture",
                    "Three replicas behind a queue.",
                ),
            ],
        ),
    ]
}

/// The fixture catalog, documents included.
pub fn catalog() -> Vec<Update> {
    let payments = payments();
    let docs = payments_docs(&payments);
    let mut checkout = component("checkout-web", "website", "team-web", "production");
    checkout.description = Some("The shop front; calls the payments API".into());
    let mut api = component("payments-api", "service", "team-pay", "production");
    api.title = Some("Payments API".into());
    api.tags = vec!["rest".into()];
    vec![
        Update::UpsertEntity(payments.clone()),
        Update::UpsertEntity(api),
        Update::UpsertEntity(component(
            "payments-ledger",
            "library",
            "team-ledger",
            "experimental",
        )),
        Update::UpsertEntity(checkout),
        Update::UpsertEntity(component("pledger", "library", "team-web", "experimental")),
        Update::UpsertEntity(entity(
            "API",
            "billing_v2.internal",
            json!({ "type": "openapi", "owner": "group:finance/billing", "lifecycle": "production" }),
            json!({ "description": "Internal billing endpoints" }),
        )),
        Update::UpsertEntity(entity(
            "Group",
            "team-pay",
            json!({ "type": "team", "profile": { "displayName": "Payments Team" } }),
            json!({}),
        )),
        Update::UpsertEntity(entity(
            "User",
            "jdoe",
            json!({ "profile": { "displayName": "Jane Doe", "email": "jane@example.com" } }),
            json!({}),
        )),
        Update::ReplaceDocs {
            entity_ref: payments.entity_ref.clone(),
            pages: docs,
        },
    ]
}

pub struct Fixture {
    pub index: SearchIndex,
    pub writer: SearchWriter,
}

impl Fixture {
    pub fn new(updates: Vec<Update>) -> Fixture {
        let index = SearchIndex::in_memory().expect("in-memory index");
        let writer = index.writer().expect("writer");
        writer
            .send(Batch {
                updates,
                position: Position {
                    entities: 1,
                    docs: 1,
                },
            })
            .expect("send");
        writer.flush().expect("flush");
        Fixture { index, writer }
    }

    pub fn catalog() -> Fixture {
        Fixture::new(catalog())
    }

    pub fn query(&self, q: SearchQuery) -> SearchPage {
        self.index.query(&q).expect("query")
    }

    pub fn search(&self, term: &str) -> SearchPage {
        self.query(SearchQuery::term(term))
    }

    pub fn apply(&self, updates: Vec<Update>) {
        self.writer
            .send(Batch {
                updates,
                position: Position::default(),
            })
            .expect("send");
        self.writer.flush().expect("flush");
    }
}

/// Each result's `location`, in rank order.
pub fn locations(page: &SearchPage) -> Vec<String> {
    page.results
        .iter()
        .map(|r| {
            r.document["location"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

pub const PAYMENTS: &str = "/catalog/default/component/payments";
pub const PAYMENTS_API: &str = "/catalog/default/component/payments-api";
pub const LEDGER: &str = "/catalog/default/component/payments-ledger";
pub const RUNBOOK: &str = "/docs/default/component/payments/runbook/";
