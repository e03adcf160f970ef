-- Scaffolder tasks: one row per run of a software template, from its creation ('open')
-- through a worker's claim ('processing') to its end ('completed', 'failed', 'cancelled').
-- The store checks statuses; there is no CHECK constraint, so a later status needs no table
-- rebuild (SQLite cannot alter one). Times are epoch milliseconds. Keys use the "C"
-- collation: byte order, as SQLite and Rust sort strings.
CREATE TABLE scaffolder_tasks (
    -- A uuid made by the caller, so it can name the task before the insert commits.
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    -- Template ref and snapshot, values (without secrets) and user: opaque to the store.
    spec_json TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The user's entity ref; '' when anonymous.
    created_by TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    -- The replica running the task and the last sign of life from it. A processing task
    -- whose heartbeat is too old is failed by whichever replica notices (the worker died).
    -- Both stay after the task ends, to show who ran it.
    claimed_by TEXT,
    heartbeat_at BIGINT,
    -- Asked to stop while processing: the worker sees it and ends the task as cancelled.
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    output_json TEXT,
    error TEXT,
    finished_at BIGINT
);
-- Listing by status newest first, claiming the oldest open task and finding stale processing
-- ones all start from status.
CREATE INDEX scaffolder_tasks_status_created_at_idx ON scaffolder_tasks (status, created_at);
-- "My tasks", newest first.
CREATE INDEX scaffolder_tasks_created_by_created_at_idx ON scaffolder_tasks (created_by, created_at);

-- What a task did: log lines, its completion, cancellation and recovery, read in pages
-- ("after id N") while the task runs. Appends to one task lock its row until commit (see
-- `append_task_event`), so a task's events commit in id order and a reader that has seen
-- id N never sees a smaller id appear later. No foreign key: the store checks the task
-- exists when appending, and the lock it takes there is the ordering guarantee.
CREATE TABLE task_events (
    id BIGSERIAL PRIMARY KEY,
    task_id TEXT COLLATE "C" NOT NULL,
    event_type TEXT NOT NULL,
    body_json TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX task_events_task_id_id_idx ON task_events (task_id, id);
