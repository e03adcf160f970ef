//! The web UI in a real headless Chromium against `portico serve` with the
//! example catalog: what an engineer does in a day, step by step, with a
//! screenshot of each step under `target/browser-artifacts/` and no
//! console error anywhere. Skips with a reason when Chromium is missing,
//! unless PORTICO_REQUIRE_BROWSER=1.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{free_port, http_get, serve_example};
use crate::webdriver::{Browser, Launch};

const WAIT: Duration = Duration::from_secs(20);

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("browser-artifacts")
}

/// A step done: its screenshot saved, and the console clean.
fn checkpoint(browser: &Browser, step: &str) {
    let path = artifacts().join(format!("{step}.png"));
    browser.screenshot(&path).unwrap();
    let errors = browser.console_errors().unwrap();
    assert!(
        errors.is_empty(),
        "{step}: console errors {errors:?} at {}",
        browser.current_url().unwrap()
    );
}

fn wait_for_url(browser: &Browser, what: &str, part: &str) {
    browser
        .wait_until(what, WAIT, |b| {
            b.current_url().is_ok_and(|u| u.contains(part))
        })
        .unwrap();
}

/// The portal, its templates in the catalog and its docs and search index
/// built (they build in the background after start).
fn start_portal(data: &std::path::Path) -> (crate::cli::Server, String) {
    let port = free_port();
    let server = serve_example(data, port);
    let ready = |path: &str| matches!(http_get(port, path), Some((200, _)));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !(ready("/api/catalog/entities/by-name/template/default/rust-service")
        && ready("/api/techdocs/metadata/techdocs/default/component/payments-service")
        && http_get(port, "/api/search/query?term=rollback&types[]=techdocs")
            .is_some_and(|(s, body)| s == 200 && body.contains("runbook")))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the portal was not ready in 120 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (server, format!("http://127.0.0.1:{port}"))
}

/// A browser (skipping, with the reason printed, when there is none) and a
/// ready portal over a temp data dir.
fn browser_and_portal(
    javascript: bool,
) -> Option<(Browser, crate::cli::Server, tempfile::TempDir, String)> {
    let browser = match Browser::launch(javascript) {
        Launch::Ready(b) => b,
        Launch::Skipped(reason) => {
            println!("skipping the browser test: {reason}");
            return None;
        }
    };
    let data = tempfile::tempdir().unwrap();
    let (server, base) = start_portal(data.path());
    Some((browser, server, data, base))
}

