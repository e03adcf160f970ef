//! Which locations a push to a repository concerns.

use std::collections::HashSet;

use portico_git::RepoUrl;
use portico_store::LocationRow;

use crate::error::CatalogError;
use crate::read::GitTarget;
use crate::service::Catalog;

impl Catalog {
    /// Locations that read `branch` of one of the repositories `repo_urls`
    /// name (any URL form of it: https, ssh, git). A location that follows
    /// the repository's HEAD matches a push to its default branch, or any
    /// push when the default branch is not known: a refresh that finds the
    /// same commit costs little.
    pub fn locations_for_push(
        &self,
        repo_urls: &[String],
        branch: &str,
        default_branch: Option<&str>,
    ) -> Result<Vec<LocationRow>, CatalogError> {
        let pushed: HashSet<String> = repo_urls
            .iter()
            .filter_map(|u| RepoUrl::parse(u).ok())
            .map(|r| r.identity())
            .collect();
        if pushed.is_empty() {
            return Ok(Vec::new());
        }
        let full_ref = format!("refs/heads/{branch}");
        let matches = |target: &GitTarget| match &target.reference {
            Some(r) => r == branch || *r == full_ref,
            None => default_branch.is_none_or(|d| d == branch),
        };
        Ok(self
            .locations()?
            .into_iter()
            .filter(|l| {
                GitTarget::parse(&l.location_type, &l.target)
                    .is_ok_and(|t| pushed.contains(&t.repo.identity()) && matches(&t))
            })
            .collect())
    }
}
