//! The built-in actions that need only the workspace and the template.

mod fetch;
mod fs;
mod publish;

pub use self::fetch::{FetchPlain, FetchTemplate};
pub use self::fs::{DebugLog, DebugWait, FsDelete, FsRename};
pub use self::publish::{CatalogWrite, PublishGit, ANSWERS_FILE};
