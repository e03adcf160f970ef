//! One result per page, and highlighted snippets.

use portico_search::{SearchQuery, Update};

use crate::common::{component, locations, page, Fixture, RUNBOOK};

#[test]
fn sections_of_one_page_are_one_result() {
    let f = Fixture::catalog();
    let result = f.search("rollback");
    let locs = locations(&result);
    assert_eq!(
        locs,
        vec![format!("{RUNBOOK}#rollback-procedure")],
        "best section first, once"
    );
    assert_eq!(
        result.number_of_results, 1,
        "the count is of results, not sections"
    );
    let sub = result.results[0].document["subHits"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sub.len(), 1);
    assert_eq!(sub[0]["location"], format!("{RUNBOOK}#database-failover"));
    assert_eq!(sub[0]["title"], "Database failover");
    assert!(sub[0]["text"]
        .as_str()
        .unwrap_or_default()
        .contains("rollback"));
    assert!(sub[0]["highlight"]["text"]
        .as_str()
        .unwrap_or_default()
        .contains("<mark>rollback</mark>"));
}

#[test]
fn at_most_five_sub_hits_and_other_pages_stay_apart() {
    let owner = component("big", "service", "x", "production");
    let sections: Vec<(String, String, String)> = (0..9)
        .map(|i| {
            (
                format!("Step {i}"),
                format!("step-{i}"),
                "turn the widget".to_owned(),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = sections
        .iter()
        .map(|(h, a, t)| (h.as_str(), a.as_str(), t.as_str()))
        .collect();
    let pages = vec![
        page(&owner, "Guide", "guide/", &refs),
        page(
            &owner,
            "Other",
            "other/",
            &[("Widget", "widget", "a widget")],
        ),
    ];
    let f = Fixture::new(vec![Update::ReplaceDocs {
        entity_ref: owner.entity_ref.clone(),
        pages,
    }]);
    let result = f.search("widget");
    assert_eq!(result.number_of_results, 2);
    let guide = result
        .results
        .iter()
        .find(|r| r.document["pageTitle"] == "Guide")
        .expect("guide result");
    assert_eq!(guide.document["subHits"].as_array().map(Vec::len), Some(5));
    let mut all: Vec<&str> = vec![guide.document["location"].as_str().unwrap_or_default()];
    all.extend(
        guide.document["subHits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["location"].as_str()),
    );
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "no section twice: {all:?}");
}

#[test]
fn highlights_mark_matches_and_escape_the_text() {
    let f = Fixture::catalog();
    let result = f.search("alerts");
    let top = &result.results[0];
    assert_eq!(top.document["location"], format!("{RUNBOOK}#alerts"));
    let title = &top.highlight.fields["title"];
    let text = &top.highlight.fields["text"];
    assert_eq!(title, "<mark>Alerts</mark>");
    assert!(
        text.contains("&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;"),
        "{text}"
    );
    assert!(text.contains("Pager <mark>alerts</mark> fire"), "{text}");
    assert!(!text.contains("<script"), "{text}");
    // The document keeps the raw text; only highlights are markup.
    assert!(top.document["text"]
        .as_str()
        .unwrap_or_default()
        .starts_with("<script>"));
    assert_eq!(top.highlight.pre_tag, "<mark>");
    assert_eq!(top.highlight.post_tag, "</mark>");
}

#[test]
fn prefix_matches_are_highlighted_in_titles() {
    let f = Fixture::catalog();
    let page = f.query(SearchQuery {
        types: vec!["software-catalog".into()],
        ..SearchQuery::term("paym")
    });
    let api = page
        .results
        .iter()
        .find(|r| r.document["name"] == "payments-api")
        .expect("payments-api found");
    assert_eq!(api.highlight.fields["title"], "<mark>Payments</mark> API");
}

#[test]
fn long_text_is_cut_around_the_match() {
    let owner = component("long", "service", "x", "production");
    let text = format!(
        "{} The needle is here. {}",
        "hay ".repeat(200),
        "straw ".repeat(200)
    );
    let f = Fixture::new(vec![Update::ReplaceDocs {
        entity_ref: owner.entity_ref.clone(),
        pages: vec![page(&owner, "Page", "p/", &[("Intro", "intro", &text)])],
    }]);
    let result = f.search("needle");
    let snippet = &result.results[0].highlight.fields["text"];
    assert!(snippet.contains("<mark>needle</mark>"), "{snippet}");
    assert!(snippet.len() < 400, "{} bytes", snippet.len());
    assert!(
        snippet.starts_with('…') && snippet.ends_with('…'),
        "{snippet}"
    );
}
