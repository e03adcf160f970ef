//! The spec rules of the built-in kinds (Backstage's kind schemas, plus the
//! scaffolder's Template). Kind names match case-sensitively.

use serde_json::{Map, Value};

use super::{type_name, FieldError};

/// The kinds Portico knows the spec of; any other kind gets the envelope rules only.
pub const BUILTIN_KINDS: &[&str] = &[
    "Component",
    "API",
    "Resource",
    "System",
    "Domain",
    "Group",
    "User",
    "Location",
    "Template",
];

const BACKSTAGE_VERSIONS: &[&str] = &["backstage.io/v1alpha1", "backstage.io/v1beta1"];
const TEMPLATE_VERSIONS: &[&str] = &["scaffolder.backstage.io/v1beta3"];

/// Whether `kind` is one of [`BUILTIN_KINDS`] (case-sensitive).
pub fn is_builtin_kind(kind: &str) -> bool {
    BUILTIN_KINDS.contains(&kind)
}

/// The apiVersions a built-in kind is defined for; `None` for other kinds.
pub fn api_versions_for_kind(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Template" => Some(TEMPLATE_VERSIONS),
        k if is_builtin_kind(k) => Some(BACKSTAGE_VERSIONS),
        _ => None,
    }
}

/// Checks apiVersion and spec of a built-in kind. `api_version` is `None`
/// when it was already reported as missing or malformed.
pub(super) fn check(
    kind: &str,
    api_version: Option<&str>,
    spec: Option<&Value>,
    errors: &mut Vec<FieldError>,
) {
    if let (Some(version), Some(accepted)) = (api_version, api_versions_for_kind(kind)) {
        if !accepted.contains(&version) {
            let rule = format!("{} for kind {kind}", accepted.join(" or "));
            errors.push(FieldError::invalid("apiVersion", &rule, version));
        }
    }
    let spec = match spec {
        None => {
            errors.push(FieldError::required_for_kind("spec", kind));
            return;
        }
        Some(Value::Object(spec)) => spec,
        // The envelope already reported a spec that is not an object.
        Some(_) => return,
    };
    let mut s = Spec { kind, spec, errors };
    match kind {
        "Component" => {
            s.required_str("type");
            s.required_str("lifecycle");
            s.required_str("owner");
            s.optional_str("system");
            s.optional_str("subcomponentOf");
            s.optional_str_array("providesApis");
            s.optional_str_array("consumesApis");
            s.optional_str_array("dependsOn");
            s.optional_str_array("dependencyOf");
        }
        "API" => {
            s.required_str("type");
            s.required_str("lifecycle");
            s.required_str("owner");
            s.optional_str("system");
            s.api_definition();
        }
        "Resource" => {
            s.required_str("type");
            s.required_str("owner");
            s.optional_str("system");
            s.optional_str_array("dependsOn");
            s.optional_str_array("dependencyOf");
        }
        "System" => {
            s.required_str("owner");
            s.optional_str("domain");
            s.optional_str("type");
        }
        "Domain" => {
            s.required_str("owner");
            s.optional_str("subdomainOf");
            s.optional_str("type");
        }
        "Group" => {
            s.required_str("type");
            s.required_str_array("children");
            s.optional_str("parent");
            s.optional_str_array("members");
            s.profile();
        }
        "User" => {
            s.required_str_array("memberOf");
            s.profile();
        }
        "Location" => {
            s.optional_str("type");
            s.optional_str("target");
            s.optional_str_array("targets");
            s.presence();
        }
        "Template" => {
            s.required_str("type");
            s.optional_str("owner");
            s.optional_str("lifecycle");
            s.template_steps();
            s.template_parameters();
            if s.spec.get("output").is_some_and(|o| !o.is_object()) {
                s.errors
                    .push(FieldError::must_be("spec.output", "an object"));
            }
        }
        _ => {}
    }
}

/// The spec of one entity under check, with the helpers the kinds share.
struct Spec<'a> {
    kind: &'a str,
    spec: &'a Map<String, Value>,
    errors: &'a mut Vec<FieldError>,
}

fn path(field: &str) -> String {
    format!("spec.{field}")
}

