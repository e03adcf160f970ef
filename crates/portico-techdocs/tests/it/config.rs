//! `mkdocs.yml` as Portico reads it.

use portico_techdocs::{
    build_site, load_config, parse_config, BuildError, ConfigError, DirTree, DocTree, NavEntry,
};

use crate::fixture::{options, source};

#[test]
fn reads_the_settings_a_site_needs() {
    let text = "\
site_name: Runbooks
site_description: How we run things
docs_dir: documentation
repo_url: https://github.com/acme/runbooks
use_directory_urls: false
";
    let config = parse_config("mkdocs.yml", text, "fallback").unwrap();
    assert_eq!(config.site_name, "Runbooks");
    assert_eq!(
        config.site_description.as_deref(),
        Some("How we run things")
    );
    assert_eq!(config.docs_dir, "documentation");
    assert!(!config.use_directory_urls);
    assert_eq!(
        config.repo_url.as_deref(),
        Some("https://github.com/acme/runbooks")
    );
    assert_eq!(
        config.edit_uri.as_deref(),
        Some("https://github.com/acme/runbooks/edit/main/documentation/")
    );
    assert_eq!(
        config.edit_url("ops/restart.md").as_deref(),
        Some("https://github.com/acme/runbooks/edit/main/documentation/ops/restart.md")
    );
    assert!(config.nav.is_none());
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert!(config.notes.is_empty(), "{:?}", config.notes);
}

#[test]
fn defaults_and_edit_uri_variants() {
    let config = parse_config("mkdocs.yml", "site_name: X\n", "fallback").unwrap();
    assert_eq!(config.docs_dir, "docs");
    assert!(config.use_directory_urls);
    assert_eq!(config.edit_uri, None);

    let gitlab = "site_name: X\nrepo_url: https://gitlab.com/acme/x/\n";
    let config = parse_config("mkdocs.yml", gitlab, "f").unwrap();
    assert_eq!(
        config.edit_uri.as_deref(),
        Some("https://gitlab.com/acme/x/-/edit/main/docs/")
    );

    let custom = "site_name: X\nrepo_url: https://github.com/a/b\nedit_uri: blob/dev/site/docs\n";
    let config = parse_config("mkdocs.yml", custom, "f").unwrap();
    assert_eq!(
        config.edit_uri.as_deref(),
        Some("https://github.com/a/b/blob/dev/site/docs/")
    );

    let off = "site_name: X\nrepo_url: https://github.com/a/b\nedit_uri: ''\n";
    assert_eq!(parse_config("mkdocs.yml", off, "f").unwrap().edit_uri, None);

    let other_host = "site_name: X\nrepo_url: https://git.example.com/a/b\n";
    assert_eq!(
        parse_config("mkdocs.yml", other_host, "f")
            .unwrap()
            .edit_uri,
        None
    );

    let script = "site_name: X\nrepo_url: javascript:alert(1)\n";
    let config = parse_config("mkdocs.yml", script, "f").unwrap();
    assert_eq!(config.repo_url, None);
    assert_eq!(config.warnings.len(), 1);
    assert_eq!(config.warnings[0].line, Some(2));
}

#[test]
fn a_missing_site_name_falls_back_with_a_warning() {
    let config = parse_config("mkdocs.yml", "docs_dir: docs\n", "my-service").unwrap();
    assert_eq!(config.site_name, "my-service");
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(config.warnings[0].message.contains("site_name"));
}

