//! The files in `deploy/`, `Dockerfile` and `docker-compose.yml` agree with
//! the code: no container engine or cluster runs here, so they are parsed
//! and cross-checked (ports, variable names, health paths, metric names)
//! against what the server accepts and serves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use portico_server::metrics::FAMILIES;
use portico_server::Config;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use crate::cli::{free_port, http_get, serve_example};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml_documents(rel: &str) -> Vec<Yaml> {
    serde_yaml::Deserializer::from_str(&read(rel))
        .map(|doc| {
            <Yaml as serde::Deserialize>::deserialize(doc).unwrap_or_else(|e| panic!("{rel}: {e}"))
        })
        .filter(|doc| !doc.is_null())
        .collect()
}

fn s<'a>(value: &'a Yaml, path: &[&str]) -> &'a Yaml {
    path.iter().fold(value, |v, key| &v[*key])
}

fn text(value: &Yaml, path: &[&str]) -> String {
    match s(value, path) {
        Yaml::String(t) => t.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        other => panic!("{path:?} is not a scalar: {other:?}"),
    }
}

/// The configuration these variables (and files) make, as `portico serve`
/// would load it: unknown keys and wrong types fail here as they would at
/// start.
fn config_from(files: &[PathBuf], env: &[(String, String)]) -> Config {
    Config::load_layers(files, env).unwrap_or_else(|e| panic!("{e}"))
}

/// The paths health checks and scrapers use, answered by a real server.
fn served(paths: &BTreeSet<String>) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = serve_example(dir.path(), port);
    crate::cli::wait_ready(port);
    for path in paths {
        let status = http_get(port, path).map(|(s, _)| s);
        assert_eq!(status, Some(200), "{path} is not served");
    }
}

/// `--url http://127.0.0.1:<port><path>` of a `portico healthcheck`.
fn healthcheck_target(args: &[String]) -> (u16, String) {
    assert_eq!(
        args.get(..2),
        Some(&["portico".to_owned(), "healthcheck".to_owned()][..]),
        "{args:?}"
    );
    let url = args
        .iter()
        .skip_while(|a| *a != "--url")
        .nth(1)
        .unwrap_or_else(|| panic!("no --url in {args:?}"));
    let rest = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{url}"));
    let (port, path) = rest.split_once('/').unwrap();
    (port.parse().unwrap(), format!("/{path}"))
}

/// `KEY=value` pairs of the Dockerfile's ENV instructions (joined lines).
fn dockerfile() -> (Vec<String>, Vec<(String, String)>) {
    let joined = read("Dockerfile").replace("\\\n", " ");
    let lines: Vec<String> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let env = lines
        .iter()
        .filter_map(|l| l.strip_prefix("ENV "))
        .flat_map(|rest| {
            rest.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("ENV {pair}"));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (lines, env)
}

fn instruction<'a>(lines: &'a [String], name: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .collect()
}

