pub mod catalog;
pub mod health;
pub mod techdocs;
