-- Timestamps are epoch milliseconds so both backends compare and sort them the same way.
-- Keys use the "C" collation: byte order, as SQLite and Rust sort strings, whatever the
-- database's default locale is.
CREATE TABLE locations (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
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
    entity_ref TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    etag TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    location_id TEXT COLLATE "C" NOT NULL,
    parent_ref TEXT,
    source_file TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    processed_json TEXT,
    final_json TEXT,
    errors_json TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    orphan BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX entities_location_id_idx ON entities (location_id);

-- The primary key starts with source_ref, so it also serves lookups by source.
CREATE TABLE relations (
    source_ref TEXT COLLATE "C" NOT NULL,
    relation_type TEXT COLLATE "C" NOT NULL,
    target_ref TEXT COLLATE "C" NOT NULL,
    origin_ref TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (source_ref, relation_type, target_ref, origin_ref)
);
CREATE INDEX relations_origin_ref_idx ON relations (origin_ref);

CREATE TABLE change_log (
    seq BIGSERIAL PRIMARY KEY,
    entity_ref TEXT NOT NULL,
    at BIGINT NOT NULL
);
