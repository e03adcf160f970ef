//! Scaffolder tasks: creation, listing, claims by replicas, heartbeats, ends, cancellation
//! and retries. Events and stale-task recovery are in `task_events.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use portico_store::testing::TestDb;
use portico_store::{Store, StoreError, TaskFilter, TaskRow, TaskStatus};

use crate::revert_migrations_through;

pub fn create(store: &Store, id: &str, created_by: &str, at: i64) {
    store
        .transaction(|tx| tx.create_task(id, &spec(id), created_by, at))
        .unwrap();
}

pub fn spec(id: &str) -> String {
    format!(r#"{{"templateRef":"template:default/{id}","values":{{}}}}"#)
}

pub fn task(store: &Store, id: &str) -> TaskRow {
    store
        .read(|tx| tx.task(id))
        .unwrap()
        .unwrap_or_else(|| panic!("task {id} is missing"))
}

pub fn claim(store: &Store, replica: &str, now: i64) -> Option<TaskRow> {
    store
        .transaction(|tx| tx.claim_next_task(replica, now))
        .unwrap()
}

/// Creates task `id` and has `replica` claim it at `now`; it must be the only open task.
pub fn create_claimed(store: &Store, id: &str, replica: &str, now: i64) -> TaskRow {
    create(store, id, "user:default/alice", now);
    let claimed = claim(store, replica, now).unwrap();
    assert_eq!(claimed.id, id, "another task was open");
    claimed
}

pub fn finish(store: &Store, id: &str, replica: &str, status: &str, now: i64) -> bool {
    store
        .transaction(|tx| tx.finish_task(id, replica, status, None, None, now))
        .unwrap()
}

fn heartbeat(store: &Store, id: &str, replica: &str, now: i64) -> bool {
    store
        .transaction(|tx| tx.heartbeat_task(id, replica, now))
        .unwrap()
}

fn cancel(store: &Store, id: &str, now: i64) -> Option<TaskRow> {
    store
        .transaction(|tx| tx.request_task_cancel(id, now))
        .unwrap()
}

fn retry(store: &Store, id: &str) -> bool {
    store.transaction(|tx| tx.retry_task(id)).unwrap()
}

fn list(
    store: &Store,
    created_by: Option<&str>,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> (Vec<String>, i64) {
    let filter = TaskFilter {
        created_by,
        status,
        limit,
        offset,
    };
    let (rows, total) = store.read(|tx| tx.tasks(&filter)).unwrap();
    (rows.into_iter().map(|t| t.id).collect(), total)
}

const ALICE: &str = "user:default/alice";
const BOB: &str = "user:default/bob";

#[test]
fn a_created_task_is_open_and_listed_newest_first_with_filters_and_a_total() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        // Created against id order; t-c and t-d tie on created_at.
        for (id, by, at) in [
            ("t-a", ALICE, 100),
            ("t-b", BOB, 200),
            ("t-d", "", 300),
            ("t-c", ALICE, 300),
            ("t-e", ALICE, 50),
        ] {
            create(store, id, by, at);
        }
        assert_eq!(
            task(store, "t-a"),
            TaskRow {
                id: "t-a".into(),
                spec_json: spec("t-a"),
                status: "open".into(),
                created_by: ALICE.into(),
                created_at: 100,
                claimed_by: None,
                heartbeat_at: None,
                cancel_requested: false,
                output_json: None,
                error: None,
                finished_at: None,
            },
            "{backend:?}"
        );
        assert_eq!(store.read(|tx| tx.task("nope")).unwrap(), None);

        let again = store.transaction(|tx| tx.create_task("t-a", "{}", BOB, 999));
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{backend:?}: {again:?}"
        );
        assert_eq!(task(store, "t-a").spec_json, spec("t-a"), "{backend:?}");

        let all = ["t-c", "t-d", "t-b", "t-a", "t-e"];
        assert_eq!(
            list(store, None, None, 100, 0),
            (all.map(String::from).to_vec(), 5),
            "{backend:?}: newest first, ties by id"
        );
        assert_eq!(
            list(store, None, None, 2, 1),
            (vec!["t-d".into(), "t-b".into()], 5),
            "{backend:?}: a page keeps the total of all matches"
        );
        assert_eq!(list(store, None, None, 2, 4), (vec!["t-e".into()], 5));
        assert_eq!(list(store, None, None, 2, 5), (vec![], 5), "{backend:?}");
        assert_eq!(list(store, None, None, 0, 0), (vec![], 5), "{backend:?}");
        assert_eq!(
            list(store, None, None, -1, -3),
            (vec![], 5),
            "{backend:?}: negative limit lists nothing"
        );
        assert_eq!(
            list(store, None, None, 1, -3),
            (vec!["t-c".into()], 5),
            "{backend:?}: negative offset counts as 0"
        );

        assert_eq!(
            list(store, Some(ALICE), None, 100, 0),
            (vec!["t-c".into(), "t-a".into(), "t-e".into()], 3),
            "{backend:?}"
        );
        assert_eq!(
            list(store, Some(""), None, 100, 0),
            (vec!["t-d".into()], 1),
            "{backend:?}: anonymous tasks"
        );

        assert_eq!(claim(store, "r1", 1_000).unwrap().id, "t-e", "{backend:?}");
        assert_eq!(
            list(store, None, Some("processing"), 100, 0),
            (vec!["t-e".into()], 1),
            "{backend:?}"
        );
        assert_eq!(
            list(store, None, Some("open"), 100, 0),
            (
                vec!["t-c".into(), "t-d".into(), "t-b".into(), "t-a".into()],
                4
            ),
            "{backend:?}"
        );
        assert_eq!(
            list(store, Some(ALICE), Some("open"), 100, 0),
            (vec!["t-c".into(), "t-a".into()], 2),
            "{backend:?}: both filters"
        );
        assert_eq!(
            list(store, Some(ALICE), Some("open"), 1, 1),
            (vec!["t-a".into()], 2),
            "{backend:?}"
        );
        assert_eq!(
            list(store, Some(BOB), Some("processing"), 100, 0),
            (vec![], 0)
        );
        assert_eq!(list(store, None, Some("bogus"), 100, 0), (vec![], 0));
    }
}

