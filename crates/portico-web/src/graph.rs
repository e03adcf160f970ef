//! The dependency graph of an entity's neighbourhood, laid out and drawn as SVG.
//!
//! [`neighbourhood`] walks the relations outwards from one entity and
//! [`render_svg`] draws the result left to right: what the entity points at
//! (its dependencies, owner, system, APIs it provides) on the right, what
//! points at it on the left. The SVG carries classes only; colours come from
//! the page's CSS so one drawing serves the light and the dark theme.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

use portico_markdown::escape_html;
use serde::Serialize;

/// What the graph needs to know about an entity that exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeInfo {
    /// Lowercase kind, e.g. `component`.
    pub kind: String,
    /// `metadata.title`, or the name when there is none.
    pub title: String,
    /// The entity's page.
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphNode {
    /// The entity ref key, `kind:namespace/name`.
    pub id: String,
    pub kind: String,
    pub title: String,
    /// Empty for a missing node.
    pub href: String,
    pub center: bool,
    /// A ref that no entity answers to.
    pub missing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    /// The forward relation type, e.g. `dependsOn`.
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graph {
    pub center: String,
    /// Nearer nodes first: by hop, then kind, then ref.
    pub nodes: Vec<GraphNode>,
    /// Sorted by `from`, `to`, `relation`.
    pub edges: Vec<GraphEdge>,
    /// Nodes that were reached but left out by `max_nodes`.
    pub truncated: usize,
}

/// Forward type, inverse type, the forward type in words.
const RELATIONS: [(&str, &str, &str); 7] = [
    ("dependsOn", "dependencyOf", "depends on"),
    ("ownedBy", "ownerOf", "owned by"),
    ("partOf", "hasPart", "part of"),
    ("providesApi", "apiProvidedBy", "provides API"),
    ("consumesApi", "apiConsumedBy", "consumes API"),
    ("memberOf", "hasMember", "member of"),
    ("childOf", "parentOf", "child of"),
];

/// `(forward type, true if `ty` was the inverse)`, or None for a type outside
/// the seven pairs.
fn classify(ty: &str) -> Option<(&'static str, bool)> {
    RELATIONS.iter().find_map(|(fwd, inv, _)| {
        if fwd.eq_ignore_ascii_case(ty) {
            Some((*fwd, false))
        } else if inv.eq_ignore_ascii_case(ty) {
            Some((*fwd, true))
        } else {
            None
        }
    })
}

fn relation_words(forward: &str) -> &str {
    RELATIONS
        .iter()
        .find(|(fwd, _, _)| *fwd == forward)
        .map_or(forward, |(_, _, words)| words)
}

fn ref_kind(entity_ref: &str) -> &str {
    entity_ref.split_once(':').map_or("", |(kind, _)| kind)
}

fn ref_name(entity_ref: &str) -> &str {
    let rest = entity_ref
        .split_once(':')
        .map_or(entity_ref, |(_, rest)| rest);
    rest.rsplit_once('/').map_or(rest, |(_, name)| name)
}

/// Breadth-first over relations from `center` up to `hops` (the UI uses 2),
/// at most `max_nodes` nodes (nearer first; within a hop by kind, then ref).
///
/// `lookup(ref)` returns the entity's [`NodeInfo`] and its relations as
/// `(type, targetRef)` pairs, or None for a ref with no entity, which is drawn
/// as a missing node and not expanded. Edges are normalised to the forward
/// direction and deduplicated; only edges between included nodes are kept.
/// With `relations` set, only those forward types (and their inverses) are
/// followed; types outside the seven Backstage pairs are always ignored.
/// Refs are lowercased first, as the catalog keys them, so `lookup` is
/// always asked with a key.
pub fn neighbourhood(
    center: &str,
    hops: usize,
    max_nodes: usize,
    relations: Option<&[&str]>,
    lookup: impl Fn(&str) -> Option<(NodeInfo, Vec<(String, String)>)>,
) -> Graph {
    let allowed: Option<HashSet<&'static str>> = relations.map(|list| {
        list.iter()
            .filter_map(|r| classify(r))
            .map(|(fwd, _)| fwd)
            .collect()
    });
    let center_id = center.trim().to_ascii_lowercase();
    // The center is always shown, whatever the cap.
    let max_nodes = max_nodes.max(1);

    let mut nodes = Vec::new();
    let mut edges: BTreeSet<(String, String, &'static str)> = BTreeSet::new();
    let mut seen: HashSet<String> = HashSet::from([center_id.clone()]);
    let mut truncated = 0;
    let mut frontier = vec![center_id.clone()];
    let mut hop = 0;

    while !frontier.is_empty() {
        frontier.sort_by(|a, b| (ref_kind(a), a.as_str()).cmp(&(ref_kind(b), b.as_str())));
        let room = max_nodes.saturating_sub(nodes.len());
        if frontier.len() > room {
            truncated += frontier.len() - room;
            frontier.truncate(room);
        }
        let mut next = Vec::new();
        for id in frontier {
            let Some((info, rels)) = lookup(&id) else {
                nodes.push(GraphNode {
                    kind: non_empty(ref_kind(&id), "unknown"),
                    title: ref_name(&id).to_string(),
                    href: String::new(),
                    center: id == center_id,
                    missing: true,
                    id,
                });
                continue;
            };
            for (ty, target) in rels {
                let Some((forward, inverse)) = classify(&ty) else {
                    continue;
                };
                if allowed.as_ref().is_some_and(|a| !a.contains(forward)) {
                    continue;
                }
                let other = target.trim().to_ascii_lowercase();
                if other == id || other.is_empty() {
                    continue;
                }
                // The last hop's relations still count for edges among
                // included nodes; they just reach no one new.
                if hop < hops && seen.insert(other.clone()) {
                    next.push(other.clone());
                }
                if inverse {
                    edges.insert((other, id.clone(), forward));
                } else {
                    edges.insert((id.clone(), other, forward));
                }
            }
            nodes.push(GraphNode {
                kind: non_empty(&info.kind.to_ascii_lowercase(), ref_kind(&id)),
                title: non_empty(&info.title, ref_name(&id)),
                href: info.href,
                center: id == center_id,
                missing: false,
                id,
            });
        }
        frontier = next;
        hop += 1;
    }

    let included: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let edges = edges
        .into_iter()
        .filter(|(from, to, _)| included.contains(from.as_str()) && included.contains(to.as_str()))
        .map(|(from, to, relation)| GraphEdge {
            from,
            to,
            relation: relation.to_string(),
        })
        .collect();
    Graph {
        center: center_id,
        nodes,
        edges,
        truncated,
    }
}

