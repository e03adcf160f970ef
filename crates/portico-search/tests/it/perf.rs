//! Build time and query latency on a synthetic catalog of the size the
//! product targets (100k entities, 20k pages of 5 sections). Ignored by
//! default; run in release:
//! `cargo test --release -p portico-search -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use portico_search::{
    DocPageDoc, EntityDoc, Opened, Position, SearchIndex, SearchQuery, SectionDoc, Update,
};

const ENTITIES: usize = 100_000;
const PAGES: usize = 20_000;
const SECTIONS_PER_PAGE: usize = 5;
const QUERIES: usize = 3_000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const REAL_WORDS: &[&str] = &[
    "payment",
    "rollback",
    "deploy",
    "database",
    "service",
    "pipeline",
    "latency",
    "replica",
    "queue",
    "cluster",
    "alert",
    "metrics",
    "invoice",
    "checkout",
    "search",
    "catalog",
    "gateway",
    "storage",
    "backup",
    "failover",
    "release",
    "canary",
    "config",
    "secret",
    "token",
    "schema",
    "migration",
    "incident",
    "runbook",
    "dashboard",
    "kafka",
    "postgres",
    "redis",
    "kubernetes",
];

struct Vocab(Vec<String>);

impl Vocab {
    fn new(rng: &mut Rng) -> Vocab {
        let onsets = [
            "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "st", "tr",
            "pl",
        ];
        let vowels = ["a", "e", "i", "o", "u", "ai", "ou"];
        let mut words: Vec<String> = REAL_WORDS.iter().map(|w| (*w).to_owned()).collect();
        while words.len() < 6_000 {
            let syllables = 2 + rng.below(2);
            let w: String = (0..syllables)
                .map(|_| {
                    format!(
                        "{}{}",
                        onsets[rng.below(onsets.len())],
                        vowels[rng.below(vowels.len())]
                    )
                })
                .collect();
            words.push(w);
        }
        Vocab(words)
    }

    /// Log-uniform: a few words are everywhere, most are rare.
    fn word(&self, rng: &mut Rng) -> &str {
        let i = ((self.0.len() as f64).powf(rng.unit()) as usize).saturating_sub(1);
        &self.0[i.min(self.0.len() - 1)]
    }

    fn sentence(&self, rng: &mut Rng, min: usize, spread: usize) -> String {
        let n = min + rng.below(spread);
        (0..n).map(|_| self.word(rng)).collect::<Vec<_>>().join(" ")
    }
}

fn entity(i: usize, rng: &mut Rng, vocab: &Vocab) -> EntityDoc {
    let kinds = [
        "Component",
        "Component",
        "Component",
        "API",
        "System",
        "Resource",
        "Group",
        "User",
    ];
    let types = ["service", "website", "library", "openapi", "database"];
    let lifecycles = ["production", "experimental", "deprecated"];
    let kind = kinds[rng.below(kinds.len())];
    let name = format!("{}-{}-{i}", vocab.word(rng), vocab.word(rng));
    EntityDoc {
        entity_ref: format!("{}:default/{name}", kind.to_lowercase()),
        kind: kind.to_owned(),
        namespace: "default".to_owned(),
        title: (rng.below(10) < 3).then(|| vocab.sentence(rng, 2, 3)),
        description: Some(vocab.sentence(rng, 8, 14)),
        spec_type: Some(types[rng.below(types.len())].to_owned()),
        owner: Some(format!("group:default/team-{}", rng.below(500))),
        lifecycle: Some(lifecycles[rng.below(lifecycles.len())].to_owned()),
        system: Some(format!("system-{}", rng.below(300))),
        tags: (0..rng.below(4))
            .map(|_| format!("tag{}", rng.below(200)))
            .collect(),
        extra_text: format!("https://git.example.com/{name} dir:."),
        name,
    }
}

