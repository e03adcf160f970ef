//! Scaffolder task events (appends, ordering, paging) and the recovery of tasks whose
//! worker stopped sending heartbeats.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use portico_store::testing::TestDb;
use portico_store::{Backend, Store, StoreError, TaskEventRow};

use crate::tasks::{create, create_claimed, finish, task};

fn append(store: &Store, task_id: &str, event_type: &str, body: &str, now: i64) -> i64 {
    store
        .transaction(|tx| tx.append_task_event(task_id, event_type, body, now))
        .unwrap()
}

fn events(store: &Store, task_id: &str, after: i64, limit: i64) -> Vec<TaskEventRow> {
    store
        .read(|tx| tx.task_events(task_id, after, limit))
        .unwrap()
}

fn bodies(events: &[TaskEventRow]) -> Vec<&str> {
    events.iter().map(|e| e.body_json.as_str()).collect()
}

fn fail_stale(store: &Store, now: i64, timeout_ms: i64) -> Vec<String> {
    store
        .transaction(|tx| tx.fail_stale_tasks(now, timeout_ms))
        .unwrap()
}

#[test]
fn events_are_read_per_task_in_id_order_and_paged_with_after() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        create(store, "t1", "", 1);
        create(store, "t2", "", 1);
        assert_eq!(events(store, "t1", 0, 100), [], "{backend:?}");

        let a = append(store, "t1", "log", r#"{"message":"a"}"#, 10);
        let x = append(store, "t2", "log", r#"{"message":"x"}"#, 11);
        let b = append(store, "t1", "log", r#"{"message":"b"}"#, 12);
        let c = append(store, "t1", "completion", r#"{"status":"completed"}"#, 13);
        assert!(a < x && x < b && b < c, "{backend:?}: {a} {x} {b} {c}");

        assert_eq!(
            events(store, "t1", 0, 100),
            [
                TaskEventRow {
                    id: a,
                    task_id: "t1".into(),
                    event_type: "log".into(),
                    body_json: r#"{"message":"a"}"#.into(),
                    created_at: 10,
                },
                TaskEventRow {
                    id: b,
                    task_id: "t1".into(),
                    event_type: "log".into(),
                    body_json: r#"{"message":"b"}"#.into(),
                    created_at: 12,
                },
                TaskEventRow {
                    id: c,
                    task_id: "t1".into(),
                    event_type: "completion".into(),
                    body_json: r#"{"status":"completed"}"#.into(),
                    created_at: 13,
                },
            ],
            "{backend:?}"
        );
        assert_eq!(
            bodies(&events(store, "t2", 0, 100)),
            [r#"{"message":"x"}"#],
            "{backend:?}: only the task's own events"
        );

        assert_eq!(
            bodies(&events(store, "t1", a, 100)),
            [r#"{"message":"b"}"#, r#"{"status":"completed"}"#],
            "{backend:?}"
        );
        assert_eq!(
            bodies(&events(store, "t1", x, 100)).len(),
            2,
            "{backend:?}: after an id of another task"
        );
        assert_eq!(
            bodies(&events(store, "t1", 0, 1)),
            [r#"{"message":"a"}"#],
            "{backend:?}"
        );
        assert_eq!(events(store, "t1", c, 100), [], "{backend:?}");
        assert_eq!(events(store, "t1", 0, 0), [], "{backend:?}");
        assert_eq!(events(store, "t1", 0, -5), [], "{backend:?}");
        assert_eq!(events(store, "nope", 0, 100), [], "{backend:?}");

        // A reader paging two at a time sees every event once, in order.
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = events(store, "t1", after, 2);
            let Some(last) = page.last() else { break };
            after = last.id;
            seen.extend(page.into_iter().map(|e| e.id));
        }
        assert_eq!(seen, [a, b, c], "{backend:?}");
    }
}

#[test]
fn an_event_of_an_unknown_type_or_task_is_refused_and_not_stored() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        create(store, "t1", "", 1);

        let unknown_task = store.transaction(|tx| tx.append_task_event("nope", "log", "{}", 1));
        assert!(
            matches!(unknown_task, Err(StoreError::InvalidInput(ref m)) if m.contains("nope")),
            "{backend:?}: {unknown_task:?}"
        );
        assert_eq!(events(store, "nope", 0, 100), [], "{backend:?}");

        let unknown_type = store.transaction(|tx| tx.append_task_event("t1", "logs", "{}", 1));
        assert!(
            matches!(unknown_type, Err(StoreError::InvalidInput(ref m)) if m.contains("logs")),
            "{backend:?}: {unknown_type:?}"
        );
        for event_type in ["log", "completion", "cancelled", "recovered"] {
            append(store, "t1", event_type, "{}", 2);
        }
        let types: Vec<String> = events(store, "t1", 0, 100)
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        assert_eq!(
            types,
            ["log", "completion", "cancelled", "recovered"],
            "{backend:?}"
        );

        // An append rolled back with its transaction leaves nothing.
        let rolled_back: Result<(), StoreError> = store.transaction(|tx| {
            tx.append_task_event("t1", "log", "rolled back", 3)?;
            Err(StoreError::Conflict("abort".into()))
        });
        assert!(rolled_back.is_err());
        assert_eq!(events(store, "t1", 0, 100).len(), 4, "{backend:?}");
    }
}

/// While one transaction has appended to a task and not committed, another append to the
/// same task waits for it, so the later id commits later: a reader that saw it cannot have
/// skipped the earlier one. On PostgreSQL appends to another task do not wait.
#[test]
fn appends_to_one_task_commit_in_id_order() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        create(db.store(), "t1", "", 1);
        create(db.store(), "t2", "", 1);
        // Opened before the first transaction starts: opening checks the migrations, which
        // on SQLite would wait for the writer too.
        let [first_store, second_store, other_store] =
            [(); 3].map(|()| Store::open(db.url()).unwrap());

        let (first_tx, first_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let holder = {
            let store = first_store;
            std::thread::spawn(move || {
                store
                    .transaction(|tx| -> Result<i64, StoreError> {
                        let id = tx.append_task_event("t1", "log", "first", 10)?;
                        first_tx.send(id).unwrap();
                        go_rx.recv().unwrap();
                        Ok(id)
                    })
                    .unwrap()
            })
        };
        let first = first_rx.recv().unwrap();

        let (second_tx, second_rx) = mpsc::channel();
        let second = {
            let store = second_store;
            std::thread::spawn(move || {
                let id = append(&store, "t1", "log", "second", 11);
                second_tx.send(id).unwrap();
            })
        };
        if backend == Backend::Postgres {
            let store = other_store;
            let other = std::thread::spawn(move || append(&store, "t2", "log", "other", 11));
            // Joined through a channel with a timeout, so a wait shows as a failure, not a hang.
            let (done_tx, done_rx) = mpsc::channel();
            std::thread::spawn(move || done_tx.send(other.join().unwrap()));
            assert!(
                done_rx.recv_timeout(Duration::from_secs(5)).is_ok(),
                "an append to another task waited for the open transaction"
            );
        }
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            second_rx.try_recv().is_err(),
            "{backend:?}: the second append did not wait for the first to commit"
        );
        assert_eq!(
            events(db.store(), "t1", 0, 100),
            [],
            "{backend:?}: nothing is visible before the commit"
        );

        go_tx.send(()).unwrap();
        assert_eq!(holder.join().unwrap(), first);
        let second_id = second_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        second.join().unwrap();
        assert!(second_id > first, "{backend:?}: {first} then {second_id}");
        assert_eq!(
            bodies(&events(db.store(), "t1", 0, 100)),
            ["first", "second"],
            "{backend:?}"
        );
    }
}