fn non_empty(s: &str, fallback: &str) -> String {
    if s.trim().is_empty() {
        fallback.to_string()
    } else {
        s.to_string()
    }
}

const NODE_W: f64 = 180.0;
const NODE_H: f64 = 44.0;
/// Wide enough for an edge label such as "consumes API" between columns.
const COL_GAP: f64 = 140.0;
const ROW_GAP: f64 = 16.0;
const MARGIN: f64 = 20.0;
const NOTE_H: f64 = 24.0;
const TITLE_CHARS: usize = 24;

/// Each node's id and the top-left corner of its box, in `graph.nodes` order.
///
/// Columns: the center in column 0; a node the center points at (center
/// dependsOn X) one column right, a node pointing at the center one column
/// left. Nodes further out stay on the side of the neighbour they were reached
/// through, one column further out per hop, so the two sides never mix.
/// Within a column nodes are ordered by kind, then title, and every column is
/// centred on the same horizontal line.
pub fn layout(graph: &Graph) -> Vec<(String, f64, f64)> {
    let columns = columns(graph);
    let min_col = columns.values().copied().min().unwrap_or(0);

    let mut by_column: BTreeMap<i64, Vec<&GraphNode>> = BTreeMap::new();
    for node in &graph.nodes {
        let col = columns.get(node.id.as_str()).copied().unwrap_or(0);
        by_column.entry(col).or_default().push(node);
    }
    let tallest = by_column.values().map(Vec::len).max().unwrap_or(1);

    let mut positions: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (col, members) in &mut by_column {
        members.sort_by(|a, b| (&a.kind, &a.title, &a.id).cmp(&(&b.kind, &b.title, &b.id)));
        let x = MARGIN + (col - min_col) as f64 * (NODE_W + COL_GAP);
        let top = MARGIN + (tallest - members.len()) as f64 * (NODE_H + ROW_GAP) / 2.0;
        for (row, node) in members.iter().enumerate() {
            positions.insert(&node.id, (x, top + row as f64 * (NODE_H + ROW_GAP)));
        }
    }
    graph
        .nodes
        .iter()
        .map(|n| {
            let (x, y) = positions
                .get(n.id.as_str())
                .copied()
                .unwrap_or((MARGIN, MARGIN));
            (n.id.clone(), x, y)
        })
        .collect()
}

