//! OpenAPI definitions as a readable list of operations.
//!
//! [`parse_openapi`] turns the text of an API entity's `spec.definition`
//! (OpenAPI 3.0 or 3.1, or Swagger 2.0; YAML or JSON) into a view model for
//! the API page: operations grouped by tag, with parameters, bodies and
//! responses, and schemas as trees of [`SchemaNode`]s with a one-line type
//! label each. Only references inside the document are followed; anything
//! else is named, never fetched.
//!
//! Definitions come from any repository the catalog reads, so the walk is
//! bounded: reference cycles are cut, nesting stops at [`MAX_SCHEMA_DEPTH`]
//! and a whole view holds about [`SCHEMA_NODE_BUDGET`] schema nodes.

use std::collections::HashSet;

use serde::Serialize;
use serde_yaml::{Mapping, Value};

/// Schema nodes expanded per [`ApiView`]. Past it, nodes are still created
/// for the schema of each parameter, body and response (so the type label
/// shows) but not expanded.
pub const SCHEMA_NODE_BUDGET: usize = 2000;
/// Nesting of schema nodes below a parameter, body or response.
pub const MAX_SCHEMA_DEPTH: usize = 8;
/// A chain of `$ref`s longer than this is treated as unresolvable.
const MAX_REF_CHAIN: usize = 16;
/// Labels describe nested arrays and unions only this deep.
const MAX_LABEL_DEPTH: usize = 4;
const MAX_ENUM_VALUES: usize = 12;
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[derive(Debug, Clone, Serialize)]
pub struct ApiView {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    pub servers: Vec<String>,
    pub groups: Vec<OperationGroup>,
    pub operation_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct OperationGroup {
    /// The operations' first tag, or `default`.
    pub tag: String,
    pub description: Option<String>,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// Unique within the view and safe as an HTML id: the `operationId`, or a
    /// slug of method and path.
    pub id: String,
    /// Lowercase.
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    /// Path-level and operation-level parameters, by location
    /// (path, query, header, cookie), each location in document order.
    pub parameters: Vec<Parameter>,
    pub request_body: Option<Body>,
    pub responses: Vec<Response>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    /// `path`, `query`, `header` or `cookie` (`unknown` for an unresolvable reference).
    pub location: String,
    pub required: bool,
    pub description: Option<String>,
    pub schema: Option<SchemaNode>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Body {
    pub required: bool,
    pub description: Option<String>,
    pub content: Vec<MediaType>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MediaType {
    pub content_type: String,
    pub schema: Option<SchemaNode>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// `200`, `4XX`, `default`, ...
    pub status: String,
    pub description: String,
    pub content: Vec<MediaType>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchemaNode {
    /// The property name, for a node that is an object's property.
    pub name: Option<String>,
    /// One line for the reader: `string (date-time)`, `array of Pet`,
    /// `integer ≥ 0`, `one of: Cat | Dog`, `enum: a, b`, `external: <ref>`.
    pub type_label: String,
    /// `Pet` for a schema reached through `#/components/schemas/Pet`.
    pub ref_name: Option<String>,
    pub required: bool,
    pub description: Option<String>,
    /// Object properties (`allOf` members merged in), an array item's or a
    /// map value's properties, or the members of `oneOf`/`anyOf`.
    pub children: Vec<SchemaNode>,
    /// Children were cut at a reference already on the path from the root.
    pub recursive: bool,
    /// Children were left out by the depth cap or the node budget.
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// The text is not YAML or JSON; the message carries line and column.
    #[error("the API definition is not valid YAML or JSON: {0}")]
    Parse(String),
    #[error("the API definition is not an OpenAPI 3 or Swagger 2 document: {0}")]
    NotOpenApi(String),
}

/// The operations of an OpenAPI 3.0/3.1 or Swagger 2.0 definition, grouped
/// by tag: by the top-level `tags` list first, then by first appearance.
pub fn parse_openapi(definition: &str) -> Result<ApiView, OpenApiError> {
    let doc = parse_document(definition)?;
    let swagger = dialect(&doc)?;
    let mut builder = Builder {
        root: &doc,
        swagger,
        used: 0,
        path: Vec::new(),
    };
    Ok(builder.view())
}

fn parse_document(text: &str) -> Result<Value, OpenApiError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    // JSON first for JSON-looking text: the YAML parser is YAML 1.1 and
    // stumbles over a few things JSON allows.
    if trimmed.starts_with('{') {
        if let Ok(doc) = serde_json::from_str::<Value>(trimmed) {
            return Ok(doc);
        }
    }
    let mut doc: Value =
        serde_yaml::from_str(text).map_err(|e| OpenApiError::Parse(e.to_string()))?;
    // Merge keys (`<<: *base`) are a convenience; if they don't apply, the
    // document is read as written.
    let _ = doc.apply_merge();
    Ok(doc)
}

/// True for Swagger 2, false for OpenAPI 3.
fn dialect(doc: &Value) -> Result<bool, OpenApiError> {
    let not = |what: String| Err(OpenApiError::NotOpenApi(what));
    let Some(map) = untag(doc).as_mapping() else {
        return not(format!("found {}", describe(doc)));
    };
    if let Some(v) = get(doc, "openapi") {
        let version = text(v).unwrap_or_default();
        if version.starts_with("3.") || version == "3" {
            return Ok(false);
        }
        return not(format!(
            "`openapi: {version}` is not a version this viewer reads (3.0, 3.1)"
        ));
    }
    if let Some(v) = get(doc, "swagger") {
        let version = text(v).unwrap_or_default();
        if version.starts_with('2') {
            return Ok(true);
        }
        return not(format!(
            "`swagger: {version}` is not a version this viewer reads (2.0)"
        ));
    }
    if let Some(v) = get(doc, "asyncapi") {
        return not(format!(
            "found an AsyncAPI {} document",
            text(v).unwrap_or_default()
        ));
    }
    if let (Some(api_version), Some(kind)) = (get_text(doc, "apiVersion"), get_text(doc, "kind")) {
        return not(format!(
            "found a catalog entity of kind `{kind}` ({api_version}), not the document in its spec.definition"
        ));
    }
    let keys: Vec<String> = map.keys().filter_map(text).collect();
    let shown = keys.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    let more = if keys.len() > 8 {
        format!(" and {} more", keys.len() - 8)
    } else {
        String::new()
    };
    not(format!(
        "found a mapping with keys {shown}{more} but no `openapi` or `swagger` field"
    ))
}

fn describe(v: &Value) -> &'static str {
    match untag(v) {
        Value::Null => "an empty document",
        Value::Bool(_) => "a boolean, not a mapping",
        Value::Number(_) => "a number, not a mapping",
        Value::String(_) => "plain text, not a mapping",
        Value::Sequence(_) => "a list, not a mapping",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value, not a mapping",
    }
}

fn untag(v: &Value) -> &Value {
    let mut v = v;
    while let Value::Tagged(t) = v {
        v = &t.value;
    }
    v
}

fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    untag(v).as_mapping()?.get(key).map(untag)
}

fn get_str<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    get(v, key)?.as_str()
}

