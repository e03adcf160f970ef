//! The catalog: reading locations, processing entities, committing them to the
//! store, stitching final entities, and the refresh loop.

pub mod read;
