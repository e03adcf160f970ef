//! Coverage over time as an inline SVG line chart: one line per series,
//! days left to right, 0–100 % bottom to top. Drawn on the server, so the
//! dashboard needs no script.

use std::fmt::Write as _;

/// One line of the chart: a label (for the legend and the tooltip) and a
/// value from 0 to 1 per day, `None` where there is none.
#[derive(Debug, Clone)]
pub struct TrendLine {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

/// Colours of the lines, in order; the legend uses the same.
pub const PALETTE: &[&str] = &[
    "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
    "#4b5563", "#65a30d", "#7c3aed", "#0f766e",
];

/// The colour of line `i`.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart; `days` labels the x axis (its first and last are written).
/// Every line should have one value per day.
pub fn render_trend_svg(days: &[String], lines: &[TrendLine], label: &str) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| {
        if days.len() <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (days.len() - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v.clamp(0.0, 1.0));
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="pg-trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
        escape(label)
    );
    for pct in [0, 25, 50, 75, 100] {
        let gy = y(f64::from(pct) / 100.0);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#6b7280">{pct}%</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            gy + 3.0
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let ly = HEIGHT - 8.0;
        let _ = write!(
            out,
            r##"<text x="{LEFT}" y="{ly}" font-size="10" fill="#6b7280">{}</text>"##,
            escape(first)
        );
        if days.len() > 1 {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{ly}" font-size="10" text-anchor="end" fill="#6b7280">{}</text>"##,
                WIDTH - RIGHT,
                escape(last)
            );
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let colour = colour(i);
        let label = escape(&line.label);
        // A gap (a day without a value) starts a new segment.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let mut segments = Vec::new();
        for (day, value) in line.values.iter().enumerate() {
            match value {
                Some(v) => segment.push((x(day), y(*v))),
                None => segments.push(std::mem::take(&mut segment)),
            }
        }
        segments.push(segment);
        let _ = write!(out, r#"<g class="pg-trend__line" data-series="{label}">"#);
        for segment in segments.iter().filter(|s| !s.is_empty()) {
            if segment.len() > 1 {
                let points: Vec<String> = segment
                    .iter()
                    .map(|(px, py)| format!("{px:.1},{py:.1}"))
                    .collect();
                let _ = write!(
                    out,
                    r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                    points.join(" ")
                );
            }
        }
        for (day, value) in line.values.iter().enumerate() {
            if let Some(v) = value {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{label} {}: {:.0}%</title></circle>"#,
                    x(day),
                    y(*v),
                    days.get(day).map(|d| escape(d)).unwrap_or_default(),
                    v * 100.0
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}
