//! The web UI over HTTP: every page is HTML a browser parses without an
//! error, shows what the catalog holds, escapes what users wrote, and its
//! forms (filters, refresh, unregister, template form, import) work
//! without JavaScript.

use scraper::{Html, Selector};
use serde_json::json;

use crate::app::{seed, Reply, TestApp};

/// Parses a page as a browser would; fails on any parse error, which is
/// what "valid HTML" means for us.
fn parse(path: &str, reply: &Reply) -> Html {
    assert!(
        reply
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("text/html")),
        "{path}: {:?}",
        reply.content_type
    );
    let html = Html::parse_document(&reply.text);
    assert!(
        html.errors.is_empty(),
        "{path}: HTML errors {:?}\n{}",
        html.errors,
        reply.text
    );
    html
}

pub(crate) fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap();
    html.select(&selector).collect()
}

pub(crate) fn texts(html: &Html, css: &str) -> Vec<String> {
    select(html, css)
        .iter()
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

pub(crate) fn page(app: &TestApp, path: &str) -> Html {
    let reply = app.get(path);
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    parse(path, &reply)
}

/// The page as the operator (an admin) sees it.
fn signed_in_page(app: &TestApp, path: &str) -> Html {
    let reply = app.get_signed_in(path);
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    parse(path, &reply)
}

const MORE: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: platform
  title: Platform
spec:
  type: department
  children: [team-a]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-b
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  description: Bills customers
spec:
  type: service
  lifecycle: production
  owner: team-b
  dependsOn: [component:playlist-service]
"#;

pub(crate) fn seeded() -> Vec<TestApp> {
    TestApp::all()
        .into_iter()
        .inspect(|app| {
            seed(app);
            let more = app.write("more.yaml", MORE);
            assert_eq!(app.register(&more).status, 201);
        })
        .collect()
}

#[test]
fn every_page_is_html_a_browser_parses_without_errors() {
    for app in seeded() {
        let home = app.get("/");
        assert_eq!(home.status, 303);
        for path in [
            "/catalog",
            "/catalog?kind=group",
            "/catalog?kind=user",
            "/catalog?kind=api&q=playlist",
            "/catalog?kind=component&owner=group:default/team-a&order=-name",
            "/catalog/default/component/playlist-service",
            "/catalog/default/component/playlist-service/graph",
            "/catalog/default/component/playlist-service/graph?relations=ownership",
            "/catalog/default/api/playlist-api",
            "/catalog/default/api/playlist-api/api",
            "/catalog/default/group/team-a",
            "/catalog/default/group/platform",
            "/catalog/default/user/jane",
            "/catalog/default/component/playlist-service/unregister",
            "/docs",
            "/search",
            "/search?q=playlist",
            "/search?q=playlist&type=techdocs",
            "/catalog-import",
            "/scorecards",
            "/sign-in",
        ] {
            signed_in_page(&app, path);
            if !path.ends_with("/unregister") {
                page(&app, path);
            }
        }
        let missing = app.get("/catalog/default/component/nope");
        assert_eq!(missing.status, 404);
        let html = parse("missing", &missing);
        assert!(texts(&html, "main")
            .concat()
            .contains("There is no component called default/nope"));

        let css = app.get("/static/portico.css");
        assert_eq!(css.status, 200);
        assert!(css.content_type.unwrap().starts_with("text/css"));
        assert!(css.text.contains("--accent"));
        assert_eq!(app.get("/static/nope.js").status, 404);
    }
}

#[test]
fn the_catalog_filters_sorts_and_pages_on_the_server() {
    for app in seeded() {
        let html = page(&app, "/catalog");
        let names = texts(&html, "#catalog-table tbody td:first-child");
        assert_eq!(names, ["billing", "playlist-service", "web-app"]);
        // Kind tabs with counts.
        let tabs = texts(&html, ".kind-tabs a");
        assert!(tabs.contains(&"Components3".to_owned()), "{tabs:?}");
        assert!(tabs.contains(&"Groups3".to_owned()), "{tabs:?}");
        // Facet counts: the owner facet counts components per owner.
        let owners = texts(&html, "#f-owner option");
        assert!(owners.contains(&"team-a (2)".to_owned()), "{owners:?}");
        assert!(owners.contains(&"team-b (1)".to_owned()), "{owners:?}");

        let html = page(&app, "/catalog?kind=component&owner=group:default/team-a");
        assert_eq!(
            texts(&html, "#catalog-table tbody td:first-child"),
            ["playlist-service", "web-app"]
        );
        // The owner facet's own counts ignore its selection; the others apply it.
        let types = texts(&html, "#f-type option");
        assert!(types.contains(&"service (1)".to_owned()), "{types:?}");
        assert!(types.contains(&"website (1)".to_owned()), "{types:?}");

        let html = page(&app, "/catalog?kind=component&order=-name");
        assert_eq!(
            texts(&html, "#catalog-table tbody td:first-child"),
            ["web-app", "playlist-service", "billing"]
        );
        let html = page(&app, "/catalog?kind=component&q=bills");
        assert_eq!(
            texts(&html, "#catalog-table tbody td:first-child"),
            ["billing"]
        );
        let html = page(&app, "/catalog?kind=component&lifecycle=nosuch");
        assert!(select(&html, "#catalog-table").is_empty());
        assert_eq!(texts(&html, "[data-testid=result-count]"), ["No results"]);
    }
}

#[test]
fn pages_of_a_long_catalog_link_to_each_other() {
    let app = TestApp::all().remove(0);
    let mut yaml = String::new();
    for i in 0..60 {
        yaml.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-{i:03}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
        ));
    }
    let file = app.write("many.yaml", &yaml);
    assert_eq!(app.register(&file).status, 201);
    let html = page(&app, "/catalog?kind=component");
    assert_eq!(select(&html, "#catalog-table tbody tr").len(), 25);
    assert_eq!(texts(&html, "[data-testid=result-count]"), ["1–25 of 60"]);
    let next = select(&html, "a[rel=next]")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    assert!(select(&html, "a[rel=prev]").is_empty());
    let html = page(&app, &next);
    assert_eq!(
        texts(&html, "#catalog-table tbody td:first-child")[0],
        "svc-025"
    );
    let html = page(&app, "/catalog?kind=component&page=3");
    assert_eq!(select(&html, "#catalog-table tbody tr").len(), 10);
    assert!(select(&html, "a[rel=next]").is_empty());
}