fn json_array(text: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(text.trim()).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn container_files_agree_with_the_code() {
    let mut health_paths = BTreeSet::new();

    // Dockerfile: a multi-stage build, a non-root runtime, and a port,
    // variables and a health check the server understands.
    let (lines, env) = dockerfile();
    assert!(instruction(&lines, "FROM").len() >= 2, "multi-stage");
    assert!(lines.iter().any(|l| l.starts_with("COPY --from=build")));
    let user = instruction(&lines, "USER");
    assert!(
        user.last()
            .is_some_and(|u| !u.starts_with("root") && !u.starts_with('0')),
        "runs as {user:?}"
    );
    let image_config = config_from(&[], &env);
    let exposed: u16 = instruction(&lines, "EXPOSE")[0].parse().unwrap();
    assert_eq!(exposed, image_config.server.port);
    assert_eq!(
        image_config.server.host, "0.0.0.0",
        "reachable from outside the container"
    );
    let health = instruction(&lines, "HEALTHCHECK")[0];
    let (port, path) = healthcheck_target(&json_array(health.split_once("CMD").unwrap().1));
    assert_eq!(port, image_config.server.port);
    health_paths.insert(path);
    let volume = json_array(instruction(&lines, "VOLUME")[0]);
    assert_eq!(volume, [image_config.data_dir.display().to_string()]);
    let entry = json_array(instruction(&lines, "ENTRYPOINT")[0]);
    let cmd = json_array(instruction(&lines, "CMD").last().unwrap());
    assert_eq!(
        (entry.as_slice(), cmd.as_slice()),
        (&["portico".to_owned()][..], &["serve".to_owned()][..])
    );
    // Everything the runtime stage copies exists.
    for copy in instruction(&lines, "COPY")
        .iter()
        .filter(|c| !c.starts_with("--from"))
    {
        let source = copy.split_whitespace().next().unwrap();
        assert!(
            root().join(source).exists(),
            "COPY {source}: not in the repository"
        );
    }

    // docker-compose.yml: Portico waits for a healthy PostgreSQL and gets a
    // database URL, port and data volume that match.
    let compose = &yaml_documents("docker-compose.yml")[0];
    let portico = s(compose, &["services", "portico"]);
    let postgres = s(compose, &["services", "postgres"]);
    assert_eq!(
        text(portico, &["depends_on", "postgres", "condition"]),
        "service_healthy"
    );
    assert!(s(postgres, &["healthcheck", "test"]).is_sequence());
    let compose_env: Vec<(String, String)> = s(portico, &["environment"])
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Yaml::String(t) => t.clone(),
                other => serde_yaml::to_string(other).unwrap().trim().to_owned(),
            };
            // Compose's own ${VAR:-default} is resolved before Portico sees it.
            (
                k.as_str().unwrap().to_owned(),
                value.replace("${POSTGRES_PASSWORD:-portico}", "portico"),
            )
        })
        .collect();
    let compose_config = config_from(&[], &compose_env);
    let url = compose_config.database.url.clone().unwrap();
    let pg_env = s(postgres, &["environment"]);
    assert_eq!(
        url,
        format!(
            "postgres://{}:portico@postgres:5432/{}",
            text(pg_env, &["POSTGRES_USER"]),
            text(pg_env, &["POSTGRES_DB"])
        )
    );
    let ports: Vec<String> = s(portico, &["ports"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert!(
        ports
            .iter()
            .any(|p| p.rsplit(':').next() == Some(&compose_config.server.port.to_string())),
        "{ports:?} publishes no port Portico listens on"
    );
    let mounts: Vec<String> = s(portico, &["volumes"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().split(':').nth(1).unwrap().to_owned())
        .collect();
    assert!(
        mounts.contains(&compose_config.data_dir.display().to_string()),
        "{mounts:?}"
    );
    let test: Vec<String> =
        serde_yaml::from_value(s(portico, &["healthcheck", "test"]).clone()).unwrap();
    let (port, path) = healthcheck_target(&test[1..]);
    assert_eq!(port, compose_config.server.port);
    health_paths.insert(path);
    let grace = text(portico, &["stop_grace_period"]);
    let grace: u64 = grace.trim_end_matches('s').parse().unwrap();
    assert!(
        grace > compose_config.server.shutdown_timeout,
        "stop_grace_period {grace}s"
    );

    // Kubernetes: two replicas against one PostgreSQL, probes on served
    // paths, the config in the ConfigMap valid, its variables provided.
    let mut docs = yaml_documents("deploy/kubernetes/portico.yaml");
    docs.extend(yaml_documents("deploy/kubernetes/postgres.yaml"));
    let kustomize = &yaml_documents("deploy/kubernetes/kustomization.yaml")[0];
    let listed: Vec<&str> = s(kustomize, &["resources"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(listed, ["postgres.yaml", "portico.yaml"]);
    let find = |kind: &str, name: &str| {
        docs.iter()
            .find(|d| text(d, &["kind"]) == kind && text(d, &["metadata", "name"]) == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    };
    let deployment = find("Deployment", "portico");
    assert_eq!(text(deployment, &["spec", "replicas"]), "2");
    let pod = s(deployment, &["spec", "template"]);
    assert_eq!(
        s(deployment, &["spec", "selector", "matchLabels"]),
        s(pod, &["metadata", "labels"])
    );
    let container = &s(pod, &["spec", "containers"])[0];
    let config_map = find("ConfigMap", "portico-config");
    let config_dir = tempfile::tempdir().unwrap();
    let config_file = config_dir.path().join("portico.yaml");
    std::fs::write(&config_file, text(config_map, &["data", "portico.yaml"])).unwrap();
    let container_env: BTreeMap<String, Yaml> = s(container, &["env"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| (text(e, &["name"]), e.clone()))
        .collect();
    let env: Vec<(String, String)> = container_env
        .keys()
        .map(|k| (k.clone(), "secret".to_owned()))
        .collect();
    // A ${VAR} the container does not set fails to load here.
    let k8s_config = config_from(&[config_file], &env);
    let args: Vec<String> = serde_yaml::from_value(s(container, &["args"]).clone()).unwrap();
    assert_eq!(args, ["serve", "--config", "/etc/portico/portico.yaml"]);
    let port = &s(container, &["ports"])[0];
    assert_eq!(
        text(port, &["containerPort"]),
        k8s_config.server.port.to_string()
    );
    let port_name = text(port, &["name"]);
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        assert_eq!(
            text(container, &[probe, "httpGet", "port"]),
            port_name,
            "{probe}"
        );
        health_paths.insert(text(container, &[probe, "httpGet", "path"]));
    }
    assert_eq!(
        text(container, &["readinessProbe", "httpGet", "path"]),
        "/readyz"
    );
    let annotations = s(pod, &["metadata", "annotations"]);
    assert_eq!(
        text(annotations, &["prometheus.io/port"]),
        k8s_config.server.port.to_string()
    );
    health_paths.insert(text(annotations, &["prometheus.io/path"]));
    let grace: u64 = text(pod, &["spec", "terminationGracePeriodSeconds"])
        .parse()
        .unwrap();
    assert!(grace > k8s_config.server.shutdown_timeout);
    assert!(k8s_config.server.shutdown_drain < k8s_config.server.shutdown_timeout);
    // Mounts: the config file, the shared signing key, the data dir.
    let mounts: Vec<String> = s(container, &["volumeMounts"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| text(m, &["mountPath"]))
        .collect();
    let key = k8s_config
        .auth
        .signing_key_file
        .clone()
        .expect("replicas share a signing key");
    assert!(
        mounts.iter().any(|m| key.starts_with(m)),
        "{key:?} not mounted: {mounts:?}"
    );
    assert!(mounts.contains(&k8s_config.data_dir.display().to_string()));
    assert!(mounts.contains(&"/etc/portico/portico.yaml".to_owned()));
    let service = find("Service", "portico");
    assert_eq!(
        text(&s(service, &["spec", "ports"])[0], &["targetPort"]),
        port_name
    );
    assert_eq!(
        s(service, &["spec", "selector"]),
        s(pod, &["metadata", "labels"])
    );
    // Secrets are created by hand, never applied from these files (an
    // apply would reset them); each one used is named in the instructions.
    let instructions = read("deploy/kubernetes/portico.yaml");
    assert!(
        !docs.iter().any(|d| text(d, &["kind"]) == "Secret"),
        "a Secret in the manifests would be reset by every apply"
    );
    let mut secrets: Vec<String> = container_env
        .values()
        .filter_map(|e| {
            s(e, &["valueFrom", "secretKeyRef", "name"])
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    secrets.extend(
        s(pod, &["spec", "volumes"])
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|v| s(v, &["secret", "secretName"]).as_str().map(str::to_owned)),
    );
    assert!(secrets.len() >= 2, "{secrets:?}");
    for secret in secrets {
        assert!(
            instructions.contains(&format!("kubectl create secret generic {secret} ")),
            "{secret}: how to create it is not said"
        );
    }
    assert!(
        !text(container, &["image"]).ends_with(":latest"),
        "a pinned image, not :latest"
    );
    // The database URL names the PostgreSQL Service, its port and user/db.
    let pg_service = find("Service", "postgres");
    let pg_port = text(&s(pg_service, &["spec", "ports"])[0], &["port"]);
    let db_url = k8s_config.database.url.clone().unwrap();
    assert_eq!(
        db_url,
        format!("postgres://portico:secret@postgres:{pg_port}/portico")
    );
    let pg = find("StatefulSet", "postgres");
    assert_eq!(text(pg, &["spec", "replicas"]), "1", "one PostgreSQL");
    let pg_env: BTreeMap<String, String> = s(
        &s(pg, &["spec", "template", "spec", "containers"])[0],
        &["env"],
    )
    .as_sequence()
    .unwrap()
    .iter()
    .filter(|e| !s(e, &["value"]).is_null())
    .map(|e| (text(e, &["name"]), text(e, &["value"])))
    .collect();
    assert_eq!(pg_env["POSTGRES_USER"], "portico");
    assert_eq!(pg_env["POSTGRES_DB"], "portico");

    served(&health_paths);
    assert!(
        health_paths.contains("/metrics") && health_paths.contains("/healthz"),
        "{health_paths:?}"
    );
}

/// Metric names in an expression: `portico_…` words, with a histogram's
/// `_bucket`/`_sum`/`_count` taken back to its family.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("portico_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len()
            && (bytes[end].is_ascii_lowercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'_')
        {
            end += 1;
        }
        names.push(expr[start..end].to_owned());
        i = end;
    }
    names
}

fn family_of(name: &str) -> Option<&'static str> {
    let known = |n: &str| {
        FAMILIES
            .iter()
            .find(|(f, _, _)| *f == n)
            .map(|(f, _, _)| *f)
    };
    known(name).or_else(|| {
        ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .and_then(|base| {
                known(base).filter(|f| FAMILIES.iter().any(|(n, t, _)| n == f && *t == "histogram"))
            })
    })
}

#[test]
fn dashboard_alerts_and_docs_use_only_exported_metrics_and_cover_them() {
    let dashboard: Json =
        serde_json::from_str(&read("deploy/grafana/portico-dashboard.json")).unwrap();
    let mut used = BTreeSet::new();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(!panels.is_empty());
    for panel in panels {
        let title = panel["title"].as_str().unwrap();
        let targets = panel["targets"]
            .as_array()
            .unwrap_or_else(|| panic!("{title}: no targets"));
        for target in targets {
            let expr = target["expr"].as_str().unwrap();
            for name in metric_names(expr) {
                let family = family_of(&name)
                    .unwrap_or_else(|| panic!("panel {title}: {name} is not exported"));
                used.insert(family);
            }
        }
    }
    let missing: Vec<_> = FAMILIES
        .iter()
        .map(|(f, _, _)| *f)
        .filter(|f| !used.contains(f))
        .collect();
    assert!(missing.is_empty(), "families without a panel: {missing:?}");

    let rules = &yaml_documents("deploy/prometheus/portico-alerts.yaml")[0];
    let mut alerts = 0;
    for group in s(rules, &["groups"]).as_sequence().unwrap() {
        for rule in s(group, &["rules"]).as_sequence().unwrap() {
            let name = text(rule, &["alert"]);
            let expr = text(rule, &["expr"]);
            assert!(
                !metric_names(&expr).is_empty() || expr.contains("up{"),
                "{name}: {expr}"
            );
            for metric in metric_names(&expr) {
                assert!(
                    family_of(&metric).is_some(),
                    "alert {name}: {metric} is not exported"
                );
            }
            assert!(
                ["critical", "warning", "info"]
                    .contains(&text(rule, &["labels", "severity"]).as_str()),
                "{name}"
            );
            assert!(
                !text(rule, &["annotations", "summary"]).is_empty(),
                "{name}"
            );
            // Balanced parentheses at least: a typo there is the usual break.
            let depth = expr.chars().try_fold(0i32, |d, c| {
                let d = d + i32::from(c == '(') - i32::from(c == ')');
                (d >= 0).then_some(d)
            });
            assert_eq!(depth, Some(0), "{name}: {expr}");
            alerts += 1;
        }
    }
    assert!(alerts >= 8, "{alerts} alerts");

    let docs = read("docs/operations/observability.md");
    for (family, kind, _) in FAMILIES {
        assert!(
            docs.contains(&format!("| `{family}` | {kind} |")),
            "{family} is not in the docs' table"
        );
    }
    assert!(root()
        .join(Path::new("deploy/grafana/portico-dashboard.json"))
        .exists());
}
