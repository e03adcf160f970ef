//! The templates shipped in `templates/`: each reads as a Template whose
//! form accepts good values and refuses a bad name, and whose skeleton
//! renders into the files it promises, with every value filled in, foreign
//! template syntax (GitHub Actions, Helm, Prometheus) intact and every YAML
//! file parsing. With `PORTICO_SCAFFOLD_BUILD=1` the generated code is also
//! built: `cargo check --tests` for Rust, `py_compile` (and pytest, when its
//! packages are installed) for Python, `go vet` and `go test` for Go when a
//! `go` binary is on the PATH. `PORTICO_SCAFFOLD_KEEP=1` keeps the rendered
//! trees and prints where they are.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use portico_scaffolder::{params, Actions, LocalTemplateFiles, RunRequest, Runner, Template};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::common::files_under;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Rust,
    Go,
    Python,
    Docs,
}

/// Files every service skeleton renders, whatever the language.
const SERVICE_FILES: &[&str] = &[
    ".dockerignore",
    ".github/workflows/ci.yaml",
    ".gitignore",
    "Dockerfile",
    "README.md",
    "catalog-info.yaml",
    "deploy/kubernetes/deployment.yaml",
    "deploy/kubernetes/hpa.yaml",
    "deploy/kubernetes/kustomization.yaml",
    "deploy/kubernetes/pdb.yaml",
    "deploy/kubernetes/service.yaml",
    "deploy/prometheus/alerts.yaml",
    "docs/index.md",
    "docs/runbook.md",
    "mkdocs.yml",
];

const RUST_FILES: &[&str] = &["Cargo.toml", "src/main.rs", "src/metrics.rs"];

/// `NAME` stands for the service's name.
const GO_FILES: &[&str] = &[
    "deploy/helm/NAME/.helmignore",
    "deploy/helm/NAME/Chart.yaml",
    "deploy/helm/NAME/templates/NOTES.txt",
    "deploy/helm/NAME/templates/_helpers.tpl",
    "deploy/helm/NAME/templates/deployment.yaml",
    "deploy/helm/NAME/templates/hpa.yaml",
    "deploy/helm/NAME/templates/service.yaml",
    "deploy/helm/NAME/values.yaml",
    "go.mod",
    "main.go",
    "main_test.go",
    "metrics.go",
];

const PYTHON_FILES: &[&str] = &[
    "app/__init__.py",
    "app/main.py",
    "app/metrics.py",
    "pyproject.toml",
    "tests/__init__.py",
    "tests/test_health.py",
];

const DOCS_FILES: &[&str] = &[
    "README.md",
    "catalog-info.yaml",
    "docs/index.md",
    "docs/runbook.md",
    "mkdocs.yml",
];

/// Values every template's form must accept: the optional fields set, and
/// a description YAML and TOML would choke on unquoted.
fn full_values(kind: Kind) -> Value {
    let mut values = json!({
        "name": "payments-api",
        "description": "Takes payments: cards, \"wallets\" & refunds # not a comment \\o/",
        "owner": "group:default/platform",
        "system": "system:default/payments",
        "repoName": "payments-api-repo",
    });
    if kind != Kind::Docs {
        values["lifecycle"] = json!("production");
        values["port"] = json!(9090);
    }
    values
}

/// Only the required fields, as an API client might send them: the step
/// inputs fill in the rest.
fn minimal_values() -> Value {
    json!({ "name": "ledger", "owner": "platform", "repoName": "ledger" })
}

fn templates_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../templates")
        .canonicalize()
        .expect("the templates directory exists")
}

/// The Template entity of `templates/<dir>/template.yaml`, as the catalog
/// would hand it over: with its location annotation.
fn load(dir: &str) -> (Value, Template) {
    let path = templates_root().join(dir).join("template.yaml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut entity: Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    entity["metadata"]["annotations"] = json!({
        "backstage.io/managed-by-location": format!("file:{}", path.display()),
    });
    let template = Template::from_entity(&entity).unwrap_or_else(|e| panic!("{dir}: {e}"));
    (entity, template)
}