/// The signed column of every node, from a breadth-first walk over the edges.
fn columns(graph: &Graph) -> BTreeMap<&str, i64> {
    // (neighbour, true when the edge points from the node to the neighbour)
    let mut adjacent: BTreeMap<&str, Vec<(&str, bool)>> = BTreeMap::new();
    for e in &graph.edges {
        adjacent.entry(&e.from).or_default().push((&e.to, true));
        adjacent.entry(&e.to).or_default().push((&e.from, false));
    }

    let mut columns: BTreeMap<&str, i64> = BTreeMap::new();
    columns.insert(&graph.center, 0);
    let mut frontier: Vec<&str> = vec![&graph.center];
    let mut hop = 0;
    while !frontier.is_empty() {
        hop += 1;
        // Right wins over left, so a node on both sides (a cycle through the
        // center) lands where its forward edge points.
        let mut reached: BTreeMap<&str, bool> = BTreeMap::new();
        for &node in &frontier {
            let col = columns.get(node).copied().unwrap_or(0);
            for &(other, forward) in adjacent.get(node).map(Vec::as_slice).unwrap_or(&[]) {
                if columns.contains_key(other) {
                    continue;
                }
                let right = if col == 0 { forward } else { col > 0 };
                *reached.entry(other).or_insert(false) |= right;
            }
        }
        frontier = Vec::new();
        for (node, right) in reached {
            columns.insert(node, if right { hop } else { -hop });
            frontier.push(node);
        }
    }

    // A hand-built graph may hold nodes no edge reaches; give them a column of
    // their own rather than stacking them on the center.
    let spare = columns.values().copied().max().unwrap_or(0) + 1;
    for node in &graph.nodes {
        columns.entry(&node.id).or_insert(spare);
    }
    columns
}

