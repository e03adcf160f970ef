//! The helpers skeleton templates can call, and the registry they are rendered with.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, JsonRender, PathAndJson, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};
use heck::{ToKebabCase, ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};
use serde_json::Value;

type HelperFn = fn(&Helper<'_>, bool) -> Result<Value, RenderError>;

/// Helpers return typed JSON (through `call_inner`) so that `(eq a b)` hands `#if` a real bool.
struct FnHelper(HelperFn);

impl HelperDef for FnHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        (self.0)(h, r.strict_mode()).map(ScopedJson::Derived)
    }
}

fn helper_failure(message: String) -> RenderError {
    RenderErrorReason::Other(message).into()
}

fn wrong_type(h: &Helper<'_>, expected: &str, got: &Value) -> RenderError {
    let got = portico_model::json_type_name(got);
    helper_failure(format!(
        "helper `{}` expects {expected}, got {got}",
        h.name()
    ))
}

fn check_arity(h: &Helper<'_>, expected: usize) -> Result<(), RenderError> {
    let got = h.params().len();
    if got == expected {
        return Ok(());
    }
    Err(helper_failure(format!(
        "helper `{}` takes {expected} argument(s), got {got}",
        h.name()
    )))
}

/// A parameter's value; in strict mode a missing variable is an error naming it, the same one
/// `{{values.nam}}` would give.
fn arg<'a>(h: &'a Helper<'_>, idx: usize, strict: bool) -> Result<&'a Value, RenderError> {
    let param = h
        .param(idx)
        .ok_or_else(|| helper_failure(format!("helper `{}` lacks argument {idx}", h.name())))?;
    if strict && param.is_value_missing() {
        return Err(RenderErrorReason::MissingVariable(param.relative_path().cloned()).into());
    }
    Ok(param.value())
}

fn text_helper(
    h: &Helper<'_>,
    strict: bool,
    convert: fn(&str) -> String,
) -> Result<Value, RenderError> {
    check_arity(h, 1)?;
    let text = match arg(h, 0, strict)? {
        Value::String(s) => s.clone(),
        // Numbers and booleans have one obvious spelling; anything else is a template bug.
        v @ (Value::Number(_) | Value::Bool(_)) => v.to_string(),
        v => return Err(wrong_type(h, "a string", v)),
    };
    Ok(Value::String(convert(&text)))
}

fn equality_helper(h: &Helper<'_>, strict: bool, want_equal: bool) -> Result<Value, RenderError> {
    check_arity(h, 2)?;
    Ok(Value::Bool(
        (arg(h, 0, strict)? == arg(h, 1, strict)?) == want_equal,
    ))
}

/// `default value fallback`: a missing value is accepted even in strict mode, since covering a
/// parameter the user left out is the whole point of the helper.
fn default_helper(h: &Helper<'_>, strict: bool) -> Result<Value, RenderError> {
    check_arity(h, 2)?;
    let value = h
        .param(0)
        .filter(|p| !p.is_value_missing())
        .map(PathAndJson::value);
    match value {
        None | Some(Value::Null) => Ok(arg(h, 1, strict)?.clone()),
        Some(Value::String(s)) if s.is_empty() => Ok(arg(h, 1, strict)?.clone()),
        Some(v) => Ok(v.clone()),
    }
}

fn join_helper(h: &Helper<'_>, strict: bool) -> Result<Value, RenderError> {
    check_arity(h, 2)?;
    let items = match arg(h, 0, strict)? {
        Value::Array(items) => items,
        v => return Err(wrong_type(h, "an array", v)),
    };
    let sep = match arg(h, 1, strict)? {
        Value::String(sep) => sep,
        v => return Err(wrong_type(h, "a string separator", v)),
    };
    let parts: Vec<String> = items.iter().map(JsonRender::render).collect();
    Ok(Value::String(parts.join(sep)))
}

/// The registry every skeleton file and file name is rendered with: strict mode, no HTML
/// escaping (output is source code, YAML, Markdown...), and the scaffolder helpers. Paths are
/// rendered with a copy whose escape function is [`mark_separators`].
pub fn engine() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let helpers: [(&[&str], HelperFn); 10] = [
        (&["kebab_case", "kebab"], |h, s| {
            text_helper(h, s, str::to_kebab_case)
        }),
        (&["snake_case", "snake"], |h, s| {
            text_helper(h, s, str::to_snake_case)
        }),
        (&["pascal_case", "pascal"], |h, s| {
            text_helper(h, s, str::to_upper_camel_case)
        }),
        (&["camel_case", "camel"], |h, s| {
            text_helper(h, s, str::to_lower_camel_case)
        }),
        (&["upper"], |h, s| text_helper(h, s, str::to_uppercase)),
        (&["lower"], |h, s| text_helper(h, s, str::to_lowercase)),
        // Replaces handlebars' built-in `eq`/`ne`, which compare the same way but report a
        // missing variable without naming it.
        (&["eq"], |h, s| equality_helper(h, s, true)),
        (&["ne"], |h, s| equality_helper(h, s, false)),
        (&["default"], default_helper),
        (&["join"], join_helper),
    ];
    for (names, f) in helpers {
        for name in names {
            hb.register_helper(name, Box::new(FnHelper(f)));
        }
    }
    hb
}
