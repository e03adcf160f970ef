//! The dependency graph view.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use portico_web::graph::{layout, neighbourhood, render_svg, Graph, NodeInfo};

const INVERSES: [(&str, &str); 7] = [
    ("dependsOn", "dependencyOf"),
    ("ownedBy", "ownerOf"),
    ("partOf", "hasPart"),
    ("providesApi", "apiProvidedBy"),
    ("consumesApi", "apiConsumedBy"),
    ("memberOf", "hasMember"),
    ("childOf", "parentOf"),
];

type Relations = Vec<(String, String)>;

/// A catalog as the store keeps it: every relation stored on both ends.
#[derive(Default)]
struct Catalog {
    entities: BTreeMap<String, (NodeInfo, Relations)>,
}

impl Catalog {
    fn entity(&mut self, entity_ref: &str) -> &mut (NodeInfo, Relations) {
        self.entities
            .entry(entity_ref.to_string())
            .or_insert_with(|| {
                let (kind, rest) = entity_ref.split_once(':').unwrap();
                let name = rest.rsplit('/').next().unwrap();
                (
                    NodeInfo {
                        kind: kind.to_string(),
                        title: name.to_string(),
                        href: format!("/catalog/{}", rest),
                    },
                    Vec::new(),
                )
            })
    }

    /// `from relation to`, stored as given on `from` and as the other
    /// direction of the pair on `to`.
    fn relate(&mut self, from: &str, relation: &str, to: &str) -> &mut Self {
        let other = INVERSES
            .iter()
            .find_map(|&(f, i)| match relation {
                r if r == f => Some(i),
                r if r == i => Some(f),
                _ => None,
            })
            .unwrap();
        self.entity(from)
            .1
            .push((relation.to_string(), to.to_string()));
        self.entity(to)
            .1
            .push((other.to_string(), from.to_string()));
        self
    }

    /// A relation whose target has no entity.
    fn dangling(&mut self, from: &str, relation: &str, to: &str) -> &mut Self {
        self.entity(from)
            .1
            .push((relation.to_string(), to.to_string()));
        self
    }

    fn title(&mut self, entity_ref: &str, title: &str, href: &str) -> &mut Self {
        let info = &mut self.entity(entity_ref).0;
        info.title = title.to_string();
        info.href = href.to_string();
        self
    }

    fn lookup(&self) -> impl Fn(&str) -> Option<(NodeInfo, Relations)> + '_ {
        |r| self.entities.get(r).cloned()
    }

    fn graph(&self, center: &str, hops: usize, max_nodes: usize) -> Graph {
        neighbourhood(center, hops, max_nodes, None, self.lookup())
    }
}

fn ids(graph: &Graph) -> Vec<&str> {
    graph.nodes.iter().map(|n| n.id.as_str()).collect()
}

fn edges(graph: &Graph) -> Vec<(&str, &str, &str)> {
    graph
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str(), e.relation.as_str()))
        .collect()
}

fn x_of(graph: &Graph, id: &str) -> f64 {
    layout(graph)
        .into_iter()
        .find(|(n, _, _)| n == id)
        .map(|(_, x, _)| x)
        .unwrap()
}

/// Checks that `svg` is well-formed XML as far as this markup goes: one root
/// element, tags balanced and properly nested, attribute values quoted, no
/// raw `<` in text or attributes and every `&` starting an entity.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('>').expect("unterminated tag");
        let tag = &after[..close];
        rest = &after[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().expect("closing tag without opening");
            assert_eq!(top, name.trim(), "mis-nested </{name}>");
            continue;
        }
        assert!(
            !tag.starts_with('?') && !tag.starts_with('!'),
            "prolog or doctype: <{tag}>"
        );
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "bad tag name in <{tag}>"
        );
        check_attributes(&tag[name_end..]);
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
}

fn check_attributes(mut attrs: &str) {
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return;
        }
        let eq = attrs.find('=').expect("attribute without value");
        let name = &attrs[..eq];
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
            "bad attribute name {name:?}"
        );
        let value = attrs[eq + 1..]
            .strip_prefix('"')
            .expect("unquoted attribute");
        let end = value.find('"').expect("unterminated attribute");
        check_text(&value[..end]);
        attrs = &value[end + 1..];
    }
}

fn check_text(text: &str) {
    assert!(!text.contains('<'), "raw < in {text:?}");
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        rest = &rest[amp + 1..];
        let semi = rest.find(';').expect("& without ;");
        let entity = &rest[..semi];
        assert!(
            ["amp", "lt", "gt", "quot", "apos"].contains(&entity)
                || entity
                    .strip_prefix('#')
                    .is_some_and(|d| d.parse::<u32>().is_ok()),
            "unknown entity &{entity};"
        );
    }
}