const TIMEOUT: i64 = 10_000;
const NOW: i64 = 100_000;

#[test]
fn only_stale_processing_tasks_are_failed_each_with_one_completion_event() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        create_claimed(store, "t-fresh", "r1", NOW - 5_000);
        // Exactly `TIMEOUT` silent: not stale yet.
        create_claimed(store, "t-edge", "r1", NOW - TIMEOUT);
        create_claimed(store, "t-stale1", "r1", NOW - TIMEOUT - 1);
        create_claimed(store, "t-stale2", "r2", NOW - 60_000);
        create_claimed(store, "t-done", "r1", 1_000);
        assert!(finish(store, "t-done", "r1", "completed", 2_000));
        create(store, "t-open", "", 1);
        let log = append(
            store,
            "t-stale1",
            "log",
            r#"{"message":"working"}"#,
            NOW - 20_000,
        );

        assert_eq!(
            fail_stale(store, NOW, TIMEOUT),
            ["t-stale1", "t-stale2"],
            "{backend:?}"
        );
        for (id, message) in [
            (
                "t-stale1",
                "the worker on replica r1 stopped sending heartbeats for 10 s",
            ),
            (
                "t-stale2",
                "the worker on replica r2 stopped sending heartbeats for 60 s",
            ),
        ] {
            let failed = task(store, id);
            assert_eq!(failed.status, "failed", "{backend:?}: {id}");
            assert_eq!(failed.error.as_deref(), Some(message), "{backend:?}: {id}");
            assert_eq!(failed.finished_at, Some(NOW), "{backend:?}: {id}");
            let completions: Vec<TaskEventRow> = events(store, id, 0, 100)
                .into_iter()
                .filter(|e| e.event_type == "completion")
                .collect();
            assert_eq!(completions.len(), 1, "{backend:?}: {id}");
            assert_eq!(completions[0].created_at, NOW, "{backend:?}: {id}");
            let body: serde_json::Value = serde_json::from_str(&completions[0].body_json).unwrap();
            assert_eq!(
                body,
                serde_json::json!({"message": message, "status": "failed"}),
                "{backend:?}: {id}"
            );
        }
        let stale1 = events(store, "t-stale1", 0, 100);
        assert_eq!(stale1.len(), 2, "{backend:?}");
        assert!(
            stale1[0].id == log && stale1[1].id > log,
            "{backend:?}: the completion comes after the worker's log: {stale1:?}"
        );

        for (id, status) in [
            ("t-fresh", "processing"),
            ("t-edge", "processing"),
            ("t-done", "completed"),
            ("t-open", "open"),
        ] {
            let untouched = task(store, id);
            assert_eq!(untouched.status, status, "{backend:?}: {id}");
            assert_eq!(untouched.error, None, "{backend:?}: {id}");
            assert_eq!(events(store, id, 0, 100), [], "{backend:?}: {id}");
        }

        // The late worker learns it lost the task, and cannot end it as it likes.
        assert!(!store
            .transaction(|tx| tx.heartbeat_task("t-stale1", "r1", NOW + 1))
            .unwrap());
        assert!(!finish(store, "t-stale1", "r1", "completed", NOW + 1));
        assert_eq!(task(store, "t-stale1").status, "failed", "{backend:?}");

        // Idempotent: nothing more is failed, no event is added.
        assert_eq!(fail_stale(store, NOW, TIMEOUT), Vec::<String>::new());
        assert_eq!(events(store, "t-stale1", 0, 100).len(), 2, "{backend:?}");
        assert_eq!(events(store, "t-stale2", 0, 100).len(), 1, "{backend:?}");

        // A millisecond later the edge task is stale too.
        assert_eq!(
            fail_stale(store, NOW + 1, TIMEOUT),
            ["t-edge"],
            "{backend:?}"
        );
        assert_eq!(fail_stale(store, NOW + 1, TIMEOUT), Vec::<String>::new());
        assert_eq!(task(store, "t-fresh").status, "processing", "{backend:?}");
    }
}

