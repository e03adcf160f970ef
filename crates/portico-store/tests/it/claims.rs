//! Refresh scheduling and claims on locations: leases that keep two refreshers (replicas
//! sharing a database) off the same location.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Barrier};

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use portico_store::testing::TestDb;
use portico_store::{now_ms, Backend, ClaimOutcome, LocationClaim, Store, StoreError};

use crate::{location, revert_migrations_through};

const LEASE: i64 = 500;

fn claim_due(store: &Store, owner: &str, now: i64, limit: i64) -> Vec<LocationClaim> {
    store
        .transaction(|tx| tx.claim_due_locations(owner, now, LEASE, limit))
        .unwrap()
}

fn claim(store: &Store, id: &str, owner: &str, now: i64) -> ClaimOutcome {
    store
        .transaction(|tx| tx.claim_location(id, owner, now, LEASE))
        .unwrap()
}

fn release(store: &Store, id: &str, owner: &str, next: i64, failures: i32) -> bool {
    store
        .transaction(|tx| tx.release_location(id, owner, next, failures))
        .unwrap()
}

type Schedule = (i64, i32, Option<String>, Option<i64>);

fn schedule(store: &Store, id: &str) -> Option<Schedule> {
    store.read(|tx| tx.location_schedule(id)).unwrap()
}

fn ids(claims: &[LocationClaim]) -> Vec<&str> {
    claims.iter().map(|c| c.id.as_str()).collect()
}

fn insert(store: &Store, ids: &[&str]) {
    store
        .transaction(|tx| -> Result<(), StoreError> {
            for id in ids {
                tx.insert_location(&location(id, &format!("target-{id}"), 1))?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_new_location_is_due_at_once_and_goes_to_one_owner() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        insert(store, &["loc"]);
        assert_eq!(
            schedule(store, "loc"),
            Some((0, 0, None, None)),
            "{backend:?}: a new location is due now and unclaimed"
        );

        let claims = claim_due(store, "a", 1_000, 10);
        assert_eq!(
            claims,
            [LocationClaim {
                id: "loc".into(),
                location_type: "url".into(),
                target: "target-loc".into(),
                refresh_failures: 0,
                claimed_until: 1_000 + LEASE,
            }],
            "{backend:?}"
        );
        assert_eq!(
            schedule(store, "loc"),
            Some((0, 0, Some("a".into()), Some(1_000 + LEASE))),
            "{backend:?}: claiming leaves the due time alone"
        );

        assert_eq!(claim_due(store, "b", 1_000, 10), [], "{backend:?}");
        assert_eq!(
            claim_due(store, "a", 1_000, 10),
            [],
            "{backend:?}: a live claim is not handed out again, even to its owner"
        );
        assert_eq!(
            claim(store, "loc", "b", 1_200),
            ClaimOutcome::Busy {
                owner: "a".into(),
                until: 1_000 + LEASE
            },
            "{backend:?}"
        );

        // The owner renews its own claim.
        match claim(store, "loc", "a", 1_200) {
            ClaimOutcome::Claimed(claim) => {
                assert_eq!(claim.claimed_until, 1_200 + LEASE, "{backend:?}")
            }
            other => panic!("{backend:?}: {other:?}"),
        }
        assert_eq!(
            schedule(store, "loc"),
            Some((0, 0, Some("a".into()), Some(1_200 + LEASE))),
            "{backend:?}"
        );
        assert_eq!(
            claim(store, "loc", "b", 1_600),
            ClaimOutcome::Busy {
                owner: "a".into(),
                until: 1_200 + LEASE
            },
            "{backend:?}: the renewed lease outlasts the first one"
        );
    }
}

#[test]
fn release_reschedules_and_only_the_owner_can_release() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        insert(store, &["loc"]);
        assert_eq!(
            ids(&claim_due(store, "a", 1_000, 10)),
            ["loc"],
            "{backend:?}"
        );

        assert!(!release(store, "loc", "b", 9_999, 7), "{backend:?}");
        assert_eq!(
            schedule(store, "loc"),
            Some((0, 0, Some("a".into()), Some(1_000 + LEASE))),
            "{backend:?}: a release by someone else changes nothing"
        );
        assert!(!release(store, "nope", "a", 9_999, 7), "{backend:?}");

        assert!(release(store, "loc", "a", 5_000, 2), "{backend:?}");
        assert_eq!(
            schedule(store, "loc"),
            Some((5_000, 2, None, None)),
            "{backend:?}"
        );
        assert!(
            !release(store, "loc", "a", 6_000, 0),
            "{backend:?}: a released claim cannot be released twice"
        );
        assert_eq!(schedule(store, "loc").unwrap().0, 5_000, "{backend:?}");

        assert_eq!(claim_due(store, "b", 4_999, 10), [], "{backend:?}");
        let claims = claim_due(store, "b", 5_000, 10);
        assert_eq!(ids(&claims), ["loc"], "{backend:?}: due at next_refresh_at");
        assert_eq!(
            claims[0].refresh_failures, 2,
            "{backend:?}: the failure count reaches the next refresher"
        );
    }
}

