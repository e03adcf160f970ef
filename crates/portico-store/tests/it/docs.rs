//! TechDocs sites: pages and assets of the last good build, failures, build claims and the
//! doc change log.

use std::sync::{Arc, Barrier};

use portico_store::testing::TestDb;
use portico_store::{
    now_ms, Backend, DocAssetRow, DocChangeRow, DocPageRow, DocSiteRow, Store, StoreError,
};

use crate::revert_migrations_through;

const A: &str = "component:default/a";
const B: &str = "component:default/b";

pub fn site(entity_ref: &str, etag: &str, built_at: i64) -> DocSiteRow {
    DocSiteRow {
        entity_ref: entity_ref.to_owned(),
        etag: etag.to_owned(),
        site_name: format!("{entity_ref} docs"),
        site_description: "How it works".to_owned(),
        build_timestamp: built_at,
        metadata_json: r#"{"nav":[{"Home":"index.md"}]}"#.to_owned(),
        warnings_json: "[]".to_owned(),
        failed_etag: None,
        failure: None,
        attempted_at: built_at,
    }
}

pub fn page(path: &str, html: &str) -> DocPageRow {
    DocPageRow {
        path: path.to_owned(),
        source_path: path.replace("/index.html", ".md"),
        title: format!("Title of {path}"),
        html: html.to_owned(),
        toc_json: r#"[{"id":"intro","title":"Intro","level":2}]"#.to_owned(),
        sections_json: r#"[{"id":"intro","text":"hello"}]"#.to_owned(),
    }
}

pub fn asset(path: &str, content_type: &str, body: &[u8]) -> DocAssetRow {
    DocAssetRow {
        path: path.to_owned(),
        content_type: content_type.to_owned(),
        body: body.to_vec(),
    }
}

/// Bytes that are not UTF-8, with NULs inside and at the end.
const PNG_ISH: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x00, 0xff, 0xfe, 0x80, 0x00, 0xc3, 0x28, 0,
];

fn replace(store: &Store, site: &DocSiteRow, pages: &[DocPageRow], assets: &[DocAssetRow]) -> i64 {
    store
        .transaction(|tx| tx.replace_doc_site(site, pages, assets))
        .unwrap()
}

fn claim(store: &Store, entity_ref: &str, replica: &str, now: i64, until: i64) -> bool {
    store
        .transaction(|tx| tx.claim_doc_build(entity_ref, replica, now, until))
        .unwrap()
}

fn paths(pages: &[DocPageRow]) -> Vec<&str> {
    pages.iter().map(|p| p.path.as_str()).collect()
}

fn changes(store: &Store) -> Vec<DocChangeRow> {
    store.read(|tx| tx.doc_changes_since(0, 1000)).unwrap()
}

#[test]
fn a_replaced_site_reads_back_its_pages_assets_and_paths() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        // Given out of order; "Z" sorts before "a" in byte order but not in most locales.
        let pages = [
            page("runbook/index.html", "<h2 id=\"intro\">Runbook</h2>"),
            page("index.html", "<p>Home — ünïcødé</p>"),
            page("Zeta/index.html", "<p>zeta</p>"),
        ];
        let assets = [
            asset("img/logo.png", "image/png", PNG_ISH),
            asset("css/extra.css", "text/css", b"body{}"),
            asset("empty.txt", "text/plain", b""),
        ];
        let seq = replace(store, &site(A, "commit-1", 1_000), &pages, &assets);
        assert!(seq > 0, "{backend:?}");

        assert_eq!(
            store.read(|tx| tx.doc_site(A)).unwrap(),
            Some(site(A, "commit-1", 1_000)),
            "{backend:?}"
        );
        let stored = store.read(|tx| tx.doc_pages(A)).unwrap();
        assert_eq!(
            paths(&stored),
            ["Zeta/index.html", "index.html", "runbook/index.html"],
            "{backend:?}: sorted by path in byte order"
        );
        assert_eq!(stored[1], pages[1], "{backend:?}: every field round-trips");
        assert_eq!(
            store
                .read(|tx| tx.doc_page(A, "runbook/index.html"))
                .unwrap(),
            Some(pages[0].clone()),
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_page(A, "missing.html")).unwrap(),
            None
        );
        assert_eq!(
            store.read(|tx| tx.doc_page(B, "index.html")).unwrap(),
            None,
            "{backend:?}: pages belong to their entity"
        );

        let logo = store
            .read(|tx| tx.doc_asset(A, "img/logo.png"))
            .unwrap()
            .unwrap();
        assert_eq!(logo.body, PNG_ISH, "{backend:?}: binary bodies round-trip");
        assert_eq!(logo.content_type, "image/png", "{backend:?}");
        assert_eq!(
            store.read(|tx| tx.doc_asset(A, "empty.txt")).unwrap(),
            Some(assets[2].clone()),
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_asset(A, "index.html")).unwrap(),
            None
        );

        assert_eq!(
            store.read(|tx| tx.doc_file_paths(A)).unwrap(),
            [
                "Zeta/index.html",
                "css/extra.css",
                "empty.txt",
                "img/logo.png",
                "index.html",
                "runbook/index.html"
            ],
            "{backend:?}"
        );
        assert!(store.read(|tx| tx.doc_file_paths(B)).unwrap().is_empty());
    }
}

