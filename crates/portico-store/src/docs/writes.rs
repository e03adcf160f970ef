//! Claims on a site's build, and the writes of a build's outcome.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::upsert::excluded;

use super::{DocAssetRow, DocPageRow, DocSiteRow};
use crate::schema::{doc_assets, doc_pages, doc_sites};
use crate::store::Backend;
use crate::{now_ms, StoreError, Tx};

/// Page rows per multi-row insert: 7 columns x 1000 = 7,000 bound values, under SQLite's
/// 32,766 and PostgreSQL's 65,535.
const PAGE_INSERT_ROWS: usize = 1000;
/// Asset rows per multi-row insert: 4 columns x 1000 = 4,000 bound values.
const ASSET_INSERT_ROWS: usize = 1000;
/// Bytes of page HTML or asset bodies per insert statement. Both backends copy every bound
/// value into the statement, so a site with large images is written a few megabytes at a
/// time rather than all at once. A single larger value goes in a statement of its own.
const INSERT_BYTES: usize = 8 << 20;

/// Key of the PostgreSQL advisory lock that orders doc change-log appends, as
/// `CHANGE_LOG_LOCK_KEY` orders the catalog's (see `Tx::append_changes`).
const DOC_CHANGE_LOG_LOCK_KEY: i64 = 0x706f_7274_6963_6f03;

// Raw SQL for RETURNING, which diesel's DSL offers on SQLite only behind a feature this
// crate does not enable.
const APPEND_CHANGE_PG: &str =
    "INSERT INTO doc_change_log (entity_ref, at) VALUES ($1, $2) RETURNING seq";
const APPEND_CHANGE_SQLITE: &str =
    "INSERT INTO doc_change_log (entity_ref, at) VALUES (?1, ?2) RETURNING seq";

#[derive(Insertable)]
#[diesel(table_name = doc_pages)]
struct NewDocPage<'a> {
    entity_ref: &'a str,
    path: &'a str,
    source_path: &'a str,
    title: &'a str,
    html: &'a str,
    toc_json: &'a str,
    sections_json: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = doc_assets)]
struct NewDocAsset<'a> {
    entity_ref: &'a str,
    path: &'a str,
    content_type: &'a str,
    body: &'a [u8],
}

#[derive(QueryableByName)]
struct AppendedSeq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