/// The envelope, form and steps every shipped template shares.
fn check_entity(dir: &str, kind: Kind, entity: &Value, template: &Template) {
    catalog_entity(&format!("{dir}/template.yaml"), entity);
    assert_eq!(entity["apiVersion"], "scaffolder.backstage.io/v1beta3");
    assert_eq!(entity["kind"], "Template");
    assert_eq!(entity["metadata"]["name"], dir);
    assert!(
        !template.title.is_empty() && template.title != dir,
        "{dir}: a title"
    );
    assert!(!template.description.is_empty(), "{dir}: a description");
    let tags = entity["metadata"]["tags"].as_array().expect("tags");
    assert!(!tags.is_empty(), "{dir}: tags");
    assert_eq!(entity["spec"]["owner"], "group:default/platform");
    let want_type = if kind == Kind::Docs {
        "documentation"
    } else {
        "service"
    };
    assert_eq!(entity["spec"]["type"], want_type);

    // The form: the fields the steps read, with the pickers the portal's
    // form knows.
    let schema = template.parameter_schema();
    let pages = schema["steps"].as_array().unwrap();
    assert_eq!(pages.len(), 2, "{dir}: two pages");
    let field = |name: &str| -> Value {
        pages
            .iter()
            .find_map(|p| p["schema"]["properties"].get(name).cloned())
            .unwrap_or_else(|| panic!("{dir}: no field {name}"))
    };
    assert_eq!(field("name")["pattern"], "^[a-z][a-z0-9-]{1,62}$");
    assert_eq!(field("name")["ui:autofocus"], true);
    assert_eq!(field("repoName")["pattern"], "^[a-z][a-z0-9-]{1,62}$");
    assert_eq!(field("owner")["ui:field"], "OwnerPicker");
    assert_eq!(
        field("owner")["ui:options"]["catalogFilter"]["kind"],
        "Group"
    );
    assert_eq!(field("system")["ui:field"], "EntityPicker");
    assert_eq!(
        field("system")["ui:options"]["catalogFilter"]["kind"],
        "System"
    );
    field("description");
    if kind != Kind::Docs {
        assert_eq!(
            field("lifecycle")["enum"],
            json!(["experimental", "production", "deprecated"])
        );
        assert_eq!(field("lifecycle")["default"], "experimental");
        let port = field("port");
        assert_eq!(
            (
                &port["type"],
                &port["default"],
                &port["minimum"],
                &port["maximum"]
            ),
            (&json!("integer"), &json!(8080), &json!(1024), &json!(65535))
        );
    }

    let steps: Vec<(&str, &str)> = template
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.action.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("fetch", "fetch:template"),
            ("publish", "publish:git"),
            ("register", "catalog:register"),
        ]
    );
    assert_eq!(template.steps[0].input["url"], "./skeleton");
    assert_eq!(
        template.steps[1].input["repoName"],
        "${{ parameters.repoName }}"
    );
    assert_eq!(
        template.steps[2].input,
        json!({
            "repoContentsUrl": "${{ steps['publish'].output.repoContentsUrl }}",
            "catalogInfoPath": "/catalog-info.yaml",
        })
    );
    let links = template.output["links"].as_array().expect("output links");
    assert_eq!(links[0]["url"], "${{ steps['publish'].output.remoteUrl }}");
    assert_eq!(
        links[1]["entityRef"],
        "${{ steps['register'].output.entityRef }}"
    );
}

fn check_form(dir: &str, kind: Kind, template: &Template) {
    for values in [full_values(kind), minimal_values()] {
        let errors = params::validate(&template.pages, &values).unwrap();
        assert!(errors.is_empty(), "{dir}: {values} refused: {errors:?}");
    }
    let mut bad = full_values(kind);
    bad["name"] = json!("Bad Name");
    let errors = params::validate(&template.pages, &bad).unwrap();
    assert!(
        errors.iter().any(|e| e.pointer == "/name"),
        "{dir}: 'Bad Name' accepted: {errors:?}"
    );
    let mut bad = full_values(kind);
    bad.as_object_mut().unwrap().remove("owner");
    let errors = params::validate(&template.pages, &bad).unwrap();
    assert!(
        errors.iter().any(|e| e.pointer == "/owner"),
        "{dir}: no owner accepted: {errors:?}"
    );
    if kind != Kind::Docs {
        let mut bad = full_values(kind);
        bad["port"] = json!(80);
        let errors = params::validate(&template.pages, &bad).unwrap();
        assert!(
            errors.iter().any(|e| e.pointer == "/port"),
            "{dir}: port 80 accepted: {errors:?}"
        );
    }
}