#[test]
fn walks_two_hops_and_not_three() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .relate("component:default/b", "dependsOn", "component:default/c")
        .relate("component:default/c", "dependsOn", "component:default/d");

    let g = c.graph("component:default/a", 2, 50);
    assert_eq!(
        ids(&g),
        [
            "component:default/a",
            "component:default/b",
            "component:default/c"
        ]
    );
    assert_eq!(
        edges(&g),
        [
            ("component:default/a", "component:default/b", "dependsOn"),
            ("component:default/b", "component:default/c", "dependsOn"),
        ]
    );
    assert_eq!(g.truncated, 0);
    assert!(g.nodes[0].center);
    assert!(g.nodes[1..].iter().all(|n| !n.center && !n.missing));

    let one = c.graph("component:default/a", 1, 50);
    assert_eq!(ids(&one), ["component:default/a", "component:default/b"]);
}

#[test]
fn inverse_relations_become_one_forward_edge() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .relate("group:default/team", "ownerOf", "component:default/b");

    // Seen from b, whose own relations are dependencyOf and ownedBy.
    let g = c.graph("component:default/b", 2, 50);
    assert_eq!(
        edges(&g),
        [
            ("component:default/a", "component:default/b", "dependsOn"),
            ("component:default/b", "group:default/team", "ownedBy"),
        ]
    );
}

#[test]
fn edges_between_last_hop_nodes_are_kept() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .relate("component:default/a", "dependsOn", "component:default/c")
        .relate("component:default/b", "dependsOn", "component:default/c");
    let g = c.graph("component:default/a", 1, 50);
    assert!(edges(&g).contains(&("component:default/b", "component:default/c", "dependsOn")));
}

#[test]
fn dependents_go_left_and_dependencies_right() {
    let mut c = Catalog::default();
    c.relate(
        "component:default/web",
        "dependsOn",
        "component:default/svc",
    )
    .relate("component:default/svc", "dependsOn", "resource:default/db")
    .relate("component:default/svc", "ownedBy", "group:default/team")
    .relate("group:default/team", "childOf", "group:default/org")
    .relate(
        "component:default/mobile",
        "dependsOn",
        "component:default/web",
    );

    let g = c.graph("component:default/svc", 2, 50);
    let svc = x_of(&g, "component:default/svc");
    let web = x_of(&g, "component:default/web");
    let mobile = x_of(&g, "component:default/mobile");
    let db = x_of(&g, "resource:default/db");
    let team = x_of(&g, "group:default/team");
    let org = x_of(&g, "group:default/org");
    assert!(mobile < web && web < svc, "dependents on the left");
    assert!(
        svc < db && db == team && team < org,
        "what svc points at on the right"
    );

    // The center column holds only the center, at mid height.
    let positions = layout(&g);
    let (_, _, center_y) = positions
        .iter()
        .find(|(id, _, _)| id.ends_with("/svc"))
        .unwrap();
    let right: Vec<f64> = positions
        .iter()
        .filter(|(_, x, _)| *x == db)
        .map(|(_, _, y)| *y)
        .collect();
    assert_eq!(right.len(), 2);
    assert!(right.iter().any(|y| y < center_y) && right.iter().any(|y| y > center_y));

    // The SVG draws each node where the layout put it.
    let svg = render_svg(&g);
    for (id, x, y) in positions {
        let node = svg.find(&format!("<title>{id}</title>")).unwrap();
        let translate = svg[..node].rfind("translate(").unwrap();
        assert!(svg[translate..node].starts_with(&format!("translate({x},{y})")));
    }
}

#[test]
fn a_cycle_through_the_center_goes_right() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .relate("component:default/b", "dependsOn", "component:default/a");
    let g = c.graph("component:default/a", 2, 50);
    assert_eq!(g.nodes.len(), 2);
    assert_eq!(g.edges.len(), 2);
    assert!(x_of(&g, "component:default/b") > x_of(&g, "component:default/a"));
    assert_well_formed(&render_svg(&g));
}

#[test]
fn cycles_and_self_relations_terminate_without_self_edges() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .relate("component:default/b", "dependsOn", "component:default/c")
        .relate("component:default/c", "dependsOn", "component:default/a")
        .relate("component:default/a", "dependsOn", "component:default/a");
    let g = c.graph("component:default/a", 10, 50);
    assert_eq!(g.nodes.len(), 3);
    assert_eq!(g.edges.len(), 3);
    assert!(g.edges.iter().all(|e| e.from != e.to));
    assert_well_formed(&render_svg(&g));
}