impl Spec<'_> {
    fn missing(&mut self, field: &str) {
        self.errors
            .push(FieldError::required_for_kind(path(field), self.kind));
    }

    /// A non-empty string at `field` (a full path), reporting a wrong type.
    fn string_at(&mut self, field: String, value: &Value) {
        match value {
            Value::String(s) if !s.is_empty() => {}
            Value::String(_) => self.errors.push(FieldError::new(
                field.clone(),
                format!("\"{field}\" must not be empty"),
            )),
            other => self.errors.push(FieldError::new(
                field.clone(),
                format!(
                    "\"{field}\" must be a string, but found {}",
                    type_name(other)
                ),
            )),
        }
    }

    fn required_str(&mut self, field: &str) {
        match self.spec.get(field) {
            None => self.missing(field),
            Some(v) => self.string_at(path(field), v),
        }
    }

    fn optional_str(&mut self, field: &str) {
        if let Some(v) = self.spec.get(field) {
            self.string_at(path(field), v);
        }
    }

    /// An array of non-empty strings; each bad entry is reported by index.
    fn str_array_at(&mut self, field: String, value: &Value) {
        let Value::Array(items) = value else {
            self.errors.push(FieldError::new(
                field.clone(),
                format!(
                    "\"{field}\" must be an array of strings, but found {}",
                    type_name(value)
                ),
            ));
            return;
        };
        for (i, item) in items.iter().enumerate() {
            self.string_at(format!("{field}[{i}]"), item);
        }
    }

    fn required_str_array(&mut self, field: &str) {
        match self.spec.get(field) {
            None => self.missing(field),
            Some(v) => self.str_array_at(path(field), v),
        }
    }

    fn optional_str_array(&mut self, field: &str) {
        if let Some(v) = self.spec.get(field) {
            self.str_array_at(path(field), v);
        }
    }

    /// `profile {displayName, email, picture}` of Group and User; other
    /// profile fields are left to the kind's readers.
    fn profile(&mut self) {
        let Some(profile) = self.spec.get("profile") else {
            return;
        };
        let Value::Object(profile) = profile else {
            self.errors
                .push(FieldError::must_be("spec.profile", "an object"));
            return;
        };
        for field in ["displayName", "email", "picture"] {
            if let Some(v) = profile.get(field) {
                self.string_at(format!("spec.profile.{field}"), v);
            }
        }
    }

    /// An API has a `definition` (a string, or a `$text`/`$json`/`$yaml`
    /// placeholder the reader could not resolve and has warned about), or,
    /// for newer API types such as `mcp-server`, `remotes: [{type, url}]`.
    fn api_definition(&mut self) {
        let definition = self.spec.get("definition");
        let remotes = self.spec.get("remotes");
        match definition {
            None if remotes.is_none() => self.errors.push(FieldError::new(
                "spec.definition",
                "\"spec.definition\" is required for kind API (or \"spec.remotes\" for API types such as mcp-server)",
            )),
            None => {}
            Some(Value::Object(obj)) if is_placeholder(obj) => {}
            Some(v @ Value::String(_)) => self.string_at(path("definition"), v),
            Some(other) => self.errors.push(FieldError::new(
                "spec.definition",
                format!(
                    "\"spec.definition\" must be a string (or a single $text, $json or $yaml placeholder), but found {}",
                    type_name(other)
                ),
            )),
        }
        let Some(remotes) = remotes else { return };
        let Value::Array(items) = remotes else {
            self.errors.push(FieldError::must_be(
                "spec.remotes",
                "an array of {type, url} objects",
            ));
            return;
        };
        if items.is_empty() {
            self.errors.push(FieldError::new(
                "spec.remotes",
                "\"spec.remotes\" must list at least one remote",
            ));
        }
        for (i, item) in items.iter().enumerate() {
            let at = format!("spec.remotes[{i}]");
            let Value::Object(remote) = item else {
                self.errors.push(FieldError::must_be(at, "an object"));
                continue;
            };
            for field in ["type", "url"] {
                match remote.get(field) {
                    Some(v) => self.string_at(format!("{at}.{field}"), v),
                    None => {
                        let field = format!("{at}.{field}");
                        self.errors.push(FieldError::new(
                            field.clone(),
                            format!("\"{field}\" is required"),
                        ));
                    }
                }
            }
        }
    }

    /// Location `presence`: `required` (the default) or `optional`.
    fn presence(&mut self) {
        match self.spec.get("presence") {
            None => {}
            Some(Value::String(s)) if s == "required" || s == "optional" => {}
            Some(Value::String(s)) => {
                let s = s.clone();
                self.errors.push(FieldError::invalid(
                    "spec.presence",
                    "required or optional",
                    &s,
                ));
            }
            Some(_) => self
                .errors
                .push(FieldError::must_be("spec.presence", "a string")),
        }
    }

    /// Template `steps`: an array of objects, each naming its `action`.
    fn template_steps(&mut self) {
        let Some(steps) = self.spec.get("steps") else {
            self.missing("steps");
            return;
        };
        let Value::Array(steps) = steps else {
            self.errors
                .push(FieldError::must_be("spec.steps", "an array"));
            return;
        };
        for (i, step) in steps.iter().enumerate() {
            let at = format!("spec.steps[{i}]");
            let Value::Object(step) = step else {
                self.errors.push(FieldError::must_be(at, "an object"));
                continue;
            };
            match step.get("action") {
                Some(v) => self.string_at(format!("{at}.action"), v),
                None => {
                    let field = format!("{at}.action");
                    self.errors.push(FieldError::new(
                        field.clone(),
                        format!("\"{field}\" is required"),
                    ));
                }
            }
        }
    }

    /// Template `parameters`: one form schema (an object) or a list of them.
    fn template_parameters(&mut self) {
        match self.spec.get("parameters") {
            None | Some(Value::Object(_)) => {}
            Some(Value::Array(forms)) => {
                for (i, form) in forms.iter().enumerate() {
                    if !form.is_object() {
                        self.errors.push(FieldError::must_be(
                            format!("spec.parameters[{i}]"),
                            "an object",
                        ));
                    }
                }
            }
            Some(_) => self.errors.push(FieldError::must_be(
                "spec.parameters",
                "an object or an array of objects",
            )),
        }
    }
}

/// `{ $text: ... }` and friends: exactly one placeholder key with a string value.
fn is_placeholder(obj: &Map<String, Value>) -> bool {
    let mut entries = obj.iter();
    match (entries.next(), entries.next()) {
        (Some((key, Value::String(_))), None) => {
            matches!(key.as_str(), "$text" | "$json" | "$yaml")
        }
        _ => false,
    }
}
