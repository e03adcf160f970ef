//! `portico bench --docs-pages N`: a generated docs site of N realistic
//! pages (about 5 KB each: headings, lists, tables, code, admonitions,
//! links between pages), built through the real path — catalog entity,
//! `backstage.io/techdocs-ref`, builder, store — then served over HTTP.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_catalog::{AddMode, Catalog, CatalogConfig};
use portico_techdocs::BuildOutcome;
use serde_json::json;

use super::{current_rss_mb, BenchArgs, BenchDatabase, BenchServer, Latencies};
use crate::AnyError;

/// Pages per nav section, as a large handbook would group them.
const SECTION_PAGES: usize = 100;

pub fn run(args: &BenchArgs, pages: usize) -> Result<(), AnyError> {
    let dir = tempfile::tempdir()?;
    let site = args
        .catalog_dir
        .clone()
        .unwrap_or_else(|| dir.path().join("site"));
    let generated_bytes = generate_site(&site, pages, args.seed)?;

    let bench_db = BenchDatabase::open(&args.database, dir.path())?;
    let catalog = Arc::new(Catalog::open(
        bench_db.store.clone(),
        CatalogConfig::default(),
    )?);
    let target = site.join("catalog-info.yaml");
    catalog.add_location("file", &target.to_string_lossy(), AddMode::Lenient)?;
    let state = portico_server::AppState::for_catalog(catalog.clone(), None)?;
    let builder = state.docs.clone();
    let entity_ref = "component:default/handbook".to_string();
    let entity = catalog
        .index()
        .get(&entity_ref)
        .ok_or("the generated entity was not ingested")?
        .value();

    let started = Instant::now();
    let outcome = builder.build(&entity_ref, &entity, false, &mut |_| {})?;
    let full = started.elapsed();
    let BuildOutcome::Built {
        pages: built,
        warnings,
    } = outcome
    else {
        return Err(format!("the full build did not build: {outcome:?}").into());
    };
    if built != pages + 1 {
        return Err(format!("built {built} pages, expected {}", pages + 1).into());
    }
    let rss_after_build = current_rss_mb();

    let started = Instant::now();
    let outcome = builder.build(&entity_ref, &entity, false, &mut |_| {})?;
    let unchanged = started.elapsed();
    if outcome != BuildOutcome::Unchanged {
        return Err(format!("the unchanged rebuild built: {outcome:?}").into());
    }

    // One page edited: the content hash moves, the site is rebuilt.
    let edited = site.join("docs/section-00/page-00000.md");
    let mut text = std::fs::read_to_string(&edited)?;
    text.push_str("\n\nEdited for the bench.\n");
    std::fs::write(&edited, text)?;
    let started = Instant::now();
    let outcome = builder.build(&entity_ref, &entity, false, &mut |_| {})?;
    let after_edit = started.elapsed();
    if !outcome.updated() {
        return Err(format!("the edited site was not rebuilt: {outcome:?}").into());
    }

    let server = BenchServer::start(state)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut serve = Latencies {
        name: "GET a doc page",
        samples: Vec::new(),
    };
    for i in 0..args.requests {
        let page = (i * 7919) % pages;
        let url = format!(
            "http://127.0.0.1:{}/api/techdocs/static/docs/default/component/handbook/{}",
            server.port,
            page_url(page)
        );
        let started = Instant::now();
        let response = agent.get(&url).call()?;
        let status = response.status().as_u16();
        let _ = response.into_body().read_to_vec()?;
        serve.samples.push(started.elapsed());
        if status != 200 {
            return Err(format!("{url} answered {status}").into());
        }
    }
    let peak = super::peak_rss_mb();

    let pages_per_s = pages as f64 / full.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    if args.json {
        println!(
            "{}",
            json!({
                "pages": pages,
                "sourceMegabytes": generated_bytes as f64 / 1e6,
                "database": bench_db.label,
                "fullBuildMs": ms(full),
                "pagesPerSecond": pages_per_s,
                "unchangedRebuildMs": ms(unchanged),
                "oneEditRebuildMs": ms(after_edit),
                "warnings": warnings,
                "servePageP50Ms": serve.percentile_ms(0.5),
                "servePageP99Ms": serve.percentile_ms(0.99),
                "rssAfterBuildMb": rss_after_build,
                "peakRssMb": peak,
            })
        );
    } else {
        println!(
            "docs bench: {pages} pages, {:.1} MB of Markdown, {}",
            generated_bytes as f64 / 1e6,
            bench_db.label
        );
        println!("{:<34} {:>12}", "measure", "value");
        println!("{:<34} {:>9.0} ms", "full build (render + store)", ms(full));
        println!("{:<34} {:>12.0}", "pages/s (full build)", pages_per_s);
        println!("{:<34} {:>9.1} ms", "unchanged rebuild", ms(unchanged));
        println!(
            "{:<34} {:>9.0} ms",
            "rebuild after one page edit",
            ms(after_edit)
        );
        println!("{:<34} {:>12}", "build warnings", warnings);
        println!(
            "{:<34} {:>9.2} ms",
            "GET page p50",
            serve.percentile_ms(0.5)
        );
        println!(
            "{:<34} {:>9.2} ms",
            "GET page p99",
            serve.percentile_ms(0.99)
        );
        println!("{:<34} {:>9.0} MB", "RSS after build", rss_after_build);
        println!("{:<34} {:>9.0} MB", "peak RSS", peak);
    }
    Ok(())
}

