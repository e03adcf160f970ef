//! Collecting hits into results: the sections of one page form one result,
//! and the total counts results, not sections.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::Query;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::schema::{GROUP_FIELD, NEUTRAL_PRIOR, PRIOR_SHIFT, RANK_FIELD, SORT_FIELD};
use crate::SearchError;

/// Counts distinct results among all hits: every entity hit is one, the
/// section hits of one page are one together. Pages in `exclude` (already
/// shown by an earlier query) are not counted.
///
/// The sections of a page are written in one tantivy `run`, so they have
/// consecutive doc ids in one segment (merges keep that): a page starts
/// wherever a hit's page differs from the previous hit's. No hashing per
/// hit, which matters when a common word hits most sections.
pub(crate) struct GroupCount {
    pub exclude: Arc<HashSet<u64>>,
}

impl Collector for GroupCount {
    type Fruit = usize;
    type Child = SegmentGroupCount;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentGroupCount> {
        Ok(SegmentGroupCount {
            column: reader.fast_fields().u64(GROUP_FIELD)?,
            exclude: Arc::clone(&self.exclude),
            previous: 0,
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, counts: Vec<usize>) -> tantivy::Result<usize> {
        Ok(counts.into_iter().sum())
    }
}

pub(crate) struct SegmentGroupCount {
    column: Column<u64>,
    exclude: Arc<HashSet<u64>>,
    previous: u64,
    count: usize,
}

impl SegmentCollector for SegmentGroupCount {
    type Fruit = usize;

    fn collect(&mut self, doc: DocId, _: Score) {
        let page = self.column.first(doc).unwrap_or(0);
        let new_result = page == 0 || page != self.previous;
        self.previous = page;
        if new_result && (page == 0 || !self.exclude.contains(&page)) {
            self.count += 1;
        }
    }

    fn harvest(self) -> usize {
        self.count
    }
}

/// The first `limit` hits by the `sort` fast field (name order).
///
/// tantivy's own string ordering looks each winner's string up separately,
/// decompressing a dictionary block every time (its issue #2776), which
/// made a listing cost milliseconds. Here each segment ranks by term
/// ordinal and resolves its winners in one sorted pass.
struct ByName {
    limit: usize,
}

impl Collector for ByName {
    type Fruit = Vec<(String, DocAddress)>;
    type Child = SegmentByName;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentByName> {
        Ok(SegmentByName {
            column: reader.fast_fields().str(SORT_FIELD)?,
            segment,
            limit: self.limit,
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Vec<(String, DocAddress)>>,
    ) -> tantivy::Result<Vec<(String, DocAddress)>> {
        let mut all: Vec<(String, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_unstable();
        all.truncate(self.limit);
        Ok(all)
    }
}

struct SegmentByName {
    column: Option<StrColumn>,
    segment: SegmentOrdinal,
    limit: usize,
    /// (term ordinal, doc); pruned to the best `limit` as it grows.
    hits: Vec<(u64, DocId)>,
}

impl SegmentCollector for SegmentByName {
    type Fruit = Vec<(String, DocAddress)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let ord = self
            .column
            .as_ref()
            .and_then(|c| c.ords().first(doc))
            .unwrap_or(u64::MAX);
        self.hits.push((ord, doc));
        if self.hits.len() >= self.limit.saturating_mul(2).max(64) {
            self.hits.select_nth_unstable(self.limit);
            self.hits.truncate(self.limit);
        }
    }

    fn harvest(mut self) -> Vec<(String, DocAddress)> {
        self.hits.sort_unstable();
        self.hits.truncate(self.limit);
        let with_value = self.hits.partition_point(|(ord, _)| *ord != u64::MAX);
        let mut names: Vec<String> = Vec::with_capacity(self.hits.len());
        if let Some(column) = &self.column {
            let ords: Vec<u64> = self.hits[..with_value].iter().map(|(o, _)| *o).collect();
            let resolved = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                names.push(String::from_utf8_lossy(bytes).into_owned());
            });
            if !matches!(resolved, Ok(true)) {
                tracing::warn!("search sort keys unreadable; listing order may be off");
            }
        }
        // Documents without a key (there should be none) sort last.
        names.resize(self.hits.len(), "\u{10ffff}".to_owned());
        names
            .into_iter()
            .zip(&self.hits)
            .map(|(name, (_, doc))| (name, DocAddress::new(self.segment, *doc)))
            .collect()
    }
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranking {
    Score,
    /// By the `sort` fast field (name, then page, then section order).
    Name,
}

/// One result: an entity hit, or the hits of one page best first.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// 0 for an entity.
    pub page: u64,
    pub hits: Vec<DocAddress>,
}

pub(crate) struct Collected {
    /// At least `need` groups when that many exist, in rank order.
    pub groups: Vec<Group>,
    pub total: usize,
}

/// Sections shown under their page's best section, at most.
pub(crate) const MAX_SUB_HITS: usize = 5;

/// Runs `query` and groups the best hits until `need` results are known.
/// Hits are fetched in growing windows because grouping can fold many hits
/// into one result; most queries need one window.
pub(crate) fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    ranking: Ranking,
    need: usize,
    exclude: Arc<HashSet<u64>>,
) -> Result<Collected, SearchError> {
    // No window beyond the index: a forged cursor with a huge offset must
    // not make tantivy allocate for it.
    let max_window = usize::try_from(searcher.num_docs())
        .unwrap_or(usize::MAX)
        .max(1);
    let mut window = need.saturating_mul(2).saturating_add(10).min(max_window);
    let count = GroupCount { exclude };
    let mut columns = Columns::new(searcher);
    let (mut hits, total) = match ranking {
        Ranking::Score => {
            let (hits, total) = searcher
                .search(query, &(by_score(window), count))
                .map_err(SearchError::tantivy("search"))?;
            (hits.into_iter().map(|(_, a)| a).collect(), total)
        }
        Ranking::Name => {
            let top = ByName { limit: window };
            let (hits, total) = searcher
                .search(query, &(top, count))
                .map_err(SearchError::tantivy("search"))?;
            (hits.into_iter().map(|(_, a)| a).collect::<Vec<_>>(), total)
        }
    };
    loop {
        let groups = group(&hits, &mut columns)?;
        if groups.len() >= need || hits.len() < window || window >= max_window {
            return Ok(Collected { groups, total });
        }
        window = window.saturating_mul(4).min(max_window);
        hits = top_docs(searcher, query, ranking, window)?;
    }
}

fn top_docs(
    searcher: &Searcher,
    query: &dyn Query,
    ranking: Ranking,
    limit: usize,
) -> Result<Vec<DocAddress>, SearchError> {
    match ranking {
        Ranking::Score => Ok(searcher
            .search(query, &by_score(limit))
            .map_err(SearchError::tantivy("search"))?
            .into_iter()
            .map(|(_, a)| a)
            .collect()),
        Ranking::Name => Ok(searcher
            .search(query, &ByName { limit })
            .map_err(SearchError::tantivy("search"))?
            .into_iter()
            .map(|(_, a)| a)
            .collect()),
    }
}

/// Group columns per segment, opened on first use.
struct Columns<'a> {
    searcher: &'a Searcher,
    by_segment: Vec<Option<Column<u64>>>,
}

