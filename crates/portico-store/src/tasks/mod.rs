//! Scaffolder tasks: runs of software templates, queued by the API, claimed and run by one
//! worker (a replica) at a time, and the events (log lines, completion) each run leaves for
//! readers that follow it page by page.
//!
//! A task's life: `open` until a worker claims it ([`Tx::claim_next_task`]), `processing`
//! while that worker runs it and renews its heartbeat, then `completed`, `failed` or
//! `cancelled`. A processing task whose worker stops sending heartbeats is failed by
//! whichever replica notices ([`Tx::fail_stale_tasks`]); [`Tx::retry_task`] queues a failed
//! or cancelled task again.

use std::fmt;

use diesel::prelude::*;

use crate::error::conflict_or;
use crate::schema::{scaffolder_tasks, task_events};
use crate::{StoreError, Tx};

// State changes of claimed tasks and event appends; creation and the reads are below.
mod writes;

/// Where a task is in its life. Stored as [`TaskStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Waiting for a worker.
    Open,
    /// Claimed by a worker, which renews its heartbeat while it runs the task.
    Processing,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Open,
        TaskStatus::Processing,
        TaskStatus::Completed,
        TaskStatus::Failed,
        TaskStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Processing => "processing",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// The status stored as `s`; `None` for anything else.
    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
    }

    /// Whether the task has ended: completed, failed or cancelled.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a task event records. Stored as [`TaskEventType::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskEventType {
    /// A line of the run's log.
    Log,
    /// The task ended; the body says how.
    Completion,
    /// Cancellation was asked for.
    Cancelled,
    /// The task was taken up again after its worker went away.
    Recovered,
}

impl TaskEventType {
    pub const ALL: [TaskEventType; 4] = [
        TaskEventType::Log,
        TaskEventType::Completion,
        TaskEventType::Cancelled,
        TaskEventType::Recovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskEventType::Log => "log",
            TaskEventType::Completion => "completion",
            TaskEventType::Cancelled => "cancelled",
            TaskEventType::Recovered => "recovered",
        }
    }

    /// The event type stored as `s`; `None` for anything else.
    pub fn parse(s: &str) -> Option<TaskEventType> {
        TaskEventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for TaskEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scaffolder task. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName, Selectable)]
#[diesel(
    table_name = scaffolder_tasks,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg)
)]
pub struct TaskRow {
    /// A uuid made by the caller.
    pub id: String,
    /// Template ref and snapshot, values without secrets, user: opaque to the store.
    pub spec_json: String,
    /// One of [`TaskStatus`], as stored.
    pub status: String,
    /// The user's entity ref; `""` when anonymous.
    pub created_by: String,
    pub created_at: i64,
    /// The replica that claimed the task; kept after it ends, to show who ran it.
    pub claimed_by: Option<String>,
    pub heartbeat_at: Option<i64>,
    /// Cancellation was asked for while the task was processing.
    pub cancel_requested: bool,
    pub output_json: Option<String>,
    pub error: Option<String>,
    pub finished_at: Option<i64>,
}

/// One event of a task. Ids grow with each append; see [`Tx::append_task_event`] for what
/// that promises to a reader.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(
    table_name = task_events,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg)
)]
pub struct TaskEventRow {
    pub id: i64,
    pub task_id: String,
    /// One of [`TaskEventType`], as stored.
    pub event_type: String,
    /// Opaque to the store, except the completion events `fail_stale_tasks` writes.
    pub body_json: String,
    pub created_at: i64,
}

/// Which tasks [`Tx::tasks`] lists: those matching every filter given, one page of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskFilter<'a> {
    /// Only tasks of this user entity ref (`""` for anonymous ones).
    pub created_by: Option<&'a str>,
    /// Only tasks in this status, as stored; an unknown status matches nothing.
    pub status: Option<&'a str>,
    /// Page size; 0 or less lists nothing (the total is still counted).
    pub limit: i64,
    /// Matching tasks to skip, newest first; negative counts as 0.
    pub offset: i64,
}