#[test]
fn the_oldest_open_task_is_claimed_first_and_only_once() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        assert_eq!(claim(store, "r1", 1), None, "{backend:?}: nothing to claim");
        // Inserted against id order, so neither insertion order nor the primary key can
        // stand in for the ordering.
        for (id, at) in [("t-c", 100), ("t-b", 300), ("t-a", 100), ("t-d", 200)] {
            create(store, id, ALICE, at);
        }

        let first = claim(store, "r1", 1_000).unwrap();
        assert_eq!(
            first,
            TaskRow {
                status: "processing".into(),
                claimed_by: Some("r1".into()),
                heartbeat_at: Some(1_000),
                ..task_as_created("t-a", 100)
            },
            "{backend:?}: oldest first, ties by id"
        );
        assert_eq!(
            task(store, "t-a"),
            first,
            "{backend:?}: the claim is stored"
        );
        assert_eq!(
            TaskStatus::parse(&first.status),
            Some(TaskStatus::Processing)
        );

        let mut order = vec![first.id];
        for (replica, now) in [("r2", 1_001), ("r1", 1_002), ("r2", 1_003)] {
            let claimed = claim(store, replica, now).unwrap();
            assert_eq!(claimed.claimed_by.as_deref(), Some(replica), "{backend:?}");
            assert_eq!(claimed.heartbeat_at, Some(now), "{backend:?}");
            order.push(claimed.id);
        }
        assert_eq!(order, ["t-a", "t-c", "t-d", "t-b"], "{backend:?}");
        assert_eq!(claim(store, "r1", 2_000), None, "{backend:?}: all taken");
        assert_eq!(claim(store, "r2", 2_000), None, "{backend:?}");
        assert_eq!(
            task(store, "t-c").claimed_by.as_deref(),
            Some("r2"),
            "{backend:?}: a later claim did not take it over"
        );

        // Finished tasks are not claimed.
        create(store, "t-e", ALICE, 1);
        assert_eq!(cancel(store, "t-e", 5).unwrap().status, "cancelled");
        assert_eq!(claim(store, "r1", 3_000), None, "{backend:?}");
    }
}

fn task_as_created(id: &str, at: i64) -> TaskRow {
    TaskRow {
        id: id.into(),
        spec_json: spec(id),
        status: "open".into(),
        created_by: ALICE.into(),
        created_at: at,
        claimed_by: None,
        heartbeat_at: None,
        cancel_requested: false,
        output_json: None,
        error: None,
        finished_at: None,
    }
}

