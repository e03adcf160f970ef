//! The envelope every entity shares: root fields, `metadata`, and the shape
//! of `spec`, `relations` and `status`. Each check records its errors and
//! keeps what it could parse, so the entity is built without a second pass.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::rules::{self, expect};
use super::{type_name, FieldError, RESERVED_KEYS, ROOT_FIELDS};
use crate::entity::{Entity, ErrorInfo, Link, Metadata, Relation, Status, StatusItem};
use crate::entity_ref::{EntityRef, RefDefaults};

/// What the envelope checks could read; `None` where a field was missing or bad.
pub(super) struct Parsed {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    metadata: Option<Metadata>,
    spec: Option<Option<Map<String, Value>>>,
    relations: Option<Vec<Relation>>,
    status: Option<Option<Status>>,
}

impl Parsed {
    /// The entity, when every part parsed.
    pub fn into_entity(self) -> Option<Entity> {
        Some(Entity {
            api_version: self.api_version?,
            kind: self.kind?,
            metadata: self.metadata?,
            spec: self.spec?,
            relations: self.relations?,
            status: self.status?,
        })
    }
}

pub(super) fn check(root: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Parsed {
    for key in root.keys() {
        if !ROOT_FIELDS.contains(&key.as_str()) {
            errors.push(FieldError::new(
                key.clone(),
                format!(
                    "\"{key}\" is not a known root field; an entity may only have {}",
                    ROOT_FIELDS.join(", ")
                ),
            ));
        }
    }
    let api_version = required_formatted(
        root,
        "apiVersion",
        rules::is_valid_api_version,
        expect::API_VERSION,
        errors,
    );
    let kind = required_formatted(root, "kind", rules::is_valid_kind, expect::KIND, errors);
    let metadata = match root.get("metadata") {
        None => {
            errors.push(FieldError::new("metadata", "\"metadata\" is required"));
            None
        }
        Some(Value::Object(m)) => metadata(m, errors),
        Some(_) => {
            errors.push(FieldError::must_be("metadata", "an object"));
            None
        }
    };
    let spec = match root.get("spec") {
        None => Some(None),
        Some(Value::Object(s)) => reserved_keys("spec", s.keys(), errors).then(|| Some(s.clone())),
        Some(_) => {
            errors.push(FieldError::must_be("spec", "an object"));
            None
        }
    };
    let namespace = metadata
        .as_ref()
        .and_then(|m| m.namespace.clone())
        .unwrap_or_else(|| crate::DEFAULT_NAMESPACE.to_string());
    let relations = match root.get("relations") {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => relations(items, &namespace, errors),
        Some(_) => {
            errors.push(FieldError::must_be("relations", "an array"));
            None
        }
    };
    let status = match root.get("status") {
        None => Some(None),
        Some(Value::Object(s)) => status(s, errors).map(Some),
        Some(_) => {
            errors.push(FieldError::must_be("status", "an object"));
            None
        }
    };
    Parsed {
        api_version,
        kind,
        metadata,
        spec,
        relations,
        status,
    }
}

/// A required string field with a format rule.
fn required_formatted(
    obj: &Map<String, Value>,
    field: &str,
    is_valid: fn(&str) -> bool,
    rule: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match obj.get(field) {
        None => {
            errors.push(FieldError::new(field, format!("\"{field}\" is required")));
            None
        }
        Some(Value::String(s)) if is_valid(s) => Some(s.clone()),
        Some(Value::String(s)) => {
            errors.push(FieldError::invalid(field, rule, s));
            None
        }
        Some(_) => {
            errors.push(FieldError::must_be(field, "a string"));
            None
        }
    }
}

/// An optional string field: absent is fine, anything but a string is not.
/// `Some(None)` means absent, `None` means it was bad.
fn optional_string(
    value: Option<&Value>,
    path: &str,
    non_empty: bool,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    match value {
        None => Some(None),
        Some(Value::String(s)) if non_empty && s.trim().is_empty() => {
            errors.push(FieldError::must_be(path, "a non-empty string"));
            None
        }
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => {
            errors.push(FieldError::must_be(
                path,
                if non_empty {
                    "a non-empty string"
                } else {
                    "a string"
                },
            ));
            None
        }
    }
}

/// Reports reserved keys under `parent`; true when there were none.
fn reserved_keys<'a>(
    parent: &str,
    keys: impl Iterator<Item = &'a String>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let mut clean = true;
    for key in keys.filter(|k| RESERVED_KEYS.contains(&k.as_str())) {
        clean = false;
        errors.push(FieldError::new(
            format!("{parent}.{key}"),
            format!(
                "\"{parent}.{key}\" uses the reserved key \"{key}\"; spec, labels and annotations may not use {}",
                RESERVED_KEYS.join(", ")
            ),
        ));
    }
    clean
}