/// Runs the template's `fetch` step alone (the others publish and register,
/// which the server provides) into a new workspace.
fn render(template: &Template, values: &Value) -> tempfile::TempDir {
    let mut fetch_only = template.clone();
    fetch_only.steps.truncate(1);
    let workspace = tempfile::tempdir().unwrap();
    let runner = Runner {
        actions: Actions::builtin(),
        files: Arc::new(LocalTemplateFiles),
    };
    let cancelled = AtomicBool::new(false);
    let mut log = Vec::new();
    let result = runner.run(
        &RunRequest {
            template: &fetch_only,
            values,
            secrets: &json!({}),
            user: &json!({ "ref": "user:default/jane" }),
            workspace: workspace.path(),
            dry_run: false,
            cancelled: &cancelled,
        },
        &mut |event| log.push(event.message),
    );
    if let Err(e) = result {
        panic!(
            "{}: rendering failed: {e}\n{}",
            template.entity_ref,
            log.join("\n")
        );
    }
    workspace
}

fn read(root: &Path, file: &str) -> String {
    fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every YAML document of a file.
fn yaml_documents(file: &str, text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            let yaml = serde_yaml::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{file} is not YAML: {e}\n{text}"));
            serde_json::to_value(&yaml)
                .unwrap_or_else(|e| panic!("{file}: {e} (a key that is not a string?)"))
        })
        .collect()
}

/// An entity the catalog accepts: valid, with relations whose refs parse.
fn catalog_entity(file: &str, raw: &Value) -> portico_model::Entity {
    let entity = portico_model::validate_entity(raw)
        .unwrap_or_else(|errors| panic!("{file}: the catalog refuses it: {errors:?}\n{raw:#}"));
    let (_, errors) = portico_model::derive_relations(&entity);
    assert!(errors.is_empty(), "{file}: bad references: {errors:?}");
    entity
}

/// Helm templates are Go templates, YAML only once Helm has rendered them.
fn is_helm_template(file: &str) -> bool {
    file.starts_with("deploy/helm/") && file.contains("/templates/")
}