/// A scalar as text: strings, numbers and booleans (YAML reads `version: 1.0`
/// and status `200:` as numbers).
fn text(v: &Value) -> Option<String> {
    match untag(v) {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get_text(v: &Value, key: &str) -> Option<String> {
    get(v, key).and_then(text)
}

/// A prose field, None when absent or blank.
fn prose(v: &Value, key: &str) -> Option<String> {
    get_text(v, key).filter(|s| !s.trim().is_empty())
}

fn flag(v: &Value, key: &str) -> bool {
    get(v, key).and_then(Value::as_bool).unwrap_or(false)
}

fn seq(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_sequence).map_or(&[], Vec::as_slice)
}

/// A mapping's entries whose keys are scalars; other keys are skipped.
fn entries(v: Option<&Value>) -> impl Iterator<Item = (String, &Value)> {
    v.and_then(Value::as_mapping)
        .into_iter()
        .flat_map(|m| m.iter())
        .filter_map(|(k, v)| Some((text(k)?, untag(v))))
}

fn ref_of(v: &Value) -> Option<&str> {
    get_str(v, "$ref")
}

/// `Pet` for `#/components/schemas/Pet`.
fn ref_display_name(r: &str) -> String {
    let last = r.rsplit('/').next().unwrap_or(r);
    unescape_pointer(last)
}

/// A JSON pointer segment: percent-decoded (the pointer sits in a URI
/// fragment), then `~1` → `/` and `~0` → `~`.
fn unescape_pointer(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                decoded.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&decoded)
        .replace("~1", "/")
        .replace("~0", "~")
}

