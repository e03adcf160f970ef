use std::fmt;

use crate::entity::CompoundRef;

pub const DEFAULT_NAMESPACE: &str = "default";

/// `kind:namespace/name`. Parts keep the case they were written in; comparison
/// and the string form (`to_string`, `key`) are lower-cased, as in Backstage.
#[derive(Debug, Clone)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// What a ref string may leave out: the kind (only where the field has a default
/// kind) and the namespace (always: the referring entity's namespace).
#[derive(Debug, Clone, Copy)]
pub struct RefDefaults<'a> {
    pub kind: Option<&'a str>,
    pub namespace: &'a str,
}

impl Default for RefDefaults<'_> {
    fn default() -> Self {
        RefDefaults {
            kind: None,
            namespace: DEFAULT_NAMESPACE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("entity reference is empty")]
    Empty,
    #[error("entity reference \"{0}\" has an empty {1}")]
    EmptyPart(String, &'static str),
    #[error("entity reference \"{0}\" has no kind, and this field has no default kind; write it as kind:namespace/name")]
    MissingKind(String),
}

impl EntityRef {
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        EntityRef {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// Parses `[<kind>:][<namespace>/]<name>`: the first `:` splits off the kind
    /// unless a `/` comes before it; the first `/` splits off the namespace.
    pub fn parse(input: &str, defaults: RefDefaults<'_>) -> Result<EntityRef, RefError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(RefError::Empty);
        }
        let colon = s.find(':');
        let slash = s.find('/');
        let (kind, rest) = match (colon, slash) {
            (Some(c), Some(sl)) if c < sl => (Some(&s[..c]), &s[c + 1..]),
            (Some(c), None) => (Some(&s[..c]), &s[c + 1..]),
            _ => (None, s),
        };
        let (namespace, name) = match rest.find('/') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        if kind == Some("") {
            return Err(RefError::EmptyPart(input.to_string(), "kind"));
        }
        if namespace == Some("") {
            return Err(RefError::EmptyPart(input.to_string(), "namespace"));
        }
        if name.is_empty() {
            return Err(RefError::EmptyPart(input.to_string(), "name"));
        }
        let kind = match kind.or(defaults.kind) {
            Some(k) => k,
            None => return Err(RefError::MissingKind(input.to_string())),
        };
        Ok(EntityRef::new(
            kind,
            namespace.unwrap_or(defaults.namespace),
            name,
        ))
    }

    /// The lower-cased `kind:namespace/name`: the key we store and compare by.
    pub fn key(&self) -> String {
        self.to_string()
    }

    pub fn compound(&self) -> CompoundRef {
        CompoundRef {
            kind: self.kind.to_lowercase(),
            namespace: self.namespace.to_lowercase(),
            name: self.name.to_lowercase(),
        }
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}/{}",
            self.kind.to_lowercase(),
            self.namespace.to_lowercase(),
            self.name.to_lowercase()
        )
    }
}

impl PartialEq for EntityRef {
    fn eq(&self, other: &Self) -> bool {
        self.kind.eq_ignore_ascii_case(&other.kind)
            && self.namespace.eq_ignore_ascii_case(&other.namespace)
            && self.name.to_lowercase() == other.name.to_lowercase()
    }
}

impl Eq for EntityRef {}

impl std::hash::Hash for EntityRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}
