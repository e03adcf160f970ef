-- Every write through the API or the UI: who did it, what, to what, when and how it ended.
-- Rows are only ever added. Times are epoch milliseconds.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    -- The caller: a user entity ref, `service:<subject>` for a service token, or
    -- `anonymous`.
    actor TEXT NOT NULL,
    -- What was asked, e.g. `location.create`, `entity.delete`, `task.create`.
    action TEXT NOT NULL,
    -- What it was done to: an entity ref, a location id or target, a task id.
    target TEXT NOT NULL,
    -- The entity ref the write concerns, when there is one, for "what happened to X".
    entity_ref TEXT,
    -- `allowed` and done, `denied`, or `failed` (allowed but it did not work).
    result TEXT NOT NULL,
    -- The HTTP status and anything else worth keeping, as JSON.
    detail_json TEXT NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_at_idx ON audit_log (actor, at);
CREATE INDEX audit_log_entity_ref_at_idx ON audit_log (entity_ref, at);
