/// A scorecard that cannot be used as written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DefinitionError {
    #[error("scorecard YAML: {0}")]
    Parse(String),
    #[error("{0}")]
    Invalid(String),
}