/// Replicas, each with its own connection pool on one database, claim from 40 open tasks
/// at the same moment until none is left. Without SKIP LOCKED (PostgreSQL) or serial
/// writers (SQLite) two replicas that read the same oldest task would both take it.
#[test]
fn concurrent_replicas_claim_every_task_exactly_once() {
    const TASKS: usize = 40;
    const REPLICAS: usize = 4;
    for db in TestDb::all() {
        let backend = db.store().backend();
        let ids: Vec<String> = (0..TASKS).map(|i| format!("t-{i:02}")).collect();
        for (i, id) in ids.iter().enumerate() {
            // Pairs share a created_at, so ties are broken by id under contention too.
            create(db.store(), id, ALICE, (i / 2) as i64);
        }

        let start = Arc::new(Barrier::new(REPLICAS));
        let threads: Vec<_> = (0..REPLICAS)
            .map(|r| {
                let replica = Store::open(db.url()).unwrap();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    let name = format!("replica-{r}");
                    let mut taken = Vec::new();
                    start.wait();
                    while let Some(task) = replica
                        .transaction(|tx| tx.claim_next_task(&name, 1_000))
                        .unwrap()
                    {
                        assert_eq!(task.claimed_by.as_deref(), Some(name.as_str()));
                        taken.push(task.id);
                    }
                    (name, taken)
                })
            })
            .collect();

        let mut owners: HashMap<String, Vec<String>> = HashMap::new();
        for thread in threads {
            let (name, taken) = thread.join().unwrap();
            for id in taken {
                owners.entry(id).or_default().push(name.clone());
            }
        }
        let twice: Vec<_> = owners.iter().filter(|(_, o)| o.len() != 1).collect();
        assert!(twice.is_empty(), "{backend:?}: claimed twice: {twice:?}");
        let mut claimed: Vec<&String> = owners.keys().collect();
        claimed.sort();
        assert_eq!(
            claimed,
            ids.iter().collect::<Vec<_>>(),
            "{backend:?}: every task claimed"
        );
        for (id, owner) in &owners {
            let stored = task(db.store(), id);
            assert_eq!(stored.status, "processing", "{backend:?}: {id}");
            assert_eq!(
                stored.claimed_by.as_ref(),
                Some(&owner[0]),
                "{backend:?}: {id} is stored as claimed by the replica that got it"
            );
        }
    }
}

#[test]
fn a_heartbeat_is_renewed_only_by_the_claiming_replica_while_processing() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        create_claimed(store, "t1", "r1", 1_000);

        assert!(heartbeat(store, "t1", "r1", 1_500), "{backend:?}");
        assert_eq!(task(store, "t1").heartbeat_at, Some(1_500), "{backend:?}");
        assert!(!heartbeat(store, "t1", "r2", 1_600), "{backend:?}");
        assert_eq!(
            task(store, "t1").heartbeat_at,
            Some(1_500),
            "{backend:?}: another replica's heartbeat changes nothing"
        );
        assert!(!heartbeat(store, "nope", "r1", 1_600), "{backend:?}");

        create(store, "t-open", ALICE, 2_000);
        assert!(!heartbeat(store, "t-open", "r1", 2_100), "{backend:?}");
        assert_eq!(task(store, "t-open").heartbeat_at, None, "{backend:?}");
        assert_eq!(task(store, "t-open").status, "open", "{backend:?}");

        assert!(finish(store, "t1", "r1", "completed", 1_700), "{backend:?}");
        assert!(
            !heartbeat(store, "t1", "r1", 1_800),
            "{backend:?}: a finished task takes no heartbeat"
        );
        assert_eq!(task(store, "t1").heartbeat_at, Some(1_500), "{backend:?}");
    }
}

#[test]
fn only_the_claiming_replica_finishes_a_processing_task() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        let claimed = create_claimed(store, "t1", "r1", 1_000);

        assert!(
            !finish(store, "t1", "r2", "completed", 1_100),
            "{backend:?}"
        );
        assert_eq!(task(store, "t1"), claimed, "{backend:?}: nothing changed");

        for status in ["open", "processing", "done", ""] {
            let result = store.transaction(|tx| tx.finish_task("t1", "r1", status, None, None, 1));
            assert!(
                matches!(result, Err(StoreError::InvalidInput(ref m)) if m.contains("t1")),
                "{backend:?}: {status:?} gave {result:?}"
            );
        }
        assert_eq!(task(store, "t1"), claimed, "{backend:?}");

        let finished = store
            .transaction(|tx| {
                tx.finish_task(
                    "t1",
                    "r1",
                    "completed",
                    Some(r#"{"links":[]}"#),
                    None,
                    1_200,
                )
            })
            .unwrap();
        assert!(finished, "{backend:?}");
        assert_eq!(
            task(store, "t1"),
            TaskRow {
                status: "completed".into(),
                output_json: Some(r#"{"links":[]}"#.into()),
                finished_at: Some(1_200),
                ..claimed.clone()
            },
            "{backend:?}: ended, still showing who ran it"
        );
        assert!(
            !finish(store, "t1", "r1", "failed", 1_300),
            "{backend:?}: a finished task cannot be finished again"
        );
        assert_eq!(task(store, "t1").status, "completed", "{backend:?}");

        let claimed = create_claimed(store, "t2", "r2", 3_000);
        let failed = store
            .transaction(|tx| tx.finish_task("t2", "r2", "failed", None, Some("boom"), 3_100))
            .unwrap();
        assert!(failed, "{backend:?}");
        assert_eq!(
            task(store, "t2"),
            TaskRow {
                status: "failed".into(),
                error: Some("boom".into()),
                finished_at: Some(3_100),
                ..claimed
            },
            "{backend:?}"
        );

        create(store, "t-open", ALICE, 2_000);
        assert!(!finish(store, "t-open", "r1", "completed", 2_100));
        assert_eq!(task(store, "t-open").status, "open", "{backend:?}");
        assert!(!finish(store, "nope", "r1", "completed", 2_100));
    }
}

