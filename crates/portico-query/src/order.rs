//! Sort parameters: the legacy `order=asc:field` and the by-query `orderField=field,asc`.

use crate::QueryError;

/// One sort key. Values compare case-insensitively; entities without the field sort last in
/// either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortField {
    pub field: String,
    pub descending: bool,
}

impl SortField {
    pub fn asc(field: impl Into<String>) -> Self {
        SortField {
            field: field.into(),
            descending: false,
        }
    }

    pub fn desc(field: impl Into<String>) -> Self {
        SortField {
            field: field.into(),
            descending: true,
        }
    }
}

fn direction(word: &str) -> Option<bool> {
    if word.eq_ignore_ascii_case("asc") {
        Some(false)
    } else if word.eq_ignore_ascii_case("desc") {
        Some(true)
    } else {
        None
    }
}

/// Parses a legacy `order` parameter: `asc:metadata.name` or `desc:metadata.name`.
pub fn parse_order(param: &str) -> Result<SortField, QueryError> {
    let bad = || {
        QueryError::InvalidOrder(format!(
            "order parameter '{param}' is not of the form '<asc or desc>:<field>'"
        ))
    };
    let (dir, field) = param.split_once(':').ok_or_else(bad)?;
    let descending = direction(dir.trim()).ok_or_else(bad)?;
    let field = field.trim();
    if field.is_empty() {
        return Err(bad());
    }
    Ok(SortField {
        field: field.to_owned(),
        descending,
    })
}

/// Parses a by-query `orderField` parameter: `metadata.name,asc`, `metadata.name,desc` or
/// `metadata.name` (ascending).
pub fn parse_order_field(param: &str) -> Result<SortField, QueryError> {
    let mut parts = param.split(',').map(str::trim);
    let field = parts.next().unwrap_or_default();
    if field.is_empty() {
        return Err(QueryError::InvalidOrder(format!(
            "orderField '{param}' has no field (expected '<field>,<asc or desc>')"
        )));
    }
    let descending = match parts.next() {
        None => false,
        Some(dir) => direction(dir).ok_or_else(|| {
            QueryError::InvalidOrder(format!(
                "orderField '{param}' has order '{dir}', which must be asc or desc"
            ))
        })?,
    };
    if parts.next().is_some() {
        return Err(QueryError::InvalidOrder(format!(
            "orderField '{param}' has more than a field and an order"
        )));
    }
    Ok(SortField {
        field: field.to_owned(),
        descending,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn legacy_order() {
        assert_eq!(
            parse_order("asc:metadata.name").unwrap(),
            SortField::asc("metadata.name")
        );
        assert_eq!(
            parse_order("desc:spec.type").unwrap(),
            SortField::desc("spec.type")
        );
        for bad in ["metadata.name", "up:metadata.name", "asc:", ":x"] {
            match parse_order(bad) {
                Err(QueryError::InvalidOrder(m)) => assert!(m.contains(bad), "{m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn order_field() {
        assert_eq!(
            parse_order_field("metadata.name").unwrap(),
            SortField::asc("metadata.name")
        );
        assert_eq!(
            parse_order_field("metadata.name,asc").unwrap(),
            SortField::asc("metadata.name")
        );
        assert_eq!(
            parse_order_field("spec.type, desc").unwrap(),
            SortField::desc("spec.type")
        );
        for bad in [",asc", "", "a,sideways", "a,asc,b"] {
            assert!(
                matches!(parse_order_field(bad), Err(QueryError::InvalidOrder(_))),
                "{bad}"
            );
        }
    }
}
