//! The one writer: a thread owning tantivy's `IndexWriter`, fed by a
//! channel. tantivy allows one writer per index, and committing is the
//! expensive part, so the thread drains whatever has queued up and commits
//! it all at once.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tantivy::indexer::UserOperation;
use tantivy::merge_policy::LogMergePolicy;
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument, Term};

use crate::convert;
use crate::index::{Payload, SearchIndex};
use crate::schema::{Fields, SCHEMA_VERSION};
use crate::types::{Batch, Position, Update};
use crate::SearchError;

/// tantivy's indexing buffer, split between the indexing threads; when it
/// fills up a segment is written.
const MEMORY_BUDGET: usize = 96 * 1024 * 1024;
/// Leaves a core for queries on the 2-core machines Portico targets.
const MAX_INDEXING_THREADS: usize = 2;

/// How long the writer waits for work before reloading the reader anyway.
const IDLE_RELOAD: Duration = Duration::from_secs(2);
/// Messages waiting for the writer, at most: a rebuild reading the
/// database faster than tantivy indexes waits instead of queueing the
/// whole catalog in memory.
const QUEUE: usize = 8;

enum Msg {
    Batch(Batch),
    /// Delete everything; nothing is committed until `RebuildFinish`.
    RebuildStart,
    RebuildAdd(Vec<Update>),
    RebuildFinish(Position),
    RebuildAbort,
    Flush(Sender<Result<Position, SearchError>>),
}

/// A handle to the writer thread. Cheap to clone; the thread stops (and
/// its lock on the index is released) when the index and every handle are
/// dropped.
#[derive(Clone)]
pub struct SearchWriter {
    inner: Arc<Inner>,
}

struct Inner {
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; waiting for it means
        // the index lock is free once the last handle is gone.
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("search index writer thread panicked");
            }
        }
    }
}

impl SearchWriter {
    pub(crate) fn start(index: &SearchIndex) -> Result<SearchWriter, SearchError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_INDEXING_THREADS);
        let writer: IndexWriter<TantivyDocument> = index
            .index
            .writer_with_num_threads(threads, MEMORY_BUDGET)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => SearchError::Locked {
                    path: index.directory(),
                    message: e.to_string(),
                },
                e => SearchError::Tantivy {
                    operation: "starting the writer",
                    source: e,
                },
            })?;
        // Steady-state updates commit small segments; merging them four at
        // a time (tantivy's default waits for eight) keeps the segment
        // count, and so the per-segment cost of every query, low.
        let mut policy = LogMergePolicy::default();
        policy.set_min_num_segments(4);
        writer.set_merge_policy(Box::new(policy));
        let state = WriterState {
            index: index.index.clone(),
            writer,
            reader: index.reader.clone(),
            fields: index.fields,
            position: Arc::clone(&index.position),
            failure: None,
            rebuild: RebuildState::Idle,
        };
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("search-writer".into())
            .spawn(move || state.run(rx))
            .map_err(SearchError::io(index.directory()))?;
        Ok(SearchWriter {
            inner: Arc::new(Inner {
                tx: Some(tx),
                thread: Some(thread),
            }),
        })
    }

    fn post(&self, msg: Msg) -> Result<(), SearchError> {
        self.inner
            .tx
            .as_ref()
            .ok_or(SearchError::WriterStopped)?
            .send(msg)
            .map_err(|_| SearchError::WriterStopped)
    }

    /// Queues a batch; returns at once. It becomes searchable after the
    /// thread's next commit (see [`flush`](Self::flush)).
    pub fn send(&self, batch: Batch) -> Result<(), SearchError> {
        self.post(Msg::Batch(batch))
    }

    /// Queues "delete everything, then add these": for a fresh or
    /// unusable index. Committed as one, so queries never see it half done.
    pub fn rebuild(&self, updates: Vec<Update>, position: Position) -> Result<(), SearchError> {
        let mut rebuild = self.begin_rebuild()?;
        rebuild.add(updates)?;
        rebuild.finish(position)
    }

    /// Starts replacing the whole index, fed in parts so that the caller
    /// never holds all of it in memory. Queries keep seeing the last commit
    /// until [`Rebuild::finish`]; dropping the `Rebuild` unfinished rolls
    /// it back.
    pub fn begin_rebuild(&self) -> Result<Rebuild<'_>, SearchError> {
        self.post(Msg::RebuildStart)?;
        Ok(Rebuild {
            writer: self,
            finished: false,
        })
    }

    /// Blocks until everything sent before is committed and visible to
    /// queries. Reports a failure of the thread since the last flush.
    /// During a rebuild nothing is committed; a flush then answers with
    /// the position of the last commit.
    pub fn flush(&self) -> Result<Position, SearchError> {
        let (tx, rx) = mpsc::channel();
        self.post(Msg::Flush(tx))?;
        rx.recv().map_err(|_| SearchError::WriterStopped)?
    }
}

