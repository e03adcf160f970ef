//! `/api/openapi.json` describes every route the app registers, and every
//! path it describes is a route the app answers.

use serde_json::Value;

use crate::app::TestApp;

/// A value for a path parameter that reaches the handler.
fn sample(name: &str) -> &'static str {
    match name {
        "kind" => "component",
        "namespace" => "default",
        "provider" => "guest",
        "path" => "index.html",
        "name" => "nothing-here",
        _ => "0",
    }
}

fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        out.push_str(sample(&rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_described_operation_is_routed_and_every_route_is_described() {
    let app = TestApp::spawn(portico_store::testing::TestDb::sqlite());
    let served = app.get("/api/openapi.json");
    assert_eq!(served.status, 200);
    let spec = served.body;
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(
        spec,
        serde_json::to_value(portico_server::openapi()).unwrap()
    );

    let paths = spec["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let reply = match method.as_str() {
                "get" => app.get(&concrete(path)),
                "post" => app.post_raw(&concrete(path), "{}"),
                "delete" => app.delete(&concrete(path)),
                other => panic!("{other} {path}: a method the app does not use"),
            };
            operations += 1;
            let unrouted = reply.status == 404
                && reply.body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("No route for"));
            assert!(!unrouted, "{method} {path} is described but not routed");
            assert!(
                operation["responses"]["default"].is_object(),
                "{method} {path}: errors are described"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path}: tagged"
            );
        }
    }
    // The routes a user of each part relies on, by name.
    for path in [
        "/api/catalog/entities",
        "/api/catalog/locations",
        "/api/techdocs/metadata/techdocs/{namespace}/{kind}/{name}",
        "/api/search/query",
        "/api/scaffolder/v2/tasks",
        "/api/auth/{provider}/refresh",
        "/api/audit",
        "/api/openapi.json",
        "/healthz",
        "/readyz",
        "/metrics",
        "/catalog/{namespace}/{kind}/{name}",
        "/sign-in",
    ] {
        assert!(paths.contains_key(path), "{path} is not described");
    }
    assert!(operations >= 60, "{operations} operations");
    println!(
        "{} paths, {operations} operations described and routed",
        paths.len()
    );
}

/// Routes are registered only through `service(...)` of utoipa-actix-web,
/// which does not compile for a handler without `#[utoipa::path]`. A
/// `.route(...)` or `web::resource(...)` would slip past it: none may exist.
#[test]
fn no_route_is_registered_around_the_described_ones() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in [
                    ".route(",
                    "web::resource(",
                    "App::new()\n            .route",
                ] {
                    if text.contains(needle) {
                        found.push(format!("{}: {needle}", path.display()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "routes outside the OpenAPI document: {found:?}"
    );
    let spec: Value = serde_json::to_value(portico_server::openapi()).unwrap();
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}
