-- Scorecard history: one row per scorecard, entity, check and day (days since
-- 1970-01-01, UTC), holding whether the check passed that day. Today's row is
-- overwritten as results change; earlier days are what trends are drawn from.
-- Checks that did not apply (skipped) have no row.
CREATE TABLE scorecard_results (
    scorecard TEXT NOT NULL,
    entity_ref TEXT NOT NULL,
    check_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    passed BOOLEAN NOT NULL,
    -- Entity first: a change rewrites one entity's rows of today.
    PRIMARY KEY (entity_ref, scorecard, check_id, day)
);
-- Trends read every row of a scorecard from a day on; pruning, every row
-- before a day.
CREATE INDEX scorecard_results_day_idx ON scorecard_results (day, scorecard);