#[test]
fn an_engineer_browses_reads_searches_and_creates_a_service() {
    let Some((browser, _server, _data, base)) = browser_and_portal(true) else {
        return;
    };

    // Signed in from the header (as the guest: the example server's provider).
    browser.goto(&format!("{base}/catalog")).unwrap();
    browser
        .find("header a[href='/sign-in']")
        .unwrap()
        .click()
        .unwrap();
    browser
        .wait_for("#sign-in-guest", WAIT)
        .unwrap()
        .click()
        .unwrap();
    let who = browser.wait_for("[data-testid=identity]", WAIT).unwrap();
    assert_eq!(who.text().unwrap(), "guest");

    // The catalog, filtered by an owner (the filter applies on change).
    browser.wait_for("#catalog-table", WAIT).unwrap();
    checkpoint(&browser, "01-catalog");
    browser
        .find("#f-owner")
        .unwrap()
        .select_option("group:default/payments")
        .unwrap();
    wait_for_url(&browser, "the owner filter", "owner=group");
    let rows = browser.find_all("#catalog-table tbody tr").unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        let owner = row.find("td:nth-child(3)").unwrap().text().unwrap();
        assert_eq!(
            owner.to_lowercase(),
            "payments",
            "every row is owned by payments"
        );
    }
    checkpoint(&browser, "02-catalog-owner-payments");

    // A component, then its owner's page.
    browser
        .find("#catalog-table a[href='/catalog/default/component/payments-service']")
        .unwrap()
        .click()
        .unwrap();
    wait_for_url(
        &browser,
        "the component page",
        "/component/payments-service",
    );
    checkpoint(&browser, "03-component");
    browser
        .find("dl.about a[href='/catalog/default/group/payments']")
        .unwrap()
        .click()
        .unwrap();
    wait_for_url(&browser, "the group page", "/group/payments");
    let owned = browser
        .wait_for("#owned-title", WAIT)
        .unwrap()
        .text()
        .unwrap();
    assert!(owned.starts_with("Owned by this group"), "{owned}");
    checkpoint(&browser, "04-group");

    // The relations graph; a node opens its entity.
    browser.back().unwrap();
    wait_for_url(
        &browser,
        "back to the component",
        "/component/payments-service",
    );
    browser
        .find(".tabs a[href$='/graph']")
        .unwrap()
        .click()
        .unwrap();
    let node = browser
        .wait_for(
            "[data-testid=graph] svg a[href^='/catalog/default/api/']",
            WAIT,
        )
        .unwrap();
    let target = node.attr("href").unwrap().unwrap();
    checkpoint(&browser, "05-graph");
    node.click().unwrap();
    wait_for_url(&browser, "the clicked node's page", &target);
    assert!(browser.find("h1").unwrap().text().is_ok());
    checkpoint(&browser, "06-graph-node");

    // Its docs and the runbook.
    browser
        .goto(&format!(
            "{base}/catalog/default/component/payments-service"
        ))
        .unwrap();
    browser
        .find(".tabs a[href^='/docs/']")
        .unwrap()
        .click()
        .unwrap();
    browser.wait_for("#docs-content", WAIT).unwrap();
    checkpoint(&browser, "07-docs");
    browser
        .find(".docs-nav a[href$='/runbook/']")
        .unwrap()
        .click()
        .unwrap();
    wait_for_url(&browser, "the runbook", "/runbook/");
    let heading = browser.find("#docs-content h1").unwrap().text().unwrap();
    assert!(!heading.is_empty());
    checkpoint(&browser, "08-runbook");

    // Search from the header: suggestions as one types, then a runbook hit.
    let input = browser.find("#header-q").unwrap();
    input.send_keys("rollback").unwrap();
    let suggestion = browser
        .wait_for("#header-suggestions a[href*='/runbook/']", WAIT)
        .unwrap();
    checkpoint(&browser, "09-suggestions");
    let href = suggestion.attr("href").unwrap().unwrap();
    suggestion.click().unwrap();
    let path = href.split('#').next().unwrap_or(&href).to_owned();
    wait_for_url(&browser, "the runbook hit", &path);
    let heading = browser.find("#docs-content h1").unwrap().text().unwrap();
    assert!(heading.to_lowercase().contains("runbook"), "{heading}");
    checkpoint(&browser, "10-runbook-hit");

    // A new service from the Rust template, through the form.
    browser.goto(&format!("{base}/create")).unwrap();
    browser
        .wait_for(
            "[data-template='template:default/rust-service'] a.button",
            WAIT,
        )
        .unwrap()
        .click()
        .unwrap();
    browser.wait_for("#template-form", WAIT).unwrap();
    checkpoint(&browser, "11-form");
    browser
        .find("#p-name")
        .unwrap()
        .send_keys("browser-made")
        .unwrap();
    browser
        .find("#p-description")
        .unwrap()
        .send_keys("Made in the browser test")
        .unwrap();
    browser
        .find("#p-owner")
        .unwrap()
        .select_option("group:default/payments")
        .unwrap();
    browser
        .find("#p-repoName")
        .unwrap()
        .send_keys("browser-made")
        .unwrap();
    browser
        .find("#template-form button[value=review]")
        .unwrap()
        .click()
        .unwrap();
    browser.wait_for("#review-table", WAIT).unwrap();
    checkpoint(&browser, "12-review");
    browser
        .find("button[value=create]")
        .unwrap()
        .click()
        .unwrap();
    wait_for_url(&browser, "the task page", "/create/tasks/");
    checkpoint(&browser, "13-task-running");
    // The live log reloads the page when the task ends.
    browser
        .wait_until("the task to complete", Duration::from_secs(60), |b| {
            b.find("#task-status")
                .and_then(|s| s.text())
                .is_ok_and(|t| t == "completed")
        })
        .unwrap();
    checkpoint(&browser, "14-task-done");
    browser
        .find("#task-output a[href='/catalog/default/component/browser-made']")
        .unwrap()
        .click()
        .unwrap();
    wait_for_url(&browser, "the new component", "/component/browser-made");
    let title = browser.find("h1").unwrap().text().unwrap();
    assert_eq!(title, "browser-made");
    let about = browser.find("dl.about").unwrap().text().unwrap();
    assert!(about.to_lowercase().contains("payments"), "{about}");
    checkpoint(&browser, "15-new-component");
}