/// A rebuild in progress (see [`SearchWriter::begin_rebuild`]).
pub struct Rebuild<'a> {
    writer: &'a SearchWriter,
    finished: bool,
}

impl Rebuild<'_> {
    /// Queues documents for the new index; blocks while the writer is
    /// behind.
    pub fn add(&mut self, updates: Vec<Update>) -> Result<(), SearchError> {
        self.writer.post(Msg::RebuildAdd(updates))
    }

    /// Commits the new index at `position`; it becomes visible to queries
    /// at once.
    pub fn finish(mut self, position: Position) -> Result<(), SearchError> {
        self.finished = true;
        self.writer.post(Msg::RebuildFinish(position))
    }
}

impl Drop for Rebuild<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // The writer may be gone already; then there is nothing to undo.
            let _ = self.writer.post(Msg::RebuildAbort);
        }
    }
}

struct WriterState {
    writer: IndexWriter<TantivyDocument>,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    position: Arc<Mutex<Position>>,
    /// The last failure, until a flush reports it.
    failure: Option<String>,
    rebuild: RebuildState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RebuildState {
    Idle,
    /// Between `RebuildStart` and its finish or abort: nothing commits.
    Running,
    /// Failed and rolled back: its remaining parts are dropped until its
    /// finish or abort arrives.
    Failed,
}

impl WriterState {
    fn run(mut self, rx: Receiver<Msg>) {
        loop {
            let first = match rx.recv_timeout(IDLE_RELOAD) {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Timeout) => {
                    // Background merges finish after their commit; with a
                    // manual reload policy nobody would see the merged
                    // segments (nor free the old ones) until the next write.
                    if let Err(e) = self.reader.reload() {
                        tracing::debug!(error = %e, "idle search reader reload failed");
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut pending = vec![first];
            pending.extend(rx.try_iter());
            self.drain(pending);
        }
    }

    /// Applies what queued up and commits it as one.
    fn drain(&mut self, pending: Vec<Msg>) {
        let mut flushes = Vec::new();
        let mut target: Option<Position> = None;
        let mut rebuilt = false;
        let mut applied: Result<(), String> = Ok(());
        for msg in pending {
            match msg {
                Msg::Flush(reply) => flushes.push(reply),
                Msg::RebuildAbort => {
                    if self.rebuild == RebuildState::Running {
                        self.rollback("the rebuild was abandoned");
                        target = None;
                        applied = Ok(());
                    }
                    self.rebuild = RebuildState::Idle;
                }
                Msg::RebuildStart => {
                    self.rebuild = RebuildState::Running;
                    if applied.is_ok() {
                        applied = self
                            .writer
                            .delete_all_documents()
                            .map(drop)
                            .map_err(|e| format!("deleting everything: {e}"));
                    }
                }
                Msg::RebuildAdd(_) if self.rebuild != RebuildState::Running => {}
                Msg::RebuildFinish(_) if self.rebuild != RebuildState::Running => {
                    self.rebuild = RebuildState::Idle;
                }
                // Already failing: this drain is rolled back anyway.
                Msg::Batch(_) | Msg::RebuildAdd(_) if applied.is_err() => {}
                Msg::Batch(batch) => {
                    applied = self.apply(batch.updates);
                    target = Some(batch.position);
                }
                Msg::RebuildAdd(updates) => applied = self.apply(updates),
                Msg::RebuildFinish(position) => {
                    self.rebuild = RebuildState::Idle;
                    rebuilt = true;
                    target = Some(position);
                }
            }
        }
        if let Err(reason) = applied {
            tracing::error!(%reason, "search index batch lost; the index stays at its last position");
            self.rollback(&reason);
            self.failure = Some(reason);
            if self.rebuild == RebuildState::Running {
                self.rebuild = RebuildState::Failed;
            }
        } else if let (Some(position), false) = (target, self.rebuild == RebuildState::Running) {
            if let Err(reason) = self.commit(position) {
                tracing::error!(%reason, "search index commit failed; the index stays at its last position");
                self.rollback(&reason);
                self.failure = Some(reason);
            } else if rebuilt {
                self.merge_all();
            }
        }
        for reply in flushes {
            let answer = match self.failure.take() {
                Some(reason) => Err(SearchError::Writer(reason)),
                None => Ok(*self.position.lock().unwrap_or_else(PoisonError::into_inner)),
            };
            // The flusher may have given up waiting; nothing to do then.
            let _ = reply.send(answer);
        }
    }

    fn rollback(&mut self, why: &str) {
        if let Err(e) = self.writer.rollback() {
            tracing::error!(error = %e, why, "search index writer rollback failed");
        }
    }

    /// Deletes go by the `key` term; tantivy orders them against adds by
    /// opstamp, so "delete then add" within a batch keeps the new document.
    fn apply(&mut self, updates: Vec<Update>) -> Result<(), String> {
        let f = self.fields;
        for update in updates {
            match update {
                Update::UpsertEntity(entity) => {
                    self.delete(&convert::entity_key(&entity.entity_ref));
                    self.add(convert::entity(&f, &entity))?;
                }
                Update::RemoveEntity(entity_ref) => self.delete(&convert::entity_key(&entity_ref)),
                Update::ReplaceDocs { entity_ref, pages } => {
                    self.delete(&convert::docs_key(&entity_ref));
                    for page in &pages {
                        // One `run` per page: tantivy puts the adds of one run
                        // into one segment with consecutive doc ids, which is
                        // what lets queries count pages without hashing
                        // (`query::collect::GroupCount`).
                        let adds = convert::page_sections(&f, &entity_ref, page)
                            .into_iter()
                            .map(UserOperation::Add);
                        self.writer
                            .run(adds)
                            .map_err(|e| format!("adding doc sections: {e}"))?;
                    }
                }
                Update::RemoveDocs(entity_ref) => self.delete(&convert::docs_key(&entity_ref)),
            }
        }
        Ok(())
    }

    fn delete(&self, key: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.key, key));
    }

