//! The crate's one integration-test binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod documents;
mod features;
mod filters;
mod grouping;
mod paging;
mod perf;
mod persistence;
mod ranking;
mod scan;
mod writes;