#[test]
fn replacing_a_site_again_drops_the_files_it_no_longer_has() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        replace(
            store,
            &site(A, "commit-1", 1_000),
            &[page("index.html", "v1"), page("old/index.html", "old")],
            &[asset("old.png", "image/png", PNG_ISH)],
        );
        replace(
            store,
            &site(B, "b-1", 1_000),
            &[page("index.html", "b")],
            &[asset("b.png", "image/png", b"b")],
        );

        let mut second = site(A, "commit-2", 2_000);
        second.warnings_json = r#"["broken link: x.md"]"#.to_owned();
        replace(
            store,
            &second,
            &[page("index.html", "v2"), page("new/index.html", "new")],
            &[asset("new.svg", "image/svg+xml", b"<svg/>")],
        );

        assert_eq!(
            store.read(|tx| tx.doc_site(A)).unwrap(),
            Some(second),
            "{backend:?}"
        );
        let pages = store.read(|tx| tx.doc_pages(A)).unwrap();
        assert_eq!(
            paths(&pages),
            ["index.html", "new/index.html"],
            "{backend:?}"
        );
        assert_eq!(pages[0].html, "v2", "{backend:?}");
        assert_eq!(store.read(|tx| tx.doc_asset(A, "old.png")).unwrap(), None);
        assert_eq!(
            store.read(|tx| tx.doc_file_paths(A)).unwrap(),
            ["index.html", "new.svg", "new/index.html"],
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_file_paths(B)).unwrap(),
            ["b.png", "index.html"],
            "{backend:?}: another entity's site is untouched"
        );
        assert_eq!(
            store
                .read(|tx| tx.doc_sites())
                .unwrap()
                .iter()
                .map(|s| (s.entity_ref.as_str(), s.etag.as_str()))
                .collect::<Vec<_>>(),
            [(A, "commit-2"), (B, "b-1")],
            "{backend:?}"
        );
    }
}

