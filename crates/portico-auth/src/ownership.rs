//! From a verified sign-in to a catalog User entity and its ownership refs.
//!
//! Entities are catalog JSON as the catalog API serves them (`kind`, `metadata`, `spec`,
//! `relations` with `type` and `targetRef`). Refs are compared and returned lowercased.

use std::collections::{HashSet, VecDeque};

use serde_json::Value;

use crate::error::AuthError;
use crate::oidc::OidcClaims;
use crate::token::Identity;

/// At most this many refs are collected for one user (a guard against runaway hierarchies).
pub const MAX_OWNERSHIP_REFS: usize = 1000;

/// The ownership refs of `user_ref`: the user itself, then every group it is a member of
/// (its `memberOf` relations), then each group's parents (`childOf` relations), transitively,
/// breadth first. Deduplicated, safe against cycles, and cut at [`MAX_OWNERSHIP_REFS`].
///
/// `lookup` returns the entity for a ref, or `None` if it is not in the catalog; a group that
/// is named but missing is still listed, its parents are then unknown.
pub fn ownership_refs(user_ref: &str, lookup: impl Fn(&str) -> Option<Value>) -> Vec<String> {
    let user_ref = user_ref.to_lowercase();
    let mut refs = vec![user_ref.clone()];
    let mut seen: HashSet<String> = HashSet::from([user_ref.clone()]);
    let mut queue: VecDeque<(String, &'static str)> = VecDeque::from([(user_ref, "memberOf")]);
    while let Some((entity_ref, relation)) = queue.pop_front() {
        let Some(entity) = lookup(&entity_ref) else {
            continue;
        };
        for target in relation_targets(&entity, relation) {
            if refs.len() >= MAX_OWNERSHIP_REFS {
                return refs;
            }
            if seen.insert(target.clone()) {
                refs.push(target.clone());
                queue.push_back((target, "childOf"));
            }
        }
    }
    refs
}

/// The User entity a sign-in belongs to, as a ref like `user:default/jane`:
///
/// 1. a User whose `spec.profile.email` equals the token's `email` (ignoring case);
/// 2. else a User whose `metadata.name` equals `preferred_username`, then one whose name equals
///    the email's local part (ignoring case), but only a User with no `spec.profile.email`: a
///    User with an email is only ever matched by that email, so `jane@elsewhere.example`
///    cannot sign in as the `jane` who is `jane@company.example`.
///
/// When the token says `email_verified: false` the email is not used at all. A step that
/// matches more than one User is ambiguous and gives `None`. Entities of other kinds in
/// `users` are ignored.
pub fn resolve_user(claims: &OidcClaims, users: impl Iterator<Item = Value>) -> Option<String> {
    let email = claims
        .email
        .as_deref()
        .filter(|_| claims.email_verified != Some(false))
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let local_part = email
        .and_then(|e| e.split_once('@'))
        .map(|(local, _)| local);
    let names: Vec<&str> = [claims.preferred_username.as_deref(), local_part]
        .into_iter()
        .flatten()
        .collect();

    let mut by_email = Vec::new();
    let mut by_name: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    for user in users {
        if !kind_is(&user, "user") {
            continue;
        }
        let Some(entity_ref) = entity_ref(&user) else {
            continue;
        };
        let profile_email = user
            .pointer("/spec/profile/email")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|e| !e.is_empty());
        match profile_email {
            Some(profile_email) => {
                if email.is_some_and(|e| e.eq_ignore_ascii_case(profile_email)) {
                    by_email.push(entity_ref);
                }
            }
            None => {
                let name = user.pointer("/metadata/name").and_then(Value::as_str);
                for (i, candidate) in names.iter().enumerate() {
                    if name.is_some_and(|n| n.eq_ignore_ascii_case(candidate)) {
                        by_name[i].push(entity_ref.clone());
                    }
                }
            }
        }
    }
    std::iter::once(by_email)
        .chain(by_name)
        .find(|found| !found.is_empty())
        .and_then(|found| {
            if found.len() == 1 {
                found.into_iter().next()
            } else {
                None
            }
        })
}

