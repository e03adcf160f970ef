//! Rendering every page on all cores. Pages are independent, so workers
//! take the next page from a shared counter (big pages do not hold up a
//! fixed chunk) and results are put back in input order.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use portico_markdown::{RenderOptions, RenderedPage};

use super::include;
use super::links::{PageLinks, SiteIndex};
use crate::tree::DocTree;
use crate::warning::BuildWarning;

/// One page to render.
pub(crate) struct Job<'a> {
    /// The page's path relative to the tree root.
    pub file: String,
    /// Its docs-relative directory.
    pub base: &'a str,
    pub url: &'a str,
}

/// A rendered page (or `None` when it could not be read) and its problems.
pub(crate) struct Done {
    pub rendered: Option<RenderedPage>,
    pub warnings: Vec<BuildWarning>,
}

pub(crate) struct Renderer<'a> {
    pub tree: &'a dyn DocTree,
    pub index: &'a SiteIndex,
    pub options: &'a RenderOptions,
}

impl Renderer<'_> {
    pub fn render_all(&self, jobs: &[Job], threads: usize) -> Vec<Done> {
        let threads = threads.clamp(1, jobs.len().max(1));
        if threads == 1 {
            return jobs.iter().map(|job| self.render_one(job)).collect();
        }
        let next = AtomicUsize::new(0);
        let mut parts: Vec<Vec<(usize, Done)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(job) = jobs.get(i) else {
                                break;
                            };
                            done.push((i, self.render_one(job)));
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| match w.join() {
                    Ok(done) => done,
                    // A panic in the renderer is a bug there; surface it
                    // rather than silently dropping pages.
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        let mut slots: Vec<Option<Done>> = (0..jobs.len()).map(|_| None).collect();
        for (i, done) in parts.drain(..).flatten() {
            slots[i] = Some(done);
        }
        slots
            .into_iter()
            .map(|slot| {
                slot.unwrap_or(Done {
                    rendered: None,
                    warnings: Vec::new(),
                })
            })
            .collect()
    }

    fn render_one(&self, job: &Job) -> Done {
        let skipped = |message: String| Done {
            rendered: None,
            warnings: vec![BuildWarning::new(&job.file, None, message)],
        };
        let bytes = match self.tree.read(&job.file) {
            Ok(bytes) => bytes,
            Err(e) => return skipped(format!("the page is skipped: {e}")),
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
                return Done {
                    rendered: None,
                    warnings: vec![BuildWarning::new(
                        &job.file,
                        Some(line),
                        "the page is not UTF-8 text; it is skipped",
                    )],
                };
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let expanded = include::expand(text, &job.file, self.tree);
        let links = PageLinks {
            index: self.index,
            base: job.base,
            url: job.url,
            broken: RefCell::new(Vec::new()),
        };
        let rendered = portico_markdown::render(&expanded.text, &links, self.options);

        let mut warnings: Vec<BuildWarning> = expanded
            .warnings
            .iter()
            .map(|(line, message)| BuildWarning::new(&job.file, Some(*line), message.clone()))
            .collect();
        // The renderer reports broken links from the rewrite too; keep one.
        let mut seen: HashSet<(usize, String)> = HashSet::new();
        let from_renderer = rendered
            .warnings
            .iter()
            .map(|w| (w.line, w.message.clone()));
        for (line, message) in from_renderer.chain(links.broken.into_inner()) {
            if seen.insert((line, message.clone())) {
                let line = expanded.original_line(line);
                warnings.push(BuildWarning::new(&job.file, Some(line), message));
            }
        }
        warnings.sort_by(|a, b| (a.line, &a.message).cmp(&(b.line, &b.message)));
        Done {
            rendered: Some(rendered),
            warnings,
        }
    }
}