#[test]
fn python_tags_are_refused_with_their_line() {
    let text = "\
site_name: X
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
";
    let err = parse_config("mkdocs.yml", text, "f").unwrap_err();
    assert!(
        matches!(err, ConfigError::PythonTag { line: Some(4), .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "mkdocs.yml:4: python tags are not supported"
    );

    let quoted = "site_name: X\nsite_description: \"mentions !!python/name:x in text\"\n";
    assert!(parse_config("mkdocs.yml", quoted, "f").is_ok());
    let commented = "site_name: X # not !!python/name:x\n";
    assert!(parse_config("mkdocs.yml", commented, "f").is_ok());

    let object = "site_name: !!python/object/apply:os.system ['rm -rf /']\n";
    let err = parse_config("mkdocs.yml", object, "f").unwrap_err();
    assert_eq!(
        err.to_string(),
        "mkdocs.yml:1: python tags are not supported"
    );
}

#[test]
fn env_tags_use_their_default_never_the_environment() {
    let text = "\
site_name: !ENV [PORTICO_SITE_NAME_THAT_IS_UNSET, 'Default name']
site_description: !ENV PATH
";
    let config = parse_config("mkdocs.yml", text, "f").unwrap();
    assert_eq!(config.site_name, "Default name");
    // PATH is set in every test environment; its value must not leak in.
    assert_eq!(config.site_description, None);
    assert_eq!(config.notes.len(), 2, "{:?}", config.notes);
    assert!(
        config.notes[0].starts_with("mkdocs.yml:1: !ENV"),
        "{:?}",
        config.notes
    );
    assert!(
        config.notes[1].starts_with("mkdocs.yml:2: !ENV PATH"),
        "{:?}",
        config.notes
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn ignored_settings_are_listed_once_in_a_note() {
    let text = "\
site_name: X
theme:
  name: material
plugins: [search, techdocs-core]
markdown_extensions: [admonition]
extra_css: [a.css]
";
    let config = parse_config("mkdocs.yml", text, "f").unwrap();
    assert_eq!(config.notes.len(), 1, "{:?}", config.notes);
    let note = &config.notes[0];
    for key in ["theme", "plugins", "markdown_extensions", "extra_css"] {
        assert!(note.contains(key), "{note}");
    }
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn docs_dir_must_stay_inside_the_source() {
    for dir in ["../elsewhere", "/etc", "docs/../../x"] {
        let text = format!("site_name: X\ndocs_dir: {dir}\n");
        let err = parse_config("mkdocs.yml", &text, "f").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Field { key, line: Some(2), .. } if key == "docs_dir"),
            "{dir}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("mkdocs.yml:2: docs_dir:"),
            "{err}"
        );
    }
    let root = parse_config("mkdocs.yml", "site_name: X\ndocs_dir: .\n", "f").unwrap();
    assert_eq!(root.docs_dir, "");
    let nested = parse_config("mkdocs.yml", "site_name: X\ndocs_dir: ./a/b/\n", "f").unwrap();
    assert_eq!(nested.docs_dir, "a/b");
}

#[test]
fn syntax_errors_name_their_line() {
    let err = parse_config("mkdocs.yml", "site_name: X\nnav: [a\n  b: c\n", "f").unwrap_err();
    assert!(
        matches!(err, ConfigError::Syntax { line: Some(_), .. }),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("mkdocs.yml:"), "{err}");
    let err = parse_config("mkdocs.yml", "- a list\n", "f").unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err:?}");
}

#[test]
fn nested_nav_entries_keep_their_lines() {
    let text = "\
site_name: X
nav:
  - index.md
  - Guide:
    - Install: guide/install.md
    - guide/use.md
    - Deep:
      - guide/deep/a.md
  - Issues: https://example.com/issues
";
    let config = parse_config("mkdocs.yml", text, "f").unwrap();
    let nav = config.nav.unwrap();
    assert_eq!(
        nav,
        vec![
            NavEntry::Page {
                title: None,
                path: "index.md".into(),
                line: Some(3)
            },
            NavEntry::Section {
                title: "Guide".into(),
                children: vec![
                    NavEntry::Page {
                        title: Some("Install".into()),
                        path: "guide/install.md".into(),
                        line: Some(5)
                    },
                    NavEntry::Page {
                        title: None,
                        path: "guide/use.md".into(),
                        line: Some(6)
                    },
                    NavEntry::Section {
                        title: "Deep".into(),
                        children: vec![NavEntry::Page {
                            title: None,
                            path: "guide/deep/a.md".into(),
                            line: Some(8)
                        }],
                    },
                ],
            },
            NavEntry::Link {
                title: "Issues".into(),
                url: "https://example.com/issues".into()
            },
        ]
    );
}

#[test]
fn the_yml_file_wins_over_yaml() {
    let dir = source(&[
        ("mkdocs.yml", "site_name: From yml\n"),
        ("mkdocs.yaml", "site_name: From yaml\n"),
        ("docs/index.md", "# Hi\n"),
    ]);
    let tree = DirTree::open(dir.path()).unwrap();
    let files = tree.files().unwrap();
    let config = load_config(&tree, &files, "f").unwrap();
    assert_eq!(config.site_name, "From yml");
    assert_eq!(config.file.as_deref(), Some("mkdocs.yml"));
    assert_eq!(config.warnings.len(), 1);
    assert_eq!(config.warnings[0].file, "mkdocs.yaml");

    let only_yaml = source(&[("mkdocs.yaml", "site_name: Y\n"), ("docs/index.md", "x")]);
    let tree = DirTree::open(only_yaml.path()).unwrap();
    let config = load_config(&tree, &tree.files().unwrap(), "f").unwrap();
    assert_eq!(config.site_name, "Y");
    assert!(config.warnings.is_empty());
}

#[test]
fn a_bad_config_stops_the_build() {
    let dir = source(&[
        ("mkdocs.yml", "site_name: X\ndocs_dir: ../../etc\n"),
        ("docs/index.md", "x"),
    ]);
    let err = build_site(&DirTree::open(dir.path()).unwrap(), &options()).unwrap_err();
    assert!(matches!(err, BuildError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("mkdocs.yml:2: docs_dir"), "{err}");
}