/// Without JavaScript every page still works: the filter form submits, the
/// links lead on; only the live parts wait for a reload.
#[test]
fn the_portal_works_with_javascript_off() {
    let Some((browser, _server, _data, base)) = browser_and_portal(false) else {
        return;
    };
    browser.goto(&format!("{base}/catalog")).unwrap();
    browser
        .find("#f-lifecycle")
        .unwrap()
        .select_option("production")
        .unwrap();
    // No script: nothing happens until Apply.
    assert!(!browser.current_url().unwrap().contains("lifecycle="));
    browser
        .find(".filters button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    wait_for_url(&browser, "the applied filter", "lifecycle=production");
    assert!(!browser
        .find_all("#catalog-table tbody tr")
        .unwrap()
        .is_empty());
    assert!(
        !browser
            .find("[data-theme-toggle]")
            .unwrap()
            .is_displayed()
            .unwrap(),
        "the theme toggle needs script, so it stays hidden"
    );
    checkpoint(&browser, "nojs-01-catalog");
    browser
        .find("#catalog-table tbody a")
        .unwrap()
        .click()
        .unwrap();
    browser.wait_for("dl.about", WAIT).unwrap();
    checkpoint(&browser, "nojs-02-entity");
    browser.goto(&format!("{base}/search?q=rollback")).unwrap();
    let results = browser.find_all("#search-results li").unwrap();
    assert!(!results.is_empty());
    checkpoint(&browser, "nojs-03-search");
}

/// Every kind of page over the example catalog, as the server sends it,
/// parses as HTML without a single error: docs pages, API definitions of
/// each type, the task page, search within one site.
#[test]
fn every_page_of_the_example_portal_is_valid_html() {
    let data = tempfile::tempdir().unwrap();
    let (_server, base) = start_portal(data.path());
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let mut pages = vec![
        "/catalog".to_owned(),
        "/catalog?kind=api".to_owned(),
        "/catalog?kind=template".to_owned(),
        "/catalog?kind=component&mine=1".to_owned(),
        "/catalog/default/component/payments-service".to_owned(),
        "/catalog/default/component/payments-service/graph".to_owned(),
        "/catalog/default/group/engineering".to_owned(),
        "/docs".to_owned(),
        "/docs/default/component/payments-service/".to_owned(),
        "/docs/default/component/payments-service/runbook/".to_owned(),
        "/search?q=rollback".to_owned(),
        "/search?q=refund&type=techdocs&kind=component&namespace=default&name=payments-service"
            .to_owned(),
        "/create".to_owned(),
        "/create/templates/default/rust-service".to_owned(),
        "/create/templates/default/python-service".to_owned(),
        "/create/tasks".to_owned(),
        "/catalog-import".to_owned(),
    ];
    // Every API's definition tab, whatever its type.
    let (_, apis) = http_get(port, "/api/catalog/entities?filter=kind=api").unwrap();
    let apis: serde_json::Value = serde_json::from_str(&apis).unwrap();
    let mut types = std::collections::BTreeSet::new();
    for api in apis.as_array().unwrap() {
        types.insert(api["spec"]["type"].as_str().unwrap().to_owned());
        pages.push(format!(
            "/catalog/default/api/{}/api",
            api["metadata"]["name"].as_str().unwrap()
        ));
    }
    assert!(
        types.len() >= 3,
        "the example APIs cover several types: {types:?}"
    );
    for path in &pages {
        let (status, body) = http_get(port, path).unwrap();
        assert_eq!(status, 200, "{path}");
        let html = scraper::Html::parse_document(&body);
        assert!(html.errors.is_empty(), "{path}: {:?}", html.errors);
    }
    // The in-site search finds only that site's pages. The site's pages
    // reach the search index a moment after its build: wait for them.
    let in_site =
        "/search?q=runbook&type=techdocs&kind=component&namespace=default&name=payments-service";
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let body = loop {
        let (_, body) = http_get(port, in_site).unwrap();
        if body.contains("/docs/default/component/payments-service/")
            || std::time::Instant::now() > deadline
        {
            break body;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let html = scraper::Html::parse_document(&body);
    let links = scraper::Selector::parse("#search-results a").unwrap();
    let hrefs: Vec<&str> = html
        .select(&links)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(!hrefs.is_empty());
    for href in hrefs {
        assert!(
            href.starts_with("/docs/default/component/payments-service/"),
            "{href}"
        );
    }
}
