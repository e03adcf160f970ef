//! Backstage repeats query parameters (`filter=a&filter=b`), which the usual
//! struct extractors cannot express; this keeps them as ordered pairs.

use actix_web::web::Query;

use crate::error::ApiError;

pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query_string: &str) -> Result<Params, ApiError> {
        let pairs = Query::<Vec<(String, String)>>::from_query(query_string)
            .map_err(|e| ApiError::input(format!("invalid query string: {e}")))?;
        Ok(Params(pairs.into_inner()))
    }

    /// Every value of a repeatable parameter, in order.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The last value of a parameter (later ones override, as in most servers).
    pub fn one(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn number(&self, key: &str) -> Result<Option<usize>, ApiError> {
        match self.one(key) {
            None => Ok(None),
            Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
                ApiError::input(format!(
                    "Invalid {key} \"{v}\": expected a non-negative integer"
                ))
            }),
        }
    }

    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.one(key) {
            None => Ok(false),
            Some("true") | Some("") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(ApiError::input(format!(
                "Invalid {key} \"{v}\": expected true or false"
            ))),
        }
    }
}