#[test]
fn cancelling_ends_an_open_task_flags_a_processing_one_and_leaves_a_finished_one() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        create(store, "t-open", ALICE, 100);
        let cancelled = cancel(store, "t-open", 500).unwrap();
        assert_eq!(
            cancelled,
            TaskRow {
                status: "cancelled".into(),
                finished_at: Some(500),
                ..task_as_created("t-open", 100)
            },
            "{backend:?}"
        );
        assert_eq!(task(store, "t-open"), cancelled, "{backend:?}");
        assert_eq!(claim(store, "r1", 600), None, "{backend:?}");
        assert_eq!(
            cancel(store, "t-open", 700),
            Some(cancelled),
            "{backend:?}: cancelling again changes nothing"
        );

        let claimed = create_claimed(store, "t-run", "r1", 1_000);
        let flagged = cancel(store, "t-run", 1_100).unwrap();
        assert_eq!(
            flagged,
            TaskRow {
                cancel_requested: true,
                ..claimed
            },
            "{backend:?}: still processing, with the request"
        );
        assert_eq!(task(store, "t-run"), flagged, "{backend:?}");
        assert!(
            heartbeat(store, "t-run", "r1", 1_200),
            "{backend:?}: the worker runs until it stops"
        );
        assert!(finish(store, "t-run", "r1", "cancelled", 1_300));
        let ended = task(store, "t-run");
        assert_eq!(
            (ended.status.as_str(), ended.finished_at),
            ("cancelled", Some(1_300)),
            "{backend:?}"
        );

        create_claimed(store, "t-done", "r1", 2_000);
        assert!(finish(store, "t-done", "r1", "completed", 2_100));
        let done = task(store, "t-done");
        assert_eq!(
            cancel(store, "t-done", 2_200),
            Some(done.clone()),
            "{backend:?}"
        );
        assert_eq!(task(store, "t-done"), done, "{backend:?}");

        assert_eq!(cancel(store, "nope", 1), None, "{backend:?}");
    }
}

#[test]
fn a_failed_or_cancelled_task_is_retried_as_new_and_others_are_not() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        create_claimed(store, "t-failed", "r1", 100);
        store
            .transaction(|tx| {
                tx.finish_task("t-failed", "r1", "failed", Some("{}"), Some("boom"), 200)
            })
            .unwrap();
        create_claimed(store, "t-cancelled", "r1", 300);
        cancel(store, "t-cancelled", 350);
        assert!(finish(store, "t-cancelled", "r1", "cancelled", 400));
        assert!(task(store, "t-cancelled").cancel_requested, "{backend:?}");
        create_claimed(store, "t-done", "r1", 500);
        assert!(finish(store, "t-done", "r1", "completed", 600));
        create_claimed(store, "t-running", "r1", 700);
        create(store, "t-open", ALICE, 800);

        assert!(retry(store, "t-failed"), "{backend:?}");
        assert_eq!(
            task(store, "t-failed"),
            task_as_created("t-failed", 100),
            "{backend:?}: as it was created"
        );
        assert!(retry(store, "t-cancelled"), "{backend:?}");
        assert_eq!(
            task(store, "t-cancelled"),
            task_as_created("t-cancelled", 300),
            "{backend:?}: the cancellation request is cleared too"
        );

        for id in ["t-done", "t-running", "t-open", "t-failed"] {
            let before = task(store, id);
            assert!(!retry(store, id), "{backend:?}: {id}");
            assert_eq!(task(store, id), before, "{backend:?}: {id} unchanged");
        }
        assert!(!retry(store, "nope"), "{backend:?}");

        // Retried tasks keep their place: older than t-open.
        let order: Vec<String> = std::iter::from_fn(|| claim(store, "r2", 900))
            .map(|t| t.id)
            .collect();
        assert_eq!(order, ["t-failed", "t-cancelled", "t-open"], "{backend:?}");
    }
}

