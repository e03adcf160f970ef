//! Which spec field makes which relation, in both directions.

use std::collections::HashSet;

use serde_json::Value;

use crate::entity::Entity;
use crate::entity_ref::{EntityRef, RefDefaults};
use crate::validate::FieldError;

pub const OWNED_BY: &str = "ownedBy";
pub const OWNER_OF: &str = "ownerOf";
pub const PART_OF: &str = "partOf";
pub const HAS_PART: &str = "hasPart";
pub const PROVIDES_API: &str = "providesApi";
pub const API_PROVIDED_BY: &str = "apiProvidedBy";
pub const CONSUMES_API: &str = "consumesApi";
pub const API_CONSUMED_BY: &str = "apiConsumedBy";
pub const DEPENDS_ON: &str = "dependsOn";
pub const DEPENDENCY_OF: &str = "dependencyOf";
pub const MEMBER_OF: &str = "memberOf";
pub const HAS_MEMBER: &str = "hasMember";
pub const CHILD_OF: &str = "childOf";
pub const PARENT_OF: &str = "parentOf";

/// Every relation type with its inverse, in pairs.
pub const RELATION_PAIRS: &[(&str, &str)] = &[
    (OWNED_BY, OWNER_OF),
    (PART_OF, HAS_PART),
    (PROVIDES_API, API_PROVIDED_BY),
    (CONSUMES_API, API_CONSUMED_BY),
    (DEPENDS_ON, DEPENDENCY_OF),
    (MEMBER_OF, HAS_MEMBER),
    (CHILD_OF, PARENT_OF),
];

/// The relation type that points the other way (`ownedBy` -> `ownerOf`),
/// for the built-in types; `None` for any other.
pub fn inverse_of(relation_type: &str) -> Option<&'static str> {
    RELATION_PAIRS.iter().find_map(|&(a, b)| {
        if a == relation_type {
            Some(b)
        } else if b == relation_type {
            Some(a)
        } else {
            None
        }
    })
}

/// One directed relation: `source --relation_type--> target`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RelationEdge {
    pub source: EntityRef,
    pub relation_type: &'static str,
    pub target: EntityRef,
}

/// A spec field that makes a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationField {
    /// The key under `spec`.
    pub field: &'static str,
    /// Whether the field holds a list of refs rather than one.
    pub many: bool,
    /// The kind a ref without one gets; `None` means the kind must be written.
    pub default_kind: Option<&'static str>,
    /// The relation on the entity itself.
    pub relation: &'static str,
    /// The relation stored on the target.
    pub inverse: &'static str,
}

const fn one(
    field: &'static str,
    default_kind: &'static str,
    relation: &'static str,
    inverse: &'static str,
) -> RelationField {
    RelationField {
        field,
        many: false,
        default_kind: Some(default_kind),
        relation,
        inverse,
    }
}

const fn many(
    field: &'static str,
    default_kind: Option<&'static str>,
    relation: &'static str,
    inverse: &'static str,
) -> RelationField {
    RelationField {
        field,
        many: true,
        default_kind,
        relation,
        inverse,
    }
}

const OWNER: RelationField = one("owner", "Group", OWNED_BY, OWNER_OF);
const SYSTEM: RelationField = one("system", "System", PART_OF, HAS_PART);
const DEPENDS: RelationField = many("dependsOn", None, DEPENDS_ON, DEPENDENCY_OF);
const DEPENDENCY: RelationField = many("dependencyOf", None, DEPENDENCY_OF, DEPENDS_ON);