#[test]
fn an_entity_without_relations_is_drawn_alone() {
    let mut c = Catalog::default();
    c.title(
        "component:default/lonely",
        "Lonely Service",
        "/catalog/default/component/lonely",
    );
    let g = c.graph("component:default/lonely", 2, 50);
    assert_eq!(ids(&g), ["component:default/lonely"]);
    assert!(g.edges.is_empty());

    let svg = render_svg(&g);
    assert_well_formed(&svg);
    assert_eq!(svg.matches("class=\"pg-node ").count(), 1);
    assert!(svg.contains(r#"aria-label="Relations of Lonely Service""#));
    assert!(svg.contains(r#"role="img""#));
    assert!(svg.contains("pg-center"));
    assert!(!svg.contains("pg-edge "));
    assert!(!svg.contains("more not shown"));
}

#[test]
fn max_nodes_keeps_the_nearest_and_counts_the_rest() {
    let mut c = Catalog::default();
    for i in 0..150 {
        c.relate(
            "component:default/hub",
            "dependsOn",
            &format!("component:default/dep-{i:03}"),
        );
    }
    c.relate("component:default/hub", "ownedBy", "group:default/team")
        .relate(
            "component:default/dep-000",
            "dependsOn",
            "resource:default/far",
        );

    let g = c.graph("component:default/hub", 2, 20);
    assert_eq!(g.nodes.len(), 20);
    // 151 neighbours at hop 1, 19 shown; dep-000 is shown, so the node it
    // reaches at hop 2 is left out too.
    assert_eq!(g.truncated, 133);
    // Hop, then kind, then ref.
    assert_eq!(g.nodes[0].id, "component:default/hub");
    assert_eq!(g.nodes[1].id, "component:default/dep-000");
    assert_eq!(g.nodes[18].id, "component:default/dep-017");
    assert_eq!(g.nodes[19].id, "component:default/dep-018");
    assert!(g.edges.iter().all(|e| ids(&g).contains(&e.to.as_str())));
    assert_eq!(g.edges.len(), 19);

    let svg = render_svg(&g);
    assert_well_formed(&svg);
    assert!(svg.contains(">+133 more not shown</text>"));

    // Room for everything: hop 2 is reached.
    let all = c.graph("component:default/hub", 2, 1000);
    assert_eq!(all.truncated, 0);
    assert_eq!(all.nodes.len(), 153);
    assert_eq!(all.nodes.last().unwrap().id, "resource:default/far");
}

#[test]
fn the_relations_filter_follows_only_the_chosen_pairs() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .relate("component:default/a", "ownedBy", "group:default/team")
        .relate("component:default/z", "dependsOn", "component:default/a");
    c.entity("component:default/a")
        .1
        .push(("x-madeUp".to_string(), "component:default/q".to_string()));

    let g = neighbourhood("component:default/a", 2, 50, Some(&["ownedBy"]), c.lookup());
    assert_eq!(ids(&g), ["component:default/a", "group:default/team"]);

    // Unknown types are ignored even with no filter.
    let all = c.graph("component:default/a", 2, 50);
    assert!(!ids(&all).contains(&"component:default/q"));
    assert_eq!(all.nodes.len(), 4);
}

#[test]
fn missing_targets_are_drawn_without_a_link_and_not_expanded() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .dangling("component:default/a", "dependsOn", "resource:default/ghost");
    let g = c.graph("component:default/a", 2, 50);
    let ghost = g
        .nodes
        .iter()
        .find(|n| n.id == "resource:default/ghost")
        .unwrap();
    assert!(ghost.missing);
    assert_eq!(ghost.kind, "resource");
    assert!(ghost.href.is_empty());

    let svg = render_svg(&g);
    assert_well_formed(&svg);
    assert_eq!(
        svg.matches("<a ").count(),
        2,
        "only the two real entities link"
    );
    let at = svg.find("<title>resource:default/ghost</title>").unwrap();
    let group = svg[..at].rfind("<g ").unwrap();
    assert!(svg[group..at].contains("pg-missing"));
    let previous_tag = svg[..group].rfind('<').unwrap();
    assert!(
        !svg[previous_tag..group].starts_with("<a "),
        "no link around a missing node"
    );

    // A center that does not exist is still drawn.
    let nowhere = c.graph("component:default/nowhere", 2, 50);
    assert_eq!(nowhere.nodes.len(), 1);
    assert!(nowhere.nodes[0].missing && nowhere.nodes[0].center);
    assert_well_formed(&render_svg(&nowhere));
}

#[test]
fn titles_hrefs_and_refs_are_escaped() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .title(
            "component:default/a",
            r#"<script>alert("x")</script> & 'co'"#,
            r#"/catalog/a?x="><script>&y='1'"#,
        )
        .title("component:default/b", "Tom & Jerry's <b>", "/catalog/b");
    let g = c.graph("component:default/a", 2, 50);
    let svg = render_svg(&g);
    assert_well_formed(&svg);
    assert!(!svg.contains("<script"));
    assert!(!svg.contains("<b>"));
    assert!(svg.contains(r#"href="/catalog/a?x=&quot;&gt;&lt;script&gt;&amp;y=&#39;1&#39;""#));
    assert!(svg.contains("Relations of &lt;script&gt;alert(&quot;x&quot;)"));
    assert!(svg.contains("Tom &amp; Jerry&#39;s &lt;b&gt;"));
}

#[test]
fn long_titles_are_shortened_with_an_ellipsis() {
    let mut c = Catalog::default();
    c.title(
        "component:default/a",
        "An extraordinarily long service name that overflows",
        "/a",
    );
    let svg = render_svg(&c.graph("component:default/a", 2, 50));
    assert!(svg.contains(">An extraordinarily long…</text>"));
    // The hover text keeps the full ref.
    assert!(svg.contains("<title>component:default/a</title>"));
}

#[test]
fn edges_are_classed_curves_with_arrowheads_and_words() {
    let mut c = Catalog::default();
    c.relate("component:default/a", "dependsOn", "component:default/b")
        .relate("component:default/a", "providesApi", "api:default/x")
        .relate("component:default/a", "consumesApi", "api:default/y")
        .relate("component:default/a", "partOf", "system:default/s")
        .relate("user:default/u", "memberOf", "group:default/g")
        .relate("component:default/a", "ownedBy", "group:default/g");
    let svg = render_svg(&c.graph("component:default/a", 2, 50));
    assert_well_formed(&svg);
    assert!(svg.contains(r#"<marker id="pg-arrow""#));
    assert_eq!(svg.matches(r#"marker-end="url(#pg-arrow)""#).count(), 6);
    for (class, words) in [
        ("dependsOn", "depends on"),
        ("providesApi", "provides API"),
        ("consumesApi", "consumes API"),
        ("partOf", "part of"),
        ("memberOf", "member of"),
        ("ownedBy", "owned by"),
    ] {
        assert!(
            svg.contains(&format!(r#"class="pg-edge pg-rel-{class}""#)),
            "{class}"
        );
        assert!(svg.contains(r#"class="pg-edge-label""#));
        if class == "memberOf" {
            // Not the center's edge: said on hover, not written in place.
            assert!(!svg.contains(&format!(">{words}</text>")), "{words}");
            assert!(svg.contains("<title>u member of g</title>"), "{svg}");
        } else {
            assert!(svg.contains(&format!(">{words}</text>")), "{words}");
        }
    }
    assert!(svg.contains(r#"<path d="M"#) && svg.contains(" C"));
    assert!(svg.contains(r#"class="pg-node pg-kind-api""#));
    assert!(svg.contains(r#"class="pg-node pg-kind-component pg-center""#));
    // Colours belong to the page's CSS.
    assert!(!svg.contains("<style"));
    assert!(!svg.contains("fill=\"#"));
}

#[test]
fn same_input_gives_the_same_svg() {
    let build = |reverse: bool| {
        let mut c = Catalog::default();
        let mut pairs: Vec<(String, &str, String)> = (0..30)
            .map(|i| {
                (
                    "component:default/hub".to_string(),
                    if i % 3 == 0 { "ownedBy" } else { "dependsOn" },
                    format!(
                        "{}:default/n{i}",
                        if i % 3 == 0 { "group" } else { "component" }
                    ),
                )
            })
            .collect();
        pairs.push((
            "component:default/n1".into(),
            "dependsOn",
            "component:default/n2".into(),
        ));
        if reverse {
            pairs.reverse();
        }
        for (from, rel, to) in &pairs {
            c.relate(from, rel, to);
        }
        render_svg(&c.graph("component:default/hub", 2, 25))
    };
    let first = build(false);
    assert_eq!(first, build(false));
    assert_eq!(
        first,
        build(true),
        "relation order in the store must not matter"
    );
    assert_well_formed(&first);
}