#[test]
fn an_interrupted_task_is_queued_again_only_by_its_replica_and_counted_by_status() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        create_claimed(store, "t-running", "r1", 100);
        store
            .transaction(|tx| tx.heartbeat_task("t-running", "r1", 150))
            .unwrap();
        create_claimed(store, "t-done", "r1", 200);
        assert!(finish(store, "t-done", "r1", "completed", 300));
        create(store, "t-open", ALICE, 400);

        let requeue = |id: &str, replica: &str| {
            store
                .transaction(|tx| tx.requeue_task(id, replica))
                .unwrap()
        };
        let before = task(store, "t-running");
        assert!(!requeue("t-running", "r2"), "{backend:?}: not r2's");
        assert_eq!(task(store, "t-running"), before, "{backend:?}: unchanged");
        assert!(!requeue("t-done", "r1"), "{backend:?}: finished");
        assert!(!requeue("nope", "r1"), "{backend:?}");

        let counts = store.read(|tx| tx.task_status_counts()).unwrap();
        assert_eq!(
            counts,
            [
                ("completed".to_owned(), 1),
                ("open".to_owned(), 1),
                ("processing".to_owned(), 1)
            ],
            "{backend:?}"
        );

        assert!(requeue("t-running", "r1"), "{backend:?}");
        let queued = task(store, "t-running");
        assert_eq!(queued.status, "open", "{backend:?}");
        assert_eq!(
            (queued.claimed_by, queued.heartbeat_at),
            (None, None),
            "{backend:?}"
        );
        assert_eq!(queued.created_at, 100, "{backend:?}: keeps its place");
        let counts = store.read(|tx| tx.task_status_counts()).unwrap();
        assert_eq!(
            counts,
            [("completed".to_owned(), 1), ("open".to_owned(), 2)],
            "{backend:?}"
        );
        // Another replica picks it up first: it is the oldest open task.
        assert_eq!(
            claim(store, "r2", 500).map(|t| t.id).as_deref(),
            Some("t-running")
        );
        // One its user asked to cancel is not queued again.
        cancel(store, "t-running", 600);
        assert!(
            !requeue("t-running", "r2"),
            "{backend:?}: cancelled by its user"
        );
        assert_eq!(task(store, "t-running").status, "processing", "{backend:?}");
    }
}

/// The version diesel records for `2026-11-23-000004_scaffolder`.
const SCAFFOLDER_MIGRATION: &str = "20261123000004";

#[test]
fn the_scaffolder_migration_reverts_and_reapplies() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        create(db.store(), "t1", ALICE, 1);
        for _ in 0..2 {
            db.store()
                .transaction(|tx| tx.append_task_event("t1", "log", "{}", 1))
                .unwrap();
        }
        assert_eq!(
            revert_migrations_through(db.url(), backend, SCAFFOLDER_MIGRATION),
            [
                crate::scorecards::MIGRATION,
                crate::audit::AUDIT_MIGRATION,
                SCAFFOLDER_MIGRATION
            ],
            "{backend:?}: the newer migrations, then this one"
        );
        for table in ["scaffolder_tasks", "task_events"] {
            assert!(
                !crate::table_exists(db.url(), table),
                "{backend:?}: down.sql dropped {table}"
            );
        }
        assert_eq!(
            db.store().check(std::time::Duration::from_secs(2)).unwrap(),
            3,
            "{backend:?}: a readiness check sees the three missing migrations"
        );

        let reopened = Store::open(db.url()).unwrap();
        assert_eq!(reopened.read(|tx| tx.task("t1")).unwrap(), None);
        create(&reopened, "t1", ALICE, 2);
        assert_eq!(claim(&reopened, "r1", 3).unwrap().id, "t1", "{backend:?}");
        let id = reopened
            .transaction(|tx| tx.append_task_event("t1", "log", "{}", 4))
            .unwrap();
        if backend == portico_store::Backend::Sqlite {
            // The dropped AUTOINCREMENT table took its counter along.
            assert_eq!(id, 1, "{backend:?}");
        }
    }
}