#[test]
fn an_entity_page_shows_about_relations_and_graph() {
    for app in seeded() {
        let html = page(&app, "/catalog/default/component/playlist-service");
        assert_eq!(texts(&html, "h1"), ["playlist-service"]);
        let about = texts(&html, "dl.about dd").join("|");
        assert!(about.contains("team-a"), "{about}");
        assert!(about.contains("production"), "{about}");
        let owner_link = select(&html, "dl.about dd a")[0]
            .value()
            .attr("href")
            .unwrap();
        assert_eq!(owner_link, "/catalog/default/group/team-a");
        let relations = texts(&html, ".relations h3");
        for want in ["Owned by", "Provides APIs", "Depends on", "Depended on by"] {
            assert!(relations.contains(&want.to_owned()), "{relations:?}");
        }

        let html = page(&app, "/catalog/default/component/playlist-service/graph");
        let links: Vec<String> = select(&html, "[data-testid=graph] svg a")
            .iter()
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect();
        for want in [
            "/catalog/default/group/team-a",
            "/catalog/default/api/playlist-api",
            "/catalog/default/component/billing",
            // Two hops: the API's consumer.
            "/catalog/default/component/web-app",
        ] {
            assert!(links.contains(&want.to_owned()), "{want} not in {links:?}");
        }

        let html = page(&app, "/catalog/default/group/platform");
        let owned = texts(&html, "#owned-title");
        assert_eq!(owned, ["Owned by this group and its 1 sub-groups"]);
        let owned_names = texts(&html, "section[aria-labelledby=owned-title] td:first-child");
        assert!(
            owned_names.contains(&"playlist-service".to_owned()),
            "{owned_names:?}"
        );
        let html = page(&app, "/catalog/default/group/team-a");
        assert_eq!(
            texts(&html, "section[aria-labelledby=members-title] li"),
            ["jane"]
        );
    }
}

