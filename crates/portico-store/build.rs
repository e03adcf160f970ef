fn main() {
    // embed_migrations! reads the migration folders at compile time; a new migration folder
    // must rebuild this crate.
    println!("cargo:rerun-if-changed=../../migrations");
}
