//! Ownership refs and resolving a sign-in to a User entity.

use portico_auth::{ownership_refs, resolve_user, sign_in, AuthError, OidcClaims, UnknownUsers};
use serde_json::{json, Value};

fn user(name: &str, email: Option<&str>, member_of: &[&str]) -> Value {
    let mut entity = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"profile": {}, "memberOf": member_of},
        "relations": member_of
            .iter()
            .map(|g| json!({"type": "memberOf", "targetRef": format!("group:default/{g}")}))
            .collect::<Vec<_>>(),
    });
    if let Some(email) = email {
        entity["spec"]["profile"]["email"] = json!(email);
    }
    entity
}

fn group(name: &str, parent: Option<&str>) -> Value {
    let mut relations = vec![json!({"type": "ownedBy", "targetRef": "group:default/someone"})];
    if let Some(parent) = parent {
        relations.push(json!({"type": "childOf", "targetRef": format!("Group:default/{parent}")}));
    }
    json!({
        "kind": "Group",
        "metadata": {"name": name},
        "spec": {"type": "team", "children": []},
        "relations": relations,
    })
}

/// jane is in team-web, which is a child of dept-eng, a child of org-acme.
pub fn catalog() -> Vec<Value> {
    vec![
        user("jane", Some("jane.doe@example.com"), &["team-web"]),
        user("bob", None, &["team-web"]),
        group("team-web", Some("dept-eng")),
        group("dept-eng", Some("org-acme")),
        group("org-acme", None),
        json!({"kind": "Component", "metadata": {"name": "jane"}, "spec": {}}),
    ]
}

fn entity_ref(entity: &Value) -> String {
    format!(
        "{}:{}/{}",
        entity["kind"].as_str().unwrap(),
        entity["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default"),
        entity["metadata"]["name"].as_str().unwrap()
    )
    .to_lowercase()
}

/// A catalog lookup over `entities`.
pub fn lookup_in(entities: &[Value]) -> impl Fn(&str) -> Option<Value> + '_ {
    move |r: &str| entities.iter().find(|e| entity_ref(e) == r).cloned()
}

fn claims(email: Option<&str>, username: Option<&str>) -> OidcClaims {
    OidcClaims {
        sub: "idp-subject".to_owned(),
        email: email.map(str::to_owned),
        email_verified: None,
        name: None,
        preferred_username: username.map(str::to_owned),
    }
}

#[test]
fn ownership_refs_follow_membership_and_parents_transitively() {
    let entities = catalog();
    let refs = ownership_refs("User:default/Jane", lookup_in(&entities));
    assert_eq!(
        refs,
        [
            "user:default/jane",
            "group:default/team-web",
            "group:default/dept-eng",
            "group:default/org-acme",
        ]
    );
    // Only the user when it is not in the catalog.
    assert_eq!(
        ownership_refs("user:default/ghost", lookup_in(&entities)),
        ["user:default/ghost"]
    );
}

#[test]
fn ownership_refs_survive_cycles_and_diamonds() {
    let entities = vec![
        user("u", None, &["a", "b"]),
        group("a", Some("c")),
        group("b", Some("c")),
        json!({"kind": "Group", "metadata": {"name": "c"}, "relations": [
            {"type": "childOf", "targetRef": "group:default/a"},
            {"type": "childOf", "targetRef": "group:default/missing"},
        ]}),
    ];
    let refs = ownership_refs("user:default/u", lookup_in(&entities));
    assert_eq!(
        refs,
        [
            "user:default/u",
            "group:default/a",
            "group:default/b",
            "group:default/c",
            "group:default/missing",
        ]
    );
}

#[test]
fn ownership_refs_are_bounded() {
    let mut entities = vec![user("u", None, &["g0"])];
    for i in 0..3000 {
        entities.push(group(&format!("g{i}"), Some(&format!("g{}", i + 1))));
    }
    // A lookup by index, so the test stays fast.
    let lookup = |r: &str| -> Option<Value> {
        if r == "user:default/u" {
            return Some(entities[0].clone());
        }
        let i: usize = r.strip_prefix("group:default/g")?.parse().ok()?;
        entities.get(i + 1).cloned()
    };
    let refs = ownership_refs("user:default/u", lookup);
    assert_eq!(refs.len(), portico_auth::ownership::MAX_OWNERSHIP_REFS);
    assert_eq!(refs[999], "group:default/g998");
}

