//! A built site as files: HTML documents, assets and the search index.

use std::io;
use std::path::{Component, Path};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use super::page_document;
use crate::site::Site;

/// Where mkdocs (and Backstage's search collator) expect the search index.
pub const SEARCH_INDEX_PATH: &str = "search/search_index.json";

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Site-relative, `/`-separated.
    pub path: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Milliseconds since the Unix epoch: the build time of a site built now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Every file of the site: one document per page, the assets and the search
/// index, sorted by path.
pub fn output_files(site: &Site, build_time: Option<i64>) -> Vec<OutputFile> {
    let mut files = Vec::with_capacity(site.pages.len() + site.assets.len() + 1);
    for page in &site.pages {
        let parts = page.parts(build_time);
        files.push(OutputFile {
            path: page.path.clone(),
            content_type: "text/html; charset=utf-8",
            bytes: page_document(&site.meta, &site.nav, &parts).into_bytes(),
        });
    }
    for asset in &site.assets {
        files.push(OutputFile {
            path: asset.path.clone(),
            content_type: asset.content_type,
            bytes: asset.bytes.clone(),
        });
    }
    files.push(OutputFile {
        path: SEARCH_INDEX_PATH.to_string(),
        content_type: "application/json",
        bytes: search_index(site).to_string().into_bytes(),
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The search index in mkdocs' shape: one entry per page (its text before
/// the first heading) and one per headed section.
pub fn search_index(site: &Site) -> serde_json::Value {
    let mut docs = Vec::new();
    for page in &site.pages {
        let intro = page
            .sections
            .iter()
            .find(|s| s.anchor.is_empty())
            .map_or("", |s| s.text.as_str());
        docs.push(serde_json::json!({
            "location": page.url,
            "title": page.title,
            "text": intro,
        }));
        for section in page.sections.iter().filter(|s| !s.anchor.is_empty()) {
            docs.push(serde_json::json!({
                "location": format!("{}#{}", page.url, section.anchor),
                "title": section.heading,
                "text": section.text,
            }));
        }
    }
    serde_json::json!({
        "config": {
            "lang": ["en"],
            "separator": "[\\s\\-]+",
            "pipeline": ["stopWordFilter"],
        },
        "docs": docs,
    })
}

/// Writes the site under `out` (created if needed). Files already there
/// are overwritten, never deleted. Documents are rendered and written one
/// at a time on every core, so a big site is never held in memory twice.
pub fn write_static(site: &Site, out: &Path) -> io::Result<()> {
    std::fs::create_dir_all(out)?;
    let build_time = Some(now_ms());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let pages = &site.pages;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(pages.len()).max(1))
            .map(|_| {
                scope.spawn(|| -> io::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(page) = pages.get(i) else {
                            return Ok(());
                        };
                        let parts = page.parts(build_time);
                        let doc = page_document(&site.meta, &site.nav, &parts);
                        write_file(out, &page.path, doc.as_bytes())?;
                    }
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(result) => result?,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok::<(), io::Error>(())
    })?;
    for asset in &site.assets {
        write_file(out, &asset.path, &asset.bytes)?;
    }
    write_file(
        out,
        SEARCH_INDEX_PATH,
        search_index(site).to_string().as_bytes(),
    )
}

fn write_file(out: &Path, path: &str, bytes: &[u8]) -> io::Result<()> {
    let rel = Path::new(path);
    // Paths come from validated tree paths; refuse anything else rather
    // than write outside `out`.
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to write {path:?} outside the output directory"),
        ));
    }
    let target = out.join(rel);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&target, bytes)
}
