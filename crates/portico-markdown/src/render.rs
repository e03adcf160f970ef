//! The walk over pulldown-cmark's events: it gives headings ids and
//! permalinks, collects the table of contents and the sections, rewrites and
//! checks URLs, highlights code, and turns the pre-pass's markers into
//! admonitions and tabs. What it does not change goes to pulldown-cmark's
//! own HTML writer, in one pass so footnote numbering stays right.

use pulldown_cmark::{
    html, Alignment, CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd,
};

use crate::highlight::{code_block, mermaid_block, Info};
use crate::markup;
use crate::prepass::{Collapse, Directive, Prepared};
use crate::sanitize::{classify, UrlKind};
use crate::text::{escape_text, slugify, Ids, PlainText};
use crate::{Links, PageWarning, Section, TocEntry};

/// The extensions mkdocs-material sites use. Smart punctuation stays off:
/// mkdocs does not enable `smarty` by default, and runbooks put command
/// lines in prose, where `--force` turning into an en dash breaks
/// copy-and-paste.
const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_FOOTNOTES)
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_HEADING_ATTRIBUTES)
    .union(Options::ENABLE_GFM)
    .union(Options::ENABLE_DEFINITION_LIST);

/// What the walk produced.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// The HTML, not yet sanitized.
    pub(crate) html: String,
    /// The page had raw HTML (outside the pre-pass's markers): only then
    /// can the HTML hold anything the sanitizer would remove.
    pub(crate) has_raw_html: bool,
    pub(crate) has_mermaid: bool,
    pub(crate) first_h1: Option<String>,
    pub(crate) toc: Vec<TocEntry>,
    pub(crate) sections: Vec<Section>,
    pub(crate) warnings: Vec<PageWarning>,
}

pub(crate) fn walk(prepared: &Prepared, links: &dyn Links) -> Walked {
    let mut walker = Walker {
        prepared,
        links,
        events: Vec::new(),
        out: Walked::default(),
        ids: Ids::default(),
        section: Section {
            heading: String::new(),
            anchor: String::new(),
            level: 0,
            text: String::new(),
        },
        text: PlainText::default(),
        heading: None,
        code: None,
        image: None,
        table: Table::default(),
        open: Vec::new(),
        tab_sets: 0,
    };
    for (event, range) in Parser::new_ext(&prepared.text, OPTIONS).into_offset_iter() {
        walker.event(event, range.start);
    }
    walker.finish()
}

struct Walker<'p> {
    prepared: &'p Prepared,
    links: &'p dyn Links,
    /// The events for pulldown-cmark's HTML writer.
    events: Vec<Event<'p>>,
    out: Walked,
    ids: Ids,
    /// The section being collected, its text in `text`.
    section: Section,
    text: PlainText,
    heading: Option<Heading<'p>>,
    code: Option<Code>,
    image: Option<Image>,
    table: Table,
    /// Admonitions and tabs open at this point, so a stray close marker
    /// (one whose opening an unclosed raw HTML comment swallowed) is dropped
    /// instead of closing someone else's element.
    open: Vec<Open>,
    tab_sets: usize,
}

/// A heading being collected: its events are held back until its text,
/// and so its id, is known.
struct Heading<'p> {
    level: u8,
    id: Option<String>,
    classes: Vec<String>,
    events: Vec<Event<'p>>,
    text: PlainText,
}

struct Code {
    /// `None` for an indented code block.
    info: Option<Info>,
    text: String,
}

struct Image {
    src: Option<String>,
    title: String,
    alt: PlainText,
    /// Images nested in the alt text, whose ends must not end this one.
    nested: usize,
}

#[derive(Default)]
struct Table {
    alignments: Vec<Alignment>,
    in_head: bool,
    cell: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Admonition(Collapse),
    TabSet,
    Tab,
}

