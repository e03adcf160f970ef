//! Ranking beyond field boosts: the kind prior, stable ties, typos on
//! names, compounds, exact tags, and long queries with a word missing.

use crate::common::{component, entity, locations, page, Fixture};
use portico_search::Update;
use serde_json::json;

fn loc(kind: &str, name: &str) -> String {
    format!("/catalog/default/{kind}/{name}")
}

/// Entities whose names start alike, one of each kind.
fn namesakes() -> Vec<Update> {
    vec![
        Update::UpsertEntity(entity("User", "payroll-bot", json!({}), json!({}))),
        Update::UpsertEntity(entity(
            "Group",
            "payroll",
            json!({ "type": "team" }),
            json!({}),
        )),
        Update::UpsertEntity(entity(
            "System",
            "payroll-platform",
            json!({ "owner": "payroll" }),
            json!({}),
        )),
        Update::UpsertEntity(entity(
            "API",
            "payroll-api",
            json!({ "type": "openapi", "owner": "payroll", "lifecycle": "production" }),
            json!({}),
        )),
        Update::UpsertEntity(component(
            "payroll-service",
            "service",
            "payroll",
            "production",
        )),
    ]
}

#[test]
fn equally_good_prefix_matches_rank_by_kind() {
    let f = Fixture::new(namesakes());
    assert_eq!(
        locations(&f.search("payr")),
        vec![
            loc("component", "payroll-service"),
            loc("api", "payroll-api"),
            loc("system", "payroll-platform"),
            loc("group", "payroll"),
            loc("user", "payroll-bot"),
        ]
    );
    // The prior orders near-ties only: the exact name still comes first.
    assert_eq!(locations(&f.search("payroll"))[0], loc("group", "payroll"));
}

#[test]
fn ties_fall_in_the_same_order_whatever_the_write_order() {
    let names = ["orders-a", "orders-b", "orders-c", "orders-d", "orders-e"];
    let entities: Vec<Update> = names
        .iter()
        .map(|n| Update::UpsertEntity(component(n, "service", "x", "production")))
        .collect();
    let forward = Fixture::new(entities.clone());
    let backward = Fixture::new(entities.into_iter().rev().collect());
    // One entity per batch: one segment each, so doc order differs too.
    let scattered = Fixture::new(Vec::new());
    for n in names.iter().rev() {
        scattered.apply(vec![Update::UpsertEntity(component(
            n,
            "service",
            "x",
            "production",
        ))]);
    }
    let order = locations(&forward.search("orders"));
    assert_eq!(order.len(), 5);
    assert_eq!(locations(&backward.search("orders")), order);
    assert_eq!(locations(&scattered.search("orders")), order);
}

#[test]
fn typos_are_matched_on_unstemmed_names_and_titles() {
    // `identity` stems to `ident`, two edits from `identiy`; the
    // unstemmed name word is one edit away.
    let mut titled = component("auth", "service", "x", "production");
    titled.title = Some("Subscription Gateway".into());
    let f = Fixture::new(vec![
        Update::UpsertEntity(component("identity-service", "service", "x", "production")),
        Update::UpsertEntity(titled),
    ]);
    assert_eq!(
        locations(&f.search("identiy service")),
        vec![loc("component", "identity-service")]
    );
    assert_eq!(
        locations(&f.search("subscripton")),
        vec![loc("component", "auth")]
    );
}

#[test]
fn a_compound_word_finds_its_two_word_spelling() {
    let owner = component("payments", "service", "x", "production");
    let pages = vec![page(
        &owner,
        "Runbook",
        "runbook/",
        &[
            (
                "Bad deploy",
                "bad-deploy",
                "Roll back the latest deploy first.",
            ),
            (
                "Backups",
                "backups",
                "Back up nightly; roll forward with care.",
            ),
        ],
    )];
    let f = Fixture::new(vec![
        Update::UpsertEntity(owner.clone()),
        Update::ReplaceDocs {
            entity_ref: owner.entity_ref.clone(),
            pages,
        },
    ]);
    let found = f.search("rollback ");
    // Only where the two words stand together, in that order.
    assert_eq!(
        locations(&found),
        vec!["/docs/default/component/payments/runbook/#bad-deploy".to_owned()]
    );
    // A split whose parts are not both words of the index is no reading.
    assert_eq!(f.search("rollbackx ").number_of_results, 0);
}

#[test]
fn a_tag_or_type_typed_whole_beats_its_words_in_text() {
    let mut tagged = component("playlists", "service", "x", "production");
    tagged.tags = vec!["spring-boot".into()];
    let mut talker = component("blog", "website", "x", "production");
    talker.description = Some("Spring boot notes: spring, boot, spring boot again".into());
    let asyncapi = entity(
        "API",
        "events",
        json!({ "type": "asyncapi", "owner": "x", "lifecycle": "production" }),
        json!({}),
    );
    let mut mention = component("notes", "documentation", "x", "production");
    mention.description = Some("asyncapi asyncapi".into());
    let f = Fixture::new(vec![
        Update::UpsertEntity(talker),
        Update::UpsertEntity(tagged),
        Update::UpsertEntity(asyncapi),
        Update::UpsertEntity(mention),
    ]);
    assert_eq!(
        locations(&f.search("spring-boot "))[0],
        loc("component", "playlists")
    );
    assert_eq!(
        locations(&f.search("asyncapi ")),
        vec![loc("api", "events"), loc("component", "notes")]
    );
}

#[test]
fn long_queries_may_miss_one_word_and_full_matches_come_first() {
    let mut full = component("search", "service", "x", "production");
    full.description = Some("Alert on a latency spike of the search cluster".into());
    let mut partial = component("query", "service", "x", "production");
    partial.description = Some("Search latency dashboards".into());
    let mut one = component("spiky", "service", "x", "production");
    one.description = Some("A spike detector".into());
    let f = Fixture::new(vec![
        Update::UpsertEntity(one),
        Update::UpsertEntity(partial),
        Update::UpsertEntity(full),
    ]);
    assert_eq!(
        locations(&f.search("search latency spike ")),
        vec![loc("component", "search"), loc("component", "query")]
    );
    // Two words are both required.
    assert_eq!(
        locations(&f.search("latency spike ")),
        vec![loc("component", "search")]
    );
}