impl<'a> Columns<'a> {
    fn new(searcher: &'a Searcher) -> Self {
        Columns {
            searcher,
            by_segment: vec![None; searcher.segment_readers().len()],
        }
    }

    fn page_of(&mut self, address: DocAddress) -> Result<u64, SearchError> {
        // A hit always comes from a segment of this searcher; were it not,
        // "no page" keeps it a result of its own.
        let Some(slot) = self.by_segment.get_mut(address.segment_ord as usize) else {
            return Ok(0);
        };
        if slot.is_none() {
            let column = self
                .searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64(GROUP_FIELD)
                .map_err(SearchError::tantivy("reading page groups"))?;
            *slot = Some(column);
        }
        Ok(slot
            .as_ref()
            .and_then(|c| c.first(address.doc_id))
            .unwrap_or(0))
    }
}

/// Rank key: the score times the document's prior, then (for equal
/// products) the stable tie-breaker (see `schema::rank_value`). Applied
/// inside the collector, to every matching document, because only that is
/// exact: applied to a top list afterwards, documents with equal scores
/// just below the list could be missed, and equal scores are common
/// (typo matches score alike, prefixes of many names tie).
type RankKey = (Score, Reverse<u64>);

/// The best `limit` hits by [`RankKey`].
fn by_score(limit: usize) -> impl Collector<Fruit = Vec<(RankKey, DocAddress)>> {
    TopDocs::with_limit(limit).tweak_score(|segment: &SegmentReader| {
        let neutral = NEUTRAL_PRIOR << PRIOR_SHIFT;
        let rank = segment
            .fast_fields()
            .u64(RANK_FIELD)
            .ok()
            .map(|c| c.first_or_default_col(neutral));
        move |doc: DocId, score: Score| -> RankKey {
            let value = rank.as_ref().map_or(neutral, |c| c.get_val(doc));
            #[allow(clippy::cast_precision_loss)] // priors are at most 255
            let factor = (value >> PRIOR_SHIFT) as Score / 100.0;
            (score * factor, Reverse(value & ((1 << PRIOR_SHIFT) - 1)))
        }
    })
}

fn group(hits: &[DocAddress], columns: &mut Columns<'_>) -> Result<Vec<Group>, SearchError> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index_of_page: HashMap<u64, usize> = HashMap::new();
    for &address in hits {
        let page = columns.page_of(address)?;
        if page == 0 {
            groups.push(Group {
                page,
                hits: vec![address],
            });
            continue;
        }
        match index_of_page.get(&page) {
            Some(&i) => {
                if groups[i].hits.len() <= MAX_SUB_HITS {
                    groups[i].hits.push(address);
                }
            }
            None => {
                index_of_page.insert(page, groups.len());
                groups.push(Group {
                    page,
                    hits: vec![address],
                });
            }
        }
    }
    Ok(groups)
}
