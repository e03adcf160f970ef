//! What the index is fed: one catalog entity, or one doc page cut into
//! sections. Plain structs so the feeding side needs no serde.

use serde_json::Value;

/// A catalog entity as search sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityDoc {
    /// Lowercase `kind:namespace/name`, the key updates and deletes use.
    pub entity_ref: String,
    /// As written (`Component`); documents show it like this.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `spec.type`.
    pub spec_type: Option<String>,
    /// A full ref (`group:default/team-a`).
    pub owner: Option<String>,
    pub lifecycle: Option<String>,
    pub system: Option<String>,
    pub tags: Vec<String>,
    /// Searchable but never shown: annotation values, link titles and urls,
    /// profile names and emails, space-joined.
    pub extra_text: String,
}

/// One rendered doc page of an entity's TechDocs site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocPageDoc {
    /// Lowercase ref of the entity owning the site.
    pub entity_ref: String,
    /// `metadata.title`, or the name when there is none.
    pub entity_title: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub owner: Option<String>,
    pub lifecycle: Option<String>,
    pub page_title: String,
    /// Site-relative URL (`runbook/`, `""` for the index page).
    pub page_url: String,
    pub sections: Vec<SectionDoc>,
}

/// A heading and the text up to the next heading. The preamble (text before
/// the first heading) has an empty heading and anchor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionDoc {
    pub heading: String,
    pub anchor: String,
    pub text: String,
}

impl EntityDoc {
    /// Reads a Backstage entity envelope. `None` when it has no kind or no
    /// `metadata.name`: such an entity cannot be addressed, so it cannot be
    /// a search result either.
    pub fn from_entity_json(entity: &Value) -> Option<EntityDoc> {
        let kind = non_empty_str(entity.get("kind"))?;
        let metadata = entity.get("metadata")?;
        let name = non_empty_str(metadata.get("name"))?;
        let namespace = non_empty_str(metadata.get("namespace")).unwrap_or("default");
        let spec = entity.get("spec");
        let spec_str = |key: &str| non_empty_str(spec.and_then(|s| s.get(key))).map(str::to_owned);

        let tags = metadata
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();

        Some(EntityDoc {
            entity_ref: entity_ref(kind, namespace, name),
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            title: non_empty_str(metadata.get("title")).map(str::to_owned),
            description: non_empty_str(metadata.get("description")).map(str::to_owned),
            spec_type: spec_str("type"),
            owner: spec_str("owner").map(|owner| full_owner_ref(&owner, namespace)),
            lifecycle: spec_str("lifecycle"),
            system: spec_str("system"),
            tags,
            extra_text: extra_text(metadata, spec),
        })
    }

    /// What a result shows as title: `metadata.title`, else the name.
    pub fn display_title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}

/// Lowercase `kind:namespace/name`.
pub fn entity_ref(kind: &str, namespace: &str, name: &str) -> String {
    format!("{kind}:{namespace}/{name}").to_lowercase()
}

/// Completes an owner reference the way Backstage resolves `spec.owner`:
/// the kind defaults to `group` and the namespace to the entity's own.
/// Case is kept as written; filters compare case-insensitively.
pub fn full_owner_ref(owner: &str, entity_namespace: &str) -> String {
    let owner = owner.trim();
    let (kind, rest) = match owner.split_once(':') {
        Some((kind, rest)) => (kind, rest),
        None => ("group", owner),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((namespace, name)) => (namespace, name),
        None => (entity_namespace, rest),
    };
    format!("{kind}:{namespace}/{name}")
}

fn non_empty_str(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Annotation values, link titles and urls, and a user's or group's profile
/// (display name, email): things people type into a search box that are
/// not worth a field of their own.
fn extra_text(metadata: &Value, spec: Option<&Value>) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(annotations) = metadata.get("annotations").and_then(Value::as_object) {
        parts.extend(annotations.values().filter_map(Value::as_str));
    }
    if let Some(links) = metadata.get("links").and_then(Value::as_array) {
        for link in links {
            parts.extend(
                ["title", "url"]
                    .iter()
                    .filter_map(|k| link.get(*k)?.as_str()),
            );
        }
    }
    if let Some(profile) = spec.and_then(|s| s.get("profile")) {
        parts.extend(
            ["displayName", "email"]
                .iter()
                .filter_map(|k| profile.get(*k)?.as_str()),
        );
    }
    parts.retain(|p| !p.trim().is_empty());
    parts.join(" ")
}