impl Tx<'_> {
    /// Claims the build of `entity_ref`'s site for `replica` until `until` (epoch ms), unless
    /// another replica holds a claim that is still live at `now` (`claimed_until >= now`).
    /// Re-claiming one's own claim renews it. An entity with no row gets a never-built one.
    /// `false` when another replica holds it. Concurrent claimers on one database get one
    /// `true` between them: run it in its own [`Store::transaction`](crate::Store::transaction)
    /// so the claim is committed before the build starts.
    pub fn claim_doc_build(
        &mut self,
        entity_ref: &str,
        replica: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        // On PostgreSQL a concurrent insert of the same key makes this wait for that
        // transaction and then do nothing; the update below then sees its claim.
        let fresh = DocSiteRow::never_built(entity_ref);
        db_run!(self, |conn| diesel::insert_into(doc_sites::table)
            .values(&fresh)
            .on_conflict_do_nothing()
            .execute(conn))?;
        // A concurrent claim of the same row makes PostgreSQL wait for that transaction and
        // re-check the condition against the row it committed.
        let free = doc_sites::claimed_by
            .is_null()
            .or(doc_sites::claimed_by.eq(replica))
            .or(doc_sites::claimed_until.lt(now));
        let claimed = db_run!(self, |conn| diesel::update(
            doc_sites::table.find(entity_ref).filter(free)
        )
        .set((
            doc_sites::claimed_by.eq(replica),
            doc_sites::claimed_until.eq(until),
        ))
        .execute(conn))?;
        Ok(claimed > 0)
    }

    /// Ends `replica`'s claim on the build of `entity_ref`'s site. `false`, changing
    /// nothing, when `replica` does not hold it.
    pub fn release_doc_claim(
        &mut self,
        entity_ref: &str,
        replica: &str,
    ) -> Result<bool, StoreError> {
        let released = db_run!(self, |conn| diesel::update(
            doc_sites::table
                .find(entity_ref)
                .filter(doc_sites::claimed_by.eq(replica))
        )
        .set((
            doc_sites::claimed_by.eq(None::<String>),
            doc_sites::claimed_until.eq(None::<i64>),
        ))
        .execute(conn))?;
        Ok(released > 0)
    }

    /// Stores a good build of `site.entity_ref`: its pages and assets replace the stored
    /// ones, the site row is written with its failure (whatever `site` says) and claim
    /// cleared, and a doc change-log entry is appended. Returns the entry's sequence number.
    /// All or nothing, also outside a transaction. A path given twice among the pages, or
    /// among the assets, is a `Conflict` and writes nothing.
    pub fn replace_doc_site(
        &mut self,
        site: &DocSiteRow,
        pages: &[DocPageRow],
        assets: &[DocAssetRow],
    ) -> Result<i64, StoreError> {
        let entity_ref = site.entity_ref.as_str();
        check_unique_paths(entity_ref, "page", pages.iter().map(|p| p.path.as_str()))?;
        check_unique_paths(entity_ref, "asset", assets.iter().map(|a| a.path.as_str()))?;
        let pages: Vec<NewDocPage<'_>> = pages
            .iter()
            .map(|p| NewDocPage {
                entity_ref,
                path: &p.path,
                source_path: &p.source_path,
                title: &p.title,
                html: &p.html,
                toc_json: &p.toc_json,
                sections_json: &p.sections_json,
            })
            .collect();
        let assets: Vec<NewDocAsset<'_>> = assets
            .iter()
            .map(|a| NewDocAsset {
                entity_ref,
                path: &a.path,
                content_type: &a.content_type,
                body: &a.body,
            })
            .collect();
        let site = DocSiteRow {
            failed_etag: None,
            failure: None,
            ..site.clone()
        };

        self.all_or_nothing(|tx| {
            tx.delete_doc_files(entity_ref)?;
            for chunk in byte_chunks(&pages, PAGE_INSERT_ROWS, |p| p.html.len()) {
                db_run!(tx, |conn| diesel::insert_into(doc_pages::table)
                    .values(chunk)
                    .execute(conn))?;
            }
            for chunk in byte_chunks(&assets, ASSET_INSERT_ROWS, |a| a.body.len()) {
                db_run!(tx, |conn| diesel::insert_into(doc_assets::table)
                    .values(chunk)
                    .execute(conn))?;
            }
            db_run!(tx, |conn| diesel::insert_into(doc_sites::table)
                .values(&site)
                .on_conflict(doc_sites::entity_ref)
                .do_update()
                .set((
                    doc_sites::etag.eq(excluded(doc_sites::etag)),
                    doc_sites::site_name.eq(excluded(doc_sites::site_name)),
                    doc_sites::site_description.eq(excluded(doc_sites::site_description)),
                    doc_sites::build_timestamp.eq(excluded(doc_sites::build_timestamp)),
                    doc_sites::metadata_json.eq(excluded(doc_sites::metadata_json)),
                    doc_sites::warnings_json.eq(excluded(doc_sites::warnings_json)),
                    doc_sites::failed_etag.eq(None::<String>),
                    doc_sites::failure.eq(None::<String>),
                    doc_sites::attempted_at.eq(excluded(doc_sites::attempted_at)),
                    doc_sites::claimed_by.eq(None::<String>),
                    doc_sites::claimed_until.eq(None::<i64>),
                ))
                .execute(conn))?;
            // Last: on PostgreSQL the ordering lock it takes is held until the commit, so the
            // later it is taken, the less it serializes concurrent builds.
            tx.append_doc_change(entity_ref, now_ms())
        })
    }

    /// Records a failed attempt to build `entity_ref`'s site from source key `failed_etag`:
    /// sets the failure, the attempt's warnings and time, and clears the claim. The last
    /// good build (row fields, pages and assets) stays. An entity with no row gets a
    /// never-built one carrying the failure. The change is logged: pages stay, but what
    /// the site's state says (scorecards read it) changed.
    pub fn record_doc_failure(
        &mut self,
        entity_ref: &str,
        failed_etag: &str,
        failure: &str,
        warnings_json: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let row = DocSiteRow {
            warnings_json: warnings_json.to_owned(),
            failed_etag: Some(failed_etag.to_owned()),
            failure: Some(failure.to_owned()),
            attempted_at: at,
            ..DocSiteRow::never_built(entity_ref)
        };
        db_run!(self, |conn| diesel::insert_into(doc_sites::table)
            .values(&row)
            .on_conflict(doc_sites::entity_ref)
            .do_update()
            .set((
                doc_sites::warnings_json.eq(excluded(doc_sites::warnings_json)),
                doc_sites::failed_etag.eq(excluded(doc_sites::failed_etag)),
                doc_sites::failure.eq(excluded(doc_sites::failure)),
                doc_sites::attempted_at.eq(excluded(doc_sites::attempted_at)),
                doc_sites::claimed_by.eq(None::<String>),
                doc_sites::claimed_until.eq(None::<i64>),
            ))
            .execute(conn))?;
        self.append_doc_change(entity_ref, at)?;
        Ok(())
    }

    /// Deletes `entity_ref`'s site row, pages and assets, and appends a doc change-log
    /// entry when there was anything to delete. `false` when there was nothing.
    pub fn delete_doc_site(&mut self, entity_ref: &str) -> Result<bool, StoreError> {
        self.all_or_nothing(|tx| {
            let files = tx.delete_doc_files(entity_ref)?;
            let sites = db_run!(tx, |conn| diesel::delete(doc_sites::table.find(entity_ref))
                .execute(conn))?;
            if files + sites == 0 {
                return Ok(false);
            }
            tx.append_doc_change(entity_ref, now_ms())?;
            Ok(true)
        })
    }

    /// Deletes the pages and assets of `entity_ref`; how many rows went.
    fn delete_doc_files(&mut self, entity_ref: &str) -> Result<usize, StoreError> {
        let pages = db_run!(self, |conn| diesel::delete(
            doc_pages::table.filter(doc_pages::entity_ref.eq(entity_ref))
        )
        .execute(conn))?;
        let assets = db_run!(self, |conn| diesel::delete(
            doc_assets::table.filter(doc_assets::entity_ref.eq(entity_ref))
        )
        .execute(conn))?;
        Ok(pages + assets)
    }

    /// Appends one doc change-log entry and returns its sequence number.
    fn append_doc_change(&mut self, entity_ref: &str, at: i64) -> Result<i64, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => APPEND_CHANGE_SQLITE,
            Backend::Postgres => {
                // Followers read "seq > last seen", and PostgreSQL transactions commit in any
                // order: held until commit, this lock makes appends commit in seq order.
                // SQLite's write transactions are serial already.
                db_run!(self, |conn| diesel::sql_query(
                    "SELECT pg_advisory_xact_lock($1)"
                )
                .bind::<BigInt, _>(DOC_CHANGE_LOG_LOCK_KEY)
                .execute(conn))?;
                APPEND_CHANGE_PG
            }
        };
        let appended: AppendedSeq = db_run!(self, |conn| diesel::sql_query(sql)
            .bind::<Text, _>(entity_ref)
            .bind::<BigInt, _>(at)
            .get_result(conn))?;
        Ok(appended.seq)
    }
}

