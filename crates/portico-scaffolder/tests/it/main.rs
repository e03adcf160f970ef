//! The crate's one integration-test binary: templates run against real
//! directories.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod publish;
mod run;
mod safety;
mod shipped;