fn page_path(i: usize) -> String {
    format!("section-{:02}/page-{i:05}.md", i / SECTION_PAGES)
}

fn page_url(i: usize) -> String {
    format!("section-{:02}/page-{i:05}/", i / SECTION_PAGES)
}

/// A tiny deterministic generator, so every run builds the same site.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "service",
    "deploy",
    "latency",
    "queue",
    "replica",
    "cluster",
    "request",
    "timeout",
    "database",
    "cache",
    "retry",
    "alert",
    "dashboard",
    "rollout",
    "config",
    "token",
    "partition",
    "consumer",
    "schema",
    "index",
    "metric",
    "budget",
    "incident",
    "owner",
    "endpoint",
    "payload",
    "region",
    "failover",
    "backup",
    "restore",
    "throttle",
    "quota",
];

fn sentence(rng: &mut Lcg, words: usize) -> String {
    let mut out = String::new();
    for i in 0..words {
        let word = WORDS[rng.below(WORDS.len())];
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out.push('.');
    out
}

/// Writes the site and its catalog file; returns the Markdown bytes written.
fn generate_site(root: &Path, pages: usize, seed: u64) -> Result<u64, AnyError> {
    generate_named_site(root, "handbook", pages, seed)
}

/// A site of `pages` pages whose catalog entity is `component:default/<name>`.
pub(super) fn generate_named_site(
    root: &Path,
    name: &str,
    pages: usize,
    seed: u64,
) -> Result<u64, AnyError> {
    let docs = root.join("docs");
    std::fs::create_dir_all(&docs)?;
    std::fs::write(
        root.join("catalog-info.yaml"),
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  \
         annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: documentation\n  \
         lifecycle: production\n  owner: group:default/platform\n"
        ),
    )?;
    let mut nav = String::from("site_name: Engineering handbook\nnav:\n  - Home: index.md\n");
    let sections = pages.div_ceil(SECTION_PAGES);
    for s in 0..sections {
        let _ = writeln!(nav, "  - Section {s}:");
        for i in (s * SECTION_PAGES)..((s + 1) * SECTION_PAGES).min(pages) {
            let _ = writeln!(nav, "      - {}", page_path(i));
        }
    }
    std::fs::write(root.join("mkdocs.yml"), nav)?;
    let mut rng = Lcg(seed);
    let mut total = 0u64;
    let index =
        "# Engineering handbook\n\nStart with [the first page](section-00/page-00000.md).\n";
    std::fs::write(docs.join("index.md"), index)?;
    for i in 0..pages {
        let text = page(&mut rng, i, pages);
        total += text.len() as u64;
        let path = docs.join(page_path(i));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(total)
}

/// About 5 KB of what runbooks and design docs hold.
fn page(rng: &mut Lcg, i: usize, pages: usize) -> String {
    let mut md = String::with_capacity(6 * 1024);
    let _ = writeln!(
        md,
        "---\ndescription: Page {i} of the handbook\ntags: [bench]\n---\n"
    );
    let _ = writeln!(
        md,
        "# Page {i}: {}\n",
        sentence(rng, 3).trim_end_matches('.')
    );
    for section in 0..5 {
        let _ = writeln!(
            md,
            "## {} {section}\n",
            sentence(rng, 2).trim_end_matches('.')
        );
        for _ in 0..2 {
            let other = rng.below(pages);
            let _ = writeln!(
                md,
                "{} {} See [page {other}](../{}) for the {}. {}\n",
                sentence(rng, 12),
                sentence(rng, 9),
                page_path(other),
                WORDS[rng.below(WORDS.len())],
                sentence(rng, 10),
            );
        }
        match section {
            0 => {
                for _ in 0..5 {
                    let _ = writeln!(
                        md,
                        "- **{}**: {}",
                        WORDS[rng.below(WORDS.len())],
                        sentence(rng, 8)
                    );
                }
                md.push('\n');
            }
            1 => {
                md.push_str("| Setting | Default | Meaning |\n|---|---|---|\n");
                for _ in 0..5 {
                    let _ = writeln!(
                        md,
                        "| `{}` | {} | {} |",
                        WORDS[rng.below(WORDS.len())],
                        rng.below(1000),
                        sentence(rng, 6)
                    );
                }
                md.push('\n');
            }
            2 => {
                let _ = writeln!(
                    md,
                    "```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {w}-{i}\nspec:\n  replicas: {r}\n  template:\n    spec:\n      containers:\n        - name: {w}\n          image: registry.example.com/{w}:1.{r}.0\n          ports:\n            - containerPort: 8080\n```\n",
                    w = WORDS[rng.below(WORDS.len())],
                    r = 1 + rng.below(9),
                );
                let _ = writeln!(
                    md,
                    "```bash\nkubectl -n prod rollout status deploy/{w}-{i}\nkubectl -n prod logs deploy/{w}-{i} --since=10m | grep -i error\n```\n",
                    w = WORDS[rng.below(WORDS.len())],
                );
            }
            _ => {
                let _ = writeln!(
                    md,
                    "!!! warning \"Before you {}\"\n    {}\n    {}\n",
                    WORDS[rng.below(WORDS.len())],
                    sentence(rng, 10),
                    sentence(rng, 8)
                );
                for n in 1..=4 {
                    let _ = writeln!(md, "{n}. {}", sentence(rng, 9));
                }
                md.push('\n');
            }
        }
    }
    md
}
