//! The audit log: appended writes read back newest first, filtered by
//! entity, actor and time; the migration reverts and reapplies.

use portico_store::testing::TestDb;
use portico_store::{AuditFilter, NewAudit, Store};

use crate::revert_migrations_through;

/// The version diesel records for `2026-12-06-000005_audit`.
pub const AUDIT_MIGRATION: &str = "20261206000005";

fn record(store: &Store, at: i64, actor: &str, action: &str, entity: Option<&str>, result: &str) {
    store
        .transaction(|tx| {
            tx.append_audit(&NewAudit {
                at,
                actor,
                action,
                target: entity.unwrap_or("location-1"),
                entity_ref: entity,
                result,
                detail_json: r#"{"status":200}"#,
            })
        })
        .unwrap();
}

#[test]
fn writes_read_back_newest_first_by_entity_actor_and_time() {
    for db in TestDb::all() {
        let store = db.store();
        record(
            store,
            10,
            "user:default/jane",
            "location.create",
            None,
            "allowed",
        );
        record(
            store,
            20,
            "user:default/jane",
            "entity.refresh",
            Some("component:default/a"),
            "allowed",
        );
        record(
            store,
            30,
            "user:default/bob",
            "entity.delete",
            Some("component:default/a"),
            "denied",
        );
        record(
            store,
            40,
            "service:ci-bot",
            "entity.refresh",
            Some("component:default/b"),
            "failed",
        );

        let all = store
            .read(|tx| {
                tx.audit(&AuditFilter {
                    limit: 100,
                    ..AuditFilter::default()
                })
            })
            .unwrap();
        assert_eq!(
            all.iter().map(|r| r.at).collect::<Vec<_>>(),
            [40, 30, 20, 10]
        );
        assert!(all.windows(2).all(|w| w[0].id > w[1].id), "ids grow");
        assert_eq!(all[1].result, "denied");
        assert_eq!(all[1].detail_json, r#"{"status":200}"#);
        assert_eq!(all[3].entity_ref, None);

        let about_a = store
            .read(|tx| {
                tx.audit(&AuditFilter {
                    entity_ref: Some("component:default/a"),
                    limit: 100,
                    ..AuditFilter::default()
                })
            })
            .unwrap();
        assert_eq!(
            about_a.iter().map(|r| r.actor.as_str()).collect::<Vec<_>>(),
            ["user:default/bob", "user:default/jane"]
        );

        let janes_since_15 = store
            .read(|tx| {
                tx.audit(&AuditFilter {
                    actor: Some("user:default/jane"),
                    since: Some(15),
                    limit: 100,
                    ..AuditFilter::default()
                })
            })
            .unwrap();
        assert_eq!(janes_since_15.len(), 1);
        assert_eq!(janes_since_15[0].action, "entity.refresh");

        let one = store
            .read(|tx| {
                tx.audit(&AuditFilter {
                    limit: 1,
                    ..AuditFilter::default()
                })
            })
            .unwrap();
        assert_eq!(one.len(), 1);
        let none = store
            .read(|tx| {
                tx.audit(&AuditFilter {
                    limit: -5,
                    ..AuditFilter::default()
                })
            })
            .unwrap();
        assert!(none.is_empty());
    }
}

#[test]
fn the_audit_migration_reverts_and_reapplies() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        record(
            db.store(),
            1,
            "user:default/jane",
            "location.create",
            None,
            "allowed",
        );
        assert_eq!(
            revert_migrations_through(db.url(), backend, AUDIT_MIGRATION),
            [crate::scorecards::MIGRATION, AUDIT_MIGRATION],
            "{backend:?}: the newer migration, then this one"
        );
        assert!(
            !crate::table_exists(db.url(), "audit_log"),
            "{backend:?}: down.sql dropped audit_log"
        );
        let reopened = Store::open(db.url()).unwrap();
        record(
            &reopened,
            2,
            "user:default/jane",
            "location.create",
            None,
            "allowed",
        );
        let rows = reopened
            .read(|tx| {
                tx.audit(&AuditFilter {
                    limit: 10,
                    ..AuditFilter::default()
                })
            })
            .unwrap();
        assert_eq!(rows.len(), 1, "{backend:?}: the table came back empty");
    }
}
