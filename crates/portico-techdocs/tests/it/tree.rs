//! Documentation sources: directories and repository directories.

use std::path::Path;

use portico_techdocs::{content_key, DirTree, DocTree, GitTree, TreeError, TreeLimits};

use crate::fixture::source;

#[test]
fn a_directory_lists_every_file_sorted_without_git() {
    let dir = source(&[
        ("mkdocs.yml", "site_name: x"),
        ("docs/index.md", "# Hi"),
        ("docs/b/z.md", "z"),
        ("docs/a.png", "png"),
        (".git/HEAD", "ref: refs/heads/main"),
        ("docs/.hidden.md", "h"),
    ]);
    let tree = DirTree::open(dir.path()).unwrap();
    assert_eq!(
        tree.files().unwrap(),
        vec![
            "docs/.hidden.md",
            "docs/a.png",
            "docs/b/z.md",
            "docs/index.md",
            "mkdocs.yml"
        ]
    );
    assert_eq!(tree.read("docs/b/z.md").unwrap(), b"z");
    assert_eq!(tree.read("./docs/b/../index.md").unwrap(), b"# Hi");
    assert!(tree
        .describe()
        .contains(&dir.path().canonicalize().unwrap().display().to_string()));
}

#[test]
fn reads_that_leave_the_root_are_refused() {
    let outer = source(&[("secret.txt", "top secret"), ("site/docs/index.md", "x")]);
    let tree = DirTree::open(&outer.path().join("site")).unwrap();
    for path in [
        "../secret.txt",
        "docs/../../secret.txt",
        "/etc/passwd",
        "..\\secret.txt",
    ] {
        match tree.read(path) {
            Err(TreeError::Escapes { .. }) => {}
            other => panic!("{path}: {other:?}"),
        }
    }
    assert!(matches!(
        tree.read("docs/missing.md"),
        Err(TreeError::NotFound(_))
    ));
    assert!(matches!(tree.read("docs"), Err(TreeError::NotFound(_))));
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_root_are_skipped_and_refused() {
    use std::os::unix::fs::symlink;
    let outer = source(&[("secret.txt", "top secret"), ("site/docs/index.md", "x")]);
    let root = outer.path().join("site");
    symlink(outer.path().join("secret.txt"), root.join("docs/leak.md")).unwrap();
    symlink(outer.path(), root.join("docs/up")).unwrap();
    symlink("index.md", root.join("docs/alias.md")).unwrap();
    std::fs::create_dir(root.join("shared")).unwrap();
    std::fs::write(root.join("shared/part.md"), "part").unwrap();
    symlink(root.join("shared"), root.join("docs/shared")).unwrap();
    // A link back up must not make the walk loop.
    symlink(&root, root.join("docs/loop")).unwrap();

    let tree = DirTree::open(&root).unwrap();
    let files = tree.files().unwrap();
    assert!(
        !files
            .iter()
            .any(|f| f.contains("leak") || f.starts_with("docs/up")),
        "{files:?}"
    );
    assert!(files.contains(&"docs/alias.md".to_string()), "{files:?}");
    assert!(
        files.contains(&"docs/shared/part.md".to_string()),
        "{files:?}"
    );
    assert!(files.len() < 20, "{files:?}");

    let err = tree.read("docs/leak.md").unwrap_err();
    assert!(matches!(err, TreeError::Escapes { .. }), "{err:?}");
    assert!(err.to_string().contains("docs/leak.md"), "{err}");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(matches!(
        tree.read("docs/up/secret.txt"),
        Err(TreeError::Escapes { .. })
    ));
    assert_eq!(tree.read("docs/alias.md").unwrap(), b"x");
    assert_eq!(tree.read("docs/shared/part.md").unwrap(), b"part");
}

#[test]
fn limits_on_file_size_and_count() {
    let dir = source(&[("a.md", "0123456789"), ("b.md", "x"), ("c.md", "y")]);
    let limits = TreeLimits {
        max_file_bytes: 5,
        max_files: 2,
    };
    let tree = DirTree::open_with(dir.path(), limits).unwrap();
    match tree.read("a.md") {
        Err(TreeError::TooLarge {
            size: 10, limit: 5, ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(tree.read("b.md").unwrap(), b"x");
    assert!(matches!(
        tree.files(),
        Err(TreeError::TooManyFiles { limit: 2 })
    ));
    let roomy = DirTree::open_with(
        dir.path(),
        TreeLimits {
            max_files: 3,
            ..limits
        },
    )
    .unwrap();
    assert_eq!(roomy.files().unwrap().len(), 3);
}

#[test]
fn a_missing_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(DirTree::open(&dir.path().join("nope")).is_err());
}

#[test]
fn the_content_key_follows_paths_and_contents() {
    let key = |files: &[(&str, &str)]| {
        let dir = source(files);
        content_key(&DirTree::open(dir.path()).unwrap()).unwrap()
    };
    let base = key(&[("docs/a.md", "one"), ("docs/b.md", "two")]);
    assert_eq!(base.len(), 40);
    assert_eq!(base, key(&[("docs/b.md", "two"), ("docs/a.md", "one")]));
    assert_ne!(base, key(&[("docs/a.md", "one"), ("docs/b.md", "twO")]));
    assert_ne!(base, key(&[("docs/a.md", "one"), ("docs/c.md", "two")]));
    // Moving bytes between path and content changes the key.
    assert_ne!(key(&[("ab", "c")]), key(&[("a", "bc")]));
}

fn git_snapshot(root: &Path, files: &[(&str, Option<&[u8]>)]) -> portico_git::Snapshot {
    let repo = root.join("repo.git");
    portico_git::write::init_bare(&repo, "main").unwrap();
    let commit = portico_git::write::commit_files(
        &repo,
        "main",
        files,
        "docs",
        ("Test", "test@example.com"),
    )
    .unwrap();
    let mirrors = portico_git::GitMirrors::new(portico_git::GitOptions {
        cache_dir: root.join("cache"),
        ..portico_git::GitOptions::default()
    });
    let url = portico_git::RepoUrl::parse(repo.to_str().unwrap()).unwrap();
    mirrors.snapshot(&url, &commit).unwrap()
}

#[test]
fn a_repository_directory_is_a_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = git_snapshot(
        tmp.path(),
        &[
            ("README.md", Some(b"root readme")),
            ("services/api/mkdocs.yml", Some(b"site_name: API")),
            ("services/api/docs/index.md", Some(b"# API")),
            ("services/api/docs/deep/er/page.md", Some(b"deep")),
            ("services/api/docs/.pages", Some(b"hidden")),
            ("services/web/docs/index.md", Some(b"# Web")),
        ],
    );
    let commit = snapshot.commit().to_string();
    let tree = GitTree::new(snapshot.clone(), "services/api/");
    assert_eq!(
        tree.files().unwrap(),
        vec!["docs/deep/er/page.md", "docs/index.md", "mkdocs.yml"]
    );
    assert_eq!(tree.read("docs/index.md").unwrap(), b"# API");
    assert_eq!(tree.read("docs/deep/er/../../index.md").unwrap(), b"# API");
    assert!(matches!(
        tree.read("../web/docs/index.md"),
        Err(TreeError::Escapes { .. })
    ));
    assert!(matches!(
        tree.read("/README.md"),
        Err(TreeError::Escapes { .. })
    ));
    assert!(matches!(
        tree.read("docs/nope.md"),
        Err(TreeError::NotFound(_))
    ));
    assert!(tree.describe().contains(&commit), "{}", tree.describe());

    let whole = GitTree::new(snapshot.clone(), ".");
    assert_eq!(whole.files().unwrap().len(), 5);
    assert_eq!(whole.read("README.md").unwrap(), b"root readme");

    let limited = GitTree::with_limits(
        snapshot,
        "services/api",
        TreeLimits {
            max_file_bytes: 3,
            max_files: 2,
        },
    );
    assert!(matches!(
        limited.files(),
        Err(TreeError::TooManyFiles { limit: 2 })
    ));
    assert!(matches!(
        limited.read("docs/index.md"),
        Err(TreeError::TooLarge { .. })
    ));
}

#[test]
fn a_repository_directory_builds_a_site() {
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = git_snapshot(
        tmp.path(),
        &[
            (
                "svc/mkdocs.yml",
                Some(b"site_name: Svc\nnav:\n  - index.md\n"),
            ),
            ("svc/docs/index.md", Some(b"# Svc\n\nHello.")),
            ("svc/docs/img.png", Some(b"\x89PNG")),
        ],
    );
    let site =
        portico_techdocs::build_site(&GitTree::new(snapshot, "svc"), &crate::fixture::options())
            .unwrap();
    assert_eq!(site.meta.site_name, "Svc");
    assert_eq!(site.pages.len(), 1);
    assert!(site.pages[0].html.contains("Hello."));
    assert!(site
        .assets
        .iter()
        .any(|a| a.path == "img.png" && a.bytes == b"\x89PNG"));
}
