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

/// `catalog.providers.git` from a config file registers every matching file
/// at start, and a restart with one file gone deletes its entity.
#[test]
fn git_providers_from_the_config_file_register_every_matching_file() {
    use crate::git::{component, GitRepo};

    let dir = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(dir.path(), "platform");
    for name in ["alpha", "beta", "gamma"] {
        repo.write(
            &format!("services/{name}/catalog-info.yaml"),
            &component(name, "production"),
        );
    }
    repo.push("three services");
    let file = dir.path().join("portico.yaml");
    std::fs::write(
        &file,
        format!(
            "dataDir: {}\ncatalog:\n  allowLocalRepositories: true\n  refreshInterval: 30\n  providers:\n    git:\n      - url: {}\n        branch: main\n        glob: services/*/catalog-info.yaml\n",
            dir.path().join("data").display(),
            repo.url()
        ),
    )
    .unwrap();
    let config = Config::load(Some(&file)).unwrap();
    assert_eq!(config.catalog.refresh_interval, 30);
    assert_eq!(
        config.catalog.providers.git[0].target(),
        format!("{}//services/*/catalog-info.yaml?ref=main", repo.url())
    );
    let names = |catalog: &portico_catalog::Catalog| -> Vec<String> {
        let index = catalog.index();
        let mut names: Vec<String> = ["alpha", "beta", "gamma"]
            .into_iter()
            .filter(|n| index.get(&format!("component:default/{n}")).is_some())
            .map(str::to_string)
            .collect();
        names.sort();
        names
    };
    let catalog = portico_server::open_catalog(&config).unwrap();
    assert_eq!(names(&catalog), ["alpha", "beta", "gamma"]);
    drop(catalog);

    repo.remove("services/beta/catalog-info.yaml");
    repo.push("retire beta");
    let catalog = portico_server::open_catalog(&config).unwrap();
    assert_eq!(names(&catalog), ["alpha", "gamma"], "providers delete");
    assert_eq!(catalog.locations().unwrap().len(), 1);
    // A location registered through the API is not the configuration's.
    let extra = dir.path().join("data/extra.yaml");
    std::fs::write(&extra, component("delta", "production")).unwrap();
    catalog
        .add_location(
            "file",
            &extra.to_string_lossy(),
            portico_catalog::AddMode::Strict,
        )
        .unwrap();
    drop(catalog);

    // The provider removed from the configuration: its location and
    // entities go at the next start; the API's location stays.
    let mut config = config;
    config.catalog.providers.git.clear();
    let catalog = portico_server::open_catalog(&config).unwrap();
    assert_eq!(names(&catalog), Vec::<String>::new());
    let locations = catalog.locations().unwrap();
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert_eq!(locations[0].location_type, "file");
    assert!(catalog.index().get("component:default/delta").is_some());
}

#[test]
fn unknown_or_misspelled_catalog_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portico.yaml");
    std::fs::write(&file, "catalog:\n  allowedHost: [github.com]\n").unwrap();
    let err = Config::load(Some(&file)).unwrap_err().to_string();
    assert!(err.contains("allowedHost"), "{err}");
    std::fs::write(&file, "catalog:\n  refreshIntervalSeconds: 5\n").unwrap();
    assert_eq!(
        Config::load(Some(&file)).unwrap().catalog.refresh_interval,
        5,
        "the old key name still works"
    );
}

#[test]
fn git_credentials_take_a_token_or_an_environment_variable_and_never_print_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portico.yaml");
    std::fs::write(
        &file,
        "catalog:\n  gitCredentials:\n    - host: GitHub.com\n      token: ghp_inline\n    - host: gitlab.example.com\n      username: oauth2\n      tokenEnv: PORTICO_TEST_GITLAB_TOKEN_UNSET\n",
    )
    .unwrap();
    let config = Config::load(Some(&file)).unwrap();
    let github = config.catalog.git_credentials[0].resolve().unwrap();
    assert_eq!(
        (
            github.host.as_str(),
            github.username.as_str(),
            github.token.as_str()
        ),
        ("github.com", "x-access-token", "ghp_inline")
    );
    assert!(!format!("{config:?}").contains("ghp_inline"), "redacted");
    let err = config.catalog.git_credentials[1]
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PORTICO_TEST_GITLAB_TOKEN_UNSET") && err.contains("not set"),
        "{err}"
    );
    // Serving refuses to start with a credential it cannot resolve.
    let mut config = config;
    config.data_dir = dir.path().join("data");
    let err = portico_server::open_catalog(&config)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("gitCredentials"), "{err}");
}