#[test]
fn older_relation_shape_is_understood() {
    let entities = vec![json!({
        "kind": "User", "metadata": {"name": "old"},
        "relations": [{"type": "memberOf", "target": {"kind": "group", "namespace": "default", "name": "legacy"}}],
    })];
    assert_eq!(
        ownership_refs("user:default/old", lookup_in(&entities)),
        ["user:default/old", "group:default/legacy"]
    );
}

#[test]
fn resolve_user_by_email_ignoring_case() {
    let found = resolve_user(
        &claims(Some(" JANE.DOE@example.COM"), None),
        catalog().into_iter(),
    );
    assert_eq!(found.as_deref(), Some("user:default/jane"));
}

#[test]
fn resolve_user_by_name_only_for_users_without_email() {
    // bob has no email in the catalog: matched by username, or by the email's local part.
    let by_username = resolve_user(
        &claims(Some("robert@example.com"), Some("Bob")),
        catalog().into_iter(),
    );
    assert_eq!(by_username.as_deref(), Some("user:default/bob"));
    let by_local_part = resolve_user(
        &claims(Some("bob@example.com"), None),
        catalog().into_iter(),
    );
    assert_eq!(by_local_part.as_deref(), Some("user:default/bob"));

    // jane has an email: another `jane@...` (or a `jane` username) does not become her.
    assert_eq!(
        resolve_user(
            &claims(Some("jane@elsewhere.example"), None),
            catalog().into_iter()
        ),
        None
    );
    assert_eq!(
        resolve_user(&claims(None, Some("jane")), catalog().into_iter()),
        None
    );
    // Nothing to go by.
    assert_eq!(
        resolve_user(&claims(None, None), catalog().into_iter()),
        None
    );
}

#[test]
fn unverified_email_is_not_used() {
    let mut c = claims(Some("jane.doe@example.com"), None);
    c.email_verified = Some(false);
    assert_eq!(resolve_user(&c, catalog().into_iter()), None);
    let mut c = claims(Some("bob@example.com"), None);
    c.email_verified = Some(false);
    assert_eq!(resolve_user(&c, catalog().into_iter()), None);
    c.email_verified = Some(true);
    assert_eq!(
        resolve_user(&c, catalog().into_iter()).as_deref(),
        Some("user:default/bob")
    );
}

#[test]
fn ambiguous_matches_resolve_to_no_one() {
    let mut entities = catalog();
    let mut twin = user("jane-2", Some("jane.doe@example.com"), &[]);
    twin["metadata"]["namespace"] = json!("contractors");
    entities.push(twin);
    assert_eq!(
        resolve_user(
            &claims(Some("jane.doe@example.com"), None),
            entities.into_iter()
        ),
        None
    );
}

#[test]
fn plain_identities_when_allowed() {
    let entities = catalog();
    let c = claims(Some("Carol.Smith@example.com"), None);
    let err = sign_in(
        &c,
        entities.clone().into_iter(),
        lookup_in(&entities),
        UnknownUsers::Refuse,
    )
    .unwrap_err();
    assert!(matches!(err, AuthError::UnknownUser(_)));

    let identity = sign_in(
        &c,
        entities.clone().into_iter(),
        lookup_in(&entities),
        UnknownUsers::AllowPlainIdentity,
    )
    .unwrap();
    assert_eq!(identity.user_entity_ref, "user:default/carol.smith");
    assert_eq!(identity.ownership_entity_refs, ["user:default/carol.smith"]);

    // `jane` is a catalog user with another email: no plain identity under her name.
    let c = claims(Some("jane@elsewhere.example"), None);
    let err = sign_in(
        &c,
        entities.clone().into_iter(),
        lookup_in(&entities),
        UnknownUsers::AllowPlainIdentity,
    )
    .unwrap_err();
    assert!(
        matches!(&err, AuthError::UnknownUser(m) if m.contains("user:default/jane")),
        "{err:?}"
    );
}
