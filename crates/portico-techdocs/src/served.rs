//! Answers for the TechDocs API from the store: a site's metadata, and its
//! files — pages composed into full documents at request time from the
//! stored fragment, the site's nav and the theme, so a theme change needs
//! no rebuild and the nav is stored once per site, not once per page.

use portico_store::{Store, StoreError};
use serde::Serialize;

use crate::stored::{SiteRecord, StoredPage};
use crate::theme::{page_document, PageParts};

/// `GET /api/techdocs/metadata/techdocs/...`, in Backstage's shape.
#[derive(Debug, Clone, Serialize)]
pub struct TechDocsMetadata {
    pub site_name: String,
    pub site_description: String,
    /// The source commit or content hash the site was built from.
    pub etag: String,
    /// Epoch milliseconds of the last good build.
    pub build_timestamp: i64,
    pub files: Vec<String>,
    /// Warnings of the last build attempt (`file:line: message`).
    pub warnings: Vec<String>,
    /// Why the last attempt failed, when it did (the site served is older).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// What the store has of a site.
#[derive(Debug, Clone)]
pub enum SiteStatus {
    Built(TechDocsMetadata),
    /// Never built; the last attempt's failure, if one was recorded.
    NotBuilt(Option<String>),
}

/// A site's metadata, or why there is none, from one read of its row.
pub fn metadata(store: &Store, entity_ref: &str) -> Result<SiteStatus, StoreError> {
    store.read(|tx| {
        let Some(site) = tx.doc_site(entity_ref)? else {
            return Ok(SiteStatus::NotBuilt(None));
        };
        if site.etag.is_empty() {
            return Ok(SiteStatus::NotBuilt(site.failure));
        }
        let files = tx.doc_file_paths(entity_ref)?;
        Ok(SiteStatus::Built(TechDocsMetadata {
            site_name: site.site_name,
            site_description: site.site_description,
            etag: site.etag,
            build_timestamp: site.build_timestamp,
            files,
            warnings: serde_json::from_str(&site.warnings_json).unwrap_or_default(),
            failure: site.failure,
        }))
    })
}

/// A file of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    Page(String),
    File {
        content_type: String,
        body: Vec<u8>,
    },
    /// A page asked for without its trailing `/`: relative links on it only
    /// work from the directory URL.
    Redirect(String),
    NotFound,
}

/// The file at `path` (relative to the site root, as in the URL).
pub fn file(store: &Store, entity_ref: &str, path: &str) -> Result<Served, StoreError> {
    let path = path.trim_start_matches('/');
    let candidates: Vec<String> = if path.is_empty() || path.ends_with('/') {
        vec![format!("{path}index.html")]
    } else {
        vec![path.to_string()]
    };
    store.read(|tx| {
        for candidate in &candidates {
            if let Some(page) = tx.doc_page(entity_ref, candidate)? {
                let Some(site) = tx.doc_site(entity_ref)? else {
                    return Ok(Served::NotFound);
                };
                let record = SiteRecord::parse(&site.metadata_json);
                let stored = StoredPage::parse(&page.toc_json);
                let meta = record.meta.clone().unwrap_or_default();
                let html = page_document(
                    &meta,
                    &record.nav,
                    &PageParts {
                        url: &stored.url,
                        title: &page.title,
                        html: &page.html,
                        toc: &stored.toc,
                        edit_url: stored.edit_url.as_deref(),
                        has_mermaid: stored.mermaid,
                        build_time: Some(site.build_timestamp),
                    },
                );
                return Ok(Served::Page(html));
            }
            if let Some(asset) = tx.doc_asset(entity_ref, candidate)? {
                return Ok(Served::File {
                    content_type: asset.content_type,
                    body: asset.body,
                });
            }
        }
        if !path.is_empty() && !path.ends_with('/') {
            let index = format!("{path}/index.html");
            if tx.doc_page(entity_ref, &index)?.is_some() {
                let last = path.rsplit('/').next().unwrap_or(path);
                return Ok(Served::Redirect(format!("{last}/")));
            }
        }
        Ok(Served::NotFound)
    })
}

/// One page of a site as search sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSections {
    pub title: String,
    /// Site-relative URL (`runbook/`).
    pub url: String,
    pub sections: Vec<portico_markdown::Section>,
}

/// Every page of an entity's site with its sections; empty when it has no
/// site.
pub fn search_pages(store: &Store, entity_ref: &str) -> Result<Vec<PageSections>, StoreError> {
    let rows = store.read(|tx| tx.doc_pages(entity_ref))?;
    Ok(rows
        .into_iter()
        .map(|row| PageSections {
            url: StoredPage::parse(&row.toc_json).url,
            sections: serde_json::from_str(&row.sections_json).unwrap_or_default(),
            title: row.title,
        })
        .collect())
}