/// What must hold of any rendering of any shipped template.
fn check_rendered(dir: &str, kind: Kind, root: &Path, values: &Value) {
    let name = values["name"].as_str().unwrap();
    let owner = values["owner"].as_str().unwrap();
    let files = files_under(root);

    let mut want: Vec<String> = match kind {
        Kind::Rust => [SERVICE_FILES, RUST_FILES].concat(),
        Kind::Go => [SERVICE_FILES, GO_FILES].concat(),
        Kind::Python => [SERVICE_FILES, PYTHON_FILES].concat(),
        Kind::Docs => DOCS_FILES.to_vec(),
    }
    .iter()
    .map(|f| f.replace("NAME", name))
    .collect();
    want.sort();
    assert_eq!(files, want, "{dir}: the files rendered");

    for file in &files {
        let text = read(root, file);
        for leftover in [
            "{{values",
            "{{ values",
            "{{#if",
            "{{/if",
            "{{else",
            "{{{{",
            "{{kebab",
            "{{snake",
            "{{pascal",
            "{{default",
        ] {
            assert!(
                !text.contains(leftover),
                "{dir}: {file} holds an unrendered `{leftover}`:\n{text}"
            );
        }
        if (file.ends_with(".yaml") || file.ends_with(".yml")) && !is_helm_template(file) {
            let documents = yaml_documents(file, &text);
            assert!(!documents.is_empty(), "{dir}: {file} is empty");
            for document in &documents {
                assert!(
                    document.is_object(),
                    "{dir}: {file} has a document that is not a mapping"
                );
            }
        }
    }

    check_catalog_info(dir, kind, root, values);
    check_docs(dir, root, name);

    if kind == Kind::Docs {
        return;
    }
    let port = values.get("port").and_then(Value::as_u64).unwrap_or(8080);

    // GitHub Actions' expressions are GitHub's to evaluate.
    let ci = read(root, ".github/workflows/ci.yaml");
    for kept in [
        "${{ github.sha }}",
        "${{ secrets.REGISTRY_TOKEN",
        "${{ github.event_name",
    ] {
        assert!(ci.contains(kept), "{dir}: CI lost `{kept}`:\n{ci}");
    }
    let ci = &yaml_documents("ci.yaml", &ci)[0];
    assert!(ci["jobs"].as_object().is_some_and(|j| j.len() >= 2), "{ci}");

    // Prometheus' own templating in alert annotations survives, and the
    // service's name is filled in around it.
    let alerts_text = read(root, "deploy/prometheus/alerts.yaml");
    for kept in [
        "{{ $labels.instance }}",
        "{{ $value | humanizePercentage }}",
    ] {
        assert!(
            alerts_text.contains(kept),
            "{dir}: alerts lost `{kept}`:\n{alerts_text}"
        );
    }
    assert!(alerts_text.contains(&format!("up{{job=\"{name}\"}}")));
    let alerts = &yaml_documents("alerts.yaml", &alerts_text)[0];
    let rules = alerts["groups"][0]["rules"].as_array().unwrap();
    let alert_names: Vec<&str> = rules.iter().filter_map(|r| r["alert"].as_str()).collect();
    let pascal: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect();
    for suffix in ["Down", "InstanceDown", "HighErrorRate", "HighLatencyP99"] {
        let alert = format!("{pascal}{suffix}");
        assert!(
            alert_names.contains(&alert.as_str()),
            "{dir}: no alert {alert} in {alert_names:?}"
        );
        // Each alert is explained in the runbook.
        let runbook = read(root, "docs/runbook.md");
        assert!(
            runbook.contains(&format!("### {alert}")),
            "{dir}: the runbook does not explain {alert}"
        );
    }
    for rule in rules {
        assert_eq!(rule["labels"]["team"], owner, "{rule}");
        assert!(rule["expr"].as_str().is_some_and(|e| e.contains(name)));
    }

    // Kubernetes: probes on /healthz, the port, scraping, autoscaling/v2.
    let deployment = &yaml_documents(
        "deployment.yaml",
        &read(root, "deploy/kubernetes/deployment.yaml"),
    )[0];
    assert_eq!(deployment["kind"], "Deployment");
    assert_eq!(deployment["metadata"]["name"], name);
    let pod = &deployment["spec"]["template"];
    assert_eq!(
        pod["metadata"]["annotations"]["prometheus.io/scrape"],
        "true"
    );
    assert_eq!(
        pod["metadata"]["annotations"]["prometheus.io/port"],
        port.to_string()
    );
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["ports"][0]["containerPort"], port);
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/healthz", "{probe}");
    }
    assert!(container["resources"]["requests"].is_object());
    assert!(container["resources"]["limits"].is_object());
    let hpa = &yaml_documents("hpa.yaml", &read(root, "deploy/kubernetes/hpa.yaml"))[0];
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], name);
    let service = &yaml_documents(
        "service.yaml",
        &read(root, "deploy/kubernetes/service.yaml"),
    )[0];
    assert_eq!(service["spec"]["selector"]["app.kubernetes.io/name"], name);

    let dockerfile = read(root, "Dockerfile");
    for line in [
        format!("EXPOSE {port}"),
        "HEALTHCHECK ".to_owned(),
        "USER ".to_owned(),
    ] {
        assert!(dockerfile.contains(&line), "{dir}: Dockerfile lacks {line}");
    }
    assert!(
        dockerfile.matches("FROM ").count() >= 2,
        "{dir}: a multi-stage build"
    );

    match kind {
        Kind::Rust => {
            let cargo = read(root, "Cargo.toml");
            assert!(cargo.contains(&format!("name = \"{name}\"")), "{cargo}");
            let main = read(root, "src/main.rs");
            assert!(main.contains(&format!("const DEFAULT_PORT: u16 = {port};")));
            assert!(main.contains("#[actix_web::test]"));
        }
        Kind::Go => {
            assert!(read(root, "go.mod").starts_with(&format!("module {name}\n")));
            assert!(read(root, "main.go").contains(&format!("const defaultPort = \"{port}\"")));
            assert!(read(root, "main_test.go").contains("httptest"));
            check_helm_chart(dir, root, name, port);
        }
        Kind::Python => {
            let main = read(root, "app/main.py");
            assert!(main.contains(&format!("DEFAULT_PORT = {port}\n")), "{main}");
            assert!(read(root, "tests/test_health.py").contains("TestClient"));
            let pyproject = read(root, "pyproject.toml");
            assert!(
                pyproject.contains(&format!("name = \"{name}\"")),
                "{pyproject}"
            );
        }
        Kind::Docs => {}
    }
}