    fn add(&self, doc: TantivyDocument) -> Result<(), String> {
        self.writer
            .add_document(doc)
            .map(drop)
            .map_err(|e| format!("adding a document: {e}"))
    }

    /// A rebuild leaves one segment per indexing buffer; merge them all
    /// into one in the background (the idle reload makes it visible).
    /// Queries pay per segment, and a rebuilt index is then mostly read.
    fn merge_all(&mut self) {
        match self.index.searchable_segment_ids() {
            Ok(ids) if ids.len() > 1 => {
                // Not waited for: the writer keeps taking batches meanwhile.
                drop(self.writer.merge(&ids));
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "cannot list segments to merge"),
        }
    }

    fn commit(&mut self, position: Position) -> Result<(), String> {
        let payload = serde_json::to_string(&Payload {
            schema_version: SCHEMA_VERSION,
            position,
        })
        .map_err(|e| format!("encoding the commit payload: {e}"))?;
        let mut prepared = self
            .writer
            .prepare_commit()
            .map_err(|e| format!("preparing the commit: {e}"))?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(|e| format!("committing: {e}"))?;
        self.reader
            .reload()
            .map_err(|e| format!("reloading the reader: {e}"))?;
        *self.position.lock().unwrap_or_else(PoisonError::into_inner) = position;
        tracing::debug!(
            ?position,
            docs = self.reader.searcher().num_docs(),
            "search index committed"
        );
        Ok(())
    }
}
