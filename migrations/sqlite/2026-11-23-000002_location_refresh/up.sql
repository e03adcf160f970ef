-- Refresh scheduling and claims. Times are epoch milliseconds, like every other timestamp.
-- next_refresh_at 0 means "due now", so existing and newly inserted locations are refreshed
-- at once. A claim is a lease: claimed_by holds it until claimed_until, after which any
-- refresher may take it over (the holder may have died mid-refresh).
ALTER TABLE locations ADD COLUMN next_refresh_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE locations ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE locations ADD COLUMN claimed_by TEXT;
ALTER TABLE locations ADD COLUMN claimed_until BIGINT;
-- Set when a refresh is asked for while another replica holds the claim: its release then
-- makes the location due at once (it may have read before a push).
ALTER TABLE locations ADD COLUMN refresh_requested BOOLEAN NOT NULL DEFAULT FALSE;
-- 'config' for locations the configuration file lists (providers included): they go when
-- the configuration stops listing them. 'api' for the rest.
ALTER TABLE locations ADD COLUMN registered_by TEXT NOT NULL DEFAULT 'api';
CREATE INDEX locations_next_refresh_at_idx ON locations (next_refresh_at);
