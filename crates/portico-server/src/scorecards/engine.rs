//! Evaluating scorecards over the catalog: everything at once, or the
//! entities a change touches (the changed ones, and those whose checks read
//! them: a group's services when its members change).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use portico_catalog::Catalog;
use portico_scorecards::{evaluate, EntityScore, Scorecard};
use serde_json::Value;

use super::facts::{CatalogFacts, Inputs};

/// Below this many entities one thread evaluates; above, every core does.
const PARALLEL_FROM: usize = 2_000;

/// One entity's results.
#[derive(Debug, Clone)]
pub struct Scored {
    /// `kind:namespace/name` as written (for links and tables).
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    /// The `ownedBy` target: the team the entity counts for.
    pub owner: Option<String>,
    /// One per scorecard that applies to it, in the configured order.
    pub scores: Vec<EntityScore>,
    /// Other entities its checks read.
    consulted: Vec<Arc<str>>,
}

impl Scored {
    pub fn score(&self, scorecard: &str) -> Option<&EntityScore> {
        self.scores.iter().find(|s| s.scorecard == scorecard)
    }
}

/// The results of every entity, and who read whom.
#[derive(Debug, Default)]
pub struct Results {
    pub entities: HashMap<Arc<str>, Scored>,
    /// For each ref, the entities whose checks read it.
    dependents: HashMap<Arc<str>, HashSet<Arc<str>>>,
}

impl Results {
    /// The refs whose results a change to `changed` may alter: those, and
    /// every entity that read one of them.
    pub fn affected_by(&self, changed: &[String]) -> Vec<Arc<str>> {
        let mut out: HashSet<Arc<str>> = HashSet::new();
        for entity_ref in changed {
            let entity_ref: Arc<str> = Arc::from(entity_ref.as_str());
            if let Some(readers) = self.dependents.get(&entity_ref) {
                out.extend(readers.iter().cloned());
            }
            out.insert(entity_ref);
        }
        let mut out: Vec<Arc<str>> = out.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// Puts new results in place (`None`: the entity is gone, or no
    /// scorecard applies to it).
    pub fn apply(&mut self, evaluated: Vec<(Arc<str>, Option<Scored>)>) {
        for (entity_ref, scored) in evaluated {
            if let Some(old) = self.entities.remove(&entity_ref) {
                for read in &old.consulted {
                    if let Some(readers) = self.dependents.get_mut(read) {
                        readers.remove(&entity_ref);
                        if readers.is_empty() {
                            self.dependents.remove(read);
                        }
                    }
                }
            }
            if let Some(scored) = scored {
                self.link(&entity_ref, &scored);
                self.entities.insert(entity_ref, scored);
            }
        }
    }

    /// Results made from a full evaluation.
    pub fn from_all(evaluated: Vec<(Arc<str>, Option<Scored>)>) -> Results {
        let mut results = Results::default();
        for (entity_ref, scored) in evaluated {
            if let Some(scored) = scored {
                results.link(&entity_ref, &scored);
                results.entities.insert(entity_ref, scored);
            }
        }
        results
    }

    fn link(&mut self, entity_ref: &Arc<str>, scored: &Scored) {
        for read in &scored.consulted {
            self.dependents
                .entry(read.clone())
                .or_default()
                .insert(entity_ref.clone());
        }
    }
}

/// Every entity of the catalog's index, with the refs of `previous` that
/// are no longer in it (so that their results go).
pub fn all_refs(catalog: &Catalog, previous: Option<&Results>) -> Vec<Arc<str>> {
    let mut refs: HashSet<Arc<str>> = catalog
        .index()
        .iter()
        .map(|(entity_ref, _)| Arc::from(entity_ref))
        .collect();
    if let Some(previous) = previous {
        refs.extend(previous.entities.keys().cloned());
    }
    let mut refs: Vec<Arc<str>> = refs.into_iter().collect();
    refs.sort_unstable();
    refs
}

/// Evaluates every scorecard on each of `refs`, on every core when there
/// are many.
pub fn evaluate_refs(
    cards: &[Arc<Scorecard>],
    catalog: &Catalog,
    inputs: &Inputs,
    refs: &[Arc<str>],
    now_ms: i64,
) -> Vec<(Arc<str>, Option<Scored>)> {
    let threads = if refs.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    if threads == 1 {
        return evaluate_some(cards, catalog, inputs, refs, now_ms);
    }
    let per_thread = refs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = refs
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || evaluate_some(cards, catalog, inputs, chunk, now_ms)))
            .collect();
        let mut out = Vec::with_capacity(refs.len());
        for worker in workers {
            match worker.join() {
                Ok(part) => out.extend(part),
                // A panic in a check is a bug; its entities keep no result
                // rather than the whole pass failing.
                Err(_) => tracing::error!("a scorecard evaluation thread panicked"),
            }
        }
        out
    })
}

fn evaluate_some(
    cards: &[Arc<Scorecard>],
    catalog: &Catalog,
    inputs: &Inputs,
    refs: &[Arc<str>],
    now_ms: i64,
) -> Vec<(Arc<str>, Option<Scored>)> {
    let facts = CatalogFacts::new(catalog, inputs, now_ms);
    refs.iter()
        .map(|entity_ref| {
            let json = catalog.index().get(entity_ref);
            let scored = json.and_then(|json| {
                let entity = json.value();
                facts.begin(entity_ref, &entity);
                let scores: Vec<EntityScore> = cards
                    .iter()
                    .filter_map(|card| evaluate(card, &entity, &facts))
                    .collect();
                let consulted = facts.consulted();
                (!scores.is_empty()).then(|| scored(&entity, scores, consulted))
            });
            (entity_ref.clone(), scored)
        })
        .collect()
}

fn scored(entity: &Value, scores: Vec<EntityScore>, consulted: Vec<Arc<str>>) -> Scored {
    let text = |pointer: &str| entity.pointer(pointer).and_then(Value::as_str);
    Scored {
        kind: text("/kind").unwrap_or_default().to_owned(),
        namespace: text("/metadata/namespace").unwrap_or("default").to_owned(),
        name: text("/metadata/name").unwrap_or_default().to_owned(),
        title: text("/metadata/title").map(str::to_owned),
        owner: crate::access::owned_by(entity),
        scores,
        consulted,
    }
}
