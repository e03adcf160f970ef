-- Timestamps are epoch milliseconds so both backends compare and sort them the same way.
CREATE TABLE locations (
    id TEXT NOT NULL PRIMARY KEY,
    location_type TEXT NOT NULL,
    target TEXT NOT NULL,
    content_hash TEXT,
    errors_json TEXT NOT NULL DEFAULT '[]',
    refreshed_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (location_type, target)
);

-- No foreign key to locations: the catalog deletes entities before their location itself.
CREATE TABLE entities (
    entity_ref TEXT NOT NULL PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    etag TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    location_id TEXT NOT NULL,
    parent_ref TEXT,
    source_file TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    processed_json TEXT,
    final_json TEXT,
    errors_json TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    orphan BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX entities_location_id_idx ON entities (location_id);

-- The primary key starts with source_ref, so it also serves lookups by source.
CREATE TABLE relations (
    source_ref TEXT NOT NULL,
    relation_type TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    origin_ref TEXT NOT NULL,
    PRIMARY KEY (source_ref, relation_type, target_ref, origin_ref)
) WITHOUT ROWID;
CREATE INDEX relations_origin_ref_idx ON relations (origin_ref);

-- AUTOINCREMENT: a sequence number is never reused, even after the newest rows are deleted,
-- so followers that remember the last seq they saw cannot skip a change.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_ref TEXT NOT NULL,
    at BIGINT NOT NULL
);