const METADATA_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "title",
    "description",
    "labels",
    "annotations",
    "tags",
    "links",
    "uid",
    "etag",
];

fn metadata(m: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Metadata> {
    let before = errors.len();
    let name = match m.get("name") {
        None => {
            errors.push(FieldError::new(
                "metadata.name",
                "\"metadata.name\" is required",
            ));
            None
        }
        Some(Value::String(s)) if rules::is_valid_entity_name(s) => Some(s.clone()),
        Some(Value::String(s)) => {
            errors.push(FieldError::invalid("metadata.name", expect::ENTITY_NAME, s));
            None
        }
        Some(_) => {
            errors.push(FieldError::must_be("metadata.name", "a string"));
            None
        }
    };
    let namespace = match m.get("namespace") {
        Some(Value::String(s)) if !rules::is_valid_namespace(s) => {
            errors.push(FieldError::invalid(
                "metadata.namespace",
                expect::NAMESPACE,
                s,
            ));
            None
        }
        other => optional_string(other, "metadata.namespace", false, errors),
    };
    let title = optional_string(m.get("title"), "metadata.title", false, errors);
    let description = optional_string(m.get("description"), "metadata.description", false, errors);
    let uid = optional_string(m.get("uid"), "metadata.uid", true, errors);
    let etag = optional_string(m.get("etag"), "metadata.etag", true, errors);
    let labels = string_map(m.get("labels"), "metadata.labels", true, errors);
    let annotations = string_map(m.get("annotations"), "metadata.annotations", false, errors);
    let tags = tags(m.get("tags"), errors);
    let links = links(m.get("links"), errors);
    if errors.len() > before {
        return None;
    }
    let extra = m
        .iter()
        .filter(|(k, _)| !METADATA_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Metadata {
        name: name?,
        namespace: namespace?,
        title: title?,
        description: description?,
        labels: labels?,
        annotations: annotations?,
        tags: tags?,
        links: links?,
        uid: uid?,
        etag: etag?,
        extra,
    })
}

/// `metadata.labels` or `metadata.annotations`: an object of strings whose
/// keys are `[prefix/]name`; label values have a format, annotation values not.
fn string_map(
    value: Option<&Value>,
    path: &str,
    is_labels: bool,
    errors: &mut Vec<FieldError>,
) -> Option<BTreeMap<String, String>> {
    let obj = match value {
        None => return Some(BTreeMap::new()),
        Some(Value::Object(obj)) => obj,
        Some(_) => {
            errors.push(FieldError::must_be(path, "an object"));
            return None;
        }
    };
    let before = errors.len();
    reserved_keys(path, obj.keys(), errors);
    let mut out = BTreeMap::new();
    for (key, v) in obj {
        let field = format!("{path}.{key}");
        if !rules::is_valid_label_key(key) {
            errors.push(FieldError::invalid(field.clone(), expect::LABEL_KEY, key));
        }
        match v {
            Value::String(s) if is_labels && !rules::is_valid_label_value(s) => {
                errors.push(FieldError::invalid(field, expect::LABEL_VALUE, s));
            }
            Value::String(s) => {
                out.insert(key.clone(), s.clone());
            }
            other => errors.push(FieldError::new(
                field.clone(),
                format!(
                    "\"{field}\" must be a string, but found {}",
                    type_name(other)
                ),
            )),
        }
    }
    (errors.len() == before).then_some(out)
}

fn tags(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    let items = match value {
        None => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::must_be("metadata.tags", "an array of strings"));
            return None;
        }
    };
    let before = errors.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("metadata.tags[{i}]");
        match item {
            Value::String(s) if rules::is_valid_tag(s) => out.push(s.clone()),
            Value::String(s) => errors.push(FieldError::invalid(field, expect::TAG, s)),
            _ => errors.push(FieldError::must_be(field, "a string")),
        }
    }
    (errors.len() == before).then_some(out)
}