#[test]
fn a_failed_build_keeps_the_last_good_one_until_a_good_build_clears_it() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        let good = site(A, "commit-1", 1_000);
        let pages = [page("index.html", "good")];
        let assets = [asset("logo.png", "image/png", PNG_ISH)];
        replace(store, &good, &pages, &assets);
        let head = store.read(|tx| tx.doc_change_head()).unwrap();

        store
            .transaction(|tx| {
                tx.record_doc_failure(
                    A,
                    "commit-2",
                    "mkdocs.yml: line 3: bad nav",
                    r#"["w"]"#,
                    5_000,
                )
            })
            .unwrap();
        assert_eq!(
            store.read(|tx| tx.doc_site(A)).unwrap(),
            Some(DocSiteRow {
                failed_etag: Some("commit-2".into()),
                failure: Some("mkdocs.yml: line 3: bad nav".into()),
                warnings_json: r#"["w"]"#.into(),
                attempted_at: 5_000,
                ..good.clone()
            }),
            "{backend:?}: the last good build's etag, name and metadata stay"
        );
        assert_eq!(
            store.read(|tx| tx.doc_pages(A)).unwrap(),
            pages,
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_asset(A, "logo.png")).unwrap(),
            Some(assets[0].clone()),
            "{backend:?}"
        );
        let logged = store.read(|tx| tx.doc_changes_since(head, 100)).unwrap();
        assert_eq!(
            logged
                .iter()
                .map(|c| c.entity_ref.as_str())
                .collect::<Vec<_>>(),
            [A],
            "{backend:?}: a failure changes the site's state (scorecards read it), once"
        );

        // The next good build clears the failure, whatever the row it is given says.
        let fixed = DocSiteRow {
            failed_etag: Some("ignored".into()),
            failure: Some("ignored".into()),
            ..site(A, "commit-3", 9_000)
        };
        replace(store, &fixed, &[page("index.html", "fixed")], &[]);
        assert_eq!(
            store.read(|tx| tx.doc_site(A)).unwrap(),
            Some(site(A, "commit-3", 9_000)),
            "{backend:?}"
        );
        assert_eq!(store.read(|tx| tx.doc_asset(A, "logo.png")).unwrap(), None);
    }
}

#[test]
fn a_failure_before_any_good_build_creates_a_never_built_row() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        store
            .transaction(|tx| tx.record_doc_failure(A, "commit-1", "no docs/ directory", "[]", 7))
            .unwrap();
        assert_eq!(
            store.read(|tx| tx.doc_site(A)).unwrap(),
            Some(DocSiteRow {
                entity_ref: A.into(),
                etag: String::new(),
                site_name: String::new(),
                site_description: String::new(),
                build_timestamp: 0,
                metadata_json: "{}".into(),
                warnings_json: "[]".into(),
                failed_etag: Some("commit-1".into()),
                failure: Some("no docs/ directory".into()),
                attempted_at: 7,
            }),
            "{backend:?}"
        );
        assert!(store.read(|tx| tx.doc_pages(A)).unwrap().is_empty());
    }
}

#[test]
fn a_build_claim_keeps_other_replicas_out_until_it_lapses() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        assert!(claim(store, A, "r1", 1_000, 1_500), "{backend:?}");
        assert_eq!(
            store
                .read(|tx| tx.doc_site(A))
                .unwrap()
                .map(|s| (s.etag, s.build_timestamp)),
            Some((String::new(), 0)),
            "{backend:?}: claiming an unknown site creates a never-built row"
        );
        assert!(!claim(store, A, "r2", 1_200, 1_700), "{backend:?}");
        assert!(
            !claim(store, A, "r2", 1_500, 2_000),
            "{backend:?}: live up to and including claimed_until"
        );
        assert!(
            claim(store, A, "r1", 1_400, 1_900),
            "{backend:?}: the holder renews its claim"
        );
        assert!(
            !claim(store, A, "r2", 1_600, 2_100),
            "{backend:?}: the renewed lease outlasts the first"
        );
        assert!(
            claim(store, A, "r2", 1_901, 2_400),
            "{backend:?}: a lapsed claim is taken over"
        );
        assert!(!claim(store, A, "r1", 2_000, 2_500), "{backend:?}");

        // Only the holder releases.
        let release = |replica: &str| {
            store
                .transaction(|tx| tx.release_doc_claim(A, replica))
                .unwrap()
        };
        assert!(!release("r1"), "{backend:?}");
        assert!(!claim(store, A, "r1", 2_000, 2_500), "{backend:?}");
        assert!(release("r2"), "{backend:?}");
        assert!(!release("r2"), "{backend:?}: released once");
        assert!(claim(store, A, "r1", 2_000, 2_500), "{backend:?}");
        assert!(
            !store
                .transaction(|tx| tx.release_doc_claim(B, "r1"))
                .unwrap(),
            "{backend:?}: no row, nothing to release"
        );
    }
}

