-- TechDocs. One row per entity whose documentation was built, or tried, or is being built:
-- the last good build (etag '' and build_timestamp 0 until one succeeds), the outcome of the
-- last attempt, and a lease like the locations' (claimed_by holds it until claimed_until) so
-- two replicas do not build one site at once. Times are epoch milliseconds. Keys use the
-- "C" collation: byte order, as SQLite and Rust sort strings.
CREATE TABLE doc_sites (
    entity_ref TEXT COLLATE "C" NOT NULL PRIMARY KEY,
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
-- The primary key serves lookups by entity.
CREATE TABLE doc_pages (
    entity_ref TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    source_path TEXT NOT NULL,
    title TEXT NOT NULL,
    html TEXT NOT NULL,
    toc_json TEXT NOT NULL,
    sections_json TEXT NOT NULL,
    PRIMARY KEY (entity_ref, path)
);

CREATE TABLE doc_assets (
    entity_ref TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    content_type TEXT NOT NULL,
    body BYTEA NOT NULL,
    PRIMARY KEY (entity_ref, path)
);

-- One entry whenever a site's pages change or the site is deleted, for the search index to
-- follow as it follows change_log.
CREATE TABLE doc_change_log (
    seq BIGSERIAL PRIMARY KEY,
    entity_ref TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- lz4 rather than the default pglz for the large values: writing a site of 5,000 pages of
-- 10 KB takes about a third of the time. EXECUTE so that a server without lz4 (built
-- without it, or before PostgreSQL 14) reports an error this block can catch; the columns
-- then keep the server's default.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE doc_pages
        ALTER COLUMN html SET COMPRESSION lz4,
        ALTER COLUMN toc_json SET COMPRESSION lz4,
        ALTER COLUMN sections_json SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE doc_assets ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 compression is not available: % (doc pages and assets keep the default)', SQLERRM;
END
$$;
