//! The stylesheet for the highlighting classes.

/// The stylesheet for the highlighting classes: GitHub's light or dark
/// palette for the scopes most grammars share, scoped to `.highlight`.
///
/// A theme that switches colour schemes includes both, the dark one inside
/// its dark selector or `@media (prefers-color-scheme: dark)`.
pub fn highlight_css(dark: bool) -> String {
    let p = if dark { &DARK } else { &LIGHT };
    let rules: [(&str, String); 15] = [
        ("comment", format!("color:{};font-style:italic", p.comment)),
        ("string", format!("color:{}", p.string)),
        ("constant", format!("color:{}", p.constant)),
        ("keyword", format!("color:{}", p.keyword)),
        ("storage", format!("color:{}", p.keyword)),
        ("entity.hl-name", format!("color:{}", p.entity)),
        (
            "entity.hl-other.hl-attribute-name",
            format!("color:{}", p.entity),
        ),
        ("entity.hl-name.hl-tag", format!("color:{}", p.tag)),
        ("variable", format!("color:{}", p.variable)),
        ("variable.hl-function", format!("color:{}", p.entity)),
        ("support", format!("color:{}", p.constant)),
        (
            "markup.hl-heading",
            format!("color:{};font-weight:bold", p.constant),
        ),
        (
            "markup.hl-inserted",
            format!("color:{};background:{}", p.inserted.0, p.inserted.1),
        ),
        (
            "markup.hl-deleted",
            format!("color:{};background:{}", p.deleted.0, p.deleted.1),
        ),
        ("invalid", format!("color:{}", p.invalid)),
    ];
    let mut css = String::new();
    for (selector, body) in rules {
        css.push_str(".highlight .hl-");
        css.push_str(selector);
        css.push('{');
        css.push_str(&body);
        css.push_str("}\n");
    }
    css.push_str(".highlight .hl-markup.hl-bold{font-weight:bold}\n");
    css.push_str(".highlight .hl-markup.hl-italic{font-style:italic}\n");
    css
}

struct Palette {
    comment: &'static str,
    string: &'static str,
    constant: &'static str,
    keyword: &'static str,
    entity: &'static str,
    tag: &'static str,
    variable: &'static str,
    invalid: &'static str,
    inserted: (&'static str, &'static str),
    deleted: (&'static str, &'static str),
}

const LIGHT: Palette = Palette {
    comment: "#6a737d",
    string: "#032f62",
    constant: "#005cc5",
    keyword: "#d73a49",
    entity: "#6f42c1",
    tag: "#22863a",
    variable: "#e36209",
    invalid: "#b31d28",
    inserted: ("#22863a", "#f0fff4"),
    deleted: ("#b31d28", "#ffeef0"),
};

const DARK: Palette = Palette {
    comment: "#8b949e",
    string: "#a5d6ff",
    constant: "#79c0ff",
    keyword: "#ff7b72",
    entity: "#d2a8ff",
    tag: "#7ee787",
    variable: "#ffa657",
    invalid: "#f85149",
    inserted: ("#aff5b4", "#033a16"),
    deleted: ("#ffdcd7", "#67060c"),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_has_both_palettes() {
        let light = highlight_css(false);
        let dark = highlight_css(true);
        assert!(light.contains(".highlight .hl-comment{color:#6a737d;font-style:italic}"));
        assert!(dark.contains(".highlight .hl-keyword{color:#ff7b72}"));
        assert_ne!(light, dark);
    }
}