#[test]
fn storing_a_build_or_a_failure_ends_the_claim_and_claiming_keeps_the_last_build() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        let good = site(A, "commit-1", 1_000);
        replace(store, &good, &[page("index.html", "x")], &[]);

        assert!(claim(store, A, "r1", 2_000, 9_000), "{backend:?}");
        assert_eq!(
            store.read(|tx| tx.doc_site(A)).unwrap(),
            Some(good.clone()),
            "{backend:?}: a claim leaves the last build alone"
        );
        assert_eq!(store.read(|tx| tx.doc_pages(A)).unwrap().len(), 1);
        replace(store, &site(A, "commit-2", 3_000), &[], &[]);
        assert!(
            claim(store, A, "r2", 3_000, 9_000),
            "{backend:?}: a stored build ends the claim"
        );
        store
            .transaction(|tx| tx.record_doc_failure(A, "commit-3", "boom", "[]", 4_000))
            .unwrap();
        assert!(
            claim(store, A, "r3", 4_000, 9_000),
            "{backend:?}: a recorded failure ends the claim"
        );
        assert_eq!(
            store.read(|tx| tx.doc_changes_since(0, 100)).unwrap().len(),
            3,
            "{backend:?}: claims append nothing, the failure one entry"
        );
    }
}

/// Replicas with their own pools claim the same sites at the same moment: each site has
/// exactly one winner, whether its row existed before (the conditional update races) or
/// not (the insert races).
#[test]
fn concurrent_claims_of_one_site_have_exactly_one_winner() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let refs: Vec<String> = (0..20)
            .map(|i| format!("component:default/s{i:02}"))
            .collect();
        // Half the sites already have a row.
        db.store()
            .transaction(|tx| -> Result<(), StoreError> {
                for r in refs.iter().step_by(2) {
                    tx.record_doc_failure(r, "e", "f", "[]", 1)?;
                }
                Ok(())
            })
            .unwrap();

        const REPLICAS: usize = 2;
        let now = now_ms();
        let mut wins = vec![0; refs.len()];
        for round in 0..5 {
            let start = Arc::new(Barrier::new(REPLICAS));
            let threads: Vec<_> = (0..REPLICAS)
                .map(|t| {
                    let replica = Store::open(db.url()).unwrap();
                    let start = Arc::clone(&start);
                    let refs = refs.clone();
                    std::thread::spawn(move || {
                        let owner = format!("replica-{round}-{t}");
                        start.wait();
                        refs.iter()
                            .map(|r| {
                                replica
                                    .transaction(|tx| {
                                        tx.claim_doc_build(r, &owner, now, now + 60_000)
                                    })
                                    .unwrap()
                            })
                            .collect::<Vec<bool>>()
                    })
                })
                .collect();
            let results: Vec<Vec<bool>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            for (i, r) in refs.iter().enumerate() {
                let winners = results.iter().filter(|won| won[i]).count();
                assert_eq!(winners, 1, "{backend:?} round {round}: {r}");
                wins[i] += winners;
            }
            // Free every site for the next round.
            db.store()
                .transaction(|tx| -> Result<(), StoreError> {
                    for r in &refs {
                        for t in 0..REPLICAS {
                            tx.release_doc_claim(r, &format!("replica-{round}-{t}"))?;
                        }
                    }
                    Ok(())
                })
                .unwrap();
            // Later rounds race on existing rows only; remove half so the insert races again.
            db.store()
                .transaction(|tx| -> Result<(), StoreError> {
                    for r in refs.iter().skip(round % 2).step_by(2) {
                        tx.delete_doc_site(r)?;
                    }
                    Ok(())
                })
                .unwrap();
        }
        assert!(wins.iter().all(|&w| w == 5), "{backend:?}: {wins:?}");
    }
}