impl Tx<'_> {
    /// Queues a new task: `open`, unclaimed. An existing id is a `Conflict`.
    pub fn create_task(
        &mut self,
        id: &str,
        spec_json: &str,
        created_by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let row = (
            scaffolder_tasks::id.eq(id),
            scaffolder_tasks::spec_json.eq(spec_json),
            scaffolder_tasks::status.eq(TaskStatus::Open.as_str()),
            scaffolder_tasks::created_by.eq(created_by),
            scaffolder_tasks::created_at.eq(now),
        );
        // Inside a savepoint: on PostgreSQL a failed statement aborts the whole transaction,
        // and the caller should be able to report the conflict and carry on, as on SQLite.
        db_run!(self, |conn| conn.transaction(|conn| diesel::insert_into(
            scaffolder_tasks::table
        )
        .values(row)
        .execute(conn)))
        .map(drop)
        .map_err(conflict_or)
    }

    pub fn task(&mut self, id: &str) -> Result<Option<TaskRow>, StoreError> {
        let row = db_run!(self, |conn| scaffolder_tasks::table
            .find(id)
            .select(TaskRow::as_select())
            .first(conn)
            .optional())?;
        Ok(row)
    }

    /// One page of the tasks matching `filter`, newest first (ties by id), and how many
    /// match in all.
    pub fn tasks(&mut self, filter: &TaskFilter<'_>) -> Result<(Vec<TaskRow>, i64), StoreError> {
        let (rows, total) = db_run!(self, |conn| {
            // Boxed so the optional filters can be added one by one; once for the page and
            // once for the count, which must match the same rows.
            let mut page = scaffolder_tasks::table.into_boxed();
            let mut count = scaffolder_tasks::table.into_boxed();
            if let Some(created_by) = filter.created_by {
                page = page.filter(scaffolder_tasks::created_by.eq(created_by));
                count = count.filter(scaffolder_tasks::created_by.eq(created_by));
            }
            if let Some(status) = filter.status {
                page = page.filter(scaffolder_tasks::status.eq(status));
                count = count.filter(scaffolder_tasks::status.eq(status));
            }
            let total: i64 = count.count().get_result(conn)?;
            let rows = page
                .order((
                    scaffolder_tasks::created_at.desc(),
                    scaffolder_tasks::id.asc(),
                ))
                .limit(filter.limit.max(0))
                .offset(filter.offset.max(0))
                .select(TaskRow::as_select())
                .load(conn)?;
            QueryResult::Ok((rows, total))
        })?;
        Ok((rows, total))
    }

    /// Up to `limit` events of `task_id` with an id above `after`, oldest first. Start with
    /// `after = 0` and continue from the last id seen.
    pub fn task_events(
        &mut self,
        task_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<TaskEventRow>, StoreError> {
        let rows = db_run!(self, |conn| task_events::table
            .filter(task_events::task_id.eq(task_id))
            .filter(task_events::id.gt(after))
            .order(task_events::id.asc())
            .limit(limit.max(0))
            .select(TaskEventRow::as_select())
            .load(conn))?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_event_types_parse_what_they_store() {
        for status in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.to_string(), status.as_str());
        }
        for event_type in TaskEventType::ALL {
            assert_eq!(TaskEventType::parse(event_type.as_str()), Some(event_type));
            assert_eq!(event_type.to_string(), event_type.as_str());
        }
        assert_eq!(TaskStatus::parse("Open"), None);
        assert_eq!(TaskStatus::parse(""), None);
        assert_eq!(TaskEventType::parse("logs"), None);
    }

    #[test]
    fn only_completed_failed_and_cancelled_are_finished() {
        let finished: Vec<TaskStatus> = TaskStatus::ALL
            .into_iter()
            .filter(|s| s.is_finished())
            .collect();
        assert_eq!(
            finished,
            [
                TaskStatus::Completed,
                TaskStatus::Failed,
                TaskStatus::Cancelled
            ]
        );
    }
}
