DROP INDEX locations_next_refresh_at_idx;
ALTER TABLE locations
    DROP COLUMN registered_by,
    DROP COLUMN refresh_requested,
    DROP COLUMN claimed_until,
    DROP COLUMN claimed_by,
    DROP COLUMN refresh_failures,
    DROP COLUMN next_refresh_at;
