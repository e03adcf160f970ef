//! Search relevance over the example catalog and its docs (written by the relevance set).
//!
//! One `portico serve` with no config, run from the repository root, loads
//! the Tunewave example organisation (`catalog-examples/`) and builds every
//! documented component's TechDocs, Portico's own `docs/` included. Once all
//! of it is searchable, each case below sends what a user types into the
//! search box (with the types and filters the search page sends) and checks
//! that the best answer is among the first three results.
//!
//! A doc section counts as shown when it is a top-3 result or one of the
//! `subHits` of a top-3 result: several matching sections of one page are
//! one result, and the search page shows them under it.
//!
//! Every case runs; the assertion lists all failures with the top three
//! results each one got.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{free_port, http_get, serve_example};

/// Results that count: what the search page shows above the fold.
const TOP: usize = 3;

struct Case {
    /// What the case is about (category), for the report.
    about: &'static str,
    /// The search box, as typed.
    term: &'static str,
    /// Further query parameters: `types[]`, `filters[kind]`, ...
    params: &'static [(&'static str, &'static str)],
    /// Any one of these locations must be shown in the top 3. A trailing
    /// `*` makes it a prefix (any section of a page, any page of a site).
    expect: &'static [&'static str],
}

const fn case(
    about: &'static str,
    term: &'static str,
    params: &'static [(&'static str, &'static str)],
    expect: &'static [&'static str],
) -> Case {
    Case {
        about,
        term,
        params,
        expect,
    }
}

const NONE: &[(&str, &str)] = &[];

