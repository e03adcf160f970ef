use portico_markdown::{Section, TocEntry};

use crate::{html, page};

fn toc(md: &str) -> Vec<(u8, String, String)> {
    page(md)
        .toc
        .into_iter()
        .map(|TocEntry { level, id, title }| (level, id, title))
        .collect()
}

#[test]
fn heading_markup_has_id_and_permalink() {
    assert_eq!(
        html("## Install the `cli`\n"),
        "<h2 id=\"install-the-cli\">Install the <code>cli</code><a class=\"headerlink\" href=\"#install-the-cli\" title=\"Permanent link\">¶</a></h2>\n"
    );
}

#[test]
fn ids_are_slugs_made_unique_like_mkdocs() {
    let md = "# Hello, World!\n## Hello world\n### hello-world\n#### What's new? (v2.1)\n##### Über\n###### !!!\n## !!!\n";
    let ids: Vec<String> = toc(md).into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(
        ids,
        vec![
            "hello-world",
            "hello-world_1",
            "hello-world_2",
            "whats-new-v21",
            "über",
            "_1",
            "_2"
        ]
    );
}

#[test]
fn custom_ids_and_classes_are_kept() {
    let p = page("## Setup {#setup-steps .wide}\n## Setup\n## Other {#setup}\n");
    assert!(
        p.html.contains("<h2 id=\"setup-steps\" class=\"wide\">Setup<a class=\"headerlink\" href=\"#setup-steps\""),
        "{}",
        p.html
    );
    let ids: Vec<&str> = p.toc.iter().map(|t| t.id.as_str()).collect();
    // `{#setup}` is the author's choice even though the second heading got
    // that id first: mkdocs keeps attribute-list ids as written.
    assert_eq!(ids, vec!["setup-steps", "setup", "setup"]);
}

#[test]
fn toc_lists_every_level_with_plain_titles() {
    assert_eq!(
        toc("# One\n## *Two* [link](x.md)\n### `three`\n#### Four\n##### Five\n###### Six\nSetext\n------\n"),
        vec![
            (1, "one".to_string(), "One".to_string()),
            (2, "two-link".to_string(), "Two link".to_string()),
            (3, "three".to_string(), "three".to_string()),
            (4, "four".to_string(), "Four".to_string()),
            (5, "five".to_string(), "Five".to_string()),
            (6, "six".to_string(), "Six".to_string()),
            (2, "setext".to_string(), "Setext".to_string()),
        ]
    );
}

#[test]
fn headings_inside_admonitions_and_tabs_get_ids_and_toc_entries() {
    let md = "!!! note\n    ## In note\n\n=== \"A\"\n    ### In tab\n";
    let p = page(md);
    assert_eq!(
        toc(md),
        vec![
            (2, "in-note".to_string(), "In note".to_string()),
            (3, "in-tab".to_string(), "In tab".to_string()),
        ]
    );
    assert!(p.html.contains("<h2 id=\"in-note\">"), "{}", p.html);
    assert!(p.html.contains("<h3 id=\"in-tab\">"), "{}", p.html);
}

#[test]
fn sections_split_text_at_every_heading() {
    let md = "Intro  text\nover lines.\n\n# Title\n\nFirst *para*.\n\nSecond `code`.\n\n```yaml\nkey: value\n```\n\n## Empty\n### Deep\n\n- item one\n- item two\n\n| a | b |\n|---|---|\n| c | d |\n";
    assert_eq!(
        page(md).sections,
        vec![
            Section {
                heading: String::new(),
                anchor: String::new(),
                level: 0,
                text: "Intro text over lines.".into(),
            },
            Section {
                heading: "Title".into(),
                anchor: "title".into(),
                level: 1,
                text: "First para. Second code. key: value".into(),
            },
            Section {
                heading: "Empty".into(),
                anchor: "empty".into(),
                level: 2,
                text: String::new(),
            },
            Section {
                heading: "Deep".into(),
                anchor: "deep".into(),
                level: 3,
                text: "item one item two a b c d".into(),
            },
        ]
    );
}

#[test]
fn empty_preamble_is_omitted_and_block_titles_are_section_text() {
    let p = page("# A\n\n!!! warning \"Mind the `gap`\"\n    Body.\n\n=== \"Tab one\"\n    x\n\n> [!TIP]\n> Hint.\n");
    assert_eq!(p.sections.len(), 1);
    assert_eq!(p.sections[0].heading, "A");
    assert_eq!(p.sections[0].text, "Mind the gap Body. Tab one x Tip Hint.");
}