/// The Component (and, for services, its API) as the catalog will read it.
fn check_catalog_info(dir: &str, kind: Kind, root: &Path, values: &Value) {
    let name = values["name"].as_str().unwrap();
    let documents = yaml_documents("catalog-info.yaml", &read(root, "catalog-info.yaml"));
    for document in &documents {
        catalog_entity(&format!("{dir}: catalog-info.yaml"), document);
    }
    let component = &documents[0];
    assert_eq!(component["apiVersion"], "backstage.io/v1alpha1");
    assert_eq!(component["kind"], "Component");
    assert_eq!(component["metadata"]["name"], name);
    // Quoted as it must be: the description comes back exactly.
    let description = values["description"]
        .as_str()
        .map_or_else(|| format!("The {name} service."), str::to_owned);
    let description = if kind == Kind::Docs && values.get("description").is_none() {
        format!("Documentation of {name}.")
    } else {
        description
    };
    assert_eq!(component["metadata"]["description"], description.as_str());
    let annotations = &component["metadata"]["annotations"];
    assert_eq!(annotations["backstage.io/techdocs-ref"], "dir:.");
    assert_eq!(annotations["portico.dev/oncall"], values["owner"]);
    let spec = &component["spec"];
    assert_eq!(spec["owner"], values["owner"], "{dir}: the owner");
    assert_eq!(spec["system"], values["system"], "{dir}: the system");
    if kind == Kind::Docs {
        assert_eq!(spec["type"], "documentation");
        assert_eq!(documents.len(), 1);
        return;
    }
    assert_eq!(spec["type"], "service");
    let lifecycle = values
        .get("lifecycle")
        .unwrap_or(&json!("experimental"))
        .clone();
    assert_eq!(spec["lifecycle"], lifecycle);
    let api_name = format!("{name}-api");
    assert_eq!(spec["providesApis"], json!([api_name]));

    assert_eq!(documents.len(), 2, "{dir}: a Component and an API");
    let api = &documents[1];
    assert_eq!(api["kind"], "API");
    assert_eq!(api["metadata"]["name"], api_name.as_str());
    assert_eq!(api["spec"]["type"], "openapi");
    assert_eq!(api["spec"]["owner"], values["owner"]);
    assert_eq!(api["spec"]["lifecycle"], lifecycle);
    let definition = api["spec"]["definition"]
        .as_str()
        .expect("an inline definition");
    let openapi = &yaml_documents("the API definition", definition)[0];
    assert!(openapi["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with('3')));
    assert!(openapi["paths"]["/healthz"]["get"]["responses"]["200"].is_object());
}

/// mkdocs.yml names the pages, and every relative link of the pages leads
/// to a file that exists: the site builds without warnings.
fn check_docs(dir: &str, root: &Path, name: &str) {
    let mkdocs = &yaml_documents("mkdocs.yml", &read(root, "mkdocs.yml"))[0];
    assert_eq!(mkdocs["site_name"], name);
    assert_eq!(
        mkdocs["nav"],
        json!([{ "Home": "index.md" }, { "Runbook": "runbook.md" }])
    );
    for page in ["docs/index.md", "docs/runbook.md"] {
        let text = read(root, page);
        assert!(text.starts_with("# "), "{dir}: {page} starts with a title");
        assert!(text.len() > 1500, "{dir}: {page} says little");
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap();
            assert!(
                root.join("docs").join(file).is_file(),
                "{dir}: {page} links to {target}, which does not exist"
            );
        }
    }
}

/// The targets of Markdown inline links, `[text](target)`, outside code.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Code spans hold PromQL and shell, not links.
        let prose: String = line.split('`').step_by(2).collect();
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            targets.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    targets
}

