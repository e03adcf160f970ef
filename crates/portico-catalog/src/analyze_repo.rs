//! `analyze-location` for repositories, as Backstage's "register an
//! existing component" flow sends them: a forge URL of the repository, a
//! directory or a file (`url`), or any repository (`git`). The catalog
//! file is looked for at the branch's current commit.

use portico_forge::HostedFile;

use crate::analyze::{existing_entity_files, suggest_component, AnalyzeResult, LocationRef};
use crate::error::CatalogError;
use crate::read::{read_location, GitTarget, ReadError, DEFAULT_CATALOG_PATH};
use crate::service::{normalize_spec, Catalog};

impl Catalog {
    pub(crate) fn analyze_repository(
        &self,
        location_type: &str,
        target: &str,
        filename: &str,
    ) -> Result<AnalyzeResult, CatalogError> {
        let file = RepositoryFile::find(location_type, target, filename)?;
        let opts = &self.config().read;
        let spec = normalize_spec("git", &file.git_target, opts)?;
        let read = read_location(&spec, opts)?;
        if read.files_read.is_empty() {
            return Ok(AnalyzeResult {
                existing_entity_files: Vec::new(),
                generate_entities: vec![suggest_component(&file.repo_name)],
            });
        }
        // What the user registers next: the forge's file URL where there is
        // one, as Backstage's frontend does, else the git target.
        let location = match &file.hosted {
            Some(h) => LocationRef {
                location_type: "url".to_string(),
                target: h.view_url(),
            },
            None => LocationRef {
                location_type: "git".to_string(),
                target: spec.target.clone(),
            },
        };
        let is_registered = self.store().read(|tx| {
            Ok::<_, portico_store::StoreError>(
                tx.location_by_target(&location.location_type, &location.target)?
                    .is_some()
                    || tx.location_by_target("git", &spec.target)?.is_some(),
            )
        })?;
        let existing_entity_files =
            existing_entity_files(&read, is_registered, |_| location.clone());
        Ok(AnalyzeResult {
            existing_entity_files,
            generate_entities: Vec::new(),
        })
    }
}

/// The catalog file a repository analysis looks at.
struct RepositoryFile {
    /// `<repo>//<path>[?ref=<branch>]`
    git_target: String,
    hosted: Option<HostedFile>,
    /// For a suggested Component's name.
    repo_name: String,
}

impl RepositoryFile {
    fn find(location_type: &str, target: &str, filename: &str) -> Result<Self, CatalogError> {
        if location_type == "url" {
            let hosted = match portico_forge::parse_file_url(target) {
                Ok(hosted) => hosted,
                // A repository's own URL (`https://github.com/org/repo`).
                Err(e) => portico_forge::hosted_file(target, "", "")
                    .ok_or_else(|| CatalogError::Read(ReadError::InvalidTarget(e.to_string())))?,
            };
            let path = file_path(&hosted.path, filename);
            let hosted = hosted.with_path(&path);
            let mut git_target = format!("{}//{path}", hosted.repo_url);
            if !hosted.branch.is_empty() && hosted.branch != "HEAD" {
                git_target.push_str("?ref=");
                git_target.push_str(&hosted.branch);
            }
            let repo_name = last_segment(&hosted.web_base);
            return Ok(RepositoryFile {
                git_target,
                hosted: Some(hosted),
                repo_name,
            });
        }
        let mut parsed = GitTarget::parse("git", target)?;
        // `<repo>` alone names the default file; a directory gets the file name.
        parsed.path = if parsed.path == DEFAULT_CATALOG_PATH {
            filename.to_string()
        } else {
            file_path(&parsed.path, filename)
        };
        let repo_name = last_segment(&parsed.repo.identity());
        Ok(RepositoryFile {
            git_target: parsed.git_target(),
            hosted: None,
            repo_name,
        })
    }
}

/// `path` if it names a YAML file, else the catalog file in that directory.
fn file_path(path: &str, filename: &str) -> String {
    let path = path.trim_matches('/');
    if path.ends_with(".yaml") || path.ends_with(".yml") {
        path.to_string()
    } else if path.is_empty() {
        filename.to_string()
    } else {
        format!("{path}/{filename}")
    }
}

fn last_segment(text: &str) -> String {
    let trimmed = text.trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    last.strip_suffix(".git").unwrap_or(last).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_get_the_file_name() {
        assert_eq!(file_path("", "catalog-info.yaml"), "catalog-info.yaml");
        assert_eq!(file_path("svc/a/", "x.yaml"), "svc/a/x.yaml");
        assert_eq!(file_path("svc/a.yml", "x.yaml"), "svc/a.yml");
        assert_eq!(last_segment("https://github.com/org/payments"), "payments");
        assert_eq!(last_segment("/srv/git/billing.git"), "billing");
    }
}
