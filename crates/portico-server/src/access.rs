//! What a caller may do to a particular thing: the owners that unregistering
//! a location or deleting an entity needs, looked up in the catalog and put
//! to `portico_auth::Policy`. The API and the UI ask the same questions here.

use std::collections::HashSet;

use portico_auth::{Permission, Principal};
use portico_catalog::Catalog;
use portico_query::CatalogIndex;
use serde_json::Value;

use crate::auth::Auth;
use crate::ApiError;

/// The target of `entity`'s `ownedBy` relation (the catalog has resolved
/// `spec.owner` to a full ref).
pub fn owned_by(entity: &Value) -> Option<String> {
    relation_targets(entity)
        .find(|(relation, _)| *relation == "ownedBy")
        .map(|(_, owner)| owner.to_lowercase())
}

/// `(type, targetRef)` of each of `entity`'s relations.
pub(crate) fn relation_targets(entity: &Value) -> impl Iterator<Item = (&str, &str)> {
    entity
        .get("relations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                r.get("type").and_then(Value::as_str)?,
                r.get("targetRef").and_then(Value::as_str)?,
            ))
        })
}

/// `group` and every group below it (`parentOf`, transitively), in the
/// order they are reached, expanding no more once `limit` are found. Each
/// group in the catalog is parsed once and handed to `visit` with its ref,
/// so callers gather what they need (what it owns) in the same walk.
pub fn group_tree(
    index: &CatalogIndex,
    group: &str,
    limit: usize,
    mut visit: impl FnMut(&str, &Value),
) -> Vec<String> {
    let mut groups = vec![group.to_owned()];
    let mut seen: HashSet<String> = groups.iter().cloned().collect();
    let mut i = 0;
    while i < groups.len() && groups.len() < limit {
        if let Some(json) = index.get(&groups[i]) {
            let entity = json.value();
            visit(&groups[i], &entity);
            for (relation, target) in relation_targets(&entity) {
                if relation == "parentOf" && seen.insert(target.to_owned()) {
                    groups.push(target.to_owned());
                }
            }
        }
        i += 1;
    }
    groups
}

/// Who owns `entity`: the target of its `ownedBy` relation. A Group or
/// User without one is its own: its members are the ones who answer for
/// it.
pub fn entity_owner(entity: &Value) -> Option<String> {
    if let Some(owner) = owned_by(entity) {
        return Some(owner);
    }
    let kind = entity.get("kind").and_then(Value::as_str)?.to_lowercase();
    if kind != "group" && kind != "user" {
        return None;
    }
    let namespace = entity
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let name = entity.pointer("/metadata/name").and_then(Value::as_str)?;
    Some(format!("{kind}:{namespace}/{name}").to_lowercase())
}

fn is_location(entity: &Value) -> bool {
    entity
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("location"))
}

/// Whether `principal` may delete `entity` (its owner, or an admin).
pub fn may_delete_entity(
    auth: &Auth,
    principal: &Principal,
    entity: &Value,
) -> Result<(), ApiError> {
    auth.check(
        principal,
        Permission::EntityDelete,
        entity_owner(entity).as_deref(),
    )
}

/// Whether `principal` may unregister location `id`: it removes every
/// entity the location registered, so the caller must own each of them
/// (or be an admin). A location with no owned entity in the catalog
/// (nothing read yet, every entity failed, only Location entities, or
/// not yet seen by this replica) is an admin's to remove: nobody can be
/// shown to own it.
pub fn may_unregister(
    auth: &Auth,
    principal: &Principal,
    catalog: &Catalog,
    id: &str,
) -> Result<(), ApiError> {
    let entities = catalog.entities_of_location(id)?;
    let mut owners: Vec<Option<String>> = entities
        .iter()
        .map(|e| e.value())
        .filter(|e| !is_location(e))
        .map(|e| entity_owner(&e))
        .collect();
    owners.sort();
    owners.dedup();
    if owners.is_empty() {
        return auth.check(principal, Permission::LocationDelete, None);
    }
    for owner in &owners {
        auth.check(principal, Permission::LocationDelete, owner.as_deref())?;
    }
    Ok(())
}

/// Whether `principal` may cancel or retry task `id` (`action` says which,
/// for the message): whoever started it, or an admin. Retrying runs the
/// task again as the one who started it, so nobody else may.
pub fn may_control_task(
    auth: &Auth,
    principal: &Principal,
    scaffolder: &crate::scaffolder::Scaffolder,
    id: &str,
    action: &str,
) -> Result<(), ApiError> {
    auth.check(principal, Permission::TemplateRun, None)?;
    let task = scaffolder
        .store()
        .read(|tx| tx.task(id))?
        .ok_or_else(|| ApiError::not_found(format!("Task {id} does not exist")))?;
    let starter = &task.created_by;
    let me = crate::auth::Caller(principal.clone()).actor();
    if me.eq_ignore_ascii_case(starter) {
        return Ok(());
    }
    if let Principal::User(identity) = principal {
        if auth.policy().is_admin(identity) {
            return Ok(());
        }
    }
    let admin = auth
        .policy()
        .admin_group
        .as_deref()
        .map(|g| format!(" or membership of {g}"))
        .unwrap_or_default();
    Err(ApiError::not_allowed(format!(
        "{action} task {id} needs being the one who started it ({starter}){admin}; you are {me}"
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::entity_owner;

    #[test]
    fn the_owner_is_the_owned_by_relation_or_a_group_itself() {
        let component = json!({
            "kind": "Component",
            "metadata": { "name": "a" },
            "spec": { "owner": "team-a" },
            "relations": [
                { "type": "dependsOn", "targetRef": "resource:default/db" },
                { "type": "ownedBy", "targetRef": "group:default/Team-A" },
            ],
        });
        assert_eq!(
            entity_owner(&component).as_deref(),
            Some("group:default/team-a")
        );
        let group = json!({ "kind": "Group", "metadata": { "name": "b", "namespace": "org" } });
        assert_eq!(entity_owner(&group).as_deref(), Some("group:org/b"));
        let user = json!({ "kind": "User", "metadata": { "name": "jo" } });
        assert_eq!(entity_owner(&user).as_deref(), Some("user:default/jo"));
        let location = json!({ "kind": "Location", "metadata": { "name": "l" } });
        assert_eq!(entity_owner(&location), None);
    }
}
