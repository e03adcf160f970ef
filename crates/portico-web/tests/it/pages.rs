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

#[test]
fn the_trend_chart_draws_a_line_per_series_breaks_at_gaps_and_escapes_labels() {
    use portico_web::trend::{render_trend_svg, TrendLine};
    let days: Vec<String> = ["2026-12-04", "2026-12-05", "2026-12-06"]
        .map(str::to_owned)
        .to_vec();
    let svg = render_trend_svg(
        &days,
        &[
            TrendLine {
                label: "<b>runbook</b>".to_owned(),
                values: vec![Some(1.0), None, Some(0.5)],
            },
            TrendLine {
                label: "owner".to_owned(),
                values: vec![Some(0.0), Some(0.25), Some(0.5)],
            },
        ],
        "Coverage & trend",
    );
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
    assert!(
        svg.contains(r#"aria-label="Coverage &amp; trend""#),
        "{svg}"
    );
    assert_eq!(svg.matches(r#"<g class="pg-trend__line""#).count(), 2);
    // A gap leaves single points, not a line across it.
    assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
    assert_eq!(svg.matches("<circle").count(), 5);
    // 100 % at the top of the plot (y 10), 0 % at its bottom (y 192).
    assert!(svg.contains(r#"<circle cx="40.0" cy="10.0""#), "{svg}");
    assert!(
        svg.contains(r#"points="40.0,192.0 334.0,146.5 628.0,101.0""#),
        "{svg}"
    );
    assert!(!svg.contains("<b>"), "{svg}");
    assert!(
        svg.contains("&lt;b&gt;runbook&lt;/b&gt; 2026-12-06: 50%"),
        "{svg}"
    );
    assert!(svg.contains(">2026-12-04</text>") && svg.contains(">2026-12-06</text>"));
}

#[test]
fn the_scorecards_page_renders_cards_teams_and_the_chart() {
    let html = render(
        Page::Scorecards,
        json!({
            "ready": true,
            "days": 30,
            "scorecards": [{
                "title": "Production readiness",
                "entities": 2,
                "levels": [{ "level": "gold", "entities": 1 }, { "level": "none", "entities": 1 }],
                "checks": [{ "title": "Has a runbook", "passed": 1, "applicable": 2, "percent": 50 }],
                "columns": ["Has a runbook"],
                "teams": [{ "href": "/catalog/default/group/a", "text": "a", "entities": 2, "cells": [{ "percent": 50, "applicable": 2 }] }],
                "trend": { "trend_svg": "<svg class=\"pg-trend\"></svg>", "legend": [{ "label": "Has a runbook", "colour": "#2563eb" }] },
            }],
        }),
    );
    assert!(
        html.contains(r#"<meter min="0" max="100" value="50""#),
        "{html}"
    );
    assert!(html.contains(r#"<svg class="pg-trend"></svg>"#), "{html}");
    assert!(
        html.contains(r#"<a href="/catalog/default/group/a">a</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<span class="badge badge-danger">none: 1</span>"#),
        "{html}"
    );
    assert!(html.contains("Trend, last 30 days"), "{html}");
    let waiting = render(Page::Scorecards, json!({ "ready": false }));
    assert!(
        waiting.contains("being evaluated for the first time"),
        "{waiting}"
    );
}
