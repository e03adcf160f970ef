//! Filters, type selection, and listing without a term.

use portico_search::SearchQuery;

use crate::common::{locations, Fixture, LEDGER, PAYMENTS, PAYMENTS_API, RUNBOOK};

fn listed(f: &Fixture, q: SearchQuery) -> Vec<String> {
    locations(&f.query(SearchQuery {
        page_limit: 100,
        ..q
    }))
}

#[test]
fn each_filter_narrows_case_insensitively() {
    let f = Fixture::catalog();
    let q = || SearchQuery::term("").filter("kind", "component");
    assert_eq!(
        listed(&f, q().filter("type", "LIBRARY")),
        vec![
            LEDGER.to_owned(),
            "/catalog/default/component/pledger".to_owned()
        ]
    );
    assert_eq!(
        listed(
            &f,
            SearchQuery::term("")
                .filter("lifecycle", "Experimental")
                .filter("kind", "Component")
        ),
        vec![
            LEDGER.to_owned(),
            "/catalog/default/component/pledger".to_owned()
        ]
    );
    assert_eq!(
        listed(&f, SearchQuery::term("").filter("tag", "REST")),
        vec![PAYMENTS_API.to_owned()]
    );
    assert_eq!(
        listed(&f, SearchQuery::term("").filter("kind", "api")),
        vec!["/catalog/default/api/billing_v2.internal".to_owned()]
    );
    assert_eq!(
        listed(&f, SearchQuery::term("").filter("namespace", "DEFAULT")).len(),
        listed(&f, SearchQuery::term("")).len()
    );
    assert!(listed(&f, SearchQuery::term("").filter("namespace", "other")).is_empty());
}

#[test]
fn owner_filter_accepts_short_and_full_refs() {
    let f = Fixture::catalog();
    let entities = |owner: &str| {
        listed(
            &f,
            SearchQuery {
                types: vec!["software-catalog".into()],
                ..SearchQuery::term("").filter("owner", owner)
            },
        )
    };
    let want = vec![PAYMENTS.to_owned(), PAYMENTS_API.to_owned()];
    assert_eq!(entities("team-pay"), want);
    assert_eq!(entities("group:default/team-pay"), want);
    assert_eq!(entities("Group:Default/TEAM-PAY"), want);
    // Another namespace is another owner.
    assert_eq!(
        entities("group:finance/billing"),
        vec!["/catalog/default/api/billing_v2.internal".to_owned()]
    );
    assert!(entities("billing").is_empty());
}

#[test]
fn values_of_one_filter_are_alternatives_and_filters_combine() {
    let f = Fixture::catalog();
    let both_types = SearchQuery::term("")
        .filter("type", "service")
        .filter("type", "website");
    assert_eq!(listed(&f, both_types.clone()).len(), 3);
    assert_eq!(
        listed(&f, both_types.clone().filter("owner", "team-web")),
        vec!["/catalog/default/component/checkout-web".to_owned()]
    );
    assert!(listed(&f, both_types.filter("lifecycle", "experimental")).is_empty());
}

#[test]
fn filters_apply_to_a_term_query() {
    let f = Fixture::catalog();
    let found = listed(&f, SearchQuery::term("paym").filter("type", "library"));
    assert_eq!(found, vec![LEDGER.to_owned()]);
    // Doc sections carry the entity's kind, name, owner and lifecycle.
    let docs = listed(
        &f,
        SearchQuery::term("rollback")
            .filter("name", "payments")
            .filter("kind", "component"),
    );
    assert_eq!(docs, vec![format!("{RUNBOOK}#rollback-procedure")]);
    assert!(listed(
        &f,
        SearchQuery::term("rollback").filter("lifecycle", "experimental")
    )
    .is_empty());
}

#[test]
fn unknown_filters_match_nothing_and_empty_values_are_ignored() {
    let f = Fixture::catalog();
    assert!(listed(&f, SearchQuery::term("payments").filter("color", "blue")).is_empty());
    let mut q = SearchQuery::term("payments");
    q.filters.insert("kind".into(), vec![" ".into()]);
    assert!(!listed(&f, q).is_empty());
}

#[test]
fn types_select_result_kinds() {
    let f = Fixture::catalog();
    let typed = |types: &[&str]| {
        f.query(SearchQuery {
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            page_limit: 100,
            ..SearchQuery::term("payments")
        })
    };
    let docs = typed(&["techdocs"]);
    assert!(!docs.results.is_empty());
    assert!(docs.results.iter().all(|r| r.result_type == "techdocs"));
    let catalog = typed(&["software-catalog"]);
    assert!(!catalog.results.is_empty());
    assert!(catalog
        .results
        .iter()
        .all(|r| r.result_type == "software-catalog"));
    let all = typed(&[]);
    assert_eq!(
        all.number_of_results,
        docs.number_of_results + catalog.number_of_results
    );
    assert_eq!(
        typed(&["software-catalog", "techdocs"]).number_of_results,
        all.number_of_results
    );
    assert_eq!(typed(&["nonsense"]).number_of_results, 0);
}

#[test]
fn empty_term_lists_by_name() {
    let f = Fixture::catalog();
    let all = listed(&f, SearchQuery::term(""));
    let catalog: Vec<&String> = all.iter().filter(|l| l.starts_with("/catalog/")).collect();
    let names: Vec<&str> = catalog
        .iter()
        .filter_map(|l| l.rsplit('/').next())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "catalog results sorted by name");
    // 8 entities and 2 pages.
    assert_eq!(all.len(), 10, "{all:?}");
    // The entity comes before its own docs.
    let entity = all.iter().position(|l| l == PAYMENTS);
    let docs = all
        .iter()
        .position(|l| l.starts_with("/docs/default/component/payments/"));
    assert!(entity < docs, "{all:?}");
}
