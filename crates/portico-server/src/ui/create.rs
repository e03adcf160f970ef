//! `/create`: template cards, the form generated from a template's
//! parameters (validated by the server, as the API validates them), a
//! review step, and the task page with its live log.

use std::collections::BTreeMap;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use portico_auth::Permission;
use portico_store::{TaskEventRow, TaskFilter, TaskRow, TaskStatus};
use portico_web::form::{form_pages, form_values, review_rows};
use portico_web::{Page, Section};
use serde_json::{json, Value};

use super::{
    ago, display_name, entity_parts, full_ref, page, ref_cell, see_other, short_ref, UiError,
    UiResult,
};
use crate::auth::Caller;
use crate::scaffolder::Scaffolder;
use crate::{ApiError, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(templates)
        .service(template_form)
        .service(template_submit)
        .service(tasks)
        .service(task)
        .service(cancel);
}

fn scaffolder(state: &AppState) -> Result<&std::sync::Arc<Scaffolder>, UiError> {
    state
        .scaffolder
        .as_ref()
        .ok_or_else(|| UiError::not_found("Creating from templates is not enabled on this server."))
}

#[utoipa::path(
    responses((status = 200, description = "The templates", body = String, content_type = "text/html"))
)]
#[get("/create")]
async fn templates(req: HttpRequest, state: web::Data<AppState>) -> UiResult {
    let index = state.catalog.index();
    let mut cards: Vec<Value> = index
        .iter()
        .filter(|(key, _)| key.starts_with("template:"))
        .map(|(key, entity)| {
            let entity = entity.value();
            let (_, namespace, name) = entity_parts(&entity);
            let owner = entity
                .pointer("/spec/owner")
                .and_then(Value::as_str)
                .map(|o| ref_cell(&index, &full_ref(o, "group", &namespace), Some("group")));
            json!({
                "ref": key,
                "href": format!("/create/templates/{}/{}", super::path_segment(&namespace), super::path_segment(&name)),
                "title": display_name(&entity),
                "description": entity.pointer("/metadata/description").and_then(Value::as_str).unwrap_or_default(),
                "type": entity.pointer("/spec/type").and_then(Value::as_str),
                "tags": entity.pointer("/metadata/tags").cloned().unwrap_or(json!([])),
                "owner": owner,
            })
        })
        .collect();
    drop(index);
    cards.sort_by(|a, b| a["title"].as_str().cmp(&b["title"].as_str()));
    page(
        Page::Create,
        &super::chrome(&req, Section::Create),
        json!({ "title": "Create", "templates": cards }),
    )
}

/// Entities a picker field offers: `ui:options.catalogFilter.kind` or
/// `allowedKinds`, else groups and users for an owner picker.
fn picker_choices(state: &AppState, schema: &Value) -> Option<Vec<(String, String)>> {
    let field = schema.get("ui:field").and_then(Value::as_str)?;
    if !matches!(
        field,
        "OwnerPicker" | "EntityPicker" | "MyGroupsPicker" | "OwnedEntityPicker"
    ) {
        return None;
    }
    let options = schema.get("ui:options");
    let kinds_value = options
        .and_then(|o| o.pointer("/catalogFilter/kind"))
        .or_else(|| options.and_then(|o| o.get("allowedKinds")));
    let mut kinds: Vec<String> = match kinds_value {
        Some(Value::String(k)) => vec![k.to_lowercase()],
        Some(Value::Array(ks)) => ks
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        _ => Vec::new(),
    };
    if kinds.is_empty() {
        kinds = if field == "OwnerPicker" {
            vec!["group".into(), "user".into()]
        } else {
            vec!["component".into(), "system".into()]
        };
    }
    let index = state.catalog.index();
    let mut choices: Vec<(String, String)> = index
        .iter()
        .filter(|(key, _)| {
            key.split_once(':')
                .is_some_and(|(kind, _)| kinds.iter().any(|k| k == kind))
        })
        .take(2_000)
        .map(|(key, entity)| {
            let title = display_name(&entity.value());
            let label = format!("{title} ({})", short_ref(key, None));
            (key.to_owned(), label)
        })
        .collect();
    choices.sort_by_key(|(_, label)| label.to_lowercase());
    Some(choices)
}

fn template_ref(namespace: &str, name: &str) -> String {
    format!("template:{namespace}/{name}").to_lowercase()
}