const CASES: &[Case] = &[
    // Exact names and refs.
    case("exact name", "payments-service", NONE, &["/catalog/default/component/payments-service"]),
    case("exact name", "tw-service-kit", NONE, &["/catalog/default/component/tw-service-kit"]),
    case("exact name", "legacy-stream-proxy", NONE, &["/catalog/default/component/legacy-stream-proxy"]),
    case("exact name", "payments-api", NONE, &["/catalog/default/api/payments-api"]),
    case(
        "entity ref",
        "component:default/payments-service",
        NONE,
        &["/catalog/default/component/payments-service"],
    ),
    // Names still being typed.
    case("prefix", "paym", NONE, &["/catalog/default/component/payments-service"]),
    case("prefix", "playl", NONE, &["/catalog/default/component/playlists-service"]),
    case("prefix", "payments-s", NONE, &["/catalog/default/component/payments-service"]),
    case("prefix", "subscription-bil", NONE, &["/catalog/default/component/subscription-billing-worker"]),
    case("prefix", "recommend", NONE, &["/catalog/default/component/recommendations-service"]),
    case("prefix, two words", "edge gate", NONE, &["/catalog/default/component/edge-gateway"]),
    // Typos.
    case("typo", "paymnets", NONE, &["/catalog/default/component/payments-service"]),
    case("typo", "recomendations", NONE, &["/catalog/default/component/recommendations-service"]),
    case("typo", "transcodr", NONE, &["/catalog/default/component/audio-transcoder"]),
    case("typo + word", "playlsts service", NONE, &["/catalog/default/component/playlists-service"]),
    case("typo + word", "identiy service", NONE, &["/catalog/default/component/identity-service"]),
    case(
        "typo + word",
        "subscripton billing",
        NONE,
        &["/catalog/default/component/subscription-billing-worker"],
    ),
    // Titles.
    case("title", "Tunewave for Artists", NONE, &["/catalog/default/component/artist-portal"]),
    case("title word", "Waveform", NONE, &["/catalog/default/component/web-ui-kit"]),
    case("title", "Catalog Graph", NONE, &["/catalog/default/api/catalog-graph"]),
    case("title", "Portico developer portal", NONE, &["/catalog/default/component/portico"]),
    case("title", "Playback API", NONE, &["/catalog/default/api/playback-api"]),
    case("title", "recommendations grpc", NONE, &["/catalog/default/api/recommendations-grpc"]),
    // Tags.
    case("tag", "spring-boot", NONE, &["/catalog/default/component/playlists-service"]),
    case("tag", "envoy", NONE, &["/catalog/default/component/edge-gateway"]),
    case("tag", "design-system", NONE, &["/catalog/default/component/web-ui-kit"]),
    case("tag", "golden-path", NONE, &["/catalog/default/component/tw-service-kit"]),
    case("tag", "ffmpeg", NONE, &["/catalog/default/component/audio-transcoder"]),
    // Description words.
    case("description", "3-D Secure", NONE, &["/catalog/default/component/checkout-web"]),
    case("description", "spell correction", NONE, &["/catalog/default/component/search-service"]),
    case("description", "smart speakers", NONE, &["/catalog/default/component/legacy-stream-proxy"]),
    case("description", "album-art mosaic", NONE, &["/catalog/default/component/playlist-cover-generator"]),
    case("description", "taste vectors", NONE, &["/catalog/default/resource/recs-feature-store"]),
    case("description", "loudness normalisation", NONE, &["/catalog/default/component/audio-transcoder"]),
    case(
        "description",
        "typeahead",
        NONE,
        &["/catalog/default/api/search-api", "/catalog/default/component/search-service"],
    ),
    // Owners, groups and users.
    case(
        "owner filter (short)",
        "service",
        &[("filters[owner]", "payments"), ("filters[kind]", "component")],
        &["/catalog/default/component/payments-service"],
    ),
    case(
        "owner filter (full ref)",
        "billing",
        &[("filters[owner]", "group:default/payments")],
        &["/catalog/default/component/subscription-billing-worker"],
    ),
    case(
        "owner filter on docs",
        "renewal backlog",
        &[("filters[owner]", "payments")],
        &["/docs/default/component/subscription-billing-worker/runbook/#renewal-backlog"],
    ),
    case("group", "playlists team", NONE, &["/catalog/default/group/playlists"]),
    case("group title", "web experience", NONE, &["/catalog/default/group/web"]),
    case("group name", "discovery", NONE, &["/catalog/default/group/discovery"]),
    case("user display name", "Grace Adeyemi", NONE, &["/catalog/default/user/grace.adeyemi"]),
    case("user, accents folded", "sofia marquez", NONE, &["/catalog/default/user/sofia.marquez"]),
    case("user email", "chloe.dubois@tunewave.example", NONE, &["/catalog/default/user/chloe.dubois"]),
    case("user first name", "Priya", NONE, &["/catalog/default/user/priya.raman"]),
    case(
        "users of a team",
        "payments",
        &[("filters[kind]", "user")],
        &[
            "/catalog/default/user/grace.adeyemi",
            "/catalog/default/user/oskar.lindqvist",
            "/catalog/default/user/mei.chen",
        ],
    ),
    // Kind, type and lifecycle filters, result types.
    case("kind filter", "payments", &[("filters[kind]", "API")], &["/catalog/default/api/payments-api"]),
    case("kind filter", "grpc", &[("filters[kind]", "api")], &["/catalog/default/api/recommendations-grpc"]),
    case("kind filter", "playback", &[("filters[kind]", "system")], &["/catalog/default/system/playback"]),
    case(
        "kind filter",
        "redis sessions",
        &[("filters[kind]", "resource")],
        &["/catalog/default/resource/stream-session-cache"],
    ),
    case(
        "kind + owner filter",
        "postgres",
        &[("filters[kind]", "resource"), ("filters[owner]", "identity")],
        &["/catalog/default/resource/identity-db"],
    ),
    case(
        "type filter",
        "checkout",
        &[("filters[type]", "website")],
        &["/catalog/default/component/checkout-web"],
    ),
    case(
        "lifecycle filter",
        "stream",
        &[("filters[lifecycle]", "deprecated")],
        &["/catalog/default/component/legacy-stream-proxy"],
    ),
    case(
        "techdocs only",
        "payments",
        &[("types[]", "techdocs")],
        &["/docs/default/component/payments-service/*"],
    ),
    case(
        "spec.type as a word",
        "asyncapi",
        NONE,
        &["/catalog/default/api/payment-events", "/catalog/default/api/playback-events"],
    ),
    // Systems and domains.
    case("system title", "search & discovery", NONE, &["/catalog/default/system/search-and-discovery"]),
    case("system title", "event streaming", NONE, &["/catalog/default/system/event-streaming"]),
    case("system title", "developer platform", NONE, &["/catalog/default/system/developer-platform"]),
    case("domain title", "listening experience", NONE, &["/catalog/default/domain/listening-experience"]),
    case("domain name", "commerce", NONE, &["/catalog/default/domain/commerce"]),
    // Runbooks of the example services.
    case(
        "runbook: rollback",
        "payments rollback",
        NONE,
        &["/docs/default/component/payments-service/runbook/*"],
    ),
    case(
        "runbook: stemming",
        "edge gateway rollbacks",
        NONE,
        &["/docs/default/component/edge-gateway/runbook/#gateway-5xx-rate-is-high"],
    ),
    case(
        "runbook: stemming",
        "rolling back alias swaps",
        NONE,
        &["/docs/default/component/search-indexer/runbook/#rolling-back-an-alias-swap"],
    ),
    case(
        "runbook: stemming",
        "restoring deleted playlists",
        NONE,
        &["/docs/default/component/playlists-service/runbook/#restoring-a-deleted-playlist"],
    ),
    case(
        "runbook: stemming",
        "refunds",
        NONE,
        &["/docs/default/component/payments-service/runbook/#refund-on-behalf-of-support"],
    ),
    case(
        "runbook: on-call",
        "payments on-call",
        NONE,
        &["/docs/default/component/payments-service/runbook/#payments-service-runbook"],
    ),
    case(
        "runbook: escalation",
        "payments escalation",
        NONE,
        &["/docs/default/component/payments-service/runbook/#escalation"],
    ),
    case(
        "runbook: question",
        "who is on call for payments",
        NONE,
        &["/docs/default/component/payments-service/runbook/*"],
    ),
    case(
        "runbook: question",
        "how do I roll back the playback service",
        NONE,
        &["/docs/default/component/playback-service/runbook/#start-success-is-low"],
    ),
    case(
        "runbook: latency",
        "search latency spike",
        NONE,
        &["/docs/default/component/search-service/runbook/#errors-or-latency"],
    ),
    case(
        "runbook: latency",
        "playlists read latency",
        NONE,
        &["/docs/default/component/playlists-service/runbook/#read-latency"],
    ),
    case(
        "runbook: latency",
        "recommendations latency",
        NONE,
        &["/docs/default/component/recommendations-service/runbook/#latency-is-high"],
    ),
    case(
        "runbook heading",
        "stuck deliveries",
        NONE,
        &["/docs/default/component/music-metadata-service/runbook/#stuck-deliveries"],
    ),
    case(
        "runbook heading",
        "transcode backlog",
        NONE,
        &["/docs/default/component/audio-transcoder/runbook/#transcode-backlog"],
    ),
    case(
        "runbook heading",
        "renewal backlog",
        NONE,
        &["/docs/default/component/subscription-billing-worker/runbook/#renewal-backlog"],
    ),
    case(
        "runbook heading",
        "certificate expiry",
        NONE,
        &["/docs/default/component/edge-gateway/runbook/#certificate-expiry"],
    ),
    case(
        "runbook heading",
        "signing key rotation",
        NONE,
        &["/docs/default/component/identity-service/runbook/#signing-key-rotation"],
    ),
    case(
        "runbook heading",
        "redis lock bypass",
        NONE,
        &["/docs/default/component/playback-service/runbook/#redis-lock-bypass"],
    ),
    case(
        "runbook heading",
        "cluster red",
        NONE,
        &["/docs/default/component/search-service/runbook/#cluster-red"],
    ),
    case(
        "quoted phrase",
        "\"never purge the queue\"",
        NONE,
        &["/docs/default/component/audio-transcoder/runbook/#transcode-backlog"],
    ),
    case(
        "doc section",
        "idempotency key",
        NONE,
        &["/docs/default/component/payments-service/#idempotency"],
    ),
    case(
        "doc page",
        "subscription states",
        NONE,
        &["/docs/default/component/payments-service/subscriptions/#subscription-states"],
    ),
    // Portico's own docs.
    case(
        "portico runbook",
        "disk full",
        NONE,
        &["/docs/default/component/portico/operations/runbook/#disk-full-in-the-data-directory"],
    ),
    case(
        "quoted phrase",
        "\"No space left on device\"",
        NONE,
        &["/docs/default/component/portico/operations/runbook/#disk-full-in-the-data-directory"],
    ),
    case(
        "quoted phrase",
        "\"database is locked\"",
        NONE,
        &["/docs/default/component/portico/operations/runbook/#database-unreachable"],
    ),
    case(
        "portico runbook",
        "webhook 401",
        NONE,
        &["/docs/default/component/portico/operations/runbook/#webhook-requests-fail-with-401"],
    ),
    case(
        "portico runbook",
        "git fetch timeout",
        NONE,
        &["/docs/default/component/portico/operations/runbook/#git-fetch-timeouts"],
    ),
    case(
        "portico runbook",
        "location refresh failing",
        NONE,
        &["/docs/default/component/portico/operations/runbook/#location-refresh-failing"],
    ),
    case(
        "portico docs",
        "$text placeholder",
        NONE,
        &["/docs/default/component/portico/catalog/format/#placeholders-text-json-yaml"],
    ),
    case(
        "portico docs",
        "validation errors",
        NONE,
        &["/docs/default/component/portico/catalog/format/#validation-errors"],
    ),
    case(
        "portico docs",
        "push webhooks",
        NONE,
        &["/docs/default/component/portico/catalog/locations/#push-webhooks"],
    ),
    case(
        "portico docs",
        "replicas postgresql",
        NONE,
        &["/docs/default/component/portico/operations/deployment/#several-replicas-on-one-postgresql"],
    ),
    case(
        "portico docs",
        "systemd",
        NONE,
        &["/docs/default/component/portico/operations/deployment/#example-systemd"],
    ),
    case(
        "portico docs",
        "dataDir",
        NONE,
        &["/docs/default/component/portico/operations/configuration/#datadir"],
    ),
    case(
        "portico docs",
        "mkdocs.yml",
        NONE,
        &["/docs/default/component/portico/techdocs/#mkdocsyml"],
    ),
    case(
        "portico docs",
        "admonitions",
        NONE,
        &["/docs/default/component/portico/techdocs/#admonitions"],
    ),
    case(
        "portico docs",
        "facets",
        NONE,
        &["/docs/default/component/portico/api/#facets"],
    ),
    case(
        "portico docs",
        "readyz",
        NONE,
        &[
            "/docs/default/component/portico/api/#health",
            "/docs/default/component/portico/operations/deployment/#health-checks-and-logs",
        ],
    ),
];