fn links(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Vec<Link>> {
    let items = match value {
        None => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::must_be("metadata.links", "an array of objects"));
            return None;
        }
    };
    let before = errors.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("metadata.links[{i}]");
        let Some(obj) = item.as_object() else {
            errors.push(FieldError::must_be(path, "an object"));
            continue;
        };
        let url_field = format!("{path}.url");
        let url = match obj.get("url") {
            None => {
                errors.push(FieldError::new(
                    url_field.clone(),
                    format!("\"{url_field}\" is required"),
                ));
                None
            }
            Some(Value::String(s)) if rules::is_valid_url(s) => Some(s.clone()),
            Some(Value::String(s)) => {
                errors.push(FieldError::invalid(url_field, expect::URL, s));
                None
            }
            Some(_) => {
                errors.push(FieldError::must_be(url_field, "a string"));
                None
            }
        };
        let title = optional_string(obj.get("title"), &format!("{path}.title"), true, errors);
        // Backstage holds icon keys to the entity-name format.
        let icon = match obj.get("icon") {
            Some(Value::String(s)) if !rules::is_valid_entity_name(s) => {
                errors.push(FieldError::invalid(
                    format!("{path}.icon"),
                    expect::ENTITY_NAME,
                    s,
                ));
                None
            }
            other => optional_string(other, &format!("{path}.icon"), false, errors),
        };
        let link_type = optional_string(obj.get("type"), &format!("{path}.type"), false, errors);
        if let (Some(url), Some(title), Some(icon), Some(link_type)) = (url, title, icon, link_type)
        {
            out.push(Link {
                url,
                title,
                icon,
                link_type,
            });
        }
    }
    (errors.len() == before).then_some(out)
}

/// Incoming relations are normally recomputed by the catalog, but a client
/// may send a full entity back (`/validate-entity`); accept both the current
/// `{type, targetRef}` and the older `{type, target}` shape.
fn relations(
    items: &[Value],
    namespace: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<Relation>> {
    let before = errors.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("relations[{i}]");
        let Some(obj) = item.as_object() else {
            errors.push(FieldError::must_be(path, "an object"));
            continue;
        };
        let relation_type = match obj.get("type") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => {
                errors.push(FieldError::must_be(
                    format!("{path}.type"),
                    "a non-empty string",
                ));
                None
            }
        };
        let target = match (obj.get("targetRef"), obj.get("target")) {
            (Some(Value::String(s)), _) => {
                match EntityRef::parse(
                    s,
                    RefDefaults {
                        kind: None,
                        namespace,
                    },
                ) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        errors.push(FieldError::new(
                            format!("{path}.targetRef"),
                            format!("\"{path}.targetRef\" is not a valid entity reference: {e}"),
                        ));
                        None
                    }
                }
            }
            (None, Some(Value::Object(t))) => compound_target(t, &path, errors),
            (Some(_), _) => {
                errors.push(FieldError::must_be(format!("{path}.targetRef"), "a string"));
                None
            }
            (None, _) => {
                errors.push(FieldError::new(
                    format!("{path}.targetRef"),
                    format!("\"{path}.targetRef\" is required"),
                ));
                None
            }
        };
        if let (Some(relation_type), Some(target)) = (relation_type, target) {
            out.push(Relation {
                relation_type,
                target_ref: target.key(),
                target: target.compound(),
            });
        }
    }
    (errors.len() == before).then_some(out)
}

fn compound_target(
    t: &Map<String, Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<EntityRef> {
    let mut part = |name: &str| match t.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => {
            errors.push(FieldError::must_be(
                format!("{path}.target.{name}"),
                "a non-empty string",
            ));
            None
        }
    };
    let (kind, namespace, name) = (part("kind"), part("namespace"), part("name"));
    Some(EntityRef::new(&kind?, &namespace?, &name?))
}

fn status(s: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Status> {
    let items = match s.get("items") {
        None => return Some(Status::default()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::must_be("status.items", "an array"));
            return None;
        }
    };
    let before = errors.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("status.items[{i}]");
        let Some(obj) = item.as_object() else {
            errors.push(FieldError::must_be(path, "an object"));
            continue;
        };
        let item_type = text_at(obj, "type", &path, errors);
        let level = text_at(obj, "level", &path, errors);
        let message = text_at(obj, "message", &path, errors);
        let error = match obj.get("error") {
            None => Some(None),
            Some(Value::Object(e)) => {
                let err_path = format!("{path}.error");
                let name = text_at(e, "name", &err_path, errors);
                let message = text_at(e, "message", &err_path, errors);
                name.zip(message)
                    .map(|(name, message)| Some(ErrorInfo { name, message }))
            }
            Some(_) => {
                errors.push(FieldError::must_be(format!("{path}.error"), "an object"));
                None
            }
        };
        if let (Some(item_type), Some(level), Some(message), Some(error)) =
            (item_type, level, message, error)
        {
            out.push(StatusItem {
                item_type,
                level,
                message,
                error,
            });
        }
    }
    (errors.len() == before).then_some(Status { items: out })
}

fn text_at(
    obj: &Map<String, Value>,
    name: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match obj.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => {
            errors.push(FieldError::must_be(format!("{path}.{name}"), "a string"));
            None
        }
    }
}