#[test]
fn a_lapsed_claim_is_taken_over_and_its_old_owner_cannot_release_it() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        insert(store, &["loc"]);
        // "dead" claims and never comes back.
        assert_eq!(ids(&claim_due(store, "dead", 1_000, 10)), ["loc"]);
        let until = 1_000 + LEASE;

        assert_eq!(
            claim_due(store, "b", until, 10),
            [],
            "{backend:?}: live up to and including claimed_until"
        );
        assert_eq!(
            claim(store, "loc", "b", until),
            ClaimOutcome::Busy {
                owner: "dead".into(),
                until
            },
            "{backend:?}"
        );

        let claims = claim_due(store, "b", until + 1, 10);
        assert_eq!(ids(&claims), ["loc"], "{backend:?}");
        assert_eq!(claims[0].claimed_until, until + 1 + LEASE, "{backend:?}");

        assert!(!release(store, "loc", "dead", 9_999, 0), "{backend:?}");
        assert_eq!(
            schedule(store, "loc"),
            Some((0, 0, Some("b".into()), Some(until + 1 + LEASE))),
            "{backend:?}: the late release left b's claim alone"
        );

        // claim_location takes over a lapsed claim too.
        let later = until + 1 + LEASE + 1;
        assert!(
            matches!(claim(store, "loc", "c", later), ClaimOutcome::Claimed(_)),
            "{backend:?}"
        );
        assert!(!release(store, "loc", "b", 9_999, 0), "{backend:?}");
        assert!(release(store, "loc", "c", 9_999, 0), "{backend:?}");
    }
}

#[test]
fn the_most_overdue_are_claimed_first_up_to_the_limit() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        // Inserted against id order, so neither insertion order nor the primary key can
        // stand in for the ordering.
        insert(store, &["loc-e", "loc-d", "loc-c", "loc-b", "loc-a"]);
        store
            .transaction(|tx| -> Result<(), StoreError> {
                for (id, at) in [
                    ("loc-d", 300),
                    ("loc-c", 100),
                    ("loc-a", 100),
                    ("loc-b", 50),
                    ("loc-e", 900),
                ] {
                    tx.schedule_location(id, at)?;
                }
                Ok(())
            })
            .unwrap();

        assert_eq!(claim_due(store, "a", 500, 0), [], "{backend:?}");
        assert_eq!(
            ids(&claim_due(store, "a", 500, 2)),
            ["loc-b", "loc-a"],
            "{backend:?}: earliest due first, ties by id"
        );
        assert_eq!(
            ids(&claim_due(store, "a", 500, 1)),
            ["loc-c"],
            "{backend:?}"
        );
        assert_eq!(
            ids(&claim_due(store, "a", 500, 10)),
            ["loc-d"],
            "{backend:?}: loc-e is not due yet"
        );
        assert_eq!(claim_due(store, "a", 500, 10), [], "{backend:?}");
        assert_eq!(
            ids(&claim_due(store, "a", 900, 10)),
            ["loc-e"],
            "{backend:?}"
        );
    }
}

