/// Errors of the scaffolder that are not a step's failure (those are
/// [`crate::RunError`]s, reported in the task).
#[derive(Debug, thiserror::Error)]
pub enum ScaffolderError {
    /// The template entity cannot be run as written.
    #[error("invalid template: {0}")]
    InvalidTemplate(String),
}
