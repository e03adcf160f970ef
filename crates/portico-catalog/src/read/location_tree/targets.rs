//! Following a Location entity's targets: files, globs, and the problems of
//! targets that cannot be read.

use std::path::Path;

use serde_json::Value;

use super::{DocText, Parent, Reader};
use crate::read::files::{self, join_normalized};
use crate::read::{Problem, Severity};

impl Reader<'_> {
    /// Reads the targets of the Location entity at `index`.
    pub(super) fn follow_targets(
        &mut self,
        index: usize,
        key: &str,
        doc: &DocText<'_>,
        dir: &Path,
    ) {
        let Some(entity) = self.entities.get(index).and_then(|p| p.entity.as_ref()) else {
            return;
        };
        let spec = entity.spec.clone().unwrap_or_default();
        // Nested locations default to the type of the one holding them.
        let own_type = self.source.nested_type().to_string();
        let location_type = spec
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(&own_type)
            .to_string();
        let optional = spec.get("presence").and_then(Value::as_str) == Some("optional");
        let mut targets: Vec<(String, Option<String>)> = Vec::new();
        let mut bad = Vec::new();
        match spec.get("target") {
            Some(Value::String(t)) => targets.push(("spec.target".into(), Some(t.clone()))),
            Some(_) => bad.push("spec.target".to_string()),
            None => {}
        }
        match spec.get("targets") {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    targets.push((
                        format!("spec.targets[{i}]"),
                        item.as_str().map(str::to_string),
                    ));
                }
            }
            Some(_) => bad.push("spec.targets".to_string()),
            None => {}
        }
        let mut problems = Vec::new();
        for field in bad {
            let msg = format!("\"{field}\" must be a string (spec.targets: a list of strings)");
            problems.push(doc.problem(Severity::Error, Some(&field), msg));
        }
        if location_type != own_type && !targets.is_empty() {
            let msg = format!(
                "\"spec.type\" {location_type:?} is not supported for nested locations here; \
                 a Location read from a {own_type:?} location may only name {own_type:?} targets"
            );
            problems.push(doc.problem(Severity::Error, Some("spec.type"), msg));
            self.complete = false;
            targets.clear();
        }
        for (field, target) in &targets {
            let Some(target) = target else {
                let msg = format!("\"{field}\" must be a string");
                problems.push(doc.problem(Severity::Error, Some(field), msg));
                continue;
            };
            let parent = Parent {
                index,
                key,
                field,
                target,
            };
            if own_type != "file" && target.contains("://") {
                let msg = format!(
                    "target {target} is in another repository; only paths inside this \
                     repository are followed (register that repository as its own location)"
                );
                problems.push(doc.problem(Severity::Error, Some(field), msg));
                continue;
            }
            if files::is_glob(target) {
                self.follow_glob(&parent, doc, dir, &mut problems);
                continue;
            }
            let path = join_normalized(dir, target);
            if self.source.exists(&path) {
                self.read_file(&path, &parent, Some(doc));
            } else if !optional {
                let msg = format!(
                    "target {target} (resolved to {}) does not exist",
                    path.display()
                );
                problems.push(doc.problem(Severity::Warning, Some(field), msg));
                self.complete = false;
            }
        }
        if let Some(entity) = self.entities.get_mut(index) {
            entity.problems.extend(problems);
        }
    }

    fn follow_glob(
        &mut self,
        parent: &Parent<'_>,
        doc: &DocText<'_>,
        dir: &Path,
        problems: &mut Vec<Problem>,
    ) {
        let cap = self.opts.max_files.saturating_add(1);
        match self.source.glob(dir, parent.target, cap) {
            Ok(paths) if paths.is_empty() => {
                let shown = join_normalized(dir, parent.target);
                let msg = format!(
                    "target {} (resolved to {}) matches no files",
                    parent.target,
                    shown.display()
                );
                problems.push(doc.problem(Severity::Warning, Some(parent.field), msg));
            }
            Ok(paths) => {
                for path in paths {
                    self.read_file(&path, parent, Some(doc));
                }
            }
            Err(msg) => {
                let msg = format!("target {}: {msg}", parent.target);
                problems.push(doc.problem(Severity::Error, Some(parent.field), msg));
            }
        }
    }
}
