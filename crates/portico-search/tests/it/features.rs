//! What the search box understands: stemming, prefixes, typos, phrases,
//! negation, ranking, and no syntax errors.

use crate::common::{component, locations, page, Fixture, LEDGER, PAYMENTS, PAYMENTS_API, RUNBOOK};
use portico_search::{SearchQuery, Update};

#[test]
fn stemming_finds_other_forms() {
    let f = Fixture::catalog();
    let page = f.search("rollbacks");
    assert_eq!(
        page.results[0].document["location"],
        format!("{RUNBOOK}#rollback-procedure")
    );
    // And the other way round: the description says "refunds".
    assert!(locations(&f.search("refunding")).contains(&PAYMENTS.to_owned()));
}

#[test]
fn last_word_matches_as_prefix() {
    let f = Fixture::catalog();
    let found = locations(&f.search("paym"));
    for want in [PAYMENTS, PAYMENTS_API, LEDGER] {
        assert!(found.contains(&want.to_owned()), "{want} not in {found:?}");
    }
    // Name words split on `_` and `.`, and the whole name is a prefix too.
    assert_eq!(
        locations(&f.search("billing_v"))[0],
        "/catalog/default/api/billing_v2.internal"
    );
    assert_eq!(
        locations(&f.search("internal"))[0],
        "/catalog/default/api/billing_v2.internal"
    );
    assert_eq!(locations(&f.search("payments-l")), vec![LEDGER.to_owned()]);
    // Prefixes of headings and (from 3 letters) of body text.
    assert!(locations(&f.search("failo")).contains(&format!("{RUNBOOK}#database-failover")));
    assert!(locations(&f.search("replic")).contains(&format!("{RUNBOOK}#database-failover")));
}

#[test]
fn a_finished_word_is_not_a_prefix() {
    let f = Fixture::catalog();
    assert_eq!(f.search("paym ").number_of_results, 0);
    // Only the last word is a prefix: `paym` first needs to be a word.
    assert_eq!(f.search("paym service").number_of_results, 0);
}

#[test]
fn typos_are_tolerated_when_little_is_found() {
    let f = Fixture::catalog();
    // Transposition and deletion, one edit each.
    assert_eq!(locations(&f.search("paymnets "))[0], PAYMENTS);
    assert!(locations(&f.search("ledgre ")).contains(&LEDGER.to_owned()));
    // Fuzzy results come after the exact ones.
    let page = f.search("ledger ");
    assert_eq!(
        locations(&page),
        vec![
            LEDGER.to_owned(),
            "/catalog/default/component/pledger".to_owned()
        ]
    );
    assert_eq!(page.number_of_results, 2);
    assert_eq!(page.results[1].rank, 2);
    // Words under five letters get no typo tolerance.
    assert_eq!(f.search("jdeo ").number_of_results, 0);
}

#[test]
fn fuzzy_is_only_a_fallback() {
    let f = Fixture::catalog();
    // Enough exact results: the near-miss `pledger` stays out.
    f.apply(vec![
        Update::UpsertEntity(component("ledger-a", "service", "x", "production")),
        Update::UpsertEntity(component("ledger-b", "service", "x", "production")),
    ]);
    let found = locations(&f.search("ledger "));
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(!found.iter().any(|l| l.ends_with("/pledger")));
}

#[test]
fn quoted_phrases_match_words_in_order() {
    let f = Fixture::catalog();
    assert_eq!(
        locations(&f.search("\"roll back\"")),
        vec![format!("{RUNBOOK}#rollback-procedure")]
    );
    assert_eq!(f.search("\"back roll\"").number_of_results, 0);
    assert_eq!(locations(&f.search("\"card payments\""))[0], PAYMENTS);
    assert!(!locations(&f.search("\"payments card\"")).contains(&PAYMENTS.to_owned()));
}

#[test]
fn negation_and_or() {
    let f = Fixture::catalog();
    let found = locations(&f.search("payments -ledger -api"));
    assert!(found.contains(&PAYMENTS.to_owned()));
    assert!(!found.contains(&LEDGER.to_owned()));
    assert!(!found.contains(&PAYMENTS_API.to_owned()));
    let either = locations(&f.search("jdoe OR checkout"));
    assert_eq!(either.len(), 2, "{either:?}");
}

#[test]
fn stop_words_are_optional() {
    let f = Fixture::catalog();
    // "how", "to" and "a" appear nowhere near `failover`; still found.
    assert!(locations(&f.search("how to do a failover"))
        .contains(&format!("{RUNBOOK}#database-failover")));
}

