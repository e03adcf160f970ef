//! Nothing a template or a value says writes outside the workspace, and a
//! template reads only its own directory.

use std::fs;

use serde_json::json;

use crate::common::{files_under, Fixture};

#[test]
fn target_paths_and_rendered_names_cannot_leave_the_workspace() {
    let f = Fixture::new(&[("{{values.name}}.txt", "x\n")]);
    let outside = f.dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();

    for (target, name, want) in [
        ("../outside", "ok", "leaves the workspace"),
        ("/tmp", "ok", "leaves the workspace"),
        ("./", "../../outside/x", "leaves the workspace"),
    ] {
        let template = f.template(
            json!({}),
            json!([{
                "id": "fetch", "action": "fetch:template",
                "input": { "url": "./skeleton", "targetPath": target, "values": { "name": name } }
            }]),
            json!({}),
        );
        let error = f
            .run(&template, json!({}), json!({}))
            .0
            .unwrap_err()
            .to_string();
        assert!(error.contains(want), "{target} {name}: {error}");
    }
    assert!(files_under(&outside).is_empty());
    assert!(files_under(f.workspace.path()).is_empty());
}

#[test]
fn file_actions_cannot_leave_the_workspace_or_follow_links() {
    let f = Fixture::new(&[]);
    let outside = f.dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("keep.txt"), "keep").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, f.workspace.path().join("link")).unwrap();

    let cases = [
        json!({ "id": "d", "action": "fs:delete", "input": { "files": ["../outside/keep.txt"] } }),
        json!({ "id": "d", "action": "fs:delete", "input": { "files": ["link/keep.txt"] } }),
        json!({ "id": "r", "action": "fs:rename", "input": { "files": [{ "from": "link/keep.txt", "to": "k" }] } }),
    ];
    for step in cases {
        let template = f.template(json!({}), json!([step.clone()]), json!({}));
        let result = f.run(&template, json!({}), json!({})).0;
        assert!(result.is_err(), "{step} succeeded");
    }
    assert_eq!(
        fs::read_to_string(outside.join("keep.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn a_template_reads_only_its_own_directory() {
    let f = Fixture::new(&[("a.txt", "a\n")]);
    fs::create_dir_all(f.dir.path().join("elsewhere")).unwrap();
    for url in ["../elsewhere", "/etc", "./skeleton/../../elsewhere"] {
        let template = f.template(
            json!({}),
            json!([{ "id": "fetch", "action": "fetch:plain", "input": { "url": url } }]),
            json!({}),
        );
        let error = f
            .run(&template, json!({}), json!({}))
            .0
            .unwrap_err()
            .to_string();
        assert!(error.contains("step 'fetch'"), "{url}: {error}");
    }
    assert!(files_under(f.workspace.path()).is_empty());
}
