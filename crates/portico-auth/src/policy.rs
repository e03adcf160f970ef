//! The permission policy, in one place.
//!
//! | permission | anonymous | signed-in user | service token |
//! | --- | --- | --- | --- |
//! | `catalog-read` | if `auth.allowAnonymousRead` | yes | yes |
//! | `location-create`, `entity-refresh`, `template-run` | no (401) | yes | if listed |
//! | `location-delete`, `entity-delete` | no (401) | owner or admin | if listed |
//! | `audit-read` | no (401) | admin | if listed |
//!
//! "Owner": the thing's owner ref is in the user's ownership refs (`ent`). "Admin": the
//! configured `auth.adminGroup` is in them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::token::Identity;

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Read entities, locations, docs and search.
    CatalogRead,
    /// Register a location.
    LocationCreate,
    /// Unregister a location.
    LocationDelete,
    /// Refresh an entity.
    EntityRefresh,
    /// Delete an entity.
    EntityDelete,
    /// Run a software template.
    TemplateRun,
    /// Read the audit log.
    AuditRead,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 7] = [
        Permission::CatalogRead,
        Permission::LocationCreate,
        Permission::LocationDelete,
        Permission::EntityRefresh,
        Permission::EntityDelete,
        Permission::TemplateRun,
        Permission::AuditRead,
    ];

    /// The kebab-case name used in configuration, e.g. `location-create`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::CatalogRead => "catalog-read",
            Permission::LocationCreate => "location-create",
            Permission::LocationDelete => "location-delete",
            Permission::EntityRefresh => "entity-refresh",
            Permission::EntityDelete => "entity-delete",
            Permission::TemplateRun => "template-run",
            Permission::AuditRead => "audit-read",
        }
    }

    /// What the permission allows, for messages ("deleting this entity").
    fn action(self) -> &'static str {
        match self {
            Permission::CatalogRead => "reading the catalog",
            Permission::LocationCreate => "registering a location",
            Permission::LocationDelete => "unregistering this location",
            Permission::EntityRefresh => "refreshing an entity",
            Permission::EntityDelete => "deleting this entity",
            Permission::TemplateRun => "running a template",
            Permission::AuditRead => "reading the audit log",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permission name that is not one of [`Permission::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission `{0}` (known: catalog-read, location-create, location-delete, entity-refresh, entity-delete, template-run, audit-read)")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials were presented.
    Anonymous,
    /// A user signed in with a Portico token.
    User(Identity),
    /// A configured service token.
    Service {
        /// The service's name from the configuration.
        subject: String,
        /// What it may do.
        permissions: Vec<Permission>,
    },
}

/// A refusal: the status to answer with and what is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Denied {
    /// 401 when signing in would help, 403 when the caller is known but not allowed.
    pub status: u16,
    /// What is missing, for the response body.
    pub message: String,
}

/// The permission policy (`auth.allowAnonymousRead`, `auth.adminGroup`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Anonymous callers may read.
    pub allow_anonymous_read: bool,
    /// Members of this group (a ref; `admins` means `group:default/admins`) may do anything.
    pub admin_group: Option<String>,
}

impl Policy {
    /// Whether `principal` may use `permission`; `owner_ref` is the owner of the location or
    /// entity acted on (for `location-delete` and `entity-delete`; a short `team-a` means
    /// `group:default/team-a`).
    pub fn check(
        &self,
        principal: &Principal,
        permission: Permission,
        owner_ref: Option<&str>,
    ) -> Result<(), Denied> {
        let action = permission.action();
        match principal {
            Principal::Anonymous => {
                if permission == Permission::CatalogRead && self.allow_anonymous_read {
                    return Ok(());
                }
                let why = if permission == Permission::CatalogRead {
                    " (anonymous reads are off: auth.allowAnonymousRead)"
                } else {
                    ""
                };
                Err(Denied {
                    status: 401,
                    message: format!("{action} needs sign-in{why}"),
                })
            }
            Principal::Service {
                subject,
                permissions,
            } => {
                if permission == Permission::CatalogRead || permissions.contains(&permission) {
                    Ok(())
                } else {
                    Err(Denied {
                        status: 403,
                        message: format!(
                            "{action} needs the `{permission}` permission; service token `{subject}` has {}",
                            if permissions.is_empty() {
                                "none".to_owned()
                            } else {
                                permissions
                                    .iter()
                                    .map(|p| p.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    })
                }
            }
            Principal::User(identity) => {
                let admin = || {
                    self.admin_group
                        .as_deref()
                        .map(|g| normalize_ref(g, "group"))
                };
                let has = |r: &str| {
                    identity
                        .ownership_entity_refs
                        .iter()
                        .any(|own| own.eq_ignore_ascii_case(r))
                };
                match permission {
                    // Every request asks for one of these: no work beyond the match.
                    Permission::CatalogRead
                    | Permission::LocationCreate
                    | Permission::EntityRefresh
                    | Permission::TemplateRun => Ok(()),
                    Permission::LocationDelete | Permission::EntityDelete => {
                        let owner = owner_ref.map(|o| normalize_ref(o, "group"));
                        if self.is_admin(identity) || owner.as_deref().is_some_and(has) {
                            return Ok(());
                        }
                        let mut needs = Vec::new();
                        match &owner {
                            Some(owner) => needs.push(format!("ownership of {owner} (its owner)")),
                            None => needs.push("an owner (it has none)".to_owned()),
                        }
                        if let Some(admin) = admin() {
                            needs.push(format!("membership of {admin}"));
                        }
                        Err(self.forbidden(action, &needs.join(" or "), identity))
                    }
                    Permission::AuditRead => {
                        if self.is_admin(identity) {
                            return Ok(());
                        }
                        let needs = match admin() {
                            Some(admin) => format!("membership of {admin}"),
                            None => "an admin group (auth.adminGroup is not set)".to_owned(),
                        };
                        Err(self.forbidden(action, &needs, identity))
                    }
                }
            }
        }
    }

    /// Whether `identity` is a member of the admin group.
    pub fn is_admin(&self, identity: &Identity) -> bool {
        self.admin_group.as_deref().is_some_and(|g| {
            let admin = normalize_ref(g, "group");
            identity
                .ownership_entity_refs
                .iter()
                .any(|own| own.eq_ignore_ascii_case(&admin))
        })
    }

    fn forbidden(&self, action: &str, needs: &str, identity: &Identity) -> Denied {
        const SHOWN: usize = 10;
        let groups: Vec<&str> = identity
            .ownership_entity_refs
            .iter()
            .map(String::as_str)
            .filter(|r| !r.eq_ignore_ascii_case(&identity.user_entity_ref))
            .collect();
        let with = match groups.len() {
            0 => "no groups".to_owned(),
            n if n <= SHOWN => groups.join(", "),
            n => format!("{} and {} more", groups[..SHOWN].join(", "), n - SHOWN),
        };
        Denied {
            status: 403,
            message: format!(
                "{action} needs {needs}; you are {} with {with}",
                identity.user_entity_ref
            ),
        }
    }
}

/// `team-a` → `group:default/team-a`; `group:team-a` → `group:default/team-a`; lowercased.
fn normalize_ref(raw: &str, default_kind: &str) -> String {
    let raw = raw.trim();
    let (kind, rest) = match raw.split_once(':') {
        Some((kind, rest)) => (kind, rest),
        None => (default_kind, raw),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((namespace, name)) => (namespace, name),
        None => ("default", rest),
    };
    format!("{kind}:{namespace}/{name}").to_lowercase()
}