#[test]
fn exact_name_ranks_first() {
    let f = Fixture::catalog();
    // Many documents say "payments"; the entity named so comes first.
    assert_eq!(locations(&f.search("payments"))[0], PAYMENTS);
    assert_eq!(locations(&f.search("payments-api"))[0], PAYMENTS_API);
    assert_eq!(
        locations(&f.search("component:default/payments-ledger"))[0],
        LEDGER
    );
}

#[test]
fn exact_name_beats_a_name_that_repeats_the_word() {
    let mut repeat = component("payments-payment-payments", "service", "x", "production");
    repeat.description = Some("payments payments".into());
    let f = Fixture::new(vec![
        Update::UpsertEntity(repeat),
        Update::UpsertEntity(component("payments", "service", "x", "production")),
    ]);
    assert_eq!(locations(&f.search("payments"))[0], PAYMENTS);
}

#[test]
fn name_beats_title_beats_heading_beats_body() {
    let mut titled = component("console", "website", "x", "production");
    titled.title = Some("Gamma Console".into());
    let mut described = component("zeta-tool", "tool", "x", "production");
    described.description = Some("Talks to gamma over HTTP and more words here".into());
    let documented = component("docs-home", "documentation", "x", "production");
    let pages = vec![page(
        &documented,
        "Guide",
        "guide/",
        &[("Gamma", "gamma", "Setup notes")],
    )];
    let f = Fixture::new(vec![
        Update::UpsertEntity(described),
        Update::UpsertEntity(titled),
        Update::ReplaceDocs {
            entity_ref: documented.entity_ref.clone(),
            pages,
        },
        Update::UpsertEntity(documented),
        Update::UpsertEntity(component("gamma", "service", "x", "production")),
    ]);
    assert_eq!(
        locations(&f.search("gamma ")),
        vec![
            "/catalog/default/component/gamma".to_owned(),
            "/catalog/default/component/console".to_owned(),
            "/docs/default/component/docs-home/guide/#gamma".to_owned(),
            "/catalog/default/component/zeta-tool".to_owned(),
        ]
    );
}

#[test]
fn user_profile_and_annotations_are_searchable() {
    let f = Fixture::catalog();
    assert_eq!(
        locations(&f.search("jane"))[0],
        "/catalog/default/user/jdoe"
    );
    let mut annotated = component("annotated", "service", "x", "production");
    annotated.extra_text = "github.com/acme/annotated-repo".into();
    f.apply(vec![Update::UpsertEntity(annotated)]);
    assert_eq!(
        locations(&f.search("acme"))[0],
        "/catalog/default/component/annotated"
    );
}

#[test]
fn bad_syntax_never_errors() {
    let f = Fixture::catalog();
    let long = "payments ".repeat(2000);
    let nasty = [
        "foo AND (",
        "\"unclosed",
        ":::",
        "-",
        "*",
        "(((",
        ")",
        "OR",
        "AND",
        "NOT",
        "title:",
        "a:b:c",
        "\\",
        "\"",
        "\"\"",
        "~",
        "^2",
        "payments^",
        "[1 TO 2]",
        "{",
        "/regex.*/",
        "?",
        "&&||",
        "-payments",
        "NOT NOT payments",
        "pay\u{0}ments",
        "💳 payments",
        "ÄÖÜ straße",
        "\"roll",
        "\"a\"",
        long.as_str(),
    ];
    for term in nasty {
        let page = f.index.query(&SearchQuery::term(term));
        assert!(page.is_ok(), "{term:?} failed: {page:?}");
    }
    // The words inside broken syntax still count.
    assert_eq!(locations(&f.search("payments AND ("))[0], PAYMENTS);
    // A negated word alone means "everything but".
    let not_payments = f.search("-payments");
    assert!(not_payments.number_of_results > 0);
    assert!(locations(&not_payments)
        .iter()
        .all(|l| !l.contains("payments")));
    // No word at all lists everything.
    assert_eq!(
        f.search(":::").number_of_results,
        f.search("").number_of_results
    );
}

#[test]
fn accents_fold() {
    let mut e = component("cafe-menu", "service", "x", "production");
    e.description = Some("Le menu du café".into());
    let f = Fixture::new(vec![Update::UpsertEntity(e)]);
    assert_eq!(f.search("cafe ").number_of_results, 1);
    assert_eq!(f.search("café").number_of_results, 1);
}

#[test]
fn empty_index_answers_empty() {
    let f = Fixture::new(vec![]);
    let page = f.search("anything");
    assert!(page.results.is_empty());
    assert_eq!(page.number_of_results, 0);
    assert!(page.next_page_cursor.is_none());
}
