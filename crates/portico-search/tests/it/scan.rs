//! `scan`: answering from entities while there is no index yet.

use crate::common::{catalog, locations, LEDGER, PAYMENTS, PAYMENTS_API};
use portico_search::{scan, EntityDoc, SearchError, SearchQuery, Update, TYPE_CATALOG};

fn entities() -> Vec<EntityDoc> {
    catalog()
        .into_iter()
        .filter_map(|u| match u {
            Update::UpsertEntity(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn run(q: SearchQuery) -> portico_search::SearchPage {
    scan(entities(), &q).expect("scan")
}

#[test]
fn words_match_starts_of_words_and_names_rank_first() {
    // Exact name first, then the other names it starts, then text matches
    // (a description, a group's display name).
    assert_eq!(
        locations(&run(SearchQuery::term("payments"))),
        vec![
            PAYMENTS.to_owned(),
            PAYMENTS_API.to_owned(),
            LEDGER.to_owned(),
            "/catalog/default/component/checkout-web".to_owned(),
            "/catalog/default/group/team-pay".to_owned(),
        ]
    );
    let page = run(SearchQuery::term("refund"));
    assert_eq!(locations(&page), vec![PAYMENTS.to_owned()]);
    assert_eq!(page.results[0].result_type, TYPE_CATALOG);
    assert_eq!(
        page.results[0].highlight.fields["text"],
        "Handles card payments and <mark>refunds</mark>"
    );
    assert_eq!(run(SearchQuery::term("zzz")).number_of_results, 0);
}

#[test]
fn phrases_negation_and_or() {
    assert_eq!(
        locations(&run(SearchQuery::term("\"card payments\""))),
        vec![PAYMENTS.to_owned()]
    );
    assert!(run(SearchQuery::term("\"payments card\""))
        .results
        .is_empty());
    assert_eq!(
        locations(&run(SearchQuery::term("payments -ledger -api -shop"))),
        vec![
            PAYMENTS.to_owned(),
            "/catalog/default/group/team-pay".to_owned()
        ]
    );
    assert!(run(SearchQuery::term("refunds -card")).results.is_empty());
    assert_eq!(
        locations(&run(SearchQuery::term("pledger OR jane"))),
        vec![
            "/catalog/default/component/pledger".to_owned(),
            "/catalog/default/user/jdoe".to_owned()
        ]
    );
}

#[test]
fn filters_types_and_paging_work_as_with_the_index() {
    let q = SearchQuery::term("").filter("owner", "team-pay");
    assert_eq!(
        locations(&run(q)),
        vec![PAYMENTS.to_owned(), PAYMENTS_API.to_owned()]
    );
    let q = SearchQuery::term("").filter("kind", "group");
    assert_eq!(
        locations(&run(q)),
        vec!["/catalog/default/group/team-pay".to_owned()]
    );
    let q = SearchQuery::term("payments").filter("nonsense", "x");
    assert_eq!(run(q).number_of_results, 0);
    let mut q = SearchQuery::term("payments");
    q.types = vec!["techdocs".into()];
    assert_eq!(run(q).number_of_results, 0);

    let mut q = SearchQuery::term("payments");
    q.page_limit = 3;
    let first = run(q.clone());
    assert_eq!(first.results.len(), 3);
    assert_eq!(first.number_of_results, 5);
    q.page_cursor = first.next_page_cursor.clone();
    let second = run(q.clone());
    assert_eq!(second.results.len(), 2);
    assert_eq!(second.results[0].rank, 4);
    assert!(second.next_page_cursor.is_none());

    q.page_cursor = Some("garbage".into());
    assert!(matches!(
        scan(entities(), &q),
        Err(SearchError::InvalidCursor(_))
    ));
}
