//! Cursors and page sizes.

use std::collections::HashSet;

use portico_search::{SearchError, SearchQuery, Update};

use crate::common::{component, locations, page, Fixture};

fn thirty() -> Fixture {
    let mut updates: Vec<Update> = (0..30)
        .map(|i| {
            let mut e = component(&format!("svc-{i:02}"), "service", "x", "production");
            e.description = Some(format!("shared words number {i}"));
            Update::UpsertEntity(e)
        })
        .collect();
    // Pages with several matching sections each: grouping must not make
    // pages overlap or skip.
    for p in 0..5 {
        let owner = component(&format!("doc-{p}"), "service", "x", "production");
        let sections = [
            ("One", "one", "shared"),
            ("Two", "two", "shared shared"),
            ("Three", "three", "shared"),
        ];
        updates.push(Update::ReplaceDocs {
            entity_ref: owner.entity_ref.clone(),
            pages: vec![page(&owner, "Page", "page/", &sections)],
        });
    }
    Fixture::new(updates)
}

fn walk(f: &Fixture, first: SearchQuery) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut q = first;
    loop {
        let page = f.query(q.clone());
        assert_eq!(page.number_of_results, 35);
        let ranks: Vec<usize> = page.results.iter().map(|r| r.rank).collect();
        let start = pages.iter().map(Vec::len).sum::<usize>() + 1;
        assert_eq!(ranks, (start..start + ranks.len()).collect::<Vec<_>>());
        pages.push(locations(&page));
        match page.next_page_cursor {
            Some(cursor) => q.page_cursor = Some(cursor),
            None => break,
        }
        assert!(pages.len() < 10, "cursor loop");
    }
    pages
}

#[test]
fn cursors_page_through_without_duplicates() {
    let f = thirty();
    for term in ["shared", ""] {
        let pages = walk(
            &f,
            SearchQuery {
                page_limit: 10,
                ..SearchQuery::term(term)
            },
        );
        assert_eq!(
            pages.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 10, 10, 5]
        );
        let all: Vec<&String> = pages.iter().flatten().collect();
        let unique: HashSet<&String> = all.iter().copied().collect();
        assert_eq!(unique.len(), 35, "term {term:?}: duplicates in {all:?}");
    }
}

#[test]
fn previous_cursor_returns_the_previous_page() {
    let f = thirty();
    let first = f.query(SearchQuery {
        page_limit: 10,
        ..SearchQuery::term("shared")
    });
    assert!(first.previous_page_cursor.is_none());
    let second = f.query(SearchQuery {
        page_limit: 10,
        page_cursor: first.next_page_cursor.clone(),
        ..SearchQuery::term("shared")
    });
    let back = f.query(SearchQuery {
        page_limit: 10,
        page_cursor: second.previous_page_cursor.clone(),
        ..SearchQuery::term("shared")
    });
    assert_eq!(locations(&back), locations(&first));
    assert_ne!(locations(&second), locations(&first));
}

#[test]
fn page_limit_defaults_and_caps() {
    let f = thirty();
    let page = |limit| {
        f.query(SearchQuery {
            page_limit: limit,
            ..SearchQuery::term("shared")
        })
        .results
        .len()
    };
    assert_eq!(page(0), 25);
    assert_eq!(page(3), 3);
    assert_eq!(page(1000), 35);
}

#[test]
fn foreign_cursor_is_an_error() {
    let f = thirty();
    let result = f.index.query(&SearchQuery {
        page_cursor: Some("not-a-cursor".into()),
        ..SearchQuery::term("shared")
    });
    assert!(
        matches!(result, Err(SearchError::InvalidCursor(_))),
        "{result:?}"
    );
}

#[test]
fn last_page_has_no_next_cursor() {
    let f = thirty();
    let mut q = SearchQuery {
        page_limit: 20,
        ..SearchQuery::term("shared")
    };
    let first = f.query(q.clone());
    q.page_cursor = first.next_page_cursor;
    let second = f.query(q.clone());
    assert_eq!(second.results.len(), 15);
    assert!(second.next_page_cursor.is_none());
}

#[test]
fn forged_cursor_with_a_huge_offset_is_an_empty_page() {
    use base64::Engine as _;
    let f = thirty();
    let cursor =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{}", usize::MAX - 5));
    for term in ["shared", ""] {
        let page = f.query(SearchQuery {
            page_cursor: Some(cursor.clone()),
            ..SearchQuery::term(term)
        });
        assert!(page.results.is_empty());
        assert_eq!(page.number_of_results, 35);
        assert!(page.next_page_cursor.is_none());
    }
}