/// Replicas, each with its own connection pool, sweep for stale tasks at the same moment:
/// each stale task is failed by exactly one of them and gets exactly one completion event.
#[test]
fn concurrent_sweeps_fail_each_stale_task_once() {
    const TASKS: usize = 20;
    const REPLICAS: usize = 4;
    for db in TestDb::all() {
        let backend = db.store().backend();
        let ids: Vec<String> = (0..TASKS).map(|i| format!("t-{i:02}")).collect();
        for id in &ids {
            create_claimed(db.store(), id, "dead", 1_000);
        }

        let start = Arc::new(Barrier::new(REPLICAS));
        let threads: Vec<_> = (0..REPLICAS)
            .map(|r| {
                let replica = Store::open(db.url()).unwrap();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    // Several sweeps each, so sweeps also overlap with ones that finished.
                    (0..3)
                        .flat_map(|_| fail_stale(&replica, NOW, TIMEOUT))
                        .map(|id| (id, r))
                        .collect::<Vec<_>>()
                })
            })
            .collect();

        let mut failed_by: HashMap<String, Vec<usize>> = HashMap::new();
        for thread in threads {
            for (id, r) in thread.join().unwrap() {
                failed_by.entry(id).or_default().push(r);
            }
        }
        let twice: Vec<_> = failed_by.iter().filter(|(_, r)| r.len() != 1).collect();
        assert!(twice.is_empty(), "{backend:?}: failed twice: {twice:?}");
        assert_eq!(failed_by.len(), TASKS, "{backend:?}: {failed_by:?}");
        for id in &ids {
            assert_eq!(task(db.store(), id).status, "failed", "{backend:?}: {id}");
            let events = events(db.store(), id, 0, 100);
            assert_eq!(events.len(), 1, "{backend:?}: {id}: {events:?}");
            assert_eq!(events[0].event_type, "completion", "{backend:?}: {id}");
        }
    }
}
