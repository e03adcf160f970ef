//! Tests of skeleton rendering.
use super::*;
use serde_json::json;
use tempfile::TempDir;

fn ok(template: &str, data: Value) -> String {
    render_text(&engine(), "t.txt", template, &data).unwrap()
}

fn err(template: &str, data: Value) -> String {
    let result = render_text(&engine(), "t.txt", template, &data);
    result.unwrap_err().to_string()
}

fn has(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{haystack:?} lacks {needle:?}");
}

fn put(root: &Path, rel: &str, content: &[u8]) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn skeleton(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, content) in files {
        put(dir.path(), rel, content.as_bytes());
    }
    dir
}

struct Run {
    target: TempDir,
    result: Result<Vec<RenderedFile>, SkeletonError>,
}

impl Run {
    fn paths(&self) -> Vec<&str> {
        let files = self.result.as_ref().unwrap();
        files.iter().map(|f| f.path.as_str()).collect()
    }
    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.target.path().join(rel)).unwrap()
    }
    fn written(&self) -> usize {
        fs::read_dir(self.target.path()).unwrap().count()
    }
    fn err(&self) -> &SkeletonError {
        self.result.as_ref().unwrap_err()
    }
}

fn run_limited(skel: &Path, data: Value, patterns: &[&str], limit: usize) -> Run {
    let target = tempfile::tempdir().unwrap();
    let copy_without_templating = patterns.iter().map(|p| p.to_string()).collect();
    let options = SkeletonOptions {
        copy_without_templating,
    };
    let result = render_tree_limited(&engine(), skel, target.path(), &data, &options, limit);
    Run { target, result }
}

fn run(skel: &Path, data: Value, patterns: &[&str]) -> Run {
    run_limited(skel, data, patterns, MAX_FILES)
}

#[test]
fn case_helpers_and_aliases() {
    let data = json!({"values": {"name": "Payments service"}});
    for (helper, expected) in [
        ("kebab_case", "payments-service"),
        ("kebab", "payments-service"),
        ("snake_case", "payments_service"),
        ("snake", "payments_service"),
        ("pascal_case", "PaymentsService"),
        ("pascal", "PaymentsService"),
        ("camel_case", "paymentsService"),
        ("camel", "paymentsService"),
        ("upper", "PAYMENTS SERVICE"),
        ("lower", "payments service"),
    ] {
        let template = format!("{{{{{helper} values.name}}}}");
        assert_eq!(ok(&template, data.clone()), expected, "{helper}");
    }
    assert_eq!(ok("{{upper 42}}", json!({})), "42");
    has(
        &err("{{kebab values}}", data.clone()),
        "helper `kebab` expects a string, got an object",
    );
    has(
        &err("{{snake values.name values.name}}", data),
        "takes 1 argument(s), got 2",
    );
}

#[test]
fn eq_and_ne_work_as_subexpressions() {
    let t = r#"{{#if (eq values.lang "rust")}}R{{else}}other{{/if}}|{{#if (ne values.n 3)}}not3{{/if}}|{{eq values.n 3}}"#;
    assert_eq!(
        ok(t, json!({"values": {"lang": "rust", "n": 3}})),
        "R||true"
    );
    assert_eq!(
        ok(t, json!({"values": {"lang": "go", "n": 4}})),
        "other|not3|false"
    );
    // Strict: comparing a variable that does not exist is a typo until proven otherwise.
    let message = err(t, json!({"values": {"n": 3}}));
    assert_eq!(
        message,
        "skeleton file `t.txt`, line 1: variable `values.lang` not found"
    );
}

#[test]
fn default_accepts_missing_null_and_empty_values() {
    let t = r#"{{default values.port 8080}} {{default values.a.b "x"}}"#;
    assert_eq!(ok(t, json!({"values": {}})), "8080 x");
    assert_eq!(
        ok(t, json!({"values": {"port": null, "a": {"b": ""}}})),
        "8080 x"
    );
    assert_eq!(
        ok(t, json!({"values": {"port": 9, "a": {"b": "y"}}})),
        "9 y"
    );
    assert_eq!(
        ok(
            r#"{{upper (default values.x "dev")}}"#,
            json!({"values": {}})
        ),
        "DEV"
    );
    let message = err(
        "{{default values.port values.fallback}}",
        json!({"values": {}}),
    );
    has(&message, "variable `values.fallback` not found");
}

