//! Claims, heartbeats and ends of tasks, and event appends.
//!
//! What keeps replicas sharing one database apart:
//! - A task is claimed by one replica: on PostgreSQL the claiming statement locks its
//!   candidate with `FOR UPDATE SKIP LOCKED`, so a concurrent claimer passes over it (and
//!   re-checks `status = 'open'` on a row committed meanwhile); on SQLite write transactions
//!   are serial, and the claim is one statement.
//! - Every later change of a processing task names the claiming replica and the status it
//!   expects, so a replica that lost its task (failed as stale, then retried and claimed by
//!   another) changes nothing.
//! - Appends to one task are serialised by a lock on the task's row held until commit (see
//!   [`Tx::append_task_event`]).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{TaskEventType, TaskRow, TaskStatus};
use crate::schema::scaffolder_tasks;
use crate::store::Backend;
use crate::{StoreError, Tx};

// Raw SQL: diesel's DSL has RETURNING on SQLite only behind a feature this crate does not
// enable (`returning_clauses_for_sqlite_3_35`), and no locking clause in a subselect. Both
// backends bind the same values in the same order; PostgreSQL numbers them `$N`, SQLite
// `?N`, so a value used twice is bound once. Statuses are written out: they are the
// strings of `TaskStatus::as_str`, which the tests check round trip through these queries.

/// Claims the oldest open task. Binds 1 replica, 2 now. SKIP LOCKED: a concurrent claimer
/// passes over the row this statement is taking instead of waiting for it and claiming it
/// again; a row another claimer committed meanwhile is re-checked against `status = 'open'`
/// and passed over too. MATERIALIZED makes the locking select run exactly once.
const CLAIM_NEXT_PG: &str = "\
WITH next AS MATERIALIZED (
    SELECT id FROM scaffolder_tasks
    WHERE status = 'open'
    ORDER BY created_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE scaffolder_tasks SET status = 'processing', claimed_by = $1, heartbeat_at = $2
WHERE id = (SELECT id FROM next)
RETURNING *";

/// SQLite: one writer at a time, so the subselect and the update cannot interleave with
/// another claim.
const CLAIM_NEXT_SQLITE: &str = "\
UPDATE scaffolder_tasks SET status = 'processing', claimed_by = ?1, heartbeat_at = ?2
WHERE id = (
    SELECT id FROM scaffolder_tasks
    WHERE status = 'open'
    ORDER BY created_at, id
    LIMIT 1
)
RETURNING *";

/// Fails processing tasks whose last heartbeat is before the cutoff. Binds 1 now, 2 cutoff.
/// The error names the replica and how long it has been silent, in whole seconds (integer
/// division on both backends). On PostgreSQL the candidates are locked with SKIP LOCKED:
/// two replicas sweeping at once never wait for each other (so cannot deadlock), a task
/// the other is failing is left to it, and one it committed meanwhile is re-checked and
/// dropped; a task whose worker holds its row (a heartbeat or an append in flight) waits
/// for the next sweep.
const FAIL_STALE_PG: &str = "\
WITH stale AS MATERIALIZED (
    SELECT id FROM scaffolder_tasks
    WHERE status = 'processing' AND heartbeat_at < $2
    FOR UPDATE SKIP LOCKED
)
UPDATE scaffolder_tasks SET status = 'failed', finished_at = $1,
    error = 'the worker on replica ' || COALESCE(claimed_by, '')
        || ' stopped sending heartbeats for ' || (($1 - heartbeat_at) / 1000) || ' s'
WHERE id IN (SELECT id FROM stale)
RETURNING id, error";

const FAIL_STALE_SQLITE: &str = "\
UPDATE scaffolder_tasks SET status = 'failed', finished_at = ?1,
    error = 'the worker on replica ' || COALESCE(claimed_by, '')
        || ' stopped sending heartbeats for ' || ((?1 - heartbeat_at) / 1000) || ' s'
WHERE status = 'processing' AND heartbeat_at < ?2
RETURNING id, error";

/// Appends an event to an existing task. Binds 1 task id, 2 event type, 3 body, 4 now. The
/// task's row is locked (FOR NO KEY UPDATE, the lock an UPDATE of it takes) before the
/// insert draws an id from the sequence, and held until commit: appends to one task, and
/// the updates of `fail_stale_tasks`, therefore commit one after another in id order. No
/// row comes back when the task does not exist.
const APPEND_EVENT_PG: &str = "\
WITH task AS MATERIALIZED (
    SELECT id FROM scaffolder_tasks WHERE id = $1 FOR NO KEY UPDATE
)
INSERT INTO task_events (task_id, event_type, body_json, created_at)
SELECT id, $2, $3, $4 FROM task
RETURNING id";

/// SQLite: write transactions are serial, so ids are drawn in commit order already.
const APPEND_EVENT_SQLITE: &str = "\
INSERT INTO task_events (task_id, event_type, body_json, created_at)
SELECT id, ?2, ?3, ?4 FROM scaffolder_tasks WHERE id = ?1
RETURNING id";

#[derive(QueryableByName)]
struct AppendedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct FailedTask {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    error: String,
}

