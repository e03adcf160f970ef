//! Private PostgreSQL schemas: a database of one's own inside a shared
//! server, for tests and `portico bench`.

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::StoreError;

fn check_name(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !schema.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidUrl(format!(
            "schema name '{schema}' must be lower-case letters, digits and _"
        )))
    }
}

/// Creates `schema` on the server at `url` and returns a URL whose
/// connections use it as their search path.
pub fn create_schema(url: &str, schema: &str) -> Result<String, StoreError> {
    check_name(schema)?;
    let mut admin =
        PgConnection::establish(url).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    diesel::sql_query(format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .map_err(|e| StoreError::Database(format!("create schema {schema}: {e}")))?;
    Ok(with_search_path(url, schema))
}

/// Drops `schema` and everything in it.
pub fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
    check_name(schema)?;
    let mut admin =
        PgConnection::establish(url).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut admin)
        .map_err(|e| StoreError::Database(format!("drop schema {schema}: {e}")))?;
    Ok(())
}

/// `url` with libpq's `options` parameter setting the search path, so every
/// pooled connection (and the migrations) use `schema`.
pub(crate) fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked_before_any_sql() {
        assert!(matches!(
            create_schema("postgres://x", "bad;drop"),
            Err(StoreError::InvalidUrl(_))
        ));
        assert!(matches!(
            drop_schema("postgres://x", "Upper"),
            Err(StoreError::InvalidUrl(_))
        ));
    }

    #[test]
    fn search_path_is_appended_as_a_query_parameter() {
        assert_eq!(
            with_search_path("postgres://u@h/db", "s1"),
            "postgres://u@h/db?options=-csearch_path%3Ds1"
        );
        assert_eq!(
            with_search_path("postgres://u@h/db?sslmode=disable", "s1"),
            "postgres://u@h/db?sslmode=disable&options=-csearch_path%3Ds1"
        );
    }
}
