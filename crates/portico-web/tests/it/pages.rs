//! Every page renders with full data and with the least data a handler
//! gives; what users wrote comes out escaped.

use portico_web::{pages, Chrome, Page, Section};
use serde_json::{json, Value};

fn render(page: Page, data: Value) -> String {
    pages()
        .unwrap()
        .render(page, &Chrome::new(Section::Catalog), data)
        .unwrap_or_else(|e| panic!("{page:?}: {e}"))
}

#[test]
fn group_sections_render() {
    let html = render(
        Page::Entity,
        json!({
            "entity": { "kind": "group", "kind_label": "Groups", "namespace": "default", "display_name": "Team" },
            "tabs": [], "about": [], "relations": [],
            "members": [{ "href": "/catalog/default/user/jane", "text": "jane", "email": "j@x" }],
            "member_count": 1,
            "owned": [{ "kind": "Components", "count": 101, "items": [{ "href": "/x", "text": "svc" }], "more": "and 100 more", "more_href": "/catalog?kind=component" }],
            "owned_title": "Owned",
        }),
    );
    assert!(html.contains("Members (1)"), "{html}");
    assert!(html.contains("Components (101)"), "{html}");
    // Handlebars escapes `=` too; a browser reads it back.
    assert!(
        html.contains(r#"<a href="/catalog?kind&#x3D;component">and 100 more</a>"#),
        "{html}"
    );
}

/// Handlers leave optional fields out; no page may fail for that.
#[test]
fn every_page_renders_with_no_data() {
    for page in Page::ALL {
        let html = render(page, json!({}));
        assert!(html.starts_with("<!DOCTYPE html>"), "{page:?}");
        assert!(html.contains("</html>"), "{page:?}");
    }
}

#[test]
fn values_are_escaped_and_only_html_fields_are_raw() {
    let hostile = r#"<script>alert("x")</script> ' & "#;
    let html = render(
        Page::Search,
        json!({
            "term": hostile,
            "total": 1,
            "results": [{ "type_label": hostile, "href": "/x", "title_html": "<mark>hit</mark>", "text_html": "a &amp; b" }],
        }),
    );
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#x27; &amp;"),
        "{html}"
    );
    assert!(html.contains("<mark>hit</mark>"));
}

#[test]
fn the_layout_marks_the_current_section_and_loads_page_scripts() {
    let html = pages()
        .unwrap()
        .render(
            Page::Task,
            &Chrome::new(Section::Create).with_script("task.js"),
            json!({ "task": { "id": "t1", "status": "processing" }, "done": false }),
        )
        .unwrap();
    assert!(
        html.contains(r#"<a href="/create" aria-current="page">Create</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<script src="/static/task.js?v="#),
        "{html}"
    );
    assert!(html.contains(r#"data-task-id="t1""#));
    assert!(html.contains(r#"data-task-done="false""#));
}

#[test]
fn assets_are_served_by_name_with_a_version_that_follows_them() {
    let css = portico_web::assets::asset("portico.css").unwrap();
    assert!(css.content_type.starts_with("text/css"));
    assert!(portico_web::assets::asset("../Cargo.toml").is_none());
    let version = portico_web::assets::version();
    assert_eq!(version.len(), 8);
    assert_eq!(version, portico_web::assets::version());
}
