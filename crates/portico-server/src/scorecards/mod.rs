//! Scorecards in the server: the configured definitions, their results for
//! every entity kept in memory and current by following the change logs
//! (entities and docs sites), a full pass on a schedule for time-based
//! checks, and the history written to the store for trends.

mod coverage;
mod engine;
mod facts;
mod history;
pub mod report;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portico_catalog::Catalog;
use portico_scorecards::Scorecard;
use portico_store::{Store, StoreError};

pub use coverage::{
    by_team, card_coverage, group_members, org_coverage, ratio, trend_from, window_start,
    CardCoverage, CheckCoverage, TeamCoverage, TrendPoint, TrendSeries,
};
pub use engine::{all_refs, evaluate_refs, Results, Scored};
pub use facts::Inputs;
pub use history::{day_of, History};

use crate::config::ScorecardsSection;

/// How often the follower looks at the change logs.
const FOLLOW_POLL: Duration = Duration::from_millis(250);
/// Wait before trying a failed first pass again.
const START_RETRY: Duration = Duration::from_secs(5);
/// Change-log entries read per round.
const CHANGES_PER_ROUND: i64 = 5_000;

/// The scorecards of one replica and the thread that keeps their results.
pub struct Scorecards {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

struct Shared {
    cards: Vec<Arc<Scorecard>>,
    results: RwLock<Results>,
    ready: AtomicBool,
    history_days: u32,
    /// Organisation-wide counts of days before today, by scorecard and
    /// first day: those days' rows no longer change, and counting them
    /// reads every row of the window.
    org_trends: std::sync::Mutex<OrgTrends>,
}

/// Stored counts per check and day (`(check, count)`), as `score_trend`
/// reads them.
pub type DayCounts = Arc<Vec<(String, portico_store::DayCount)>>;

/// Stored counts read for `today`, by scorecard and first day.
#[derive(Default)]
struct OrgTrends {
    today: i32,
    counts: std::collections::HashMap<(String, i32), DayCounts>,
}

impl Scorecards {
    /// Starts evaluating `cards` over `catalog` (nothing runs without cards).
    pub fn start(
        catalog: Arc<Catalog>,
        cards: Vec<Scorecard>,
        section: &ScorecardsSection,
    ) -> Scorecards {
        let shared = Arc::new(Shared {
            cards: cards.into_iter().map(Arc::new).collect(),
            results: RwLock::default(),
            ready: AtomicBool::new(false),
            history_days: section.history_days.max(1),
            org_trends: std::sync::Mutex::default(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let handle = if shared.cards.is_empty() {
            shared.ready.store(true, Ordering::Release);
            None
        } else {
            let (state, flag) = (shared.clone(), stop.clone());
            let full_every = Duration::from_secs(section.evaluate_interval.max(60));
            std::thread::Builder::new()
                .name("portico-scorecards".to_string())
                .spawn(move || follow(&state, &catalog, full_every, &flag))
                .map_err(|e| tracing::error!(error = %e, "cannot start the scorecards thread"))
                .ok()
        };
        Scorecards {
            shared,
            stop,
            handle,
        }
    }

    pub fn cards(&self) -> &[Arc<Scorecard>] {
        &self.shared.cards
    }

    pub fn card(&self, name: &str) -> Option<&Arc<Scorecard>> {
        self.shared.cards.iter().find(|c| c.name == name)
    }

    /// Whether every entity has been evaluated once.
    pub fn is_ready(&self) -> bool {
        self.shared.ready.load(Ordering::Acquire)
    }

    /// Days of history kept (and the longest trend).
    pub fn history_days(&self) -> u32 {
        self.shared.history_days
    }

    /// The stored organisation-wide counts of `card` from `from` to the
    /// day before `today`, read once per day and window.
    pub fn org_counts(
        &self,
        store: &Store,
        card: &str,
        from: i32,
        today: i32,
    ) -> Result<DayCounts, StoreError> {
        let key = (card.to_owned(), from);
        {
            let cached = self
                .shared
                .org_trends
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if cached.today == today {
                if let Some(counts) = cached.counts.get(&key) {
                    return Ok(counts.clone());
                }
            }
        }
        let counts: Vec<_> = store
            .read(|tx| tx.score_trend(card, from, None))?
            .into_iter()
            .filter(|(_, count)| count.day < today)
            .collect();
        let counts = Arc::new(counts);
        let mut cached = self
            .shared
            .org_trends
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cached.today != today {
            *cached = OrgTrends {
                today,
                ..OrgTrends::default()
            };
        }
        cached.counts.insert(key, counts.clone());
        Ok(counts)
    }

    /// The current results. Hold briefly: the follower waits for it.
    pub fn results(&self) -> RwLockReadGuard<'_, Results> {
        read(&self.shared.results)
    }
}

impl Drop for Scorecards {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Where the follower is in the two change logs.
#[derive(Debug, Clone, Copy)]
struct Position {
    entities: i64,
    docs: i64,
}

fn follow(shared: &Shared, catalog: &Catalog, full_every: Duration, stop: &AtomicBool) {
    let (mut evaluator, mut position) = loop {
        match first_pass(shared, catalog) {
            Ok(started) => break started,
            Err(e) => tracing::error!(
                error = %e,
                retry_in_s = START_RETRY.as_secs(),
                "scorecards cannot be evaluated"
            ),
        }
        let until = Instant::now() + START_RETRY;
        while Instant::now() < until {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(FOLLOW_POLL);
        }
    };
    shared.ready.store(true, Ordering::Release);
    let mut last_full = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_POLL);
        let result = if last_full.elapsed() >= full_every || evaluator.day_changed() {
            last_full = Instant::now();
            evaluator.full(catalog, &shared.results).map(|_| ())
        } else {
            catch_up(catalog, &shared.results, &mut evaluator, &mut position)
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "scorecard evaluation failed");
        }
    }
}

/// Positions first (what changes meanwhile is evaluated again after), then
/// everything.
fn first_pass(shared: &Shared, catalog: &Catalog) -> Result<(Evaluator, Position), FollowError> {
    let position = catalog.store().read(|tx| {
        Ok::<_, StoreError>(Position {
            entities: tx.last_change_seq()?,
            docs: tx.doc_change_head()?,
        })
    })?;
    let mut evaluator = Evaluator::new(shared.cards.clone(), catalog.store(), shared.history_days)?;
    evaluator.full(catalog, &shared.results)?;
    Ok((evaluator, position))
}

/// Evaluates what the change logs name since `position`.
fn catch_up(
    catalog: &Catalog,
    results: &RwLock<Results>,
    evaluator: &mut Evaluator,
    position: &mut Position,
) -> Result<(), FollowError> {
    let at = *position;
    let (entity_changes, doc_changes) = catalog.store().read(|tx| {
        Ok::<_, StoreError>((
            tx.changes_since(at.entities, CHANGES_PER_ROUND)?,
            tx.doc_changes_since(at.docs, CHANGES_PER_ROUND)?,
        ))
    })?;
    if entity_changes.is_empty() && doc_changes.is_empty() {
        return Ok(());
    }
    let next = Position {
        entities: entity_changes.last().map_or(at.entities, |c| c.seq),
        docs: doc_changes.last().map_or(at.docs, |c| c.seq),
    };
    let unique = |refs: Vec<String>| -> Vec<String> {
        refs.into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let entity_refs = unique(entity_changes.into_iter().map(|c| c.entity_ref).collect());
    let doc_refs = unique(doc_changes.into_iter().map(|c| c.entity_ref).collect());
    evaluator.changed(catalog, results, &entity_refs, &doc_refs)?;
    *position = next;
    Ok(())
}

fn read(results: &RwLock<Results>) -> RwLockReadGuard<'_, Results> {
    results.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(results: &RwLock<Results>) -> RwLockWriteGuard<'_, Results> {
    results.write().unwrap_or_else(PoisonError::into_inner)
}

/// What a full pass did.
#[derive(Debug, Clone, Copy)]
pub struct FullPass {
    pub entities: usize,
    /// Spent reading inputs and evaluating.
    pub evaluated: Duration,
    /// Entities whose history rows were written.
    pub written: usize,
    /// Spent writing history (and pruning it).
    pub stored: Duration,
}

/// What evaluating a change did.
#[derive(Debug, Clone, Copy)]
pub struct ChangePass {
    /// Entities evaluated: the changed ones and those that read them.
    pub evaluated: usize,
    /// From the start until the API served the new results.
    pub visible: Duration,
    /// Entities whose history rows were written.
    pub written: usize,
    /// Including the history write.
    pub total: Duration,
}

/// Evaluates scorecards and keeps their history: everything at once, or
/// what changed. The follower thread runs one; `portico bench` too.
pub struct Evaluator {
    cards: Vec<Arc<Scorecard>>,
    inputs: Inputs,
    history: History,
    history_days: u32,
    /// The day of the last full pass; a new day starts one.
    evaluated_day: i32,
    /// The day history was last pruned.
    pruned_day: i32,
}

impl Evaluator {
    /// Reads today's stored history, so that a restart writes only what
    /// changed since.
    pub fn new(
        cards: Vec<Arc<Scorecard>>,
        store: &Store,
        history_days: u32,
    ) -> Result<Evaluator, StoreError> {
        let day = day_of(portico_store::now_ms());
        Ok(Evaluator {
            cards,
            inputs: Inputs::default(),
            history: History::load(store, day)?,
            history_days,
            evaluated_day: day - 1,
            pruned_day: day - 1,
        })
    }