#[test]
fn join_and_no_html_escaping() {
    let data = json!({"values": {"tags": ["api", 2, true], "name": "<a href=\"x\">R&D's</a>"}});
    assert_eq!(
        ok(r#"{{join values.tags ", "}}"#, data.clone()),
        "api, 2, true"
    );
    has(
        &err(r#"{{join values.name ","}}"#, data.clone()),
        "expects an array, got a string",
    );
    assert_eq!(ok("{{values.name}}", data), "<a href=\"x\">R&D's</a>");
}

#[test]
fn errors_name_the_file_line_and_variable() {
    let body = format!(
        "{}fn main() {{ let _ = \"{{{{values.nam}}}}\"; }}\n",
        "//\n".repeat(11)
    );
    let skel = skeleton(&[("src/main.rs", &body)]);
    let message = run(skel.path(), json!({"values": {"name": "x"}}), &[])
        .err()
        .to_string();
    assert_eq!(
        message,
        "skeleton file `src/main.rs`, line 12: variable `values.nam` not found"
    );

    let skel = skeleton(&[("a.md", "x\n{{#if values.on}}\n  {{values.zz}}\n{{/if}}\n")]);
    let message = run(skel.path(), json!({"values": {"on": true}}), &[])
        .err()
        .to_string();
    assert_eq!(
        message,
        "skeleton file `a.md`, line 3: variable `values.zz` not found"
    );

    let skel = skeleton(&[("b.md", "ok\n{{#if a}}x{{/each}}\nmore\n")]);
    let message = run(skel.path(), json!({}), &[]).err().to_string();
    has(
        &message,
        "skeleton file `b.md`, line 2: helper \"if\" was opened, but \"each\" is closing",
    );

    let skel = skeleton(&[("{{values.nam}}.txt", "")]);
    let message = run(skel.path(), json!({"values": {}}), &[])
        .err()
        .to_string();
    let expected =
        "skeleton file `{{values.nam}}.txt`: in the file name: variable `values.nam` not found";
    assert_eq!(message, expected);
    has(
        &err("{{nohelper 1}}", json!({})),
        "unknown helper `nohelper`",
    );
}

const FOREIGN: &str = "image: ${{ github.sha }}\ntag: {{ .Values.image }}\nname: {{ .Name }}\n";

#[test]
fn raw_blocks_and_verbatim_files_keep_foreign_template_syntax() {
    let templated =
        format!("svc: {{{{values.name}}}}\n{{{{{{{{raw}}}}}}}}{FOREIGN}{{{{{{{{/raw}}}}}}}}");
    let skel = skeleton(&[("ci.yaml", &templated), ("helm/values.yaml", FOREIGN)]);
    let run = run(
        skel.path(),
        json!({"values": {"name": "payments"}}),
        &["helm/*.yaml"],
    );
    assert_eq!(run.read("ci.yaml"), format!("svc: payments\n{FOREIGN}"));
    assert_eq!(run.read("helm/values.yaml"), FOREIGN);
    let files = run.result.as_ref().unwrap();
    assert!(files[0].templated && !files[1].templated, "{files:?}");
}

#[test]
fn names_rendering_empty_skip_files_and_directories() {
    let skel = skeleton(&[
        (
            "{{#if values.withDocs}}docs{{/if}}/index.md",
            "{{values.notThere}}",
        ),
        ("{{#if values.withDocs}}docs{{/if}}/sub/deep.md", "x"),
        ("{{#if values.readme}}README.md{{/if}}", "# {{values.name}}"),
        ("{{values.name}}.txt", "kept"),
    ]);
    let off = run(
        skel.path(),
        json!({"values": {"name": "svc", "withDocs": false, "readme": ""}}),
        &[],
    );
    assert_eq!(off.paths(), ["svc.txt"]);
    assert_eq!(off.written(), 1);

    let data = json!({"values": {"name": "svc", "withDocs": true, "readme": "y", "notThere": 1}});
    let on = run(skel.path(), data, &[]);
    assert_eq!(
        on.paths(),
        ["README.md", "docs/index.md", "docs/sub/deep.md", "svc.txt"]
    );
    assert_eq!(on.read("README.md"), "# svc");
}

#[test]
fn copy_without_templating_matches_files_and_directories() {
    let text = "{{values.name}}";
    let names = [
        ".github/ci.yml",
        "charts/{{values.name}}/v.yaml",
        "deep/a/b.tpl",
        "static/x.txt",
        "src/lib.rs",
    ];
    let skel = skeleton(&names.map(|n| (n, text)));
    let patterns = [".github", "charts/**", "**/*.tpl", "./static/*"];
    let run = run(skel.path(), json!({"values": {"name": "pay"}}), &patterns);
    let files = run.result.as_ref().unwrap();
    let templated: Vec<(&str, bool)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.templated))
        .collect();
    let expected = [
        (".github/ci.yml", false),
        ("charts/pay/v.yaml", false),
        ("deep/a/b.tpl", false),
        ("src/lib.rs", true),
        ("static/x.txt", false),
    ];
    assert_eq!(templated, expected);
    assert_eq!(run.read("charts/pay/v.yaml"), text);
    assert_eq!(run.read("src/lib.rs"), "pay");

    let bad = self::run(skel.path(), json!({}), &["[oops"]);
    assert!(matches!(bad.err(), SkeletonError::Pattern { pattern, .. } if pattern == "[oops"));
}