/// Deterministic SVG markup: one `<svg>` element to inline in HTML5.
pub fn render_svg(graph: &Graph) -> String {
    let positions: BTreeMap<String, (f64, f64)> = layout(graph)
        .into_iter()
        .map(|(id, x, y)| (id, (x, y)))
        .collect();
    let max_x = positions.values().map(|p| p.0).fold(MARGIN, f64::max);
    let max_y = positions.values().map(|p| p.1).fold(MARGIN, f64::max);
    let width = max_x + NODE_W + MARGIN;
    let body_height = max_y + NODE_H + MARGIN;
    let height = if graph.truncated > 0 {
        body_height + NOTE_H
    } else {
        body_height
    };

    let center_x = positions.get(&graph.center).map_or(MARGIN, |p| p.0);
    let center_title = graph
        .nodes
        .iter()
        .find(|n| n.id == graph.center)
        .map_or(graph.center.as_str(), |n| n.title.as_str());

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="pg-graph" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}">"#,
        w = num(width),
        h = num(height),
        label = escape_html(&format!("Relations of {center_title}")),
    );
    out.push_str(
        r#"<defs><marker id="pg-arrow" class="pg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker></defs>"#,
    );

    out.push_str(r#"<g class="pg-edges">"#);
    // Several relations between the same two nodes share a curve; their
    // labels are stacked so they stay readable.
    let mut labels_at: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for edge in &graph.edges {
        let (Some(&from), Some(&to)) = (positions.get(&edge.from), positions.get(&edge.to)) else {
            continue;
        };
        let pair = if edge.from <= edge.to {
            (edge.from.as_str(), edge.to.as_str())
        } else {
            (edge.to.as_str(), edge.from.as_str())
        };
        let nth = labels_at.entry(pair).or_insert(0);
        // Edges fan out towards the outer columns, where their ends are a
        // row apart: a label there stays clear of its neighbours', while
        // labels at the midpoints pile up beside the center.
        let t = match (from.0 - center_x)
            .abs()
            .total_cmp(&(to.0 - center_x).abs())
        {
            Ordering::Greater => 0.25,
            Ordering::Less => 0.75,
            Ordering::Equal => 0.5,
        };
        let (d, (mx, my)) = curve(from, to, t);
        let title_of = |id: &str| -> String {
            graph
                .nodes
                .iter()
                .find(|n| n.id == id)
                .map_or_else(|| id.to_owned(), |n| n.title.clone())
        };
        let words = relation_words(&edge.relation);
        let _ = write!(
            out,
            r#"<g class="pg-edge pg-rel-{rel}"><title>{hover}</title><path d="{d}" fill="none" marker-end="url(#pg-arrow)"/>"#,
            rel = escape_html(&class_part(&edge.relation)),
            hover = escape_html(&format!(
                "{} {words} {}",
                title_of(&edge.from),
                title_of(&edge.to)
            )),
        );
        // Only the center's own edges are labelled in place: with two hops
        // the outer edges are many, and their labels would bury the
        // picture; they say what they are on hover.
        if edge.from == graph.center || edge.to == graph.center {
            let _ = write!(
                out,
                r#"<text class="pg-edge-label" x="{x}" y="{y}" text-anchor="middle">{words}</text>"#,
                x = num(mx),
                y = num(my - 4.0 + *nth as f64 * 13.0),
                words = escape_html(words),
            );
            *nth += 1;
        }
        out.push_str("</g>");
    }
    out.push_str("</g>");

    out.push_str(r#"<g class="pg-nodes">"#);
    for node in &graph.nodes {
        let (x, y) = positions.get(&node.id).copied().unwrap_or((MARGIN, MARGIN));
        let mut class = format!("pg-node pg-kind-{}", class_part(&node.kind));
        if node.center {
            class.push_str(" pg-center");
        }
        if node.missing {
            class.push_str(" pg-missing");
        }
        let link = !node.missing && !node.href.is_empty();
        if link {
            let _ = write!(out, r#"<a href="{}">"#, escape_html(&node.href));
        }
        let _ = write!(
            out,
            r#"<g class="{class}" transform="translate({x},{y})"><title>{id}</title><rect width="{w}" height="{h}" rx="8" ry="8"/><text class="pg-node-kind" x="12" y="17">{kind}</text><text class="pg-node-title" x="12" y="35">{title}</text></g>"#,
            class = escape_html(&class),
            x = num(x),
            y = num(y),
            id = escape_html(&node.id),
            w = num(NODE_W),
            h = num(NODE_H),
            kind = escape_html(&shorten(&node.kind, TITLE_CHARS + 4)),
            title = escape_html(&shorten(&node.title, TITLE_CHARS)),
        );
        if link {
            out.push_str("</a>");
        }
    }
    out.push_str("</g>");

    if graph.truncated > 0 {
        let _ = write!(
            out,
            r#"<text class="pg-note" x="{x}" y="{y}">+{n} more not shown</text>"#,
            x = num(MARGIN),
            y = num(body_height + NOTE_H / 2.0),
            n = graph.truncated,
        );
    }
    out.push_str("</svg>");
    out
}

/// A cubic Bézier from one node box to another, and the point at `t` on it
/// (0 at `from`, 1 at `to`).
fn curve(from: (f64, f64), to: (f64, f64), t: f64) -> (String, (f64, f64)) {
    let y0 = from.1 + NODE_H / 2.0;
    let y1 = to.1 + NODE_H / 2.0;
    let (x0, x1, c0, c1) = if (from.0 - to.0).abs() < 1.0 {
        // Same column: bow out to the right so the curve doesn't cross boxes.
        let x = from.0 + NODE_W;
        (x, x, x + COL_GAP / 2.0, x + COL_GAP / 2.0)
    } else if from.0 < to.0 {
        let (x0, x1) = (from.0 + NODE_W, to.0);
        let bend = (x1 - x0) / 2.0;
        (x0, x1, x0 + bend, x1 - bend)
    } else {
        let (x0, x1) = (from.0, to.0 + NODE_W);
        let bend = (x0 - x1) / 2.0;
        (x0, x1, x0 - bend, x1 + bend)
    };
    let d = format!(
        "M{},{} C{},{} {},{} {},{}",
        num(x0),
        num(y0),
        num(c0),
        num(y0),
        num(c1),
        num(y1),
        num(x1),
        num(y1)
    );
    let bezier = |p0: f64, p1: f64, p2: f64, p3: f64| {
        let u = 1.0 - t;
        u * u * u * p0 + 3.0 * u * u * t * p1 + 3.0 * u * t * t * p2 + t * t * t * p3
    };
    (d, (bezier(x0, c0, c1, x1), bezier(y0, y0, y1, y1)))
}

/// Numbers with at most one decimal, so output is stable and compact.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// A kind or relation as a class-name fragment: letters, digits and `-`.
fn class_part(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}