#[test]
fn claim_location_ignores_the_due_time_and_reports_a_missing_location() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        insert(store, &["loc"]);
        store
            .transaction(|tx| tx.schedule_location("loc", 1_000_000))
            .unwrap();
        assert_eq!(claim_due(store, "a", 1_000, 10), [], "{backend:?}");

        match claim(store, "loc", "a", 1_000) {
            ClaimOutcome::Claimed(claim) => {
                assert_eq!(claim.id, "loc", "{backend:?}");
                assert_eq!(claim.claimed_until, 1_000 + LEASE, "{backend:?}");
            }
            other => panic!("{backend:?}: {other:?}"),
        }
        assert_eq!(
            claim(store, "nope", "a", 1_000),
            ClaimOutcome::Missing,
            "{backend:?}"
        );
    }
}

#[test]
fn schedule_location_moves_the_due_time_whoever_holds_the_claim() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        insert(store, &["loc"]);
        assert_eq!(ids(&claim_due(store, "a", 1_000, 10)), ["loc"]);
        assert!(release(store, "loc", "a", 50_000, 3));
        assert_eq!(claim_due(store, "a", 2_000, 10), [], "{backend:?}");

        // Asked for a refresh: due at once, the failure count kept.
        store
            .transaction(|tx| tx.schedule_location("loc", 0))
            .unwrap();
        assert_eq!(
            schedule(store, "loc"),
            Some((0, 3, None, None)),
            "{backend:?}"
        );
        assert_eq!(ids(&claim_due(store, "b", 2_000, 10)), ["loc"]);

        // While claimed, only the due time changes.
        store
            .transaction(|tx| tx.schedule_location("loc", 7_000))
            .unwrap();
        assert_eq!(
            schedule(store, "loc"),
            Some((7_000, 3, Some("b".into()), Some(2_000 + LEASE))),
            "{backend:?}"
        );

        store
            .transaction(|tx| tx.schedule_location("nope", 0))
            .unwrap();
        assert_eq!(
            schedule(store, "nope"),
            None,
            "{backend:?}: scheduling an unknown id creates nothing"
        );
    }
}

/// Four replicas, each with its own connection pool on one PostgreSQL schema, take 40 due
/// locations in batches of 5 at the same time. Without SKIP LOCKED two replicas that read
/// the same candidates would both claim them.
#[test]
fn concurrent_replicas_never_claim_the_same_location() {
    for db in TestDb::all() {
        if db.store().backend() == Backend::Sqlite {
            // SQLite serves one process, whose write transactions are already serial.
            let _ = writeln!(
                std::io::stderr(),
                "claims::concurrent_replicas_never_claim_the_same_location: skipped on \
                 SQLite (one process, serial writers); it runs on PostgreSQL"
            );
            continue;
        }
        let ids: Vec<String> = (0..40).map(|i| format!("loc-{i:02}")).collect();
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        insert(db.store(), &id_refs);

        let start = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let replica = Store::open(db.url()).unwrap();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    let owner = format!("replica-{t}");
                    let mut taken = Vec::new();
                    start.wait();
                    loop {
                        let now = now_ms();
                        let claims = replica
                            .transaction(|tx| tx.claim_due_locations(&owner, now, 60_000, 5))
                            .unwrap();
                        if claims.is_empty() {
                            return taken;
                        }
                        for claim in claims {
                            // A location claimed twice comes back `false` for the owner
                            // that releases it second.
                            let released = replica
                                .transaction(|tx| {
                                    tx.release_location(&claim.id, &owner, i64::MAX / 2, 0)
                                })
                                .unwrap();
                            taken.push((claim.id, owner.clone(), released));
                        }
                    }
                })
            })
            .collect();

        let mut owners: HashMap<String, Vec<String>> = HashMap::new();
        let mut lost = Vec::new();
        for thread in threads {
            for (id, owner, released) in thread.join().unwrap() {
                if !released {
                    lost.push((id.clone(), owner.clone()));
                }
                owners.entry(id).or_default().push(owner);
            }
        }
        let twice: Vec<_> = owners.iter().filter(|(_, o)| o.len() > 1).collect();
        assert!(twice.is_empty(), "claimed more than once: {twice:?}");
        assert!(lost.is_empty(), "claims lost before release: {lost:?}");
        let mut claimed: Vec<&String> = owners.keys().collect();
        claimed.sort();
        assert_eq!(claimed, ids.iter().collect::<Vec<_>>(), "claimed once each");
    }
}