fn form_page(
    req: &HttpRequest,
    state: &AppState,
    namespace: &str,
    name: &str,
    values: &Value,
    errors: &BTreeMap<String, String>,
    summary: Vec<String>,
) -> UiResult {
    let (template, _) = scaffolder(state)?.template(&template_ref(namespace, name))?;
    let parameters = Value::Array(template.pages.clone());
    let pages = form_pages(&parameters, values, errors, &|schema| {
        picker_choices(state, schema)
    });
    let data = json!({
        "title": template.title,
        "template": { "title": template.title, "description": template.description },
        "action": format!("/create/templates/{}/{}", super::path_segment(namespace), super::path_segment(name)),
        "sign_in": super::sign_in_notice(req, req.path(), "Running a template needs a signed-in user."),
        "pages": pages,
        "errors_summary": summary,
    });
    page(
        Page::TemplateForm,
        &super::chrome(req, Section::Create).with_script("form.js"),
        data,
    )
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Template namespace"), ("name" = String, Path, description = "Template name")),
    responses((status = 200, description = "A template's form", body = String, content_type = "text/html"))
)]
#[get("/create/templates/{namespace}/{name}")]
async fn template_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> UiResult {
    let (namespace, name) = path.into_inner();
    form_page(
        &req,
        &state,
        &namespace,
        &name,
        &json!({}),
        &BTreeMap::new(),
        Vec::new(),
    )
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Template namespace"), ("name" = String, Path, description = "Template name")),
    request_body(content = Object, description = "The form's fields", content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Task created: to its page"), (status = 200, description = "The form again, with what to fix", body = String, content_type = "text/html"))
)]
#[post("/create/templates/{namespace}/{name}")]
async fn template_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> UiResult {
    let (namespace, name) = path.into_inner();
    let form = form.into_inner();
    let field = |key: &str| {
        form.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let step = field("step").unwrap_or("review");
    let scaffolder = scaffolder(&state)?.clone();
    let reference = template_ref(&namespace, &name);
    let (template, _) = scaffolder.template(&reference)?;
    let parameters = Value::Array(template.pages.clone());
    // The review step carries the values it showed; the form, its fields.
    let values = match field("values_json") {
        Some(json) if step != "review" => serde_json::from_str::<Value>(json)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                UiError::from(ApiError::input(
                    "The reviewed values were damaged in transit; fill in the form again.",
                ))
            })?,
        _ => form_values(&parameters, &form),
    };
    let errors = portico_scaffolder::params::validate(&template.pages, &values)
        .map_err(|e| UiError::from(ApiError::input(e.to_string())))?;
    if step == "edit" || !errors.is_empty() {
        let by_pointer: BTreeMap<String, String> = errors
            .iter()
            .map(|e| (e.pointer.clone(), e.message.clone()))
            .collect();
        let summary: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let mut response = form_page(
            &req,
            &state,
            &namespace,
            &name,
            &values,
            &by_pointer,
            summary,
        )?;
        if !errors.is_empty() {
            *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
        }
        return Ok(response);
    }
    match step {
        "create" => {
            let caller = Caller(state.auth.principal(&req)?);
            state.auth.check(&caller.0, Permission::TemplateRun, None)?;
            let user = caller.actor();
            let id =
                web::block(move || scaffolder.create_task(&reference, values, json!({}), &user))
                    .await??;
            Ok(see_other(&format!("/create/tasks/{id}")))
        }
        _ => {
            let rows: Vec<Value> = review_rows(&parameters, &values)
                .into_iter()
                .map(|(label, value)| json!({ "label": label, "value": value }))
                .collect();
            page(
                Page::TemplateReview,
                &super::chrome(&req, Section::Create),
                json!({
                    "title": format!("Review · {}", template.title),
                    "template": { "title": template.title },
                    "action": format!("/create/templates/{}/{}", super::path_segment(&namespace), super::path_segment(&name)),
                    "rows": rows,
                    "values_json": values.to_string(),
                }),
            )
        }
    }
}

#[utoipa::path(
    responses((status = 200, description = "Tasks", body = String, content_type = "text/html"))
)]
#[get("/create/tasks")]
async fn tasks(req: HttpRequest, state: web::Data<AppState>) -> UiResult {
    let scaffolder = scaffolder(&state)?.clone();
    let (rows, _) = web::block(move || {
        scaffolder.store().read(|tx| {
            tx.tasks(&TaskFilter {
                created_by: None,
                status: None,
                limit: 50,
                offset: 0,
            })
        })
    })
    .await??;
    let now = crate::scaffolder::now_ms();
    let items: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "href": format!("/create/tasks/{}", row.id),
                "title": task_title(row),
                "status": row.status,
                "status_class": status_class(&row.status),
                "created": ago(row.created_at, now),
                "created_by": row.created_by,
            })
        })
        .collect();
    page(
        Page::Tasks,
        &super::chrome(&req, Section::Create),
        json!({ "title": "Tasks", "tasks": items }),
    )
}

fn status_class(status: &str) -> &'static str {
    match status {
        "completed" => "ok",
        "failed" => "danger",
        "cancelled" => "warn",
        _ => "accent",
    }
}

fn task_title(row: &TaskRow) -> String {
    let spec: Value = serde_json::from_str(&row.spec_json).unwrap_or(Value::Null);
    spec.pointer("/templateInfo/entity/metadata/title")
        .or_else(|| spec.pointer("/templateInfo/entityRef"))
        .and_then(Value::as_str)
        .unwrap_or("Task")
        .to_owned()
}