#[test]
fn deleting_a_site_removes_its_row_pages_and_assets_and_logs_it() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        replace(
            store,
            &site(A, "commit-1", 1_000),
            &[page("index.html", "a")],
            &[asset("logo.png", "image/png", PNG_ISH)],
        );
        replace(
            store,
            &site(B, "b-1", 1_000),
            &[page("index.html", "b")],
            &[],
        );
        let head = store.read(|tx| tx.doc_change_head()).unwrap();
        let before = now_ms();

        assert!(
            store.transaction(|tx| tx.delete_doc_site(A)).unwrap(),
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_site(A)).unwrap(),
            None,
            "{backend:?}"
        );
        assert!(store.read(|tx| tx.doc_pages(A)).unwrap().is_empty());
        assert_eq!(store.read(|tx| tx.doc_asset(A, "logo.png")).unwrap(), None);
        assert!(store.read(|tx| tx.doc_file_paths(A)).unwrap().is_empty());
        let logged = store.read(|tx| tx.doc_changes_since(head, 100)).unwrap();
        assert_eq!(logged.len(), 1, "{backend:?}: {logged:?}");
        assert_eq!(logged[0].entity_ref, A, "{backend:?}");
        assert!(logged[0].at >= before, "{backend:?}: {logged:?}");

        assert!(
            !store.transaction(|tx| tx.delete_doc_site(A)).unwrap(),
            "{backend:?}: nothing left to delete"
        );
        assert_eq!(
            store.read(|tx| tx.doc_change_head()).unwrap(),
            logged[0].seq,
            "{backend:?}: deleting nothing logs nothing"
        );
        assert_eq!(
            store.read(|tx| tx.doc_pages(B)).unwrap().len(),
            1,
            "{backend:?}: other sites stay"
        );

        // A site that only ever failed is deleted (and logged) too.
        store
            .transaction(|tx| tx.record_doc_failure(A, "c", "f", "[]", 1))
            .unwrap();
        assert!(
            store.transaction(|tx| tx.delete_doc_site(A)).unwrap(),
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_sites()).unwrap().len(),
            1,
            "{backend:?}"
        );
    }
}

#[test]
fn the_doc_change_log_lists_each_change_in_order() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        assert_eq!(
            store.read(|tx| tx.doc_change_head()).unwrap(),
            0,
            "{backend:?}"
        );
        assert!(changes(store).is_empty(), "{backend:?}");

        let s1 = replace(store, &site(A, "1", 1), &[page("index.html", "1")], &[]);
        let s2 = replace(store, &site(B, "1", 1), &[], &[]);
        // Outside a transaction too.
        let s3 = store
            .read(|tx| tx.replace_doc_site(&site(A, "2", 2), &[page("index.html", "2")], &[]))
            .unwrap();
        assert!(store.transaction(|tx| tx.delete_doc_site(B)).unwrap());

        let all = changes(store);
        assert_eq!(
            all.iter()
                .map(|c| c.entity_ref.as_str())
                .collect::<Vec<_>>(),
            [A, B, A, B],
            "{backend:?}"
        );
        assert_eq!(
            all[..3].iter().map(|c| c.seq).collect::<Vec<_>>(),
            [s1, s2, s3],
            "{backend:?}: replace returns the seq of its entry"
        );
        assert!(
            all.windows(2).all(|w| w[0].seq < w[1].seq),
            "{backend:?}: {all:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_change_head()).unwrap(),
            all[3].seq,
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_changes_since(s1, 100)).unwrap(),
            all[1..],
            "{backend:?}"
        );
        assert_eq!(
            store.read(|tx| tx.doc_changes_since(0, 2)).unwrap(),
            all[..2],
            "{backend:?}"
        );
        assert!(store
            .read(|tx| tx.doc_changes_since(0, 0))
            .unwrap()
            .is_empty());
        assert!(store
            .read(|tx| tx.doc_changes_since(all[3].seq, 100))
            .unwrap()
            .is_empty());
        assert!(
            store
                .read(|tx| tx.changes_since(0, 100))
                .unwrap()
                .is_empty(),
            "{backend:?}: the catalog's change log is separate"
        );
    }
}