/// The version diesel records for `2026-11-23-000002_location_refresh`.
const REFRESH_MIGRATION: &str = "20261123000002";

/// Reverts the migrations of the database at `url` down to before location refresh
/// scheduling, then inserts a location the way a store at that version would.
fn revert_to_catalog_migration(url: &str, backend: Backend) {
    let reverted = revert_migrations_through(url, backend, REFRESH_MIGRATION);
    assert_eq!(reverted.last().map(String::as_str), Some(REFRESH_MIGRATION));
    let insert_old = "INSERT INTO locations (id, location_type, target, errors_json, created_at) \
                      VALUES ('old', 'url', 'old-target', '[]', 1)";
    let probe = "SELECT next_refresh_at FROM locations";
    match url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut conn = SqliteConnection::establish(path).unwrap();
            assert!(diesel::sql_query(probe).execute(&mut conn).is_err());
            diesel::sql_query(insert_old).execute(&mut conn).unwrap();
        }
        None => {
            let mut conn = PgConnection::establish(url).unwrap();
            assert!(diesel::sql_query(probe).execute(&mut conn).is_err());
            diesel::sql_query(insert_old).execute(&mut conn).unwrap();
        }
    }
}

#[test]
fn a_database_from_before_refresh_scheduling_is_upgraded_on_open() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        revert_to_catalog_migration(db.url(), backend);

        let reopened = Store::open(db.url()).unwrap();
        assert_eq!(
            schedule(&reopened, "old"),
            Some((0, 0, None, None)),
            "{backend:?}: an existing location is due at once after the upgrade"
        );
        assert_eq!(
            ids(&claim_due(&reopened, "a", 1_000, 10)),
            ["old"],
            "{backend:?}"
        );
        // New rows still take the defaults.
        insert(&reopened, &["new"]);
        assert_eq!(
            schedule(&reopened, "new"),
            Some((0, 0, None, None)),
            "{backend:?}"
        );
    }
}

#[test]
fn a_refresh_requested_while_claimed_makes_the_location_due_on_release() {
    for db in TestDb::all() {
        let store = db.store();
        insert(store, &["a"]);
        let now = now_ms();
        assert_eq!(ids(&claim_due(store, "replica-1", now, 10)), ["a"]);
        // A webhook on another replica finds it busy and asks for a refresh.
        assert!(matches!(
            claim(store, "a", "replica-2", now),
            ClaimOutcome::Busy { .. }
        ));
        store.transaction(|tx| tx.request_refresh("a")).unwrap();
        // The holder's release must not push it a whole interval away.
        assert!(release(store, "a", "replica-1", now + 60_000, 0));
        assert_eq!(schedule(store, "a"), Some((0, 0, None, None)));

        // The request is used up by the next claim: that release schedules normally.
        assert_eq!(ids(&claim_due(store, "replica-2", now, 10)), ["a"]);
        assert!(release(store, "a", "replica-2", now + 60_000, 0));
        assert_eq!(schedule(store, "a"), Some((now + 60_000, 0, None, None)));

        // Asked for while free: due at once.
        store.transaction(|tx| tx.request_refresh("a")).unwrap();
        assert_eq!(ids(&claim_due(store, "replica-1", now, 10)), ["a"]);
        store.transaction(|tx| tx.request_refresh("nope")).unwrap();
    }
}

#[test]
fn locations_remember_who_registered_them() {
    for db in TestDb::all() {
        let store = db.store();
        insert(store, &["a", "b", "c"]);
        store
            .transaction(|tx| -> Result<(), StoreError> {
                tx.set_registered_by("b", "config")?;
                tx.set_registered_by("c", "config")?;
                tx.set_registered_by("missing", "config")
            })
            .unwrap();
        let by = |who: &str| -> Vec<String> {
            store
                .read(|tx| tx.locations_registered_by(who))
                .unwrap()
                .into_iter()
                .map(|l| l.id)
                .collect()
        };
        assert_eq!(by("config"), ["b", "c"]);
        assert_eq!(by("api"), ["a"], "the default");
    }
}
