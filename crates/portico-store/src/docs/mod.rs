//! TechDocs sites: for each entity, the pages and assets of its last good documentation
//! build, the outcome of its last attempt, a lease that keeps two replicas from building
//! it at once, and a change log the search index follows.

use diesel::dsl::max;
use diesel::prelude::*;

use crate::schema::{doc_assets, doc_change_log, doc_pages, doc_sites};
use crate::{StoreError, Tx};

// Build claims and the writes of a build's outcome; the reads are below.
mod writes;

/// The state of one entity's documentation site: its last good build (`etag` is `""` and
/// `build_timestamp` 0 until one succeeds) and the outcome of the last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(
    table_name = doc_sites,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg),
    treat_none_as_default_value = false
)]
pub struct DocSiteRow {
    pub entity_ref: String,
    /// Source commit or content hash of the last good build; `""` when there was none.
    pub etag: String,
    pub site_name: String,
    pub site_description: String,
    /// When the last good build was made (epoch ms); 0 when there was none.
    pub build_timestamp: i64,
    /// Opaque to the store (navigation and the like).
    pub metadata_json: String,
    /// A JSON array: the warnings of the last attempt, good or failed.
    pub warnings_json: String,
    /// The source key the last attempt failed for, when it failed.
    pub failed_etag: Option<String>,
    /// Why the last attempt failed, when it failed.
    pub failure: Option<String>,
    /// When the last attempt ended (epoch ms); 0 when none has.
    pub attempted_at: i64,
}

impl DocSiteRow {
    /// The row of an entity whose docs were never built.
    fn never_built(entity_ref: &str) -> DocSiteRow {
        DocSiteRow {
            entity_ref: entity_ref.to_owned(),
            etag: String::new(),
            site_name: String::new(),
            site_description: String::new(),
            build_timestamp: 0,
            metadata_json: "{}".to_owned(),
            warnings_json: "[]".to_owned(),
            failed_etag: None,
            failure: None,
            attempted_at: 0,
        }
    }
}

/// One rendered page of a site.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(
    table_name = doc_pages,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg)
)]
pub struct DocPageRow {
    /// Output path, e.g. `runbook/index.html`.
    pub path: String,
    /// The Markdown file it was rendered from, relative to the docs directory.
    pub source_path: String,
    pub title: String,
    /// The page's content as an HTML fragment.
    pub html: String,
    pub toc_json: String,
    pub sections_json: String,
}

/// One file of a site served as is (an image, a stylesheet, ...).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(
    table_name = doc_assets,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg)
)]
pub struct DocAssetRow {
    pub path: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// One entry of the doc change log: the site of `entity_ref` changed or was deleted at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(
    table_name = doc_change_log,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg)
)]
pub struct DocChangeRow {
    pub seq: i64,
    pub entity_ref: String,
    pub at: i64,
}

impl Tx<'_> {
    pub fn doc_site(&mut self, entity_ref: &str) -> Result<Option<DocSiteRow>, StoreError> {
        let row = db_run!(self, |conn| doc_sites::table
            .find(entity_ref)
            .select(DocSiteRow::as_select())
            .first(conn)
            .optional())?;
        Ok(row)
    }

    /// Every site row, sorted by entity ref, including never-built ones.
    pub fn doc_sites(&mut self) -> Result<Vec<DocSiteRow>, StoreError> {
        let rows = db_run!(self, |conn| doc_sites::table
            .order(doc_sites::entity_ref.asc())
            .select(DocSiteRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    pub fn doc_page(
        &mut self,
        entity_ref: &str,
        path: &str,
    ) -> Result<Option<DocPageRow>, StoreError> {
        let row = db_run!(self, |conn| doc_pages::table
            .find((entity_ref, path))
            .select(DocPageRow::as_select())
            .first(conn)
            .optional())?;
        Ok(row)
    }

    /// The pages of `entity_ref`'s site, sorted by path.
    pub fn doc_pages(&mut self, entity_ref: &str) -> Result<Vec<DocPageRow>, StoreError> {
        let rows = db_run!(self, |conn| doc_pages::table
            .filter(doc_pages::entity_ref.eq(entity_ref))
            .order(doc_pages::path.asc())
            .select(DocPageRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    pub fn doc_asset(
        &mut self,
        entity_ref: &str,
        path: &str,
    ) -> Result<Option<DocAssetRow>, StoreError> {
        let row = db_run!(self, |conn| doc_assets::table
            .find((entity_ref, path))
            .select(DocAssetRow::as_select())
            .first(conn)
            .optional())?;
        Ok(row)
    }

    /// The paths of `entity_ref`'s pages and assets together, sorted, each once; no page or
    /// asset body is read.
    pub fn doc_file_paths(&mut self, entity_ref: &str) -> Result<Vec<String>, StoreError> {
        let mut paths = db_run!(self, |conn| doc_pages::table
            .filter(doc_pages::entity_ref.eq(entity_ref))
            .select(doc_pages::path)
            .load::<String>(conn))?;
        let assets = db_run!(self, |conn| doc_assets::table
            .filter(doc_assets::entity_ref.eq(entity_ref))
            .select(doc_assets::path)
            .load::<String>(conn))?;
        paths.extend(assets);
        paths.sort_unstable();
        paths.dedup();
        Ok(paths)
    }

    /// Up to `limit` doc change-log entries with a sequence number above `after_seq`,
    /// oldest first.
    pub fn doc_changes_since(
        &mut self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<DocChangeRow>, StoreError> {
        let rows = db_run!(self, |conn| doc_change_log::table
            .filter(doc_change_log::seq.gt(after_seq))
            .order(doc_change_log::seq.asc())
            .limit(limit.max(0))
            .select(DocChangeRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// The newest doc change-log sequence number, or 0 when the log is empty.
    pub fn doc_change_head(&mut self) -> Result<i64, StoreError> {
        let head: Option<i64> = db_run!(self, |conn| doc_change_log::table
            .select(max(doc_change_log::seq))
            .first(conn))?;
        Ok(head.unwrap_or(0))
    }
}
