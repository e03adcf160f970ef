//! The `filter` query parameter and the full-text filter.

use serde::{Deserialize, Serialize};

use crate::QueryError;

/// One condition on a search key: the key exists (no values) or has any of `values`.
/// Key and values are lower-cased, since all matching is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    pub key: String,
    pub values: Vec<String>,
}

/// A parsed `filter`: any of the alternatives (one per `filter` parameter), each requiring all
/// of its conditions. No alternatives means "every entity".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityFilter {
    any_of: Vec<Vec<Condition>>,
}

impl EntityFilter {
    /// Matches every entity.
    pub fn all() -> Self {
        Self::default()
    }

    /// Parses `filter` query parameters, one string per parameter, e.g.
    /// `["kind=component,spec.type=service", "kind=api"]`.
    ///
    /// Conditions in one parameter are ANDed and parameters are ORed. `key` alone requires the
    /// key to exist; `key=` matches an empty value. Repeating a key within one parameter
    /// (`kind=component,kind=api`) means any of those values, as in Backstage. Empty
    /// parameters and empty statements (`a=1,,b=2`) are ignored; a statement with an empty
    /// key (`=x`) is an error.
    pub fn parse(params: &[String]) -> Result<Self, QueryError> {
        let mut any_of = Vec::new();
        for param in params {
            let mut conditions: Vec<Condition> = Vec::new();
            for statement in param.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (key, value) = match statement.split_once('=') {
                    Some((k, v)) => (k.trim(), Some(v.trim())),
                    None => (statement, None),
                };
                if key.is_empty() {
                    return Err(QueryError::InvalidFilter(format!(
                        "'{statement}' in filter '{param}' has no key \
                         (expected a statement of the form key=value, key= or key)"
                    )));
                }
                let key = key.to_lowercase();
                let at = match conditions.iter().position(|c| c.key == key) {
                    Some(at) => at,
                    None => {
                        conditions.push(Condition {
                            key,
                            values: Vec::new(),
                        });
                        conditions.len() - 1
                    }
                };
                // A bare key next to values of the same key adds nothing: any value implies
                // the key exists.
                if let Some(v) = value {
                    let v = v.to_lowercase();
                    if !conditions[at].values.contains(&v) {
                        conditions[at].values.push(v);
                    }
                }
            }
            if !conditions.is_empty() {
                any_of.push(conditions);
            }
        }
        Ok(EntityFilter { any_of })
    }

    /// True when the filter matches every entity.
    pub fn is_all(&self) -> bool {
        self.any_of.is_empty()
    }

    /// The filter written back as `filter` parameters (lower-cased); parsing them gives an
    /// equal filter. Cursors carry this form.
    pub fn to_params(&self) -> Vec<String> {
        self.any_of
            .iter()
            .map(|conditions| {
                let mut parts = Vec::new();
                for c in conditions {
                    if c.values.is_empty() {
                        parts.push(c.key.clone());
                    }
                    for v in &c.values {
                        parts.push(format!("{}={v}", c.key));
                    }
                }
                parts.join(",")
            })
            .collect()
    }

    pub(crate) fn alternatives(&self) -> &[Vec<Condition>] {
        &self.any_of
    }
}

/// Case-insensitive substring match of `term` over the search values of `fields`.
///
/// With no fields, Backstage searches the first sort field, or `metadata.uid` when there is
/// no sort field; we do the same so clients see the same results.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FullTextFilter {
    pub term: String,
    #[serde(default)]
    pub fields: Vec<String>,
}

impl FullTextFilter {
    pub fn new(term: impl Into<String>, fields: Vec<String>) -> Self {
        FullTextFilter {
            term: term.into(),
            fields,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(params: &[&str]) -> Result<EntityFilter, QueryError> {
        EntityFilter::parse(&params.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn cond(key: &str, values: &[&str]) -> Condition {
        Condition {
            key: key.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn parses_and_or_exists_and_repeated_keys() {
        let f = p(&[
            " Kind = Component , spec.type=service,kind=API ",
            "metadata.tags",
        ])
        .unwrap();
        assert_eq!(
            f.alternatives(),
            &[
                vec![
                    cond("kind", &["component", "api"]),
                    cond("spec.type", &["service"])
                ],
                vec![cond("metadata.tags", &[])],
            ]
        );
        assert!(!f.is_all());
    }

    #[test]
    fn empty_params_mean_all() {
        assert!(p(&[]).unwrap().is_all());
        assert!(p(&["", " , "]).unwrap().is_all());
        assert_eq!(p(&["a=1,,b=2"]).unwrap().alternatives().len(), 1);
    }

    #[test]
    fn empty_value_and_value_with_equals() {
        let f = p(&["a=,b=x=y"]).unwrap();
        assert_eq!(
            f.alternatives(),
            &[vec![cond("a", &[""]), cond("b", &["x=y"])]]
        );
    }

    #[test]
    fn rejects_empty_keys_naming_the_statement() {
        for bad in ["=x", "kind=a,=b", "="] {
            match p(&[bad]) {
                Err(QueryError::InvalidFilter(msg)) => {
                    let statement = bad.rsplit(',').next().unwrap();
                    assert!(msg.contains(&format!("'{statement}'")), "{msg}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn round_trips_through_params() {
        let f = p(&["kind=a,kind=b,spec.x", "relations.ownedby=group:default/t"]).unwrap();
        assert_eq!(
            p(&f.to_params().iter().map(String::as_str).collect::<Vec<_>>()).unwrap(),
            f
        );
        assert_eq!(f.to_params()[0], "kind=a,kind=b,spec.x");
    }
}