const HOSTILE: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile
  title: '<script>alert("title")</script> "quoted" & <b>bold</b>'
  description: "\"><img src=x onerror=alert(1)> it's <script>alert('d')</script>"
  tags: [x]
  links:
    - url: 'javascript:alert(1)'
      title: '<i>bad link</i>'
    - url: https://example.com/?a="b"
      title: Good
  annotations:
    backstage.io/view-url: 'javascript:alert(2)'
spec:
  type: 'service"><script>alert(3)</script>'
  lifecycle: production
  owner: '<team>'
"#;

#[test]
fn what_users_wrote_is_escaped_everywhere() {
    for app in TestApp::all() {
        let file = app.write("hostile.yaml", HOSTILE);
        let reply = app.register(&file);
        assert_eq!(reply.status, 201, "{}", reply.text);
        for path in [
            "/catalog",
            "/catalog?kind=component&type=service%22%3E%3Cscript%3Ealert(3)%3C%2Fscript%3E",
            "/catalog/default/component/hostile",
            "/catalog/default/component/hostile/graph",
            "/search?q=hostile",
            "/search?q=%3Cscript%3Ealert(9)%3C%2Fscript%3E",
        ] {
            let html = page(&app, path);
            // The only scripts are the portal's own files.
            for script in select(&html, "script") {
                let src = script.value().attr("src").unwrap_or_default();
                assert!(
                    src.starts_with("/static/"),
                    "{path}: inline script {}",
                    script.html()
                );
            }
            for element in select(&html, "*") {
                for (name, value) in element.value().attrs() {
                    assert!(
                        !name.starts_with("on"),
                        "{path}: event handler {name}={value}"
                    );
                    assert!(
                        !value
                            .trim_start()
                            .to_ascii_lowercase()
                            .starts_with("javascript:"),
                        "{path}: {name}={value}"
                    );
                }
            }
            assert!(
                select(&html, "main b, main img, main i").is_empty(),
                "{path}: markup got through"
            );
        }
        let html = page(&app, "/catalog/default/component/hostile");
        assert_eq!(
            texts(&html, "h1"),
            [r#"<script>alert("title")</script> "quoted" & <b>bold</b>"#]
        );
        let description = texts(&html, ".page-head .subtitle").concat();
        assert!(
            description.contains(r#""><img src=x onerror=alert(1)>"#),
            "{description}"
        );
        let links: Vec<String> = select(&html, "a")
            .iter()
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect();
        assert!(
            links.contains(&r#"https://example.com/?a="b""#.to_owned()),
            "{links:?}"
        );
    }
}

#[test]
fn refresh_and_unregister_are_forms_that_work_without_script() {
    for app in seeded() {
        let reply = app.post_form("/catalog/default/component/billing/refresh", &[]);
        assert_eq!(reply.status, 303);
        assert_eq!(
            reply.location.as_deref(),
            Some("/catalog/default/component/billing?flash=unchanged")
        );
        let html = page(&app, "/catalog/default/component/billing?flash=unchanged");
        assert_eq!(texts(&html, "[role=status]").len(), 1);

        let html = signed_in_page(&app, "/catalog/default/component/billing/unregister");
        let location = select(&html, "input[name=location]")[0]
            .value()
            .attr("value")
            .unwrap()
            .to_owned();
        let listed = texts(&html, "main li").join("|");
        assert!(
            listed.contains("billing") && listed.contains("team-b"),
            "{listed}"
        );
        // A stale form (another location id) changes nothing.
        let reply = app.post_form(
            "/catalog/default/component/billing/unregister",
            &[("location", "not-the-location")],
        );
        assert_eq!(reply.status, 404, "{}", reply.text);
        assert_eq!(
            app.get("/api/catalog/entities/by-name/component/default/billing")
                .status,
            200
        );

        let reply = app.post_form(
            "/catalog/default/component/billing/unregister",
            &[("location", &location)],
        );
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert_eq!(
            app.get("/api/catalog/entities/by-name/component/default/billing")
                .status,
            404
        );
        assert_eq!(
            app.get("/api/catalog/entities/by-name/group/default/team-b")
                .status,
            404
        );
        assert_eq!(
            app.get("/api/catalog/entities/by-name/component/default/playlist-service")
                .status,
            200
        );
    }
}

#[test]
fn registering_previews_first_then_registers() {
    for app in TestApp::all() {
        let file = app.write("new/catalog-info.yaml", crate::app::SERVICES);
        let target = file.to_string_lossy().to_string();
        let reply = app.post_form("/catalog-import", &[("url", &target), ("step", "analyze")]);
        assert_eq!(reply.status, 200, "{}", reply.text);
        let html = parse("preview", &reply);
        let rows = texts(&html, "#import-preview tbody tr");
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(
            app.get("/api/catalog/locations").body,
            json!([]),
            "a preview registers nothing"
        );

        // Confirming another URL than the one previewed only previews it.
        let reply = app.post_form(
            "/catalog-import",
            &[
                ("url", &target),
                ("confirmed_url", "/elsewhere"),
                ("step", "register"),
            ],
        );
        assert_eq!(reply.status, 200);
        assert_eq!(app.get("/api/catalog/locations").body, json!([]));

        let reply = app.post_form(
            "/catalog-import",
            &[
                ("url", &target),
                ("confirmed_url", &target),
                ("step", "register"),
            ],
        );
        let html = parse("registered", &reply);
        assert_eq!(select(&html, "#import-done li").len(), 4, "{}", reply.text);
        assert_eq!(
            app.get("/api/catalog/entities/by-name/component/default/web-app")
                .status,
            200
        );

        let reply = app.post_form(
            "/catalog-import",
            &[("url", "/etc/passwd"), ("step", "analyze")],
        );
        assert_eq!(reply.status, 400);
        let html = parse("refused", &reply);
        assert_eq!(select(&html, "[role=alert]").len(), 1);
    }
}

#[test]
fn a_template_form_validates_reviews_and_runs_a_task() {
    for app in crate::scaffolder::with_template() {
        let html = page(&app, "/create");
        let card = select(&html, "[data-template='template:default/svc'] h2 a");
        assert_eq!(
            card[0].value().attr("href"),
            Some("/create/templates/default/svc")
        );

        let form_path = "/create/templates/default/svc";
        let html = page(&app, form_path);
        // Fields in the order the template lists them, labelled.
        let names: Vec<&str> = select(&html, "#template-form [name]")
            .iter()
            .filter_map(|e| e.value().attr("name"))
            .filter(|n| *n != "step")
            .collect();
        assert_eq!(names, ["name", "owner", "wait", "target"]);
        for id in ["p-name", "p-owner"] {
            assert_eq!(
                select(&html, &format!("label[for={id}]")).len(),
                1,
                "{id} has a label"
            );
        }

        // Invalid: 400, the field marked, the message beside it.
        let reply = app.post_form(
            form_path,
            &[
                ("name", "Bad Name"),
                ("owner", "team-a"),
                ("step", "review"),
            ],
        );
        assert_eq!(reply.status, 400);
        let html = parse("invalid", &reply);
        assert_eq!(
            select(&html, "#p-name[aria-invalid=true]").len(),
            1,
            "{}",
            reply.text
        );
        let message = texts(&html, "#p-name-error").concat();
        assert!(message.contains("does not match"), "{message}");
        assert_eq!(
            select(&html, "#p-name")[0].value().attr("value"),
            Some("Bad Name")
        );
        let reply = app.get("/api/scaffolder/v2/tasks");
        assert_eq!(reply.body["totalTasks"], 0, "nothing ran: {}", reply.text);

        // Valid: a review of the values, then the task.
        let reply = app.post_form(
            form_path,
            &[
                ("name", "orders"),
                ("owner", "team-a"),
                ("wait", ""),
                ("step", "review"),
            ],
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        let html = parse("review", &reply);
        let rows = texts(&html, "#review-table tr");
        assert_eq!(rows.len(), 2, "{rows:?}");
        let values = select(&html, "input[name=values_json]")[0]
            .value()
            .attr("value")
            .unwrap()
            .to_owned();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&values).unwrap(),
            json!({ "name": "orders", "owner": "team-a" })
        );

        let reply = app.post_form(form_path, &[("values_json", &values), ("step", "create")]);
        assert_eq!(reply.status, 303, "{}", reply.text);
        let task_path = reply.location.unwrap();
        let id = task_path.strip_prefix("/create/tasks/").unwrap().to_owned();
        crate::scaffolder::wait_status(&app, &id, "completed");
        let html = page(&app, &task_path);
        assert_eq!(texts(&html, "#task-status"), ["completed"]);
        let links: Vec<&str> = select(&html, "#task-output a")
            .iter()
            .filter_map(|a| a.value().attr("href"))
            .collect();
        assert!(
            links.contains(&"/catalog/default/component/orders"),
            "{links:?}"
        );
        let log = texts(&html, "#task-log").concat();
        assert!(log.contains("Beginning step Render"), "{log}");
        assert!(log.contains("created repository orders"), "{log}");
        let html = page(&app, "/create/tasks");
        assert_eq!(select(&html, "#tasks-table tbody tr").len(), 1);
    }
}

#[test]
fn signing_in_sets_the_cookie_and_the_header_says_who_you_are() {
    for app in seeded() {
        let html = page(&app, "/sign-in?next=/catalog/default/component/web-app");
        assert_eq!(select(&html, "#sign-in-guest").len(), 1);
        assert_eq!(
            select(&html, "input[name=next]")[0].value().attr("value"),
            Some("/catalog/default/component/web-app")
        );
        let html = page(&app, "/catalog");
        assert_eq!(texts(&html, "header a[href='/sign-in']"), ["Sign in"]);
        assert!(select(&html, "[data-testid=identity]").is_empty());

        let reply = app.post_form(
            "/sign-in/guest",
            &[("next", "/catalog/default/component/web-app")],
        );
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert_eq!(
            reply.location.as_deref(),
            Some("/catalog/default/component/web-app")
        );
        let cookie = reply.set_cookie.unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let value = cookie.split(';').next().unwrap().to_owned();
        let signed_in = app.get_with("/catalog", &[("Cookie", &value)]);
        let html = parse("signed in", &signed_in);
        assert_eq!(texts(&html, "[data-testid=identity]"), ["guest"]);
        assert_eq!(select(&html, "form[action='/sign-out'] button").len(), 1);

        // Only this site's paths are followed after sign-in.
        for evil in [
            "//evil.example.com/x",
            "https://evil.example.com",
            "/\\evil",
            "/\t/evil.example.com",
            "/ /evil.example.com",
        ] {
            let reply = app.post_form("/sign-in/guest", &[("next", evil)]);
            assert_eq!(reply.location.as_deref(), Some("/catalog"), "{evil}");
        }
        let out = app.post_form("/sign-out", &[]);
        assert_eq!(out.status, 303);
        let cookie = out.set_cookie.unwrap();
        assert!(
            cookie.starts_with("portico_token=;") || cookie.contains("Max-Age=0"),
            "{cookie}"
        );
    }
}

#[test]
fn forms_posted_from_another_site_are_refused_and_change_nothing() {
    for app in seeded() {
        let page_of_evil = [("Origin", "https://evil.example.com")];
        let location = app.get("/api/catalog/locations").body;
        let reply = app.post_form_with(
            "/catalog/default/component/billing/unregister",
            &[("uid", "whatever")],
            &page_of_evil,
        );
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(
            reply.text.contains("came from another site"),
            "{}",
            reply.text
        );
        assert_eq!(
            app.get("/api/catalog/locations").body,
            location,
            "nothing changed"
        );
        // Without Origin, an old browser's Referer tells the same.
        let reply = app.post_form_with(
            "/sign-in/guest",
            &[],
            &[("Referer", "http://evil.example.com/page")],
        );
        assert_eq!(reply.status, 403);
        assert!(reply.set_cookie.is_none(), "no session was made");
        // The portal's own pages post fine.
        let own = app.base.clone();
        let reply = app.post_form_with(
            "/catalog/default/component/billing/refresh",
            &[],
            &[("Origin", own.as_str())],
        );
        assert_eq!(reply.status, 303, "{}", reply.text);
    }
}

#[test]
fn the_docs_index_lists_the_entities_with_docs_of_their_own() {
    for app in seeded() {
        let file = app.write(
            "documented.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: documented\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
        );
        assert_eq!(app.register(&file).status, 201);
        let html = page(&app, "/docs");
        let links: Vec<&str> = select(&html, "#docs-table tbody td:first-child a")
            .iter()
            .filter_map(|a| a.value().attr("href"))
            .collect();
        assert_eq!(links, ["/docs/default/component/documented/"]);
    }
}