/// `Conflict` naming the first path that appears twice.
fn check_unique_paths<'a>(
    entity_ref: &str,
    what: &str,
    paths: impl Iterator<Item = &'a str>,
) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    for path in paths {
        if !seen.insert(path) {
            return Err(StoreError::Conflict(format!(
                "doc site {entity_ref}: {what} path `{path}` is given twice"
            )));
        }
    }
    Ok(())
}

/// `items` in runs of at most `max_rows`, each holding at most `INSERT_BYTES` of `size`
/// unless a single item is larger.
fn byte_chunks<T>(items: &[T], max_rows: usize, size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && (i - start == max_rows || bytes + n > INSERT_BYTES) {
            chunks.push(&items[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += n;
    }
    if start < items.len() {
        chunks.push(&items[start..]);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(chunks: &[&[usize]]) -> Vec<usize> {
        chunks.iter().map(|c| c.len()).collect()
    }

    #[test]
    fn chunks_stop_at_the_row_limit() {
        let items = vec![1usize; 25];
        assert_eq!(lens(&byte_chunks(&items, 10, |n| *n)), [10, 10, 5]);
        assert!(byte_chunks(&[] as &[usize], 10, |n| *n).is_empty());
    }

    #[test]
    fn chunks_stop_at_the_byte_budget_and_a_large_item_goes_alone() {
        let half = INSERT_BYTES / 2;
        let items = [half, half, 1, INSERT_BYTES * 3, 1, 1];
        let chunks = byte_chunks(&items, 1000, |n| *n);
        assert_eq!(lens(&chunks), [2, 1, 1, 2]);
        assert_eq!(chunks[2], [INSERT_BYTES * 3]);
        // Every item is kept, in order.
        assert_eq!(chunks.concat(), items);
    }
}