#[utoipa::path(
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "A task's log", body = String, content_type = "text/html"))
)]
#[get("/create/tasks/{id}")]
async fn task(req: HttpRequest, state: web::Data<AppState>, id: web::Path<String>) -> UiResult {
    let scaffolder = scaffolder(&state)?.clone();
    let id = id.into_inner();
    let lookup = id.clone();
    let (row, events) = web::block(move || {
        scaffolder.store().read(|tx| {
            let row = tx.task(&lookup)?;
            let events = tx.task_events(&lookup, 0, 10_000)?;
            Ok::<_, portico_store::StoreError>((row, events))
        })
    })
    .await??;
    let row = row.ok_or_else(|| UiError::not_found(format!("There is no task {id}.")))?;
    let spec: Value = serde_json::from_str(&row.spec_json).unwrap_or(Value::Null);
    let done = TaskStatus::parse(&row.status).is_none_or(TaskStatus::is_finished);
    let steps = step_states(&spec, &events);
    let log: Vec<String> = events
        .iter()
        .filter(|e| e.event_type == "log")
        .filter_map(|e| {
            let body: Value = serde_json::from_str(&e.body_json).ok()?;
            body.get("message")?.as_str().map(str::to_owned)
        })
        .collect();
    let output: Value = row
        .output_json
        .as_deref()
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or(Value::Null);
    let links: Vec<Value> = output
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let title = l.get("title").and_then(Value::as_str).unwrap_or("Open");
            // Web links and the portal's own pages are links; anything else
            // (a repository path on the server) is shown, not linked.
            let portal = |u: &str| {
                ["/catalog/", "/docs/", "/create/"]
                    .iter()
                    .any(|p| u.starts_with(p))
            };
            match (
                l.get("url").and_then(Value::as_str),
                l.get("entityRef").and_then(Value::as_str),
            ) {
                (Some(url), _)
                    if url.starts_with("http://") || url.starts_with("https://") || portal(url) =>
                {
                    Some(json!({ "title": title, "url": url }))
                }
                (Some(other), _) => Some(json!({ "title": title, "text": other })),
                (None, Some(entity)) => {
                    Some(json!({ "title": title, "url": super::ref_href(&entity.to_lowercase())? }))
                }
                (None, None) => None,
            }
        })
        .collect();
    let texts: Vec<Value> = output
        .get("text")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some(json!({
                "title": t.get("title").and_then(Value::as_str).unwrap_or_default(),
                "content": t.get("content")?.as_str()?,
            }))
        })
        .collect();
    let data = json!({
        "title": format!("{} · Task", task_title(&row)),
        "task": {
            "id": row.id,
            "title": task_title(&row),
            "status": row.status,
            "created": ago(row.created_at, crate::scaffolder::now_ms()),
            "created_by": row.created_by,
            "error": row.error,
        },
        "status_class": status_class(&row.status),
        "done": done,
        "steps": steps,
        "log_text": log.join("\n"),
        "last_event": events.last().map_or(0, |e| e.id),
        "output_links": links,
        "output_text": texts,
    });
    page(
        Page::Task,
        &super::chrome(&req, Section::Create).with_script("task.js"),
        data,
    )
}

/// Each step of the template with its last reported status.
fn step_states(spec: &Value, events: &[TaskEventRow]) -> Vec<Value> {
    let mut status: BTreeMap<String, String> = BTreeMap::new();
    for event in events {
        let Ok(body) = serde_json::from_str::<Value>(&event.body_json) else {
            continue;
        };
        if let (Some(step), Some(s)) = (
            body.get("stepId").and_then(Value::as_str),
            body.get("status").and_then(Value::as_str),
        ) {
            status.insert(step.to_owned(), s.to_owned());
        }
    }
    spec.pointer("/templateInfo/entity/spec/steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|step| {
            let id = step.get("id").and_then(Value::as_str)?;
            Some(json!({
                "id": id,
                "name": step.get("name").and_then(Value::as_str).unwrap_or(id),
                "status": status.get(id).map_or("waiting", String::as_str),
            }))
        })
        .collect()
}

#[utoipa::path(
    params(("id" = String, Path, description = "Task id")),
    responses((status = 303, description = "Back to the task"))
)]
#[post("/create/tasks/{id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let id = id.into_inner();
    crate::routes::scaffolder::may_control(&state, caller, &id, "cancelling").await?;
    let scaffolder = scaffolder(&state)?.clone();
    let lookup = id.clone();
    let cancelled = web::block(move || scaffolder.cancel(&lookup))
        .await??
        .is_some();
    if !cancelled {
        return Err(UiError::not_found(format!("There is no task {id}.")));
    }
    Ok(see_other(&format!("/create/tasks/{id}")))
}