fn location_rank(location: &str) -> usize {
    ["path", "query", "header", "cookie"]
        .iter()
        .position(|l| *l == location)
        .unwrap_or(4)
}

/// An HTML id: letters, digits, `-`, `_` and `.`; runs of anything else
/// become one `-`.
fn anchor(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "operation".to_string()
    } else {
        trimmed.to_string()
    }
}

struct Builder<'a> {
    root: &'a Value,
    swagger: bool,
    /// Schema nodes created so far.
    used: usize,
    /// The `$ref`s followed from the current parameter, body or response
    /// schema down to the node being built: a ref already here is a cycle.
    path: Vec<String>,
}

/// Where a `$ref` for a parameter, body or response led, when it led nowhere
/// usable: the label to show instead.
struct Unusable(String);

impl<'a> Builder<'a> {
    fn pointer(&self, r: &str) -> Option<&'a Value> {
        let fragment = r.strip_prefix('#')?;
        let mut v = untag(self.root);
        for segment in fragment.split('/').filter(|s| !s.is_empty()) {
            let key = unescape_pointer(segment);
            v = match v {
                Value::Mapping(m) => m.iter().find_map(|(k, val)| {
                    (text(k).as_deref() == Some(key.as_str())).then_some(untag(val))
                })?,
                Value::Sequence(s) => untag(s.get(key.parse::<usize>().ok()?)?),
                _ => return None,
            };
        }
        Some(v)
    }

    /// Follows `$ref`s of a parameter, body, response or path item.
    fn deref(&self, v: &'a Value) -> Result<&'a Value, Unusable> {
        let mut v = untag(v);
        for _ in 0..MAX_REF_CHAIN {
            let Some(r) = ref_of(v) else {
                return Ok(v);
            };
            if !r.starts_with('#') {
                return Err(Unusable(format!("external: {r}")));
            }
            v = self
                .pointer(r)
                .ok_or_else(|| Unusable(format!("unresolved: {r}")))?;
        }
        Err(Unusable(format!(
            "unresolved: {}",
            ref_of(v).unwrap_or_default()
        )))
    }

    fn view(&mut self) -> ApiView {
        let root = self.root;
        let info = get(root, "info");
        let title = info
            .and_then(|i| prose(i, "title"))
            .unwrap_or_else(|| "Untitled API".to_string());
        let version = info
            .and_then(|i| get_text(i, "version"))
            .unwrap_or_default();
        let description = info.and_then(|i| prose(i, "description"));
        let servers = if self.swagger {
            swagger_servers(root)
        } else {
            seq(get(root, "servers"))
                .iter()
                .filter_map(server_url)
                .collect()
        };

        let mut groups: Vec<OperationGroup> = Vec::new();
        for tag in seq(get(root, "tags")) {
            let Some(name) = get_text(tag, "name") else {
                continue;
            };
            if groups.iter().all(|g| g.tag != name) {
                groups.push(OperationGroup {
                    tag: name,
                    description: prose(tag, "description"),
                    operations: Vec::new(),
                });
            }
        }

        let mut ids = HashSet::new();
        let mut count = 0;
        for (path, item) in entries(get(root, "paths")) {
            let Ok(item) = self.deref(item) else {
                continue;
            };
            let path_params = seq(get(item, "parameters"));
            for method in METHODS {
                let Some(op) = get(item, method).filter(|op| op.is_mapping()) else {
                    continue;
                };
                let tag = seq(get(op, "tags"))
                    .first()
                    .and_then(text)
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| "default".to_string());
                let operation = self.operation(&path, method, op, path_params, &mut ids);
                count += 1;
                match groups.iter_mut().find(|g| g.tag == tag) {
                    Some(group) => group.operations.push(operation),
                    None => groups.push(OperationGroup {
                        tag,
                        description: None,
                        operations: vec![operation],
                    }),
                }
            }
        }
        groups.retain(|g| !g.operations.is_empty());

        ApiView {
            title,
            version,
            description,
            servers,
            groups,
            operation_count: count,
        }
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        op: &'a Value,
        path_params: &'a [Value],
        ids: &mut HashSet<String>,
    ) -> Operation {
        let base = match get_text(op, "operationId").filter(|s| !s.trim().is_empty()) {
            Some(op_id) => anchor(&op_id),
            None => anchor(&format!("{method}-{path}")),
        };
        let mut id = base.clone();
        let mut n = 1;
        while !ids.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }

        // Operation-level parameters replace path-level ones with the same
        // name and location, in place.
        let mut merged: Vec<(String, String, Result<&'a Value, Unusable>)> = Vec::new();
        for p in path_params.iter().chain(seq(get(op, "parameters"))) {
            let resolved = self.deref(p);
            let (name, location) = match &resolved {
                Ok(p) => (
                    get_text(p, "name").unwrap_or_default(),
                    get_text(p, "in").unwrap_or_default().to_ascii_lowercase(),
                ),
                Err(_) => (
                    ref_display_name(ref_of(p).unwrap_or_default()),
                    "unknown".to_string(),
                ),
            };
            match merged
                .iter_mut()
                .find(|(n, l, _)| *n == name && *l == location)
            {
                Some(slot) => slot.2 = resolved,
                None => merged.push((name, location, resolved)),
            }
        }

        let mut parameters = Vec::new();
        let mut body_param = None;
        let mut form_params = Vec::new();
        for (name, location, resolved) in merged {
            match resolved {
                Ok(p) if self.swagger && location == "body" => body_param = Some(p),
                Ok(p) if self.swagger && location == "formdata" => form_params.push(p),
                Ok(p) => parameters.push(self.parameter(name, location, p)),
                Err(Unusable(label)) => parameters.push(Parameter {
                    name,
                    location,
                    required: false,
                    description: None,
                    schema: Some(SchemaNode::leaf(label)),
                }),
            }
        }
        parameters.sort_by_key(|p| location_rank(&p.location));

        let request_body = if self.swagger {
            match body_param {
                Some(p) => Some(self.swagger_body(op, p)),
                None if !form_params.is_empty() => Some(self.swagger_form(op, &form_params)),
                None => None,
            }
        } else {
            get(op, "requestBody").map(|b| self.body(b))
        };

        let responses = entries(get(op, "responses"))
            .map(|(status, r)| self.response(op, status, r))
            .collect();

        Operation {
            id,
            method: method.to_string(),
            path: path.to_string(),
            summary: prose(op, "summary"),
            description: prose(op, "description"),
            deprecated: flag(op, "deprecated"),
            parameters,
            request_body,
            responses,
        }
    }

    fn parameter(&mut self, name: String, location: String, p: &'a Value) -> Parameter {
        let schema = if self.swagger {
            // Swagger 2 puts type, format, items and enum on the parameter.
            let mut node = self.schema(p);
            node.description = None;
            Some(node)
        } else if let Some(s) = get(p, "schema") {
            Some(self.schema(s))
        } else {
            entries(get(p, "content"))
                .find_map(|(_, media)| get(media, "schema"))
                .map(|s| self.schema(s))
        };
        Parameter {
            required: flag(p, "required") || location == "path",
            description: prose(p, "description"),
            name,
            location,
            schema,
        }
    }

    fn body(&mut self, b: &'a Value) -> Body {
        match self.deref(b) {
            Ok(b) => Body {
                required: flag(b, "required"),
                description: prose(b, "description"),
                content: self.content(get(b, "content")),
            },
            Err(Unusable(label)) => Body {
                required: false,
                description: None,
                content: vec![MediaType {
                    content_type: "*/*".to_string(),
                    schema: Some(SchemaNode::leaf(label)),
                }],
            },
        }
    }

    fn content(&mut self, content: Option<&'a Value>) -> Vec<MediaType> {
        entries(content)
            .map(|(content_type, media)| MediaType {
                content_type,
                schema: get(media, "schema").map(|s| self.schema(s)),
            })
            .collect()
    }

    /// Swagger 2 media types: the operation's list, else the document's.
    fn media_types(&self, op: &Value, key: &str) -> Vec<String> {
        let own: Vec<String> = seq(get(op, key)).iter().filter_map(text).collect();
        let types = if own.is_empty() {
            seq(get(self.root, key)).iter().filter_map(text).collect()
        } else {
            own
        };
        if types.is_empty() {
            vec!["application/json".to_string()]
        } else {
            types
        }
    }

    fn swagger_body(&mut self, op: &Value, p: &'a Value) -> Body {
        let content = self
            .media_types(op, "consumes")
            .into_iter()
            .map(|content_type| MediaType {
                content_type,
                schema: get(p, "schema").map(|s| self.schema(s)),
            })
            .collect();
        Body {
            required: flag(p, "required"),
            description: prose(p, "description"),
            content,
        }
    }

    /// Swagger 2 `formData` parameters as one object body.
    fn swagger_form(&mut self, op: &Value, params: &[&'a Value]) -> Body {
        let mut properties = Mapping::new();
        let mut required = Vec::new();
        for p in params {
            let Some(name) = get_text(p, "name") else {
                continue;
            };
            if flag(p, "required") {
                required.push(Value::String(name.clone()));
            }
            properties.insert(Value::String(name), (*p).clone());
        }
        let mut object = Mapping::new();
        object.insert("type".into(), "object".into());
        object.insert("properties".into(), Value::Mapping(properties));
        object.insert("required".into(), Value::Sequence(required.clone()));
        let object = Value::Mapping(object);

        let declared = self.media_types(op, "consumes");
        let mut form_types: Vec<String> = declared
            .into_iter()
            .filter(|t| t.starts_with("multipart/") || t.starts_with("application/x-www-form"))
            .collect();
        if form_types.is_empty() {
            let file = params.iter().any(|p| get_str(p, "type") == Some("file"));
            form_types.push(
                if file {
                    "multipart/form-data"
                } else {
                    "application/x-www-form-urlencoded"
                }
                .to_string(),
            );
        }
        let content = form_types
            .into_iter()
            .map(|content_type| MediaType {
                content_type,
                schema: Some(self.schema(&object)),
            })
            .collect();
        Body {
            required: !required.is_empty(),
            description: None,
            content,
        }
    }

    fn response(&mut self, op: &Value, status: String, r: &'a Value) -> Response {
        let r = match self.deref(r) {
            Ok(r) => r,
            Err(Unusable(label)) => {
                return Response {
                    status,
                    description: label,
                    content: Vec::new(),
                }
            }
        };
        let content = if self.swagger {
            match get(r, "schema") {
                Some(s) => self
                    .media_types(op, "produces")
                    .into_iter()
                    .map(|content_type| MediaType {
                        content_type,
                        schema: Some(self.schema(s)),
                    })
                    .collect(),
                None => Vec::new(),
            }
        } else {
            self.content(get(r, "content"))
        };
        Response {
            status,
            description: get_text(r, "description").unwrap_or_default(),
            content,
        }
    }

    /// The root of a schema tree under a parameter, body or response.
    fn schema(&mut self, s: &Value) -> SchemaNode {
        self.path.clear();
        self.node(s, None, false, 0)
    }

    fn node<'s>(
        &mut self,
        s: &'s Value,
        name: Option<String>,
        required: bool,
        depth: usize,
    ) -> SchemaNode
    where
        'a: 's,
    {
        self.used += 1;
        let path_len = self.path.len();
        let mut node = SchemaNode {
            name,
            required,
            ..SchemaNode::leaf(String::new())
        };
        let mut current: &'s Value = untag(s);
        let mut description = prose(current, "description");

        let mut chain = 0;
        while let Some(r) = ref_of(current) {
            if node.ref_name.is_none() && r.starts_with('#') {
                node.ref_name = Some(ref_display_name(r));
            }
            let stop = if !r.starts_with('#') {
                Some((format!("external: {r}"), false))
            } else if self.path.iter().any(|p| p == r) {
                Some((ref_display_name(r), true))
            } else if chain >= MAX_REF_CHAIN {
                Some((format!("unresolved: {r}"), false))
            } else if let Some(target) = self.pointer(r) {
                self.path.push(r.to_string());
                current = target;
                description = description.or_else(|| prose(current, "description"));
                chain += 1;
                None
            } else {
                Some((format!("unresolved: {r}"), false))
            };
            if let Some((label, recursive)) = stop {
                node.type_label = label;
                node.recursive = recursive;
                node.description = description;
                self.path.truncate(path_len);
                return node;
            }
        }

        let merged;
        let mut external_members = Vec::new();
        let target: &Value = if get(current, "allOf").is_some() {
            merged = self.merge_all_of(current, &mut node.recursive, &mut external_members);
            &merged
        } else {
            current
        };

        node.type_label = label(target, 0);
        node.description = description.or_else(|| prose(target, "description"));
        if expandable(target) || !external_members.is_empty() {
            if depth >= MAX_SCHEMA_DEPTH || self.used >= SCHEMA_NODE_BUDGET {
                node.truncated = true;
            } else {
                self.children(target, depth, &mut node);
                for r in external_members {
                    node.children
                        .push(SchemaNode::leaf(format!("external: {r}")));
                }
            }
        }
        self.path.truncate(path_len);
        node
    }

    fn children(&mut self, s: &Value, depth: usize, node: &mut SchemaNode) {
        let required: Vec<String> = seq(get(s, "required")).iter().filter_map(text).collect();
        let properties = get(s, "properties");
        for (name, prop) in entries(properties) {
            if !self.room(node) {
                return;
            }
            let is_required = required.contains(&name);
            let child = self.node(prop, Some(name), is_required, depth + 1);
            node.children.push(child);
        }

        let has_properties = properties
            .and_then(Value::as_mapping)
            .is_some_and(|m| !m.is_empty());
        if let Some(extra) = get(s, "additionalProperties").filter(|v| v.is_mapping()) {
            if !self.room(node) {
                return;
            }
            if has_properties {
                let child = self.node(extra, Some("*".to_string()), false, depth + 1);
                node.children.push(child);
            } else {
                // A map: what the reader needs is the value's shape.
                let value = self.node(extra, None, false, depth + 1);
                node.absorb(value);
            }
        }

        if let Some(items) = get(s, "items").filter(|v| v.is_mapping()) {
            if !self.room(node) {
                return;
            }
            let item = self.node(items, None, false, depth + 1);
            node.absorb(item);
        }

        for key in ["oneOf", "anyOf"] {
            for member in seq(get(s, key)) {
                if !self.room(node) {
                    return;
                }
                let child = self.node(member, None, false, depth + 1);
                node.children.push(child);
            }
        }
    }

    fn room(&self, node: &mut SchemaNode) -> bool {
        let room = self.used < SCHEMA_NODE_BUDGET;
        if !room {
            node.truncated = true;
        }
        room
    }

    /// `allOf` members folded into one schema: properties and `required`
    /// concatenated, other keywords first-wins with the outer schema first.
    /// References merged in stay on `self.path` until the node is done, so
    /// a property pointing back at one of them is seen as a cycle.
    fn merge_all_of(
        &mut self,
        s: &Value,
        recursive: &mut bool,
        externals: &mut Vec<String>,
    ) -> Value {
        let mut out = Mapping::new();
        let mut properties = Mapping::new();
        let mut required = Vec::new();
        let base = self.path.len();
        let mut merge = Merge {
            out: &mut out,
            properties: &mut properties,
            required: &mut required,
            recursive,
            externals,
            base,
        };
        self.merge_into(s, &mut merge, 0);
        if !properties.is_empty() {
            out.insert("properties".into(), Value::Mapping(properties));
            if !out.contains_key("type") {
                out.insert("type".into(), "object".into());
            }
        }
        if !required.is_empty() {
            out.insert("required".into(), Value::Sequence(required));
        }
        Value::Mapping(out)
    }

    fn merge_into(&mut self, s: &Value, merge: &mut Merge<'_>, depth: usize) {
        let s = untag(s);
        if depth > MAX_SCHEMA_DEPTH {
            return;
        }
        if let Some(map) = s.as_mapping() {
            for (k, v) in map {
                match k.as_str() {
                    Some("allOf" | "$ref") => {}
                    Some("properties") => {
                        for (pk, pv) in v.as_mapping().into_iter().flatten() {
                            if !merge.properties.contains_key(pk) {
                                merge.properties.insert(pk.clone(), pv.clone());
                            }
                        }
                    }
                    Some("required") => {
                        merge.required.extend(seq(Some(untag(v))).iter().cloned());
                    }
                    _ => {
                        if !merge.out.contains_key(k) {
                            merge.out.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
        if let Some(r) = ref_of(s) {
            self.merge_ref(r, merge, depth);
        }
        for member in seq(get(s, "allOf")) {
            self.merge_into(member, merge, depth + 1);
        }
    }

    fn merge_ref(&mut self, r: &str, merge: &mut Merge<'_>, depth: usize) {
        if !r.starts_with('#') {
            merge.externals.push(r.to_string());
            return;
        }
        if self.path[merge.base..].iter().any(|p| p == r) {
            // Reached twice through different members: merged already.
            return;
        }
        if self.path[..merge.base].iter().any(|p| p == r) {
            *merge.recursive = true;
            return;
        }
        if let Some(target) = self.pointer(r) {
            self.path.push(r.to_string());
            self.merge_into(target, merge, depth + 1);
        }
    }
}

struct Merge<'m> {
    out: &'m mut Mapping,
    properties: &'m mut Mapping,
    required: &'m mut Vec<Value>,
    recursive: &'m mut bool,
    externals: &'m mut Vec<String>,
    base: usize,
}

impl SchemaNode {
    fn leaf(type_label: String) -> Self {
        SchemaNode {
            name: None,
            type_label,
            ref_name: None,
            required: false,
            description: None,
            children: Vec::new(),
            recursive: false,
            truncated: false,
        }
    }

    /// Takes over an array item's or map value's children (the item itself
    /// is summed up in this node's label).
    fn absorb(&mut self, inner: SchemaNode) {
        self.children.extend(inner.children);
        self.recursive |= inner.recursive;
        self.truncated |= inner.truncated;
    }
}

fn swagger_servers(root: &Value) -> Vec<String> {
    let base = get_str(root, "basePath").unwrap_or("");
    let Some(host) = get_str(root, "host").filter(|h| !h.is_empty()) else {
        return if base.is_empty() {
            Vec::new()
        } else {
            vec![base.to_string()]
        };
    };
    let schemes: Vec<String> = seq(get(root, "schemes")).iter().filter_map(text).collect();
    if schemes.is_empty() {
        // Swagger's default is the scheme the definition was served with,
        // which the portal can't know: leave it to the reader's browser.
        return vec![format!("//{host}{base}")];
    }
    schemes
        .iter()
        .map(|scheme| format!("{scheme}://{host}{base}"))
        .collect()
}

fn server_url(server: &Value) -> Option<String> {
    let mut url = get_text(server, "url")?;
    for (name, var) in entries(get(server, "variables")) {
        if let Some(default) = get_text(var, "default") {
            url = url.replace(&format!("{{{name}}}"), &default);
        }
    }
    Some(url)
}

/// Whether a schema has anything to show below its own line.
fn expandable(s: &Value) -> bool {
    let non_empty = |key: &str| match get(s, key) {
        Some(Value::Mapping(m)) => !m.is_empty(),
        Some(Value::Sequence(v)) => !v.is_empty(),
        _ => false,
    };
    non_empty("properties")
        || non_empty("oneOf")
        || non_empty("anyOf")
        || get(s, "items").is_some_and(may_have_children)
        || get(s, "additionalProperties").is_some_and(may_have_children)
}

fn may_have_children(s: &Value) -> bool {
    ref_of(s).is_some()
        || [
            "properties",
            "items",
            "oneOf",
            "anyOf",
            "allOf",
            "additionalProperties",
        ]
        .iter()
        .any(|k| get(s, k).is_some())
}

/// The one-line description of a schema's type. References are named, not
/// followed, so a label never loops.
fn label(s: &Value, depth: usize) -> String {
    let s = untag(s);
    match s {
        Value::Bool(true) => return "any".to_string(),
        Value::Bool(false) => return "never".to_string(),
        Value::Mapping(_) => {}
        _ => return "any".to_string(),
    }
    if let Some(r) = ref_of(s) {
        return if r.starts_with('#') {
            ref_display_name(r)
        } else {
            format!("external: {r}")
        };
    }
    if depth > MAX_LABEL_DEPTH {
        return "…".to_string();
    }
    if let Some(c) = get(s, "const") {
        return format!("const: {}", value_text(c));
    }
    let values = seq(get(s, "enum"));
    if !values.is_empty() {
        let mut shown: Vec<String> = values
            .iter()
            .take(MAX_ENUM_VALUES)
            .map(value_text)
            .collect();
        if values.len() > MAX_ENUM_VALUES {
            shown.push("…".to_string());
        }
        return format!("enum: {}", shown.join(", "));
    }
    for (key, words) in [("oneOf", "one of"), ("anyOf", "any of")] {
        let members = seq(get(s, key));
        if !members.is_empty() {
            let labels: Vec<String> = members.iter().map(|m| label(m, depth + 1)).collect();
            return format!("{words}: {}", labels.join(" | "));
        }
    }

    let mut types: Vec<String> = match get(s, "type") {
        Some(Value::Sequence(list)) => list.iter().filter_map(text).collect(),
        Some(t) => text(t).into_iter().collect(),
        None => Vec::new(),
    };
    let nullable =
        types.iter().any(|t| t == "null") || flag(s, "nullable") || flag(s, "x-nullable");
    types.retain(|t| t != "null");
    if types.is_empty() {
        if get(s, "properties").is_some()
            || get(s, "allOf").is_some()
            || get(s, "additionalProperties").is_some()
        {
            types.push("object".to_string());
        } else if get(s, "items").is_some() {
            types.push("array".to_string());
        } else if nullable {
            return "null".to_string();
        } else {
            return "any".to_string();
        }
    }
    let mut out = types
        .iter()
        .map(|t| single_type_label(s, t, depth))
        .collect::<Vec<_>>()
        .join(" | ");
    if nullable {
        out.push_str(" | null");
    }
    out
}

fn single_type_label(s: &Value, t: &str, depth: usize) -> String {
    match t {
        "array" => match get(s, "items") {
            Some(items) if items.is_mapping() || items.is_bool() => {
                format!("array of {}", label(items, depth + 1))
            }
            _ => "array".to_string(),
        },
        "object" => {
            let has_properties = get(s, "properties")
                .and_then(Value::as_mapping)
                .is_some_and(|m| !m.is_empty());
            match get(s, "additionalProperties") {
                Some(extra) if extra.is_mapping() && !has_properties => {
                    format!("map of {}", label(extra, depth + 1))
                }
                _ => "object".to_string(),
            }
        }
        other => {
            let mut out = other.to_string();
            if let Some(format) = get_text(s, "format") {
                out.push_str(&format!(" ({format})"));
            }
            if other == "integer" || other == "number" {
                out.push_str(&bounds(s));
            }
            out
        }
    }
}

/// ` ≥ 0`, ` > 0, ≤ 100`, ...: OpenAPI 3.0 marks exclusive bounds with a
/// boolean beside `minimum`, 3.1 (JSON Schema) gives the bound itself.
fn bounds(s: &Value) -> String {
    let mut parts = Vec::new();
    for (bound, exclusive, inclusive_sign, exclusive_sign) in [
        ("minimum", "exclusiveMinimum", "≥", ">"),
        ("maximum", "exclusiveMaximum", "≤", "<"),
    ] {
        match (get(s, bound).and_then(text), get(s, exclusive)) {
            (_, Some(Value::Number(n))) => parts.push(format!("{exclusive_sign} {n}")),
            (Some(b), Some(Value::Bool(true))) => parts.push(format!("{exclusive_sign} {b}")),
            (Some(b), _) => parts.push(format!("{inclusive_sign} {b}")),
            (None, _) => {}
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {}", parts.join(", "))
    }
}

/// An enum or const value as the reader would type it.
fn value_text(v: &Value) -> String {
    match untag(v) {
        Value::Null => "null".to_string(),
        other => text(other)
            .unwrap_or_else(|| serde_json::to_string(other).unwrap_or_else(|_| "…".to_string())),
    }
}
