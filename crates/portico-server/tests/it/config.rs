use portico_server::config::{Config, LocationConfig};

#[test]
fn file_roots_default_to_the_data_dir_and_trust_configured_locations() {
    let data = tempfile::tempdir().unwrap();
    let catalogs = tempfile::tempdir().unwrap();
    let root_file = catalogs.path().join("all.yaml");
    std::fs::write(&root_file, "").unwrap();
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    config.catalog.locations.push(LocationConfig {
        location_type: "file".to_string(),
        target: root_file.to_string_lossy().into_owned(),
    });
    let roots = config.file_roots();
    assert!(
        roots.contains(&data.path().canonicalize().unwrap()),
        "{roots:?}"
    );
    assert!(
        roots.contains(&catalogs.path().canonicalize().unwrap()),
        "{roots:?}"
    );

    // Explicit roots replace the defaults; missing directories are dropped.
    config.catalog.file_location_roots =
        Some(vec![catalogs.path().to_path_buf(), "/no/such/dir".into()]);
    config.catalog.locations.clear();
    assert_eq!(
        config.file_roots(),
        vec![catalogs.path().canonicalize().unwrap()]
    );
}