impl Tx<'_> {
    /// Takes the oldest open task (by `created_at`, then id) for `replica`: it becomes
    /// `processing`, claimed by `replica`, with its heartbeat at `now`. Returns the task
    /// after the claim; `None` when no task is open. Of several replicas claiming at once
    /// on one database, exactly one gets a given task. Run it in its own
    /// [`Store::transaction`](crate::Store::transaction) (or `read`: it is one statement) so
    /// the claim is committed before the task starts.
    pub fn claim_next_task(
        &mut self,
        replica: &str,
        now: i64,
    ) -> Result<Option<TaskRow>, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => CLAIM_NEXT_SQLITE,
            Backend::Postgres => CLAIM_NEXT_PG,
        };
        let row = db_run!(self, |conn| diesel::sql_query(sql)
            .bind::<Text, _>(replica)
            .bind::<BigInt, _>(now)
            .get_result::<TaskRow>(conn)
            .optional())?;
        Ok(row)
    }

    /// Renews the heartbeat of task `id` to `now`. `false`, changing nothing, when the task
    /// is no longer processing under `replica`: it ended, was failed as stale, or was
    /// retried and claimed by another replica. The worker should then stop.
    pub fn heartbeat_task(
        &mut self,
        id: &str,
        replica: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let renewed = db_run!(self, |conn| diesel::update(
            scaffolder_tasks::table
                .find(id)
                .filter(scaffolder_tasks::status.eq(TaskStatus::Processing.as_str()))
                .filter(scaffolder_tasks::claimed_by.eq(replica))
        )
        .set(scaffolder_tasks::heartbeat_at.eq(now))
        .execute(conn))?;
        Ok(renewed > 0)
    }

    /// Ends task `id`, processing under `replica`, as `status` (`completed`, `failed` or
    /// `cancelled`) with its output and error, finished at `now`. `false`, changing nothing,
    /// when it is not processing under `replica`. Any other `status` is `InvalidInput`.
    /// The completion event is the caller's to append, in the same transaction.
    pub fn finish_task(
        &mut self,
        id: &str,
        replica: &str,
        status: &str,
        output_json: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let status = match TaskStatus::parse(status) {
            Some(parsed) if parsed.is_finished() => parsed,
            _ => {
                return Err(StoreError::InvalidInput(format!(
                    "task {id}: cannot finish as status `{status}`; expected completed, \
                     failed or cancelled"
                )))
            }
        };
        let finished = db_run!(self, |conn| diesel::update(
            scaffolder_tasks::table
                .find(id)
                .filter(scaffolder_tasks::status.eq(TaskStatus::Processing.as_str()))
                .filter(scaffolder_tasks::claimed_by.eq(replica))
        )
        .set((
            scaffolder_tasks::status.eq(status.as_str()),
            scaffolder_tasks::output_json.eq(output_json),
            scaffolder_tasks::error.eq(error),
            scaffolder_tasks::finished_at.eq(now),
        ))
        .execute(conn))?;
        Ok(finished > 0)
    }

    /// Asks for task `id` to be cancelled. An open task is cancelled at once (finished at
    /// `now`); a processing one gets `cancel_requested`, and its worker, which reads it,
    /// stops and finishes it as cancelled; a finished task is left as it is. Returns the
    /// task after the change; `None` when there is no such task. Appending a `cancelled`
    /// event is the caller's choice.
    pub fn request_task_cancel(
        &mut self,
        id: &str,
        now: i64,
    ) -> Result<Option<TaskRow>, StoreError> {
        self.all_or_nothing(|tx| {
            // Open first: a task claimed between the two statements is then caught by the
            // second. Each statement re-checks the status of a row another transaction
            // changed meanwhile (on PostgreSQL after waiting for it), so a task cannot be
            // cancelled while a worker takes it, nor flagged after it finished.
            db_run!(tx, |conn| diesel::update(
                scaffolder_tasks::table
                    .find(id)
                    .filter(scaffolder_tasks::status.eq(TaskStatus::Open.as_str()))
            )
            .set((
                scaffolder_tasks::status.eq(TaskStatus::Cancelled.as_str()),
                scaffolder_tasks::finished_at.eq(now),
            ))
            .execute(conn))?;
            db_run!(tx, |conn| diesel::update(
                scaffolder_tasks::table
                    .find(id)
                    .filter(scaffolder_tasks::status.eq(TaskStatus::Processing.as_str()))
            )
            .set(scaffolder_tasks::cancel_requested.eq(true))
            .execute(conn))?;
            tx.task(id)
        })
    }

    /// Fails every processing task whose heartbeat is older than `now - timeout_ms`: its
    /// worker died or lost the database. Each gets status `failed`, `finished_at = now`, an
    /// error saying which replica stopped sending heartbeats and for how many seconds, and
    /// a `completion` event `{"message": <error>, "status": "failed"}`, all or nothing.
    /// Returns their ids, sorted. Replicas may run it at once: each stale task is failed by
    /// one of them, with one event.
    pub fn fail_stale_tasks(
        &mut self,
        now: i64,
        timeout_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let cutoff = now.saturating_sub(timeout_ms);
        let sql = match self.backend() {
            Backend::Sqlite => FAIL_STALE_SQLITE,
            Backend::Postgres => FAIL_STALE_PG,
        };
        self.all_or_nothing(|tx| {
            let mut failed: Vec<FailedTask> = db_run!(tx, |conn| diesel::sql_query(sql)
                .bind::<BigInt, _>(now)
                .bind::<BigInt, _>(cutoff)
                .load(conn))?;
            // RETURNING gives rows in no particular order; events go in id order.
            failed.sort_by(|a, b| a.id.cmp(&b.id));
            for task in &failed {
                let body = serde_json::json!({
                    "message": task.error,
                    "status": TaskStatus::Failed.as_str(),
                });
                tx.append_task_event(
                    &task.id,
                    TaskEventType::Completion.as_str(),
                    &body.to_string(),
                    now,
                )?;
            }
            Ok(failed.into_iter().map(|task| task.id).collect())
        })
    }

    /// Queues failed or cancelled task `id` again: `open`, with its claim, heartbeat,
    /// cancellation request, output, error and end cleared. It keeps its `created_at`, so
    /// it is claimed ahead of tasks created after it, and its events, so readers carry on
    /// from the last id they saw. `false`, changing nothing, for a task in any other state
    /// or an unknown id.
    pub fn retry_task(&mut self, id: &str) -> Result<bool, StoreError> {
        let retryable = [TaskStatus::Failed.as_str(), TaskStatus::Cancelled.as_str()];
        let retried = db_run!(self, |conn| diesel::update(
            scaffolder_tasks::table
                .find(id)
                .filter(scaffolder_tasks::status.eq_any(retryable))
        )
        .set((
            scaffolder_tasks::status.eq(TaskStatus::Open.as_str()),
            scaffolder_tasks::claimed_by.eq(None::<String>),
            scaffolder_tasks::heartbeat_at.eq(None::<i64>),
            scaffolder_tasks::cancel_requested.eq(false),
            scaffolder_tasks::output_json.eq(None::<String>),
            scaffolder_tasks::error.eq(None::<String>),
            scaffolder_tasks::finished_at.eq(None::<i64>),
        ))
        .execute(conn))?;
        Ok(retried > 0)
    }

    /// Puts processing task `id`, claimed by `replica`, back in the queue: `open`, with
    /// its claim and heartbeat cleared (a shutdown interrupted it; it runs again from the
    /// start). `false`, changing nothing, when it is not processing under `replica` or
    /// its cancellation was asked for (it is to end as cancelled, not run again).
    pub fn requeue_task(&mut self, id: &str, replica: &str) -> Result<bool, StoreError> {
        let requeued = db_run!(self, |conn| diesel::update(
            scaffolder_tasks::table
                .find(id)
                .filter(scaffolder_tasks::status.eq(TaskStatus::Processing.as_str()))
                .filter(scaffolder_tasks::claimed_by.eq(replica))
                .filter(scaffolder_tasks::cancel_requested.eq(false))
        )
        .set((
            scaffolder_tasks::status.eq(TaskStatus::Open.as_str()),
            scaffolder_tasks::claimed_by.eq(None::<String>),
            scaffolder_tasks::heartbeat_at.eq(None::<i64>),
        ))
        .execute(conn))?;
        Ok(requeued > 0)
    }

    /// Appends an event to task `task_id` and returns its id. `InvalidInput` for an event
    /// type not in [`TaskEventType`] or a task that does not exist.
    ///
    /// Ids only grow, and a reader paging with `after = <last id seen>` never misses one of
    /// a task's events: those commit in id order. On PostgreSQL (where ids are drawn at
    /// insert and transactions commit in any order) because each append locks the task's
    /// row until commit before drawing its id; on SQLite because write transactions are
    /// serial. Across tasks ids are unique but, on PostgreSQL, may commit out of order, so
    /// readers page per task. The lock is held until the caller's transaction ends: keep
    /// transactions that append short, or the worker's heartbeat waits for them.
    pub fn append_task_event(
        &mut self,
        task_id: &str,
        event_type: &str,
        body_json: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        if TaskEventType::parse(event_type).is_none() {
            return Err(StoreError::InvalidInput(format!(
                "task {task_id}: unknown event type `{event_type}`; expected log, completion, \
                 cancelled or recovered"
            )));
        }
        let sql = match self.backend() {
            Backend::Sqlite => APPEND_EVENT_SQLITE,
            Backend::Postgres => APPEND_EVENT_PG,
        };
        let appended: Option<AppendedId> = db_run!(self, |conn| diesel::sql_query(sql)
            .bind::<Text, _>(task_id)
            .bind::<Text, _>(event_type)
            .bind::<Text, _>(body_json)
            .bind::<BigInt, _>(now)
            .get_result(conn)
            .optional())?;
        match appended {
            Some(appended) => Ok(appended.id),
            None => Err(StoreError::InvalidInput(format!(
                "cannot append a {event_type} event to task {task_id}: no such task"
            ))),
        }
    }
}