#[test]
fn a_path_given_twice_is_a_conflict_that_writes_nothing() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        replace(store, &site(A, "1", 1), &[page("index.html", "kept")], &[]);
        let head = store.read(|tx| tx.doc_change_head()).unwrap();

        for (pages, assets) in [
            (vec![page("x.html", "1"), page("x.html", "2")], vec![]),
            (
                vec![],
                vec![
                    asset("a.png", "image/png", b"1"),
                    asset("a.png", "image/png", b"2"),
                ],
            ),
        ] {
            let result =
                store.transaction(|tx| tx.replace_doc_site(&site(A, "2", 2), &pages, &assets));
            match result {
                Err(StoreError::Conflict(message)) => {
                    assert!(message.contains(A), "{backend:?}: {message}");
                    assert!(
                        message.contains("x.html") || message.contains("a.png"),
                        "{backend:?}: {message}"
                    );
                }
                other => panic!("{backend:?}: {other:?}"),
            }
        }
        assert_eq!(store.read(|tx| tx.doc_site(A)).unwrap().unwrap().etag, "1");
        assert_eq!(store.read(|tx| tx.doc_pages(A)).unwrap()[0].html, "kept");
        assert_eq!(
            store.read(|tx| tx.doc_change_head()).unwrap(),
            head,
            "{backend:?}"
        );
    }
}

#[test]
fn a_rolled_back_replace_leaves_the_previous_build() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        replace(store, &site(A, "1", 1), &[page("index.html", "kept")], &[]);
        let head = store.read(|tx| tx.doc_change_head()).unwrap();
        let result: Result<(), StoreError> = store.transaction(|tx| {
            tx.replace_doc_site(&site(A, "2", 2), &[page("other.html", "new")], &[])?;
            Err(StoreError::Database("abort".into()))
        });
        assert!(result.is_err());
        assert_eq!(
            paths(&store.read(|tx| tx.doc_pages(A)).unwrap()),
            ["index.html"],
            "{backend:?}"
        );
        assert_eq!(store.read(|tx| tx.doc_site(A)).unwrap().unwrap().etag, "1");
        assert_eq!(
            store.read(|tx| tx.doc_change_head()).unwrap(),
            head,
            "{backend:?}"
        );
    }
}

/// More pages than one insert statement holds, and assets larger than one statement's byte
/// budget: every file arrives, in one piece.
#[test]
fn a_large_site_is_stored_in_several_statements() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        let pages: Vec<DocPageRow> = (0..2_345)
            .map(|i| page(&format!("p{i:05}/index.html"), &format!("<p>{i}</p>")))
            .collect();
        let big: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
        let assets: Vec<DocAssetRow> = (0..3)
            .map(|i| asset(&format!("big{i}.bin"), "application/octet-stream", &big))
            .collect();
        replace(store, &site(A, "1", 1), &pages, &assets);

        let stored = store.read(|tx| tx.doc_pages(A)).unwrap();
        assert_eq!(stored, pages, "{backend:?}");
        for i in 0..3 {
            let body = store
                .read(|tx| tx.doc_asset(A, &format!("big{i}.bin")))
                .unwrap()
                .unwrap()
                .body;
            assert!(body == big, "{backend:?}: big{i}.bin came back altered");
        }
        assert_eq!(
            store.read(|tx| tx.doc_file_paths(A)).unwrap().len(),
            2_348,
            "{backend:?}"
        );
    }
}

/// The version diesel records for `2026-11-23-000003_techdocs`.
const TECHDOCS_MIGRATION: &str = "20261123000003";

#[test]
fn the_techdocs_migration_reverts_and_reapplies() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        replace(
            db.store(),
            &site(A, "1", 1),
            &[page("index.html", "x")],
            &[],
        );
        let reverted = revert_migrations_through(db.url(), backend, TECHDOCS_MIGRATION);
        assert_eq!(
            reverted.last().map(String::as_str),
            Some(TECHDOCS_MIGRATION),
            "{backend:?}: {reverted:?}"
        );
        assert!(
            !crate::table_exists(db.url(), "doc_sites"),
            "{backend:?}: down.sql dropped doc_sites"
        );

        let reopened = Store::open(db.url()).unwrap();
        assert_eq!(
            reopened.read(|tx| tx.doc_sites()).unwrap(),
            [],
            "{backend:?}"
        );
        let seq = replace(&reopened, &site(A, "2", 2), &[page("index.html", "y")], &[]);
        assert_eq!(
            reopened
                .read(|tx| tx.doc_page(A, "index.html"))
                .unwrap()
                .unwrap()
                .html,
            "y"
        );
        if backend == Backend::Sqlite {
            // The dropped AUTOINCREMENT table took its counter along.
            assert_eq!(seq, 1, "{backend:?}");
        }
    }
}
