-- TechDocs. One row per entity whose documentation was built, or tried, or is being built:
-- the last good build (etag '' and build_timestamp 0 until one succeeds), the outcome of the
-- last attempt, and a lease like the locations' (claimed_by holds it until claimed_until) so
-- two replicas do not build one site at once. Times are epoch milliseconds.
CREATE TABLE doc_sites (
    entity_ref TEXT NOT NULL PRIMARY KEY,
    -- Source commit or content hash of the last good build.
    etag TEXT NOT NULL,
    site_name TEXT NOT NULL,
    site_description TEXT NOT NULL,
    build_timestamp BIGINT NOT NULL,
    -- Opaque to the store (navigation and the like).
    metadata_json TEXT NOT NULL,
    -- A JSON array: the warnings of the last attempt, good or failed.
    warnings_json TEXT NOT NULL,
    -- Set when the last attempt failed: the source key it failed for, and why. A good build
    -- clears both; the pages of the last good build stay meanwhile.
    failed_etag TEXT,
    failure TEXT,
    attempted_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT
);

-- The pages and assets of the last good build, keyed by output path (`runbook/index.html`).
-- Rowid tables, not WITHOUT ROWID: their rows are kilobytes, and SQLite recommends
-- WITHOUT ROWID only for small rows. The primary key serves lookups by entity.
CREATE TABLE doc_pages (
    entity_ref TEXT NOT NULL,
    path TEXT NOT NULL,
    source_path TEXT NOT NULL,
    title TEXT NOT NULL,
    html TEXT NOT NULL,
    toc_json TEXT NOT NULL,
    sections_json TEXT NOT NULL,
    PRIMARY KEY (entity_ref, path)
);

CREATE TABLE doc_assets (
    entity_ref TEXT NOT NULL,
    path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (entity_ref, path)
);

-- One entry whenever a site's pages change or the site is deleted, for the search index to
-- follow as it follows change_log. AUTOINCREMENT: a sequence number is never reused.
CREATE TABLE doc_change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_ref TEXT NOT NULL,
    at BIGINT NOT NULL
);
