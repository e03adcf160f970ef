//! The page templates, compiled into the binary, and the registry that
//! renders them.
//!
//! Templates HTML-escape every `{{value}}`; only fields named `*_html` or
//! `*_svg`, which Portico itself produced from escaped or sanitized parts,
//! are inserted raw with `{{{ }}}`.

use handlebars::{
    handlebars_helper, Context, Handlebars, Helper, HelperResult, Output, RenderContext,
    RenderError, RenderErrorReason,
};
use serde::Serialize;
use serde_json::{json, Value};

/// Every template: `(name, source)`. Pages use `layout` as a partial block;
/// the others are partials.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../templates/layout.hbs")),
    ("cell", include_str!("../templates/cell.hbs")),
    ("catalog", include_str!("../templates/catalog.hbs")),
    ("entity_head", include_str!("../templates/entity_head.hbs")),
    ("entity", include_str!("../templates/entity.hbs")),
    (
        "entity_graph",
        include_str!("../templates/entity_graph.hbs"),
    ),
    ("entity_api", include_str!("../templates/entity_api.hbs")),
    ("schema_node", include_str!("../templates/schema_node.hbs")),
    ("docs_index", include_str!("../templates/docs_index.hbs")),
    ("nav_item", include_str!("../templates/nav_item.hbs")),
    ("docs_page", include_str!("../templates/docs_page.hbs")),
    ("search", include_str!("../templates/search.hbs")),
    ("create", include_str!("../templates/create.hbs")),
    ("form_field", include_str!("../templates/form_field.hbs")),
    (
        "template_form",
        include_str!("../templates/template_form.hbs"),
    ),
    (
        "template_review",
        include_str!("../templates/template_review.hbs"),
    ),
    ("task", include_str!("../templates/task.hbs")),
    ("tasks", include_str!("../templates/tasks.hbs")),
    ("import", include_str!("../templates/import.hbs")),
    ("confirm", include_str!("../templates/confirm.hbs")),
    ("scorecards", include_str!("../templates/scorecards.hbs")),
    ("error", include_str!("../templates/error.hbs")),
    ("sign_in", include_str!("../templates/sign_in.hbs")),
];

/// A page of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Catalog,
    Entity,
    EntityGraph,
    EntityApi,
    DocsIndex,
    DocsPage,
    Search,
    Create,
    TemplateForm,
    TemplateReview,
    Task,
    Tasks,
    Import,
    Confirm,
    Scorecards,
    Error,
    SignIn,
}

impl Page {
    pub const ALL: [Page; 17] = [
        Page::Catalog,
        Page::Entity,
        Page::EntityGraph,
        Page::EntityApi,
        Page::DocsIndex,
        Page::DocsPage,
        Page::Search,
        Page::Create,
        Page::TemplateForm,
        Page::TemplateReview,
        Page::Task,
        Page::Tasks,
        Page::Import,
        Page::Confirm,
        Page::Scorecards,
        Page::Error,
        Page::SignIn,
    ];

    fn template(self) -> &'static str {
        match self {
            Page::Catalog => "catalog",
            Page::Entity => "entity",
            Page::EntityGraph => "entity_graph",
            Page::EntityApi => "entity_api",
            Page::DocsIndex => "docs_index",
            Page::DocsPage => "docs_page",
            Page::Search => "search",
            Page::Create => "create",
            Page::TemplateForm => "template_form",
            Page::TemplateReview => "template_review",
            Page::Task => "task",
            Page::Tasks => "tasks",
            Page::Import => "import",
            Page::Confirm => "confirm",
            Page::Scorecards => "scorecards",
            Page::Error => "error",
            Page::SignIn => "sign_in",
        }
    }
}

/// Which top navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Catalog,
    Docs,
    Create,
    Import,
    Search,
    Scorecards,
}

/// What the layout shows around every page.
#[derive(Debug, Clone, Serialize)]
pub struct Chrome {
    pub section: Section,
    /// The signed-in user (`ref`, `name`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Value>,
    /// Extra scripts (file names under `/static/`) the page needs.
    pub scripts: Vec<&'static str>,
}

impl Chrome {
    pub fn new(section: Section) -> Chrome {
        Chrome {
            section,
            user: None,
            scripts: Vec::new(),
        }
    }

    pub fn with_script(mut self, script: &'static str) -> Chrome {
        self.scripts.push(script);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("page template {name}: {message}")]
    Template { name: String, message: String },
    #[error("rendering page {page}: {message}")]
    Render { page: &'static str, message: String },
}

/// The compiled templates, built once: they are constants of the binary
/// (a test renders every page), not configuration.
pub fn pages() -> Result<&'static Pages, &'static PageError> {
    static PAGES: std::sync::LazyLock<Result<Pages, PageError>> =
        std::sync::LazyLock::new(Pages::new);
    PAGES.as_ref()
}

/// The compiled templates.
pub struct Pages {
    registry: Handlebars<'static>,
    /// Changes with the assets, so browsers refetch them after an upgrade.
    asset_version: String,
}

handlebars_helper!(starts_with: |s: str, prefix: str| s.starts_with(prefix));

/// `{{json value}}`: JSON for a `<script type="application/json">` block,
/// with `<`, `>` and `&` escaped so the text cannot close the element.
fn json_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .map(|p| p.value().clone())
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("json", 0)))?;
    let text = serde_json::to_string(&value)
        .map_err(|e| RenderError::from(RenderErrorReason::Other(e.to_string())))?
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    out.write(&text)?;
    Ok(())
}

impl Pages {
    pub fn new() -> Result<Pages, PageError> {
        let mut registry = Handlebars::new();
        // Optional fields are left out of the data rather than set to
        // null, which strict mode would refuse; the tests render every page
        // with full and with minimal data instead.
        registry.set_strict_mode(false);
        registry.register_helper("starts_with", Box::new(starts_with));
        registry.register_helper("json", Box::new(json_helper));
        for (name, source) in TEMPLATES {
            registry
                .register_template_string(name, source)
                .map_err(|e| PageError::Template {
                    name: (*name).to_owned(),
                    message: e.to_string(),
                })?;
        }
        Ok(Pages {
            registry,
            asset_version: crate::assets::version(),
        })
    }

    /// Renders `page` with `data` (an object) and the layout's `chrome`.
    pub fn render(&self, page: Page, chrome: &Chrome, data: Value) -> Result<String, PageError> {
        let mut data = match data {
            Value::Object(map) => map,
            other => {
                let mut map = serde_json::Map::new();
                map.insert("value".to_owned(), other);
                map
            }
        };
        let mut chrome = json!(chrome);
        if let Some(map) = chrome.as_object_mut() {
            map.insert("version".to_owned(), json!(self.asset_version));
            map.insert(
                "product_version".to_owned(),
                json!(env!("CARGO_PKG_VERSION")),
            );
        }
        data.insert("_chrome".to_owned(), chrome);
        self.registry
            .render(page.template(), &Value::Object(data))
            .map_err(|e| PageError::Render {
                page: page.template(),
                message: e.to_string(),
            })
    }
}