    fn day_changed(&self) -> bool {
        day_of(portico_store::now_ms()) != self.evaluated_day
    }

    /// Evaluates everything again (time-based checks, a new day) into
    /// `results`, writes the day's history and forgets history older than
    /// the days kept.
    pub fn full(
        &mut self,
        catalog: &Catalog,
        results: &RwLock<Results>,
    ) -> Result<FullPass, FollowError> {
        let store = catalog.store();
        let started = Instant::now();
        catalog.sync()?;
        self.inputs = store.read(Inputs::load)?;
        let refs = all_refs(catalog, Some(&read(results)));
        let now = portico_store::now_ms();
        let evaluated = evaluate_refs(&self.cards, catalog, &self.inputs, &refs, now);
        let fresh = Results::from_all(evaluated);
        let entities = fresh.entities.len();
        // The old results are freed after the lock is let go: readers
        // wait for the swap only.
        let old = std::mem::replace(&mut *write(results), fresh);
        drop(old);
        // Before history is written: a failing write is tried again at the
        // next pass, not in a loop of full passes.
        self.evaluated_day = day_of(now);
        let evaluated = started.elapsed();
        let started = Instant::now();
        let day = day_of(now);
        let written = self.history.write(store, &read(results), None, day)?;
        if self.pruned_day != day {
            let keep_from = day - i32::try_from(self.history_days).unwrap_or(i32::MAX);
            let pruned = store.transaction(|tx| tx.prune_score_rows(keep_from))?;
            self.pruned_day = day;
            tracing::debug!(rows = pruned, "old scorecard history pruned");
        }
        let pass = FullPass {
            entities,
            evaluated,
            written,
            stored: started.elapsed(),
        };
        tracing::info!(
            entities,
            written,
            evaluate_ms = pass.evaluated.as_millis() as u64,
            store_ms = pass.stored.as_millis() as u64,
            "scorecards evaluated"
        );
        Ok(pass)
    }