#[test]
fn binary_files_are_copied_as_is() {
    let skel = skeleton(&[]);
    let nul = b"PNG\0{{values.name}}";
    let latin1 = b"caf\xe9 {{values.name}}";
    put(skel.path(), "{{values.name}}.png", nul);
    put(skel.path(), "latin1.txt", latin1);
    let run = run(skel.path(), json!({"values": {"name": "logo"}}), &[]);
    assert_eq!(run.paths(), ["latin1.txt", "logo.png"]);
    assert!(run.result.as_ref().unwrap().iter().all(|f| !f.templated));
    assert_eq!(fs::read(run.target.path().join("logo.png")).unwrap(), nul);
    assert_eq!(
        fs::read(run.target.path().join("latin1.txt")).unwrap(),
        latin1
    );
}

#[cfg(unix)]
#[test]
fn executable_bit_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let skel = skeleton(&[
        ("run.sh", "#!/bin/sh\necho {{values.name}}\n"),
        ("plain.txt", "x"),
    ]);
    fs::set_permissions(
        skel.path().join("run.sh"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let run = run(skel.path(), json!({"values": {"name": "hi"}}), &[]);
    let files = run.result.as_ref().unwrap();
    assert!(!files[0].executable && files[1].executable, "{files:?}");
    let mode = |rel: &str| {
        fs::metadata(run.target.path().join(rel))
            .unwrap()
            .permissions()
            .mode()
    };
    assert_eq!(mode("run.sh") & 0o100, 0o100);
    assert_eq!(mode("plain.txt") & 0o111, 0);
}

#[cfg(unix)]
#[test]
fn symlinks_and_special_files_in_the_skeleton_are_refused() {
    use std::os::unix::fs::symlink;
    // In a directory this rendering skips, and sorted after a file that would be written.
    let skel = skeleton(&[("a.txt", "a"), ("{{#if values.x}}opt{{/if}}/b.txt", "b")]);
    symlink(
        "/etc/passwd",
        skel.path().join("{{#if values.x}}opt{{/if}}/passwd"),
    )
    .unwrap();
    let run = run(skel.path(), json!({"values": {"x": false}}), &[]);
    let expected = "{{#if values.x}}opt{{/if}}/passwd";
    assert!(
        matches!(run.err(), SkeletonError::Symlink { file } if file == expected),
        "{:?}",
        run.err()
    );
    assert_eq!(
        run.written(),
        0,
        "nothing is written before the whole skeleton was checked"
    );

    let parent = tempfile::tempdir().unwrap();
    symlink(skel.path(), parent.path().join("skel")).unwrap();
    let linked = self::run(&parent.path().join("skel"), json!({}), &[]);
    assert!(
        matches!(linked.err(), SkeletonError::Symlink { .. }),
        "{:?}",
        linked.err()
    );

    let skel = skeleton(&[]);
    let _socket = std::os::unix::net::UnixListener::bind(skel.path().join("sock")).unwrap();
    has(
        &self::run(skel.path(), json!({}), &[]).err().to_string(),
        "not a regular file",
    );
}

#[cfg(unix)]
#[test]
fn symlink_planted_in_the_target_is_refused() {
    let skel = skeleton(&[("src/main.rs", "fn main() {}")]);
    let (outside, target) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::os::unix::fs::symlink(outside.path(), target.path().join("src")).unwrap();
    let options = SkeletonOptions {
        copy_without_templating: vec![],
    };
    let result = render_tree(&engine(), skel.path(), target.path(), &json!({}), &options);
    assert!(
        matches!(result, Err(SkeletonError::Path(PathError::Symlink { .. }))),
        "{result:?}"
    );
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn names_that_climb_or_create_structure_are_refused() {
    let skel = skeleton(&[("sub/{{values.n}}", "x")]);
    for bad in ["..", ".", "a/b", "..\\x", "/etc", "{{ x }}/"] {
        let run = run(skel.path(), json!({"values": {"n": bad}}), &[]);
        assert!(
            matches!(run.err(), SkeletonError::Path(PathError::Escapes { .. })),
            "{bad:?}: {:?}",
            run.err()
        );
        assert_eq!(run.written(), 0, "{bad:?} wrote something");
    }
    let run = run(skel.path(), json!({"values": {"n": "x/y.txt"}}), &[]);
    assert_eq!(
        run.err().to_string(),
        "path `sub/x/y.txt` leaves the workspace"
    );

    for unescaped in ["{{{values.n}}}.txt", "{{&values.n}}.txt"] {
        let skel = skeleton(&[(unescaped, "x")]);
        let message = self::run(skel.path(), json!({"values": {"n": "../x"}}), &[])
            .err()
            .to_string();
        has(&message, "in the file name: `{{{ }}}` is not allowed");
    }
}

#[test]
fn separators_from_the_skeleton_still_make_directories() {
    let skel = skeleton(&[("{{values.a}}/{{#if values.b}}b-{{/if}}x.txt", "x")]);
    let run = run(skel.path(), json!({"values": {"a": "one", "b": true}}), &[]);
    assert_eq!(run.paths(), ["one/b-x.txt"]);
    assert_eq!(run.read("one/b-x.txt"), "x");
}

#[test]
fn two_files_rendering_to_one_path_is_an_error() {
    let skel = skeleton(&[("{{values.a}}.txt", "1"), ("{{values.b}}.txt", "2")]);
    let message = run(skel.path(), json!({"values": {"a": "x", "b": "x"}}), &[])
        .err()
        .to_string();
    has(&message, "renders to `x.txt`, as does `{{values.a}}.txt`");
}

#[test]
fn returned_files_are_sorted_and_stable() {
    let names = [
        "b/z.txt",
        "a.txt",
        "{{values.first}}.md",
        "b/a.txt",
        "c",
        "empty/.keep",
    ];
    let skel = skeleton(&names.map(|n| (n, "")));
    fs::create_dir(skel.path().join("empty-dir")).unwrap();
    let data = json!({"values": {"first": "0"}});
    let (first, second) = (
        run(skel.path(), data.clone(), &[]),
        run(skel.path(), data, &[]),
    );
    assert_eq!(
        first.paths(),
        ["0.md", "a.txt", "b/a.txt", "b/z.txt", "c", "empty/.keep"]
    );
    assert_eq!(first.paths(), second.paths());
    assert!(first.target.path().join("empty-dir").is_dir());
}

#[test]
fn partials_and_runaway_nesting_are_refused_without_crashing() {
    has(
        &err(r#"{{#*inline "p"}}{{> p}}{{/inline}}{{> p}}"#, json!({})),
        "partials and decorators",
    );
    has(&err("a\n{{> missing}}", json!({})), "line 2");

    // At the limit it renders, inside the test thread's 2 MiB stack and unoptimised...
    let (blocks, subexprs) = ((MAX_NESTING - 40) / 2, 39);
    let at_limit = format!(
        "{}{{{{lower {}\"X\"{}}}}}{}",
        "{{#if true}}{{#with this}}".repeat(blocks),
        "(lower ".repeat(subexprs),
        ")".repeat(subexprs),
        "{{/with}}{{/if}}".repeat(blocks)
    );
    assert_eq!(ok(&at_limit, json!({"k": 1})), "x");
    // ...one level more is refused, naming the line.
    let n = MAX_NESTING + 1;
    let over = format!("\n{}x{}", "{{#if true}}".repeat(n), "{{/if}}".repeat(n));
    has(
        &err(&over, json!({})),
        "line 2: blocks nest deeper than 100 levels",
    );
    let subexprs = format!(
        "{{{{lower {}\"X\"{}}}}}",
        "(lower ".repeat(n),
        ")".repeat(n)
    );
    has(&err(&subexprs, json!({})), "expressions nest deeper");
    let deep = format!(
        "{}x{}",
        "{{#if true}}".repeat(20_000),
        "{{/if}}".repeat(20_000)
    );
    assert!(render_text(&engine(), "t", &deep, &json!({})).is_err());
}

#[test]
fn oversized_output_input_and_trees_are_refused() {
    let data = json!({"values": {"items": vec![0; 1100], "big": "x".repeat(10 * 1024)}});
    has(
        &err("{{#each values.items}}{{../values.big}}{{/each}}", data),
        "rendered output exceeds 10 MiB",
    );

    let skel = skeleton(&[("small.txt", "")]);
    let big = fs::File::create(skel.path().join("big.bin")).unwrap();
    big.set_len(MAX_FILE_BYTES + 1).unwrap();
    let run = run(skel.path(), json!({}), &[]);
    assert!(
        matches!(run.err(), SkeletonError::Io { path, .. } if path == "big.bin"),
        "{:?}",
        run.err()
    );
    has(&run.err().to_string(), "larger than the 10 MiB limit");

    let skel = skeleton(&[("a", ""), ("b", ""), ("c/d", "")]);
    let over = run_limited(skel.path(), json!({}), &[], 3);
    assert!(
        matches!(over.err(), SkeletonError::TooMany { limit: 3 }),
        "{:?}",
        over.err()
    );
    assert_eq!(
        run_limited(skel.path(), json!({}), &[], 4).paths(),
        ["a", "b", "c/d"]
    );
}