/// The Go template's Helm chart: Chart.yaml and values.yaml rendered by the
/// scaffolder, the chart's own templates left for Helm.
fn check_helm_chart(dir: &str, root: &Path, name: &str, port: u64) {
    let chart = format!("deploy/helm/{name}");
    let meta = &yaml_documents("Chart.yaml", &read(root, &format!("{chart}/Chart.yaml")))[0];
    assert_eq!(meta["apiVersion"], "v2");
    assert_eq!(meta["name"], name);
    let chart_values =
        &yaml_documents("values.yaml", &read(root, &format!("{chart}/values.yaml")))[0];
    assert_eq!(chart_values["service"]["targetPort"], port);
    let deployment = read(root, &format!("{chart}/templates/deployment.yaml"));
    for kept in [
        "{{ include \"service.fullname\" . }}",
        "{{ .Values.image.repository }}",
        "{{- toYaml .Values.resources | nindent 12 }}",
    ] {
        assert!(
            deployment.contains(kept),
            "{dir}: the chart's deployment lost `{kept}`:\n{deployment}"
        );
    }
    let skeleton = templates_root()
        .join(dir)
        .join("skeleton/deploy/helm/{{values.name}}/templates");
    for file in [
        "_helpers.tpl",
        "deployment.yaml",
        "hpa.yaml",
        "service.yaml",
        "NOTES.txt",
    ] {
        assert_eq!(
            read(root, &format!("{chart}/templates/{file}")),
            read(&skeleton, file),
            "{dir}: {file} is copied byte for byte"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Building what was generated

fn build_checks_wanted() -> bool {
    if std::env::var("PORTICO_SCAFFOLD_BUILD").as_deref() == Ok("1") {
        return true;
    }
    eprintln!("skipping the build of the generated code: set PORTICO_SCAFFOLD_BUILD=1 to run it");
    false
}

/// Runs a command in `dir`, failing the test with its output when it fails.
fn run(what: &str, dir: &Path, command: &mut Command) {
    let started = std::time::Instant::now();
    let output = command
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{what}: ok in {:.1} s", took.as_secs_f64());
}

/// A binary of that name on the PATH.
fn on_path(binary: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(binary))
        .find(|candidate| candidate.is_file())
}

/// A directory that outlives the test, so repeated runs reuse the build.
fn scaffold_target_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("scaffold-check")
}

fn build_rust(root: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(
        "cargo check --tests",
        root,
        Command::new(cargo)
            .args(["check", "--tests", "--quiet"])
            .env("CARGO_TARGET_DIR", scaffold_target_dir())
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    );
}

fn build_python(root: &Path) {
    let python = on_path("python3").unwrap_or_else(|| "python3".into());
    let sources: Vec<String> = files_under(root)
        .into_iter()
        .filter(|f| f.ends_with(".py"))
        .collect();
    assert!(!sources.is_empty());
    run(
        "python3 -m py_compile",
        root,
        Command::new(&python)
            .args(["-m", "py_compile"])
            .args(&sources)
            .env("PYTHONDONTWRITEBYTECODE", "1"),
    );
    let has_packages = Command::new(&python)
        .args(["-c", "import fastapi, prometheus_client, pytest, httpx"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_packages {
        run(
            "pytest",
            root,
            Command::new(&python)
                .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
                .env("PYTHONDONTWRITEBYTECODE", "1"),
        );
    } else {
        eprintln!("skipping pytest: fastapi, prometheus_client, pytest or httpx is not installed");
    }
}

fn build_go(root: &Path) {
    let Some(go) = on_path("go") else {
        eprintln!("skipping go vet: no `go` on the PATH");
        return;
    };
    // The module uses the standard library only: nothing to download.
    let go_command = |args: &[&str]| {
        let mut command = Command::new(&go);
        command
            .args(args)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod");
        command
    };
    run("go vet ./...", root, &mut go_command(&["vet", "./..."]));
    run("go test ./...", root, &mut go_command(&["test", "./..."]));
}

// ---------------------------------------------------------------------------------------------

fn check_template(dir: &str, kind: Kind) {
    let (entity, template) = load(dir);
    check_entity(dir, kind, &entity, &template);
    check_form(dir, kind, &template);

    let minimal = render(&template, &minimal_values());
    check_rendered(dir, kind, minimal.path(), &minimal_values());

    let values = full_values(kind);
    let full = render(&template, &values);
    check_rendered(dir, kind, full.path(), &values);

    if build_checks_wanted() {
        match kind {
            Kind::Rust => build_rust(full.path()),
            Kind::Go => build_go(full.path()),
            Kind::Python => build_python(full.path()),
            Kind::Docs => {}
        }
    }
    // To look at what a template generates: PORTICO_SCAFFOLD_KEEP=1.
    if std::env::var_os("PORTICO_SCAFFOLD_KEEP").is_some() {
        eprintln!(
            "{dir} rendered into {} (all values) and {} (required ones)",
            full.keep().display(),
            minimal.keep().display()
        );
    }
}

#[test]
fn rust_service() {
    check_template("rust-service", Kind::Rust);
}

#[test]
fn go_service() {
    check_template("go-service", Kind::Go);
}

#[test]
fn python_service() {
    check_template("python-service", Kind::Python);
}

#[test]
fn docs_site() {
    check_template("docs-site", Kind::Docs);
}

#[test]
fn every_shipped_template_is_tested() {
    let mut dirs: Vec<String> = fs::read_dir(templates_root())
        .unwrap()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert_eq!(
        dirs,
        ["docs-site", "go-service", "python-service", "rust-service"]
    );
}