impl<'p> Walker<'p> {
    fn event(&mut self, event: Event<'p>, offset: usize) {
        // No author text is on a line the pre-pass inserted: this is the
        // indentation before an indented marker, or a marker an indented
        // code block swallowed.
        if matches!(event, Event::Text(_)) && self.prepared.is_inserted(offset) {
            return;
        }
        if self.image.is_some() {
            return self.image_event(event);
        }
        if let Some(code) = &mut self.code {
            match event {
                Event::Text(t) => code.text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => self.finish_code(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag, offset),
            Event::End(tag) => self.end(tag),
            // Text is escaped here rather than by pulldown-cmark's writer,
            // which leaves no-break spaces raw where html5ever writes
            // `&nbsp;`: the HTML is then the same whether or not the page
            // goes through the sanitizer.
            Event::Text(t) => {
                self.plain(&t);
                self.emit_html(escape_text(&t));
            }
            Event::Code(t) => {
                self.plain(&t);
                self.emit_html(format!("<code>{}</code>", escape_text(&t)));
            }
            Event::Html(h) => match self.prepared.directive_at(offset) {
                Some(directive) => self.directive(directive),
                None => self.raw_html(Event::Html(h)),
            },
            Event::InlineHtml(h) => self.raw_html(Event::InlineHtml(h)),
            Event::SoftBreak => {
                self.plain(" ");
                self.emit(event);
            }
            // These three as HTML5 writes them (pulldown-cmark writes XHTML's
            // `<br />`), so pages look the same with or without the
            // sanitizer's re-serialisation.
            Event::HardBreak => {
                self.plain(" ");
                self.emit_html("<br>\n");
            }
            Event::Rule => {
                self.text.gap();
                self.emit_html("<hr>\n");
            }
            Event::TaskListMarker(checked) => {
                let checked = if checked { " checked=\"\"" } else { "" };
                self.emit_html(format!(
                    "<input disabled=\"\" type=\"checkbox\"{checked}>\n"
                ));
            }
            other => self.emit(other),
        }
    }

    fn start(&mut self, tag: Tag<'p>, offset: usize) {
        match tag {
            // Only the id and classes of `{#id .class key=value}` are used:
            // an author-chosen attribute could be `onclick`.
            Tag::Heading {
                level, id, classes, ..
            } => {
                self.heading = Some(Heading {
                    level: level as u8,
                    id: id.map(|id| id.to_string()),
                    classes: classes.iter().map(|c| c.to_string()).collect(),
                    events: Vec::new(),
                    text: PlainText::default(),
                });
            }
            Tag::CodeBlock(kind) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => Some(Info::parse(&info)),
                    CodeBlockKind::Indented => None,
                };
                self.code = Some(Code {
                    info,
                    text: String::new(),
                });
            }
            Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            } => {
                let href = if link_type == LinkType::Email {
                    Some(format!("mailto:{dest_url}"))
                } else {
                    self.url(&dest_url, offset)
                };
                self.emit_html(markup::link_open(href.as_deref(), &title));
            }
            Tag::Image {
                dest_url, title, ..
            } => {
                self.image = Some(Image {
                    src: self.url(&dest_url, offset),
                    title: title.to_string(),
                    alt: PlainText::default(),
                    nested: 0,
                });
            }
            Tag::BlockQuote(Some(kind)) => {
                self.text.gap();
                let html = markup::alert_open(kind, &mut self.text);
                self.emit_html(html);
            }
            Tag::Table(alignments) => {
                self.table = Table {
                    alignments,
                    in_head: false,
                    cell: 0,
                };
                self.emit_html("<table>\n");
            }
            Tag::TableHead => {
                self.table.in_head = true;
                self.table.cell = 0;
                self.emit_html("<thead><tr>");
            }
            Tag::TableRow => {
                self.table.cell = 0;
                self.emit_html("<tr>");
            }
            Tag::TableCell => {
                let element = if self.table.in_head { "th" } else { "td" };
                // `align` rather than pulldown-cmark's `style`: the sanitizer
                // removes every `style` attribute.
                let align = match self.table.alignments.get(self.table.cell) {
                    Some(Alignment::Left) => " align=\"left\"",
                    Some(Alignment::Center) => " align=\"center\"",
                    Some(Alignment::Right) => " align=\"right\"",
                    _ => "",
                };
                self.emit_html(format!("<{element}{align}>"));
            }
            other => {
                if is_block(&other.to_end()) {
                    self.text.gap();
                }
                self.emit(Event::Start(other));
            }
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => self.finish_heading(),
            TagEnd::BlockQuote(Some(_)) => {
                self.text.gap();
                self.emit_html("</div>\n");
            }
            TagEnd::Table => self.emit_html("</tbody></table>\n"),
            TagEnd::TableHead => {
                self.table.in_head = false;
                self.emit_html("</tr></thead><tbody>\n");
            }
            TagEnd::TableRow => self.emit_html("</tr>\n"),
            TagEnd::TableCell => {
                self.text.gap();
                self.table.cell += 1;
                let element = if self.table.in_head { "th" } else { "td" };
                self.emit_html(format!("</{element}>"));
            }
            other => {
                if is_block(&other) {
                    self.text.gap();
                }
                self.emit(Event::End(other));
            }
        }
    }

    /// Inside an image only its alt text counts; pulldown-cmark nests the
    /// alt text's inline markup (even links and images) in the image.
    fn image_event(&mut self, event: Event<'p>) {
        let Some(image) = &mut self.image else { return };
        match event {
            Event::Text(t) | Event::Code(t) => image.alt.push(&t),
            Event::SoftBreak | Event::HardBreak => image.alt.push(" "),
            Event::Start(Tag::Image { .. }) => image.nested += 1,
            Event::End(TagEnd::Image) if image.nested > 0 => image.nested -= 1,
            Event::End(TagEnd::Image) => {
                let html = markup::image(image.src.as_deref(), &image.alt.take(), &image.title);
                self.image = None;
                self.emit_html(html);
            }
            _ => {}
        }
    }

    fn raw_html(&mut self, event: Event<'p>) {
        self.out.has_raw_html = true;
        self.emit(event);
    }

    fn directive(&mut self, directive: &Directive) {
        let html = match directive {
            Directive::AdmonitionOpen {
                classes,
                title,
                collapse,
            } => {
                self.open.push(Open::Admonition(*collapse));
                self.text.gap();
                markup::admonition_open(classes, title.as_deref(), *collapse, &mut self.text)
            }
            Directive::TabSetOpen { titles, selected } => {
                self.open.push(Open::TabSet);
                self.tab_sets += 1;
                self.text.gap();
                markup::tab_set_open(self.tab_sets, titles, *selected, &mut self.text)
            }
            Directive::TabOpen => {
                self.open.push(Open::Tab);
                markup::TAB_OPEN.to_string()
            }
            Directive::AdmonitionClose { collapse } => {
                match self.close(Open::Admonition(*collapse)) {
                    Some(html) => html,
                    None => return,
                }
            }
            Directive::TabClose => match self.close(Open::Tab) {
                Some(html) => html,
                None => return,
            },
            Directive::TabSetClose => match self.close(Open::TabSet) {
                Some(html) => html,
                None => return,
            },
        };
        self.emit_html(html);
    }

    /// The closing HTML for `what`, if it is the innermost open block.
    fn close(&mut self, what: Open) -> Option<String> {
        if self.open.last() != Some(&what) {
            return None;
        }
        self.open.pop();
        self.text.gap();
        Some(closing(what).to_string())
    }

    /// The `href`/`src` for a link or image URL, `None` if it is blocked.
    fn url(&mut self, url: &str, offset: usize) -> Option<String> {
        match classify(url) {
            UrlKind::Keep => Some(url.to_string()),
            UrlKind::Blocked => None,
            UrlKind::Relative => {
                let line = self.prepared.source_line(offset);
                let rewrite = self.links.rewrite(url, line);
                if let Some(message) = rewrite.warning {
                    self.out.warnings.push(PageWarning { line, message });
                }
                // The site's answer is checked too: it is built from the
                // author's text.
                (classify(&rewrite.href) != UrlKind::Blocked).then_some(rewrite.href)
            }
        }
    }

    fn finish_code(&mut self) {
        let Some(code) = self.code.take() else { return };
        let html = match &code.info {
            Some(info) if info.is_mermaid() => {
                self.out.has_mermaid = true;
                mermaid_block(&code.text)
            }
            Some(info) => code_block(&code.text, info),
            None => code_block(&code.text, &Info::default()),
        };
        self.text.gap();
        self.text.push(&code.text);
        self.text.gap();
        self.emit_html(html);
    }

    fn finish_heading(&mut self) {
        let Some(mut heading) = self.heading.take() else {
            return;
        };
        let title = heading.text.take();
        let id = match heading.id.take() {
            Some(id) => {
                self.ids.claim(&id);
                id
            }
            None => self.ids.unique(slugify(&title)),
        };
        if heading.level == 1 && self.out.first_h1.is_none() {
            self.out.first_h1 = Some(title.clone());
        }
        self.out.toc.push(TocEntry {
            level: heading.level,
            id: id.clone(),
            title: title.clone(),
        });
        self.end_section(Section {
            heading: title,
            anchor: id.clone(),
            level: heading.level,
            text: String::new(),
        });
        self.events.push(html_event(markup::heading_open(
            heading.level,
            &id,
            &heading.classes,
        )));
        self.events.append(&mut heading.events);
        self.events
            .push(html_event(markup::heading_close(heading.level, &id)));
    }

    /// Stores the current section (the one before the first heading only
    /// if it has text) and starts `next`.
    fn end_section(&mut self, next: Section) {
        let mut done = std::mem::replace(&mut self.section, next);
        done.text = self.text.take();
        if done.level > 0 || !done.text.is_empty() {
            self.out.sections.push(done);
        }
    }

    fn finish(mut self) -> Walked {
        while let Some(open) = self.open.pop() {
            self.events.push(html_event(closing(open).to_string()));
        }
        self.end_section(Section {
            heading: String::new(),
            anchor: String::new(),
            level: 0,
            text: String::new(),
        });
        let mut html = String::with_capacity(self.prepared.text.len() * 3 / 2);
        html::push_html(&mut html, self.events.into_iter());
        self.out.html = html;
        self.out
    }

    fn plain(&mut self, text: &str) {
        match &mut self.heading {
            Some(heading) => heading.text.push(text),
            None => self.text.push(text),
        }
    }

    fn emit(&mut self, event: Event<'p>) {
        match &mut self.heading {
            Some(heading) => heading.events.push(event),
            None => self.events.push(event),
        }
    }

    fn emit_html(&mut self, html: impl Into<String>) {
        self.emit(html_event(html.into()));
    }
}

/// Whether words either side of this tag are separate words in plain text.
fn is_block(tag: &TagEnd) -> bool {
    !matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

fn closing(open: Open) -> &'static str {
    match open {
        Open::Admonition(collapse) => markup::admonition_close(collapse),
        Open::TabSet => markup::TAB_SET_CLOSE,
        Open::Tab => markup::TAB_CLOSE,
    }
}

fn html_event(html: String) -> Event<'static> {
    Event::Html(CowStr::from(html))
}