    /// Evaluates the entities in `entity_refs` and `doc_refs` (their
    /// definition or their docs site changed) and every entity whose checks
    /// read one of them, then writes today's history of those that changed.
    pub fn changed(
        &mut self,
        catalog: &Catalog,
        results: &RwLock<Results>,
        entity_refs: &[String],
        doc_refs: &[String],
    ) -> Result<ChangePass, FollowError> {
        let store = catalog.store();
        let started = Instant::now();
        // The index must hold at least these changes before they are read.
        catalog.sync()?;
        store.read(|tx| {
            self.inputs.reload_times(tx, entity_refs)?;
            self.inputs.reload_docs(tx, doc_refs)
        })?;
        let changed: Vec<String> = entity_refs.iter().chain(doc_refs).cloned().collect();
        let refs = read(results).affected_by(&changed);
        let now = portico_store::now_ms();
        let evaluated = evaluate_refs(&self.cards, catalog, &self.inputs, &refs, now);
        write(results).apply(evaluated);
        let visible = started.elapsed();
        let written = self
            .history
            .write(store, &read(results), Some(&refs), day_of(now))?;
        Ok(ChangePass {
            evaluated: refs.len(),
            visible,
            written,
            total: started.elapsed(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Catalog(#[from] portico_catalog::CatalogError),
}