/// Percent-encodes a query-string key or value (UTF-8, RFC 3986 unreserved
/// characters kept).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn search_path(term: &str, params: &[(&str, &str)], page_limit: usize) -> String {
    let mut path = format!("/api/search/query?term={}", encode(term));
    for (key, value) in params {
        let _ = write!(path, "&{}={}", encode(key), encode(value));
    }
    let _ = write!(path, "&pageLimit={page_limit}");
    path
}

/// The parsed answer of a search, or why there is none.
fn search(port: u16, term: &str, params: &[(&str, &str)]) -> Result<Value, String> {
    // The search page asks for a page of 25; ask for more than 3 anyway so
    // the top 3 are the top of a normal page, not of a tiny one.
    let path = search_path(term, params, 10);
    let (status, body) = http_get(port, &path).ok_or_else(|| format!("no answer to {path}"))?;
    if status != 200 {
        return Err(format!("{path} answered {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("{path}: not JSON ({e}): {body}"))
}

fn matches(pattern: &str, location: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => location.starts_with(prefix),
        None => location == pattern,
    }
}

fn results(page: &Value) -> &[Value] {
    page["results"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The locations a result shows: its own and its sub-hits'.
fn shown_locations(result: &Value) -> Vec<&str> {
    let document = &result["document"];
    let mut shown: Vec<&str> = document["location"].as_str().into_iter().collect();
    if let Some(subs) = document["subHits"].as_array() {
        shown.extend(subs.iter().filter_map(|s| s["location"].as_str()));
    }
    shown
}

/// One line per result: location, title, sub-hit anchors.
fn describe(page: &Value, count: usize) -> String {
    let mut out = String::new();
    for (i, result) in results(page).iter().take(count).enumerate() {
        let document = &result["document"];
        let _ = write!(
            out,
            "\n      {}. {} ({:?})",
            i + 1,
            document["location"].as_str().unwrap_or("?"),
            document["title"].as_str().unwrap_or(""),
        );
        if let Some(subs) = document["subHits"].as_array().filter(|s| !s.is_empty()) {
            let anchors: Vec<&str> = subs
                .iter()
                .filter_map(|s| s["location"].as_str())
                .map(|l| l.rsplit_once('#').map_or(l, |(_, a)| a))
                .collect();
            let _ = write!(out, " + sections #{}", anchors.join(", #"));
        }
    }
    if results(page).is_empty() {
        out.push_str("\n      (no results)");
    }
    out
}

fn number_of_results(page: &Value) -> u64 {
    page["numberOfResults"].as_u64().unwrap_or(0)
}

/// Names of the components with TechDocs, from the catalog.
fn documented_components(port: u16) -> Option<Vec<String>> {
    let (status, body) = http_get(
        port,
        "/api/catalog/entities/by-query?filter=kind=component&limit=500",
    )?;
    if status != 200 {
        return None;
    }
    let page: Value = serde_json::from_str(&body).ok()?;
    let names: Vec<String> = page["items"]
        .as_array()?
        .iter()
        .filter(|i| i["metadata"]["annotations"]["backstage.io/techdocs-ref"].is_string())
        .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    (!names.is_empty()).then_some(names)
}

fn catalog_entity_count(port: u16) -> Option<u64> {
    let (status, body) = http_get(port, "/api/catalog/entities/by-query?limit=1")?;
    if status != 200 {
        return None;
    }
    let page: Value = serde_json::from_str(&body).ok()?;
    page["totalItems"].as_u64()
}

/// What is not searchable yet, or `None` once every catalog entity and the
/// docs of every documented component are.
fn not_ready(port: u16) -> Option<String> {
    let Ok(runbooks) = search(port, "runbook", &[("types[]", "techdocs")]) else {
        return Some("search does not answer yet".into());
    };
    if number_of_results(&runbooks) == 0 {
        return Some("no doc page is indexed yet".into());
    }
    let Ok(entity) = search(port, "payments-service", &[("types[]", "software-catalog")]) else {
        return Some("search does not answer".into());
    };
    if !results(&entity)
        .iter()
        .any(|r| r["document"]["location"] == "/catalog/default/component/payments-service")
    {
        return Some("payments-service is not in the catalog index yet".into());
    }
    let Some(entities) = catalog_entity_count(port) else {
        return Some("the catalog does not answer yet".into());
    };
    let Ok(indexed) = search(port, "", &[("types[]", "software-catalog")]) else {
        return Some("search does not answer".into());
    };
    if number_of_results(&indexed) < entities {
        return Some(format!(
            "{} of {entities} entities indexed",
            number_of_results(&indexed)
        ));
    }
    let Some(documented) = documented_components(port) else {
        return Some("no documented component in the catalog yet".into());
    };
    for name in documented {
        let docs = search(
            port,
            "",
            &[("types[]", "techdocs"), ("filters[name]", name.as_str())],
        );
        if docs.map_or(true, |page| number_of_results(&page) == 0) {
            return Some(format!("the docs of {name} are not indexed yet"));
        }
    }
    None
}

#[test]
fn search_relevance_over_the_example_catalog_and_docs() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = serve_example(data.path(), port);

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut waiting_for = not_ready(port);
    while let Some(what) = &waiting_for {
        assert!(
            Instant::now() < deadline,
            "search was not ready within 60 s: {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
        waiting_for = not_ready(port);
    }

    let mut failures = Vec::new();
    for case in CASES {
        let shown = match search(port, case.term, case.params) {
            Ok(page) => page,
            Err(error) => {
                failures.push(format!(
                    "  [{}] {:?} {:?}: {error}",
                    case.about, case.term, case.params
                ));
                continue;
            }
        };
        let found = results(&shown).iter().take(TOP).any(|result| {
            shown_locations(result)
                .iter()
                .any(|location| case.expect.iter().any(|p| matches(p, location)))
        });
        let verdict = if found { "ok  " } else { "FAIL" };
        println!(
            "{verdict} [{}] {:?} {:?}",
            case.about, case.term, case.params
        );
        if !found {
            failures.push(format!(
                "  [{}] {:?}{}\n    expected one of {:?} in the top {TOP}; got {} results:{}",
                case.about,
                case.term,
                if case.params.is_empty() {
                    String::new()
                } else {
                    format!(" {:?}", case.params)
                },
                case.expect,
                number_of_results(&shown),
                describe(&shown, TOP),
            ));
        }
    }
    println!(
        "search relevance: {} of {} cases pass",
        CASES.len() - failures.len(),
        CASES.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} search relevance cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn the_relevance_set_is_big_enough_and_well_formed() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    for case in CASES {
        assert!(!case.expect.is_empty(), "{:?} expects nothing", case.term);
        for pattern in case.expect {
            assert!(
                pattern.starts_with("/catalog/") || pattern.starts_with("/docs/"),
                "{:?}: {pattern} is not a result location",
                case.term
            );
        }
    }
    assert_eq!(
        search_path("a b&c", &[("filters[kind]", "API")], 5),
        "/api/search/query?term=a%20b%26c&filters%5Bkind%5D=API&pageLimit=5"
    );
}
