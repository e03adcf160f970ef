//! Scorecard history: a day's rows replaced per entity, trends counted per
//! check and day, old days pruned, and the migration reverting cleanly.

use portico_store::testing::TestDb;
use portico_store::{DayCount, ScoreRow, Store};

use crate::{revert_migrations_through, table_exists};

/// The version diesel records for `2026-12-06-000006_scorecards`.
pub const MIGRATION: &str = "20261206000006";

fn row(entity: &str, check: &str, day: i32, passed: bool) -> ScoreRow {
    ScoreRow {
        scorecard: "ready".to_owned(),
        entity_ref: entity.to_owned(),
        check_id: check.to_owned(),
        day,
        passed,
    }
}

fn put(store: &Store, day: i32, refs: &[&str], rows: &[ScoreRow]) {
    let refs: Vec<String> = refs.iter().map(|r| (*r).to_owned()).collect();
    store
        .transaction(|tx| tx.replace_score_rows(day, &refs, rows))
        .unwrap();
}

#[test]
fn a_days_rows_are_replaced_per_entity_and_counted_per_check() {
    for db in TestDb::all() {
        let store = db.store();
        let (a, b) = ("component:default/a", "component:default/b");
        put(
            store,
            10,
            &[a, b],
            &[
                row(a, "owner", 10, false),
                row(a, "docs", 10, true),
                row(b, "owner", 10, true),
            ],
        );
        put(
            store,
            11,
            &[a, b],
            &[row(a, "owner", 11, true), row(b, "owner", 11, true)],
        );
        // `a` changes again on day 11: its docs check no longer applies.
        put(store, 11, &[a], &[row(a, "owner", 11, false)]);
        let day11 = store.read(|tx| tx.score_rows_of_day(11)).unwrap();
        assert_eq!(day11.len(), 2, "{day11:?}");
        assert!(day11.contains(&row(a, "owner", 11, false)));

        let trend = store.read(|tx| tx.score_trend("ready", 10, None)).unwrap();
        assert_eq!(
            trend,
            [
                (
                    "docs".to_owned(),
                    DayCount {
                        day: 10,
                        passed: 1,
                        applicable: 1
                    }
                ),
                (
                    "owner".to_owned(),
                    DayCount {
                        day: 10,
                        passed: 1,
                        applicable: 2
                    }
                ),
                (
                    "owner".to_owned(),
                    DayCount {
                        day: 11,
                        passed: 1,
                        applicable: 2
                    }
                ),
            ]
        );
        let only_a = store
            .read(|tx| tx.score_trend("ready", 11, Some(&[a.to_owned()])))
            .unwrap();
        assert_eq!(
            only_a,
            [(
                "owner".to_owned(),
                DayCount {
                    day: 11,
                    passed: 0,
                    applicable: 1
                }
            )]
        );
        assert!(store
            .read(|tx| tx.score_trend("other", 0, None))
            .unwrap()
            .is_empty());

        assert_eq!(store.transaction(|tx| tx.prune_score_rows(11)).unwrap(), 3);
        assert!(store
            .read(|tx| tx.score_rows_of_day(10))
            .unwrap()
            .is_empty());
        assert_eq!(store.read(|tx| tx.score_rows_of_day(11)).unwrap().len(), 2);
    }
}

#[test]
fn the_scorecards_migration_reverts_and_reapplies() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        put(db.store(), 1, &["x"], &[row("x", "owner", 1, true)]);
        let reverted = revert_migrations_through(db.url(), backend, MIGRATION);
        assert_eq!(
            reverted.last().map(String::as_str),
            Some(MIGRATION),
            "{backend:?}"
        );
        assert!(!table_exists(db.url(), "scorecard_results"), "{backend:?}");
        let reopened = Store::open(db.url()).unwrap();
        assert!(reopened
            .read(|tx| tx.score_rows_of_day(1))
            .unwrap()
            .is_empty());
        put(&reopened, 1, &["x"], &[row("x", "owner", 1, true)]);
        assert_eq!(
            reopened.read(|tx| tx.score_rows_of_day(1)).unwrap().len(),
            1
        );
    }
}