/// The guest provider is there to try Portico out: a configuration that
/// lists its providers gets exactly those, so leaving `guest` out turns it
/// off (as the docs say to do in production).
#[test]
fn listing_sign_in_providers_leaves_out_the_guest() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portico.yaml");
    std::fs::write(&file, "auth:\n  allowAnonymousRead: false\n").unwrap();
    let config = Config::load(Some(&file)).unwrap();
    assert!(config.auth.providers.guest.is_some(), "no providers: guest");
    assert!(!config.auth.allow_anonymous_read);
    std::fs::write(
        &file,
        "auth:\n  providers:\n    oidc: { issuer: https://idp, audience: portico, jwksFile: ./jwks.json }\n",
    )
    .unwrap();
    let config = Config::load(Some(&file)).unwrap();
    assert!(
        config.auth.providers.guest.is_none(),
        "listed without guest"
    );
    assert!(config.auth.providers.oidc.is_some());
    std::fs::write(&file, "auth:\n  providers:\n    guest: {}\n").unwrap();
    assert!(Config::load(Some(&file))
        .unwrap()
        .auth
        .providers
        .guest
        .is_some());
    std::fs::write(&file, "auth:\n  providers:\n    github: {}\n").unwrap();
    let err = Config::load(Some(&file)).unwrap_err().to_string();
    assert!(err.contains("github"), "{err}");
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Files layer key by key, `${VAR}`s come from the environment (a whole
/// reference keeps the variable's YAML type), and PORTICO__ variables go
/// last; each mistake names where it was made.
#[test]
fn config_files_layer_and_the_environment_overrides_them() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.yaml");
    let prod = dir.path().join("prod.yaml");
    std::fs::write(
        &base,
        "server:\n  port: 7007\n  host: 0.0.0.0\ncatalog:\n  refreshInterval: 30\n  allowedHosts: [github.com]\n",
    )
    .unwrap();
    std::fs::write(
        &prod,
        "server:\n  port: ${PORT}\ncatalog:\n  allowedHosts: [git.example.com]\nauth:\n  adminGroup: ${ADMINS:-platform}\n",
    )
    .unwrap();
    let files = [base.clone(), prod.clone()];
    let config = Config::load_layers(&files, &env(&[("PORT", "8088")])).unwrap();
    assert_eq!(config.server.port, 8088);
    assert_eq!(config.server.host, "0.0.0.0", "kept from the first file");
    assert_eq!(config.catalog.refresh_interval, 30);
    assert_eq!(
        config.catalog.allowed_hosts,
        ["git.example.com"],
        "lists replace"
    );
    assert_eq!(config.auth.admin_group.as_deref(), Some("platform"));

    let config = Config::load_layers(
        &files,
        &env(&[
            ("PORT", "8088"),
            ("PORTICO__SERVER__PORT", "9099"),
            ("PORTICO__CATALOG__REFRESH_INTERVAL", "5"),
            ("PORTICO__AUTH__ALLOW_ANONYMOUS_READ", "false"),
            ("PORTICO_LOG", "debug"),
        ]),
    )
    .unwrap();
    assert_eq!(config.server.port, 9099);
    assert_eq!(config.catalog.refresh_interval, 5);
    assert!(!config.auth.allow_anonymous_read);

    // Mistakes name the file (or variable) and the key.
    let err = Config::load_layers(&files, &env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&prod.display().to_string())
            && err.contains("server.port")
            && err.contains("PORT"),
        "{err}"
    );
    let err = Config::load_layers(&files, &env(&[("PORT", "eighty")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&prod.display().to_string()) && err.contains("server.port"),
        "{err}"
    );
    let err = Config::load_layers(
        &files,
        &env(&[("PORT", "1"), ("PORTICO__SERVER__PROT", "1")]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("PORTICO__") && err.contains("prot"), "{err}");
    let err = Config::load_layers(
        std::slice::from_ref(&base),
        &env(&[("PORTICO__CATALOG__REFRESH_INTERVAL", "soon")]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("catalog.refreshInterval"), "{err}");
}

/// Every key of the effective configuration, as `section.key` paths.
fn key_paths(value: &serde_yaml::Value, prefix: &str, out: &mut Vec<String>) {
    if let serde_yaml::Value::Mapping(map) = value {
        for (key, value) in map {
            let path = format!("{prefix}{}", key.as_str().unwrap());
            key_paths(value, &format!("{path}."), out);
            out.push(path);
        }
    }
}

/// `portico.example.yaml` documents every key (set, or commented where it
/// has no value by default), and what it sets are the defaults.
#[test]
fn the_example_config_lists_every_key_with_its_default() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = root.join("portico.example.yaml");
    let text = std::fs::read_to_string(&example).unwrap();
    let from_example = Config::load_layers(&[example], &[]).unwrap();
    let defaults = portico_server::config::Config::default();
    assert_eq!(
        portico_server::config::redacted_yaml(&from_example).unwrap(),
        portico_server::config::redacted_yaml(&defaults).unwrap(),
        "the example sets the defaults"
    );
    let value = serde_yaml::to_value(&defaults).unwrap();
    let mut paths = Vec::new();
    key_paths(&value, "", &mut paths);
    for path in paths {
        let key = path.rsplit('.').next().unwrap();
        assert!(
            text.contains(&format!("{key}:")),
            "portico.example.yaml does not mention {path}"
        );
    }
}