const COMPONENT: &[RelationField] = &[
    OWNER,
    SYSTEM,
    one("subcomponentOf", "Component", PART_OF, HAS_PART),
    many("providesApis", Some("API"), PROVIDES_API, API_PROVIDED_BY),
    many("consumesApis", Some("API"), CONSUMES_API, API_CONSUMED_BY),
    DEPENDS,
    DEPENDENCY,
];
const API: &[RelationField] = &[OWNER, SYSTEM];
const RESOURCE: &[RelationField] = &[OWNER, SYSTEM, DEPENDS, DEPENDENCY];
const SYSTEM_KIND: &[RelationField] = &[OWNER, one("domain", "Domain", PART_OF, HAS_PART)];
const DOMAIN: &[RelationField] = &[OWNER, one("subdomainOf", "Domain", PART_OF, HAS_PART)];
const GROUP: &[RelationField] = &[
    one("parent", "Group", CHILD_OF, PARENT_OF),
    many("children", Some("Group"), PARENT_OF, CHILD_OF),
    many("members", Some("User"), HAS_MEMBER, MEMBER_OF),
];
const USER: &[RelationField] = &[many("memberOf", Some("Group"), MEMBER_OF, HAS_MEMBER)];
// The scaffolder's processor relates a Template to its owner only.
const TEMPLATE: &[RelationField] = &[OWNER];

/// The spec fields that make relations for a kind (case-sensitive, as
/// Backstage's processors compare kinds); empty for kinds without any.
pub fn relation_fields(kind: &str) -> &'static [RelationField] {
    match kind {
        "Component" => COMPONENT,
        "API" => API,
        "Resource" => RESOURCE,
        "System" => SYSTEM_KIND,
        "Domain" => DOMAIN,
        "Group" => GROUP,
        "User" => USER,
        "Template" => TEMPLATE,
        _ => &[],
    }
}

/// The relations an entity's spec makes, both the forward edge and its inverse
/// (`A ownedBy B` and `B ownerOf A`). Bad refs are reported per field
/// (`spec.dependsOn[1]`), and the good ones are still returned. A ref without
/// a namespace lands in the entity's own namespace.
pub fn derive_relations(entity: &Entity) -> (Vec<RelationEdge>, Vec<FieldError>) {
    let mut edges = Vec::new();
    let mut errors = Vec::new();
    let Some(spec) = entity.spec.as_ref() else {
        return (edges, errors);
    };
    let this = entity.entity_ref();
    let mut seen = HashSet::new();
    for rule in relation_fields(&entity.kind) {
        // A null field is treated as absent, as Backstage skips empty values.
        let Some(value) = spec.get(rule.field).filter(|v| !v.is_null()) else {
            continue;
        };
        let defaults = RefDefaults {
            kind: rule.default_kind,
            namespace: entity.namespace(),
        };
        for (field, target) in targets(rule, value, &mut errors) {
            let target = match EntityRef::parse(target, defaults) {
                Ok(target) => target,
                Err(e) => {
                    errors.push(FieldError::new(
                        field.clone(),
                        format!("\"{field}\" is not a valid entity reference: {e}"),
                    ));
                    continue;
                }
            };
            let forward = RelationEdge {
                source: this.clone(),
                relation_type: rule.relation,
                target: target.clone(),
            };
            let inverse = RelationEdge {
                source: target,
                relation_type: rule.inverse,
                target: this.clone(),
            };
            for edge in [forward, inverse] {
                if seen.insert(edge.clone()) {
                    edges.push(edge);
                }
            }
        }
    }
    (edges, errors)
}

/// The ref strings of one field with the path each came from; wrong types
/// are reported and skipped.
fn targets<'a>(
    rule: &RelationField,
    value: &'a Value,
    errors: &mut Vec<FieldError>,
) -> Vec<(String, &'a str)> {
    let field = format!("spec.{}", rule.field);
    match (rule.many, value) {
        (false, Value::String(s)) => vec![(field, s.as_str())],
        (false, other) => {
            errors.push(FieldError::new(
                field.clone(),
                format!(
                    "\"{field}\" must be an entity reference string, but found {}",
                    crate::validate::type_name(other)
                ),
            ));
            Vec::new()
        }
        (true, Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let at = format!("{field}[{i}]");
                match item {
                    Value::String(s) => Some((at, s.as_str())),
                    other => {
                        errors.push(FieldError::new(
                            at.clone(),
                            format!(
                                "\"{at}\" must be an entity reference string, but found {}",
                                crate::validate::type_name(other)
                            ),
                        ));
                        None
                    }
                }
            })
            .collect(),
        (true, other) => {
            errors.push(FieldError::new(
                field.clone(),
                format!(
                    "\"{field}\" must be an array of entity references, but found {}",
                    crate::validate::type_name(other)
                ),
            ));
            Vec::new()
        }
    }
}
