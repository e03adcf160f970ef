//! What the store keeps of a built site beyond pages and assets, as JSON
//! the store does not look into: the site record (`doc_sites.metadata_json`)
//! and each page's record (`doc_pages.toc_json`).

use portico_markdown::TocEntry;
use serde::{Deserialize, Serialize};

use crate::{NavNode, Page, Site, SiteMeta};

/// A site as served: metadata, nav and the builder version it was built by.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SiteRecord {
    pub builder: u32,
    pub meta: Option<SiteMeta>,
    pub nav: Vec<NavNode>,
    pub notes: Vec<String>,
}

impl SiteRecord {
    pub fn of(site: &Site, builder: u32) -> SiteRecord {
        SiteRecord {
            builder,
            meta: Some(site.meta.clone()),
            nav: site.nav.clone(),
            notes: site.notes.clone(),
        }
    }

    /// A record that does not parse (written by another version) reads as
    /// empty, which makes the site due for a rebuild.
    pub fn parse(json: &str) -> SiteRecord {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// A page's record beside its HTML.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StoredPage {
    pub url: String,
    pub toc: Vec<TocEntry>,
    pub edit_url: Option<String>,
    pub mermaid: bool,
    pub description: Option<String>,
    pub tags: Vec<String>,
}

impl StoredPage {
    pub fn of(page: &Page) -> StoredPage {
        StoredPage {
            url: page.url.clone(),
            toc: page.toc.clone(),
            edit_url: page.edit_url.clone(),
            mermaid: page.has_mermaid,
            description: page.description.clone(),
            tags: page.tags.clone(),
        }
    }

    pub fn parse(json: &str) -> StoredPage {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}
