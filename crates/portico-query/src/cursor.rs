//! Opaque by-query cursors: base64url of JSON carrying the whole query and a keyset position.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::filter::{EntityFilter, FullTextFilter};
use crate::order::SortField;
use crate::QueryError;

/// Bumped when the cursor layout changes, so old cursors fail clearly instead of misreading.
const CURSOR_VERSION: u32 = 1;

/// URL-safe, unpadded on output; padding accepted on input in case a client adds it.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Direction {
    Next,
    Prev,
}

/// Where a page starts: items after (`Next`) or before (`Prev`) the item with these sort
/// values and entity key. The item itself need not exist any more, which is what keeps pages
/// right when entities come and go between requests. `inclusive` also takes the item at the
/// position itself (used when a page came back empty and the position was never returned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub direction: Direction,
    pub values: Vec<Option<String>>,
    pub key: String,
    #[serde(default)]
    pub inclusive: bool,
}

#[derive(Serialize, Deserialize)]
struct OrderData {
    field: String,
    #[serde(default)]
    desc: bool,
}

#[derive(Serialize, Deserialize)]
struct CursorData {
    v: u32,
    filter: Vec<String>,
    order: Vec<OrderData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    full_text: Option<FullTextFilter>,
    limit: usize,
    pos: Position,
}

pub(crate) struct Decoded {
    pub filter: EntityFilter,
    pub order: Vec<SortField>,
    pub full_text: Option<FullTextFilter>,
    pub limit: usize,
    pub position: Position,
}

pub(crate) fn encode(
    filter: &EntityFilter,
    order: &[SortField],
    full_text: Option<&FullTextFilter>,
    limit: usize,
    position: Position,
) -> String {
    let data = CursorData {
        v: CURSOR_VERSION,
        filter: filter.to_params(),
        order: order
            .iter()
            .map(|o| OrderData {
                field: o.field.clone(),
                desc: o.descending,
            })
            .collect(),
        full_text: full_text.cloned(),
        limit,
        pos: position,
    };
    // Serialising plain strings, numbers and bools cannot fail.
    let json = serde_json::to_vec(&data).unwrap_or_default();
    ENGINE.encode(json)
}

pub(crate) fn decode(cursor: &str) -> Result<Decoded, QueryError> {
    let bytes = ENGINE
        .decode(cursor.trim())
        .map_err(|e| QueryError::InvalidCursor(format!("cursor is not base64url: {e}")))?;
    let data: CursorData = serde_json::from_slice(&bytes)
        .map_err(|e| QueryError::InvalidCursor(format!("cursor content is malformed: {e}")))?;
    if data.v != CURSOR_VERSION {
        return Err(QueryError::InvalidCursor(format!(
            "cursor version {} is not supported",
            data.v
        )));
    }
    if data.pos.values.len() != data.order.len() {
        return Err(QueryError::InvalidCursor(
            "cursor position does not match its sort fields".into(),
        ));
    }
    if data.order.iter().any(|o| o.field.trim().is_empty()) {
        return Err(QueryError::InvalidCursor(
            "cursor has an empty sort field".into(),
        ));
    }
    let filter = EntityFilter::parse(&data.filter)
        .map_err(|e| QueryError::InvalidCursor(format!("cursor filter is invalid: {e}")))?;
    Ok(Decoded {
        filter,
        order: data
            .order
            .into_iter()
            .map(|o| SortField {
                field: o.field,
                descending: o.desc,
            })
            .collect(),
        full_text: data.full_text,
        limit: data.limit,
        position: data.pos,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_padding_tolerance() {
        let filter = EntityFilter::parse(&["kind=component".to_string()]).unwrap();
        let pos = Position {
            direction: Direction::Prev,
            values: vec![Some("a".into())],
            key: "component:default/a".into(),
            inclusive: false,
        };
        let c = encode(
            &filter,
            &[SortField::desc("metadata.name")],
            None,
            7,
            pos.clone(),
        );
        assert!(!c.contains('=') && !c.contains('+') && !c.contains('/'));
        let d = decode(&c).unwrap();
        assert_eq!(d.filter, filter);
        assert_eq!(d.order, vec![SortField::desc("metadata.name")]);
        assert_eq!(d.limit, 7);
        assert_eq!(d.position, pos);
        let padded = format!("{c}{}", "=".repeat((4 - c.len() % 4) % 4));
        assert!(decode(&padded).is_ok());
    }

    #[test]
    fn rejects_garbage_versions_and_inconsistent_positions() {
        for bad in [
            "!!!".to_string(),
            ENGINE.encode("not json"),
            ENGINE.encode(r#"{"v":2,"filter":[],"order":[],"limit":1,"pos":{"direction":"next","values":[],"key":"a"}}"#),
            ENGINE.encode(r#"{"v":1,"filter":[],"order":[],"limit":1,"pos":{"direction":"next","values":[null],"key":"a"}}"#),
            ENGINE.encode(r#"{"v":1,"filter":["=x"],"order":[],"limit":1,"pos":{"direction":"next","values":[],"key":"a"}}"#),
        ] {
            assert!(matches!(decode(&bad), Err(QueryError::InvalidCursor(_))), "{bad}");
        }
    }
}
