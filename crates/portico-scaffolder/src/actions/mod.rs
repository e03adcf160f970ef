//! The built-in actions that need only the workspace and the template.

mod fetch;
mod fs;

pub use self::fetch::{FetchPlain, FetchTemplate};
pub use self::fs::{DebugLog, FsDelete, FsRename};
