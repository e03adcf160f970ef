use portico_markdown::FrontMatter;

use crate::{page, Recorder};

#[test]
fn fields_are_read_and_the_block_is_not_rendered() {
    let p = page("---\ntitle: Restart the API\ndescription: When it hangs\ntags: [api, oncall]\n---\n# Heading\n");
    assert_eq!(
        p.front_matter,
        FrontMatter {
            title: Some("Restart the API".into()),
            description: Some("When it hangs".into()),
            tags: vec!["api".into(), "oncall".into()],
        }
    );
    assert_eq!(p.title.as_deref(), Some("Restart the API"));
    assert!(!p.html.contains("description"), "{}", p.html);
    assert!(!p.html.contains("<hr"), "{}", p.html);
    assert!(p.warnings.is_empty());
}

#[test]
fn title_falls_back_to_the_first_h1() {
    let p = page("## Second level\n\n# First *one*\n\n# Second one\n");
    assert_eq!(p.title.as_deref(), Some("First one"));
    assert_eq!(p.front_matter, FrontMatter::default());
    let p = page("---\ndescription: d\n---\n# From heading\n");
    assert_eq!(p.title.as_deref(), Some("From heading"));
    assert_eq!(page("no headings").title, None);
}

#[test]
fn invalid_yaml_warns_at_line_1_and_is_dropped() {
    let links = Recorder::default();
    let p = links.render("---\ntitle: [oops\n---\n\nSee [x](missing.md).\n");
    assert!(!p.html.contains("oops"), "{}", p.html);
    assert_eq!(p.front_matter, FrontMatter::default());
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].line, 1);
    assert!(
        p.warnings[0].message.contains("front matter"),
        "{:?}",
        p.warnings
    );
    // The page after the dropped block still counts lines of the file.
    assert_eq!(p.warnings[1].line, 5);
}

#[test]
fn a_leading_rule_without_yaml_mapping_is_content() {
    let p = page("---\n\nJust a rule.\n\n---\n");
    assert_eq!(p.front_matter, FrontMatter::default());
    assert!(p.html.contains("<p>Just a rule.</p>"), "{}", p.html);
    assert!(p.html.contains("<hr"), "{}", p.html);
    assert!(p.warnings.is_empty());
}
