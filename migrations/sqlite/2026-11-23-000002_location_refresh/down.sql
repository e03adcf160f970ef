-- SQLite (3.35+) drops a column only once no index uses it.
DROP INDEX locations_next_refresh_at_idx;
ALTER TABLE locations DROP COLUMN registered_by;
ALTER TABLE locations DROP COLUMN refresh_requested;
ALTER TABLE locations DROP COLUMN claimed_until;
ALTER TABLE locations DROP COLUMN claimed_by;
ALTER TABLE locations DROP COLUMN refresh_failures;
ALTER TABLE locations DROP COLUMN next_refresh_at;
