//! Answers for the TechDocs API from the store: a site's metadata, and its
//! files — pages composed into full documents at request time from the
//! stored fragment, the site's nav and the theme, so a theme change needs
//! no rebuild and the nav is stored once per site, not once per page.

use portico_store::{Store, StoreError};
use serde::Serialize;

use crate::nav::NavNode;
use crate::stored::{SiteRecord, StoredPage};
use crate::theme::{page_document, PageParts};
use crate::SiteMeta;

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

/// A page of a site with what surrounds it: for readers that lay the page
/// out themselves (the portal's docs reader).
#[derive(Debug, Clone)]
pub struct SitePage {
    pub meta: SiteMeta,
    pub nav: Vec<NavNode>,
    /// Site-relative URL of the page (`runbook/`, `""` for the home page).
    pub url: String,
    pub title: String,
    /// The sanitized HTML fragment.
    pub html: String,
    pub toc: Vec<portico_markdown::TocEntry>,
    pub edit_url: Option<String>,
    pub has_mermaid: bool,
    /// Epoch milliseconds of the build the page is from.
    pub build_time: i64,
}

/// A file of a site, pages not yet composed.
#[derive(Debug, Clone)]
pub enum SiteFile {
    Page(Box<SitePage>),
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
pub fn site_file(store: &Store, entity_ref: &str, path: &str) -> Result<SiteFile, StoreError> {
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
                    return Ok(SiteFile::NotFound);
                };
                let record = SiteRecord::parse(&site.metadata_json);
                let stored = StoredPage::parse(&page.toc_json);
                return Ok(SiteFile::Page(Box::new(SitePage {
                    meta: record.meta.unwrap_or_default(),
                    nav: record.nav,
                    url: stored.url,
                    title: page.title,
                    html: page.html,
                    toc: stored.toc,
                    edit_url: stored.edit_url,
                    has_mermaid: stored.mermaid,
                    build_time: site.build_timestamp,
                })));
            }
            if let Some(asset) = tx.doc_asset(entity_ref, candidate)? {
                return Ok(SiteFile::File {
                    content_type: asset.content_type,
                    body: asset.body,
                });
            }
        }
        if !path.is_empty() && !path.ends_with('/') {
            let index = format!("{path}/index.html");
            if tx.doc_page(entity_ref, &index)?.is_some() {
                let last = path.rsplit('/').next().unwrap_or(path);
                return Ok(SiteFile::Redirect(format!("{last}/")));
            }
        }
        Ok(SiteFile::NotFound)
    })
}

/// The file at `path`, pages composed with the site's theme.
pub fn file(store: &Store, entity_ref: &str, path: &str) -> Result<Served, StoreError> {
    Ok(match site_file(store, entity_ref, path)? {
        SiteFile::Page(page) => Served::Page(page_document(
            &page.meta,
            &page.nav,
            &PageParts {
                url: &page.url,
                title: &page.title,
                html: &page.html,
                toc: &page.toc,
                edit_url: page.edit_url.as_deref(),
                has_mermaid: page.has_mermaid,
                build_time: Some(page.build_time),
            },
        )),
        SiteFile::File { content_type, body } => Served::File { content_type, body },
        SiteFile::Redirect(to) => Served::Redirect(to),
        SiteFile::NotFound => Served::NotFound,
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