fn pages(owner: &EntityDoc, count: usize, rng: &mut Rng, vocab: &Vocab) -> Vec<DocPageDoc> {
    (0..count)
        .map(|p| DocPageDoc {
            entity_ref: owner.entity_ref.clone(),
            entity_title: owner.display_title().to_owned(),
            kind: owner.kind.clone(),
            namespace: owner.namespace.clone(),
            name: owner.name.clone(),
            owner: owner.owner.clone(),
            lifecycle: owner.lifecycle.clone(),
            page_title: vocab.sentence(rng, 1, 3),
            page_url: format!("page-{p}/"),
            sections: (0..SECTIONS_PER_PAGE)
                .map(|s| SectionDoc {
                    heading: if s == 0 {
                        String::new()
                    } else {
                        vocab.sentence(rng, 1, 4)
                    },
                    anchor: if s == 0 {
                        String::new()
                    } else {
                        format!("s{s}")
                    },
                    text: vocab.sentence(rng, 40, 80),
                })
                .collect(),
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let i = 1 + rng.below(chars.len().saturating_sub(2).max(1));
    if i + 1 < chars.len() {
        chars.swap(i, i + 1);
    }
    chars.into_iter().collect()
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn synthetic_catalog_build_and_query_latency() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let vocab = Vocab::new(&mut rng);
    let entities: Vec<EntityDoc> = (0..ENTITIES).map(|i| entity(i, &mut rng, &vocab)).collect();
    let mut updates: Vec<Update> = entities.iter().cloned().map(Update::UpsertEntity).collect();
    // 20k pages over the first 10k entities (two each).
    let per_owner = 2;
    let mut section_texts = Vec::new();
    for owner in entities.iter().take(PAGES / per_owner) {
        let pages = pages(owner, per_owner, &mut rng, &vocab);
        section_texts.push(pages[0].sections[1].text.clone());
        updates.push(Update::ReplaceDocs {
            entity_ref: owner.entity_ref.clone(),
            pages,
        });
    }

    // PORTICO_SEARCH_BENCH_DIR keeps the index between runs (for
    // profiling queries without rebuilding).
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = std::env::var_os("PORTICO_SEARCH_BENCH_DIR")
        .map_or_else(|| tmp.path().to_owned(), std::path::PathBuf::from);
    let (index, opened) = SearchIndex::open(&dir).expect("open");
    let writer = index.writer().expect("writer");
    let started = Instant::now();
    if opened == Opened::Created {
        writer
            .rebuild(
                updates,
                Position {
                    entities: 1,
                    docs: 1,
                },
            )
            .expect("rebuild");
        writer.flush().expect("flush");
    }
    let build = started.elapsed();
    let docs = index.num_docs();
    assert_eq!(docs as usize, ENTITIES + PAGES * SECTIONS_PER_PAGE);

    let segments_after_build = index.num_segments();
    // Background merges become visible through the writer's idle reload;
    // measure the index as a server would see it once they settle.
    let mut segments = segments_after_build;
    let mut stable_since = Instant::now();
    let waiting = Instant::now();
    while stable_since.elapsed() < Duration::from_secs(6)
        && waiting.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(500));
        if index.num_segments() != segments {
            segments = index.num_segments();
            stable_since = Instant::now();
        }
    }
    let settled = waiting.elapsed().saturating_sub(Duration::from_secs(6));
    println!(
        "segments: {segments_after_build} after build, {segments} after merges (settled ~{:.0} s after the build)",
        settled.as_secs_f64()
    );

    let mut queries: Vec<(&str, SearchQuery)> = Vec::new();
    for i in 0..QUERIES {
        let e = &entities[rng.below(entities.len())];
        let q = match i % 7 {
            0 => ("name", SearchQuery::term(e.name.clone())),
            1 => {
                let w = vocab.word(&mut rng);
                let n = 3 + rng.below(3);
                (
                    "prefix",
                    SearchQuery::term(w.chars().take(n).collect::<String>()),
                )
            }
            2 => {
                let w = loop {
                    let w = vocab.word(&mut rng);
                    if w.len() >= 6 {
                        break w;
                    }
                };
                ("typo", SearchQuery::term(format!("{} ", typo(w, &mut rng))))
            }
            3 => {
                let text = &section_texts[rng.below(section_texts.len())];
                let words: Vec<&str> = text.split(' ').collect();
                let at = rng.below(words.len() - 1);
                (
                    "phrase",
                    SearchQuery::term(format!("\"{} {}\"", words[at], words[at + 1])),
                )
            }
            4 => {
                let mut filters = BTreeMap::new();
                filters.insert("kind".to_owned(), vec!["component".to_owned()]);
                filters.insert("owner".to_owned(), vec![format!("team-{}", rng.below(500))]);
                (
                    "filtered",
                    SearchQuery {
                        filters,
                        ..SearchQuery::term(vocab.word(&mut rng).to_owned())
                    },
                )
            }
            5 => (
                "two-words",
                SearchQuery::term(format!("{} {}", vocab.word(&mut rng), vocab.word(&mut rng))),
            ),
            _ => {
                let mut filters = BTreeMap::new();
                filters.insert("type".to_owned(), vec!["service".to_owned()]);
                filters.insert("lifecycle".to_owned(), vec!["production".to_owned()]);
                (
                    "list",
                    SearchQuery {
                        filters,
                        ..SearchQuery::default()
                    },
                )
            }
        };
        queries.push(q);
    }

    // Warm up caches (page cache, mmap) as a running server would be.
    for (_, q) in queries.iter().take(300) {
        index.query(q).expect("warm-up query");
    }
    let mut all = Vec::new();
    let mut by_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut empty = 0;
    for (kind, q) in &queries {
        let started = Instant::now();
        let page = index.query(q).expect("query");
        let took = started.elapsed();
        if page.results.is_empty() {
            empty += 1;
        }
        all.push(took);
        by_kind.entry(kind).or_default().push(took);
    }
    all.sort();
    println!(
        "build: {:.1} s for {ENTITIES} entities + {PAGES} pages ({docs} documents); {:.0} MB on disk",
        build.as_secs_f64(),
        index.size_on_disk() as f64 / 1e6
    );
    println!(
        "queries: {} ({} empty): p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        all.len(),
        empty,
        percentile(&all, 0.5),
        percentile(&all, 0.9),
        percentile(&all, 0.99),
        all[all.len() - 1]
    );
    for (kind, mut times) in by_kind {
        times.sort();
        println!(
            "  {kind:<10} p50 {:?}  p99 {:?}  max {:?}",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times[times.len() - 1]
        );
    }
}
