//! The permission policy matrix.

use portico_auth::{Identity, Permission, Policy, Principal};

fn user(name: &str, groups: &[&str]) -> Principal {
    let user_ref = format!("user:default/{name}");
    let mut refs = vec![user_ref.clone()];
    refs.extend(groups.iter().map(|g| format!("group:default/{g}")));
    Principal::User(Identity {
        user_entity_ref: user_ref,
        ownership_entity_refs: refs,
    })
}

fn policy() -> Policy {
    Policy {
        allow_anonymous_read: false,
        admin_group: Some("group:default/admins".to_owned()),
    }
}

fn service(permissions: &[Permission]) -> Principal {
    Principal::Service {
        subject: "ci".to_owned(),
        permissions: permissions.to_vec(),
    }
}

const WRITES: [Permission; 3] = [
    Permission::LocationCreate,
    Permission::EntityRefresh,
    Permission::TemplateRun,
];
const DELETES: [Permission; 2] = [Permission::LocationDelete, Permission::EntityDelete];

#[test]
fn anonymous_reads_follow_the_setting() {
    let denied = policy()
        .check(&Principal::Anonymous, Permission::CatalogRead, None)
        .unwrap_err();
    assert_eq!(denied.status, 401);
    assert!(denied.message.contains("sign-in"), "{}", denied.message);
    assert!(
        denied.message.contains("auth.allowAnonymousRead"),
        "{}",
        denied.message
    );

    let open = Policy {
        allow_anonymous_read: true,
        ..policy()
    };
    assert!(open
        .check(&Principal::Anonymous, Permission::CatalogRead, None)
        .is_ok());
    // Reading is all anonymous callers get.
    for permission in Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::CatalogRead)
    {
        let denied = open
            .check(&Principal::Anonymous, permission, Some("group:default/web"))
            .unwrap_err();
        assert_eq!(denied.status, 401, "{permission}");
        assert!(
            denied.message.contains("needs sign-in"),
            "{}",
            denied.message
        );
    }
}

#[test]
fn signed_in_users_read_and_write() {
    for permission in std::iter::once(Permission::CatalogRead).chain(WRITES) {
        assert!(
            policy()
                .check(&user("jane", &["web"]), permission, None)
                .is_ok(),
            "{permission}"
        );
    }
}

#[test]
fn owners_may_delete_what_they_own() {
    let jane = user("jane", &["web", "eng"]);
    for permission in DELETES {
        assert!(policy()
            .check(&jane, permission, Some("group:default/eng"))
            .is_ok());
        // Short and differently-cased owner refs mean the same group.
        assert!(policy().check(&jane, permission, Some("Web")).is_ok());
        assert!(policy()
            .check(&jane, permission, Some("user:default/jane"))
            .is_ok());
    }
}

#[test]
fn non_owners_are_told_what_is_missing() {
    let jane = user("jane", &["web"]);
    let denied = policy()
        .check(
            &jane,
            Permission::LocationDelete,
            Some("group:default/payments"),
        )
        .unwrap_err();
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.message,
        "unregistering this location needs ownership of group:default/payments (its owner) \
         or membership of group:default/admins; you are user:default/jane with group:default/web"
    );
    let denied = policy()
        .check(&user("solo", &[]), Permission::EntityDelete, None)
        .unwrap_err();
    assert_eq!(denied.status, 403);
    assert!(
        denied.message.contains("deleting this entity"),
        "{}",
        denied.message
    );
    assert!(denied.message.contains("it has none"), "{}", denied.message);
    assert!(
        denied.message.contains("with no groups"),
        "{}",
        denied.message
    );

    // Without an admin group, ownership is the only way.
    let no_admin = Policy::default();
    let denied = no_admin
        .check(
            &jane,
            Permission::EntityDelete,
            Some("group:default/payments"),
        )
        .unwrap_err();
    assert!(!denied.message.contains("membership"), "{}", denied.message);
}

#[test]
fn admins_may_delete_anything_and_read_the_audit_log() {
    let admin = user("root", &["admins"]);
    for permission in DELETES {
        assert!(policy()
            .check(&admin, permission, Some("group:default/payments"))
            .is_ok());
        assert!(policy().check(&admin, permission, None).is_ok());
    }
    assert!(policy().check(&admin, Permission::AuditRead, None).is_ok());
    // The admin group may be configured as a short name.
    let short = Policy {
        admin_group: Some("Admins".to_owned()),
        ..policy()
    };
    assert!(short.check(&admin, Permission::AuditRead, None).is_ok());

    let denied = policy()
        .check(&user("jane", &["web"]), Permission::AuditRead, None)
        .unwrap_err();
    assert_eq!(denied.status, 403);
    assert!(
        denied
            .message
            .contains("membership of group:default/admins"),
        "{}",
        denied.message
    );
    let denied = Policy::default()
        .check(&user("jane", &["web"]), Permission::AuditRead, None)
        .unwrap_err();
    assert!(
        denied.message.contains("auth.adminGroup"),
        "{}",
        denied.message
    );
}

#[test]
fn services_need_the_permission_listed() {
    let bare = service(&[]);
    assert!(policy().check(&bare, Permission::CatalogRead, None).is_ok());
    for permission in WRITES
        .into_iter()
        .chain(DELETES)
        .chain([Permission::AuditRead])
    {
        let denied = policy()
            .check(&bare, permission, Some("group:default/web"))
            .unwrap_err();
        assert_eq!(denied.status, 403, "{permission}");
        assert!(
            denied
                .message
                .contains(&format!("needs the `{permission}` permission")),
            "{}",
            denied.message
        );
        assert!(
            denied.message.contains("`ci` has none"),
            "{}",
            denied.message
        );

        let allowed = service(&[permission]);
        assert!(policy()
            .check(&allowed, permission, Some("group:default/web"))
            .is_ok());
    }
    let denied = policy()
        .check(
            &service(&[Permission::LocationCreate]),
            Permission::EntityDelete,
            None,
        )
        .unwrap_err();
    assert!(
        denied.message.contains("has location-create"),
        "{}",
        denied.message
    );
}

#[test]
fn permission_names_round_trip_and_bad_ones_are_named() {
    for permission in Permission::ALL {
        let json = serde_json::to_string(&permission).unwrap();
        assert_eq!(json, format!("\"{}\"", permission.as_str()));
        assert_eq!(
            serde_json::from_str::<Permission>(&json).unwrap(),
            permission
        );
        assert_eq!(
            permission.as_str().parse::<Permission>().unwrap(),
            permission
        );
    }
    assert_eq!(Permission::LocationCreate.as_str(), "location-create");
    let err = "locationCreate".parse::<Permission>().unwrap_err();
    assert!(err.to_string().contains("`locationCreate`"), "{err}");
    assert!(err.to_string().contains("location-create"), "{err}");
}