/// What to do with a sign-in that resolves to no User entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownUsers {
    /// Refuse it with [`AuthError::UnknownUser`] (401).
    #[default]
    Refuse,
    /// Sign in as `user:default/<name>` owning nothing but itself, the name taken from
    /// `preferred_username` or the email's local part. Refused all the same when that ref is
    /// a catalog entity (it is someone else).
    AllowPlainIdentity,
}

/// A verified sign-in as an [`Identity`]: [`resolve_user`] over `users`, then
/// [`ownership_refs`] through `lookup`; `unknown` decides about a sign-in with no User entity.
pub fn sign_in(
    claims: &OidcClaims,
    users: impl Iterator<Item = Value>,
    lookup: impl Fn(&str) -> Option<Value>,
    unknown: UnknownUsers,
) -> Result<Identity, AuthError> {
    if let Some(user_ref) = resolve_user(claims, users) {
        let refs = ownership_refs(&user_ref, lookup);
        return Ok(Identity {
            user_entity_ref: user_ref,
            ownership_entity_refs: refs,
        });
    }
    let who = describe(claims);
    if unknown == UnknownUsers::Refuse {
        return Err(AuthError::UnknownUser(format!(
            "{who}; plain identities are not allowed"
        )));
    }
    let email = claims
        .email
        .as_deref()
        .filter(|_| claims.email_verified != Some(false));
    let name = claims
        .preferred_username
        .as_deref()
        .or_else(|| email.and_then(|e| e.split_once('@')).map(|(l, _)| l))
        .and_then(entity_name)
        .ok_or_else(|| {
            AuthError::UnknownUser(format!("{who}; no usable name for a plain identity"))
        })?;
    let user_ref = format!("user:default/{name}");
    if lookup(&user_ref).is_some() {
        return Err(AuthError::UnknownUser(format!(
            "{who}; {user_ref} belongs to a catalog User with another email"
        )));
    }
    Ok(Identity {
        ownership_entity_refs: vec![user_ref.clone()],
        user_entity_ref: user_ref,
    })
}

fn describe(claims: &OidcClaims) -> String {
    let mut parts = Vec::new();
    if let Some(email) = &claims.email {
        let verified = if claims.email_verified == Some(false) {
            " (unverified, not used)"
        } else {
            ""
        };
        parts.push(format!("email {email}{verified}"));
    }
    if let Some(username) = &claims.preferred_username {
        parts.push(format!("username {username}"));
    }
    if parts.is_empty() {
        parts.push("no email or username in the token".to_owned());
    }
    parts.join(", ")
}

/// A valid entity name from a username: lowercased, other characters as `-`, at most 63.
fn entity_name(raw: &str) -> Option<String> {
    let mapped: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    let trimmed = mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn kind_is(entity: &Value, kind: &str) -> bool {
    entity
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case(kind))
}

/// `kind:namespace/name`, lowercased.
fn entity_ref(entity: &Value) -> Option<String> {
    let kind = entity.get("kind")?.as_str()?;
    let name = entity.pointer("/metadata/name")?.as_str()?;
    let namespace = entity
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    Some(format!("{kind}:{namespace}/{name}").to_lowercase())
}

/// The lowercased target refs of an entity's relations of one type.
fn relation_targets(entity: &Value, relation: &str) -> Vec<String> {
    let Some(relations) = entity.get("relations").and_then(Value::as_array) else {
        return Vec::new();
    };
    relations
        .iter()
        .filter(|r| r.get("type").and_then(Value::as_str) == Some(relation))
        .filter_map(|r| {
            if let Some(target) = r.get("targetRef").and_then(Value::as_str) {
                return Some(target.to_lowercase());
            }
            // The older shape: `target: {kind, namespace, name}`.
            let t = r.get("target")?;
            Some(
                format!(
                    "{}:{}/{}",
                    t.get("kind")?.as_str()?,
                    t.get("namespace")?.as_str()?,
                    t.get("name")?.as_str()?
                )
                .to_lowercase(),
            )
        })
        .collect()
}
