//! `/api/scaffolder/v2`: Backstage's scaffolder routes.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use portico_auth::Permission;
use portico_store::{StoreError, TaskFilter, TaskStatus};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::techdocs::{event, EventStream};
use crate::auth::Caller;
use crate::openapi::ServerSentEvent;
use crate::scaffolder::{task_json, Scaffolder};
use crate::{ApiError, AppState};

/// How often an event stream looks for new events.
const STREAM_POLL: Duration = Duration::from_millis(100);
/// Events read per round.
const EVENTS_PAGE: i64 = 500;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/scaffolder/v2")
            .service(create_task)
            .service(list_tasks)
            .service(get_task)
            .service(task_events)
            .service(task_eventstream)
            .service(cancel_task)
            .service(retry_task)
            .service(actions)
            .service(dry_run)
            .service(parameter_schema),
    );
}

fn scaffolder(
    state: &AppState,
) -> Result<&std::sync::Arc<crate::scaffolder::Scaffolder>, ApiError> {
    state
        .scaffolder
        .as_ref()
        .ok_or_else(|| ApiError::not_found("the scaffolder is not enabled on this server"))
}

/// Runs `f` for task `id` on a blocking thread; `None` from it is a 404
/// naming the task.
async fn on_task<T: Send + 'static>(
    state: &AppState,
    id: String,
    f: impl FnOnce(&Scaffolder, &str) -> Result<Option<T>, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let scaffolder = scaffolder(state)?.clone();
    let lookup = id.clone();
    web::block(move || f(&scaffolder, &lookup))
        .await??
        .ok_or_else(|| ApiError::not_found(format!("Task {id} does not exist")))
}

/// Whether the caller may cancel or retry task `id`: its starter or an admin.
pub(crate) async fn may_control(
    state: &AppState,
    caller: Caller,
    id: &str,
    action: &'static str,
) -> Result<(), ApiError> {
    let scaffolder = scaffolder(state)?.clone();
    let auth = state.auth.clone();
    let id = id.to_owned();
    web::block(move || crate::access::may_control_task(&auth, &caller.0, &scaffolder, &id, action))
        .await?
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateTask {
    template_ref: String,
    #[serde(default)]
    values: Value,
    #[serde(default)]
    secrets: Value,
}

#[utoipa::path(
    request_body(content = CreateTask, description = "The template and the values of its form", content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 201, description = "`{ id }` of the new task", body = Object))
)]
#[post("/tasks")]
async fn create_task(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    state.auth.check(&caller.0, Permission::TemplateRun, None)?;
    let scaffolder = scaffolder(&state)?.clone();
    let CreateTask {
        template_ref,
        values,
        secrets,
    } = body.into_inner();
    let values = if values.is_null() { json!({}) } else { values };
    let secrets = if secrets.is_null() {
        json!({})
    } else {
        secrets
    };
    if !secrets.is_object() {
        return Err(ApiError::input("secrets must be an object"));
    }
    // Users run tasks as themselves; a service token as `service:<subject>`.
    let user = caller.actor();
    let id =
        web::block(move || scaffolder.create_task(&template_ref, values, secrets, &user)).await??;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    created_by: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[utoipa::path(
    params(("createdBy" = Option<String>, Query, description = "A user ref"), ("status" = Option<String>, Query, description = "open, processing, completed, failed or cancelled"), ("limit" = Option<u32>, Query, description = "Page size"), ("offset" = Option<u32>, Query, description = "Tasks to skip")),
    responses((status = 200, description = "`{ tasks, totalTasks }`", body = Object))
)]
#[get("/tasks")]
async fn list_tasks(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let scaffolder = scaffolder(&state)?.clone();
    let q = query.into_inner();
    if let Some(status) = &q.status {
        if TaskStatus::parse(status).is_none() {
            return Err(ApiError::input(format!(
                "status must be one of open, processing, completed, failed, cancelled; got '{status}'"
            )));
        }
    }
    let limit = q.limit.unwrap_or(100).clamp(0, 1000);
    let offset = q.offset.unwrap_or(0).max(0);
    let (rows, total) = web::block(move || {
        scaffolder.store().read(|tx| {
            tx.tasks(&TaskFilter {
                created_by: q.created_by.as_deref(),
                status: q.status.as_deref(),
                limit,
                offset,
            })
        })
    })
    .await??;
    let tasks: Vec<Value> = rows.iter().map(task_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "tasks": tasks, "totalTasks": total })))
}

#[utoipa::path(
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "The task: `{ id, spec, status, createdBy, createdAt, lastHeartbeatAt?, output? }`", body = Object))
)]
#[get("/tasks/{id}")]
async fn get_task(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = on_task(&state, id.into_inner(), |s, id| {
        s.store().read(|tx| tx.task(id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(task_json(&row)))
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<i64>,
}

fn event_json(e: &portico_store::TaskEventRow) -> Value {
    json!({
        "id": e.id,
        "taskId": e.task_id,
        "type": e.event_type,
        "createdAt": crate::scaffolder::iso(e.created_at),
        "body": serde_json::from_str::<Value>(&e.body_json).unwrap_or(Value::Null),
    })
}

#[utoipa::path(
    params(("id" = String, Path, description = "Task id"), ("after" = Option<i64>, Query, description = "Only events after this id")),
    responses((status = 200, description = "The task's events: `[{ id, taskId, type, createdAt, body }]`", body = Vec<Object>))
)]
#[get("/tasks/{id}/events")]
async fn task_events(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = query.after.unwrap_or(0);
    let events = on_task(&state, id.into_inner(), move |s, id| {
        s.store().read(|tx| {
            if tx.task(id)?.is_none() {
                return Ok(None);
            }
            tx.task_events(id, after, EVENTS_PAGE).map(Some)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(events.iter().map(event_json).collect::<Vec<_>>()))
}

/// The task's events as server-sent events (`event: log`, then `event:
/// completion`), from `after` on; the stream ends with the task.
#[utoipa::path(
    params(("id" = String, Path, description = "Task id"), ("after" = Option<i64>, Query, description = "Only events after this id")),
    responses((status = 200, description = "Server-sent events: `log` and `completion`, ending with the task", body = ServerSentEvent, content_type = "text/event-stream"))
)]
#[get("/tasks/{id}/eventstream")]
async fn task_eventstream(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let scaffolder = scaffolder(&state)?.clone();
    let id = id.into_inner();
    on_task(&state, id.clone(), |s, id| s.store().read(|tx| tx.task(id))).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let mut after = query.after.unwrap_or(0);
    actix_web::rt::task::spawn_blocking(move || loop {
        let read = scaffolder.store().read(|t| {
            let events = t.task_events(&id, after, EVENTS_PAGE)?;
            let finished = t
                .task(&id)?
                .and_then(|task| TaskStatus::parse(&task.status))
                .is_none_or(TaskStatus::is_finished);
            Ok::<_, StoreError>((events, finished))
        });
        let (events, finished) = match read {
            Ok(read) => read,
            Err(e) => {
                let _ = tx.send(event("error", &json!({ "message": e.to_string() })));
                return;
            }
        };
        let mut ended = false;
        for e in &events {
            after = e.id;
            ended |= e.event_type == "completion";
            if tx.send(event(&e.event_type, &event_json(e))).is_err() {
                return; // The client went away.
            }
        }
        // Finished and every event sent (the completion event is written
        // with the status, so a finished task has it).
        if ended || (finished && events.is_empty()) {
            return;
        }
        std::thread::sleep(STREAM_POLL);
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(EventStream(rx)))
}

#[utoipa::path(
    params(("id" = String, Path, description = "Task id")),
    security(("bearer" = [])),
    responses((status = 200, description = "`{ status }` after the request", body = Object))
)]
#[post("/tasks/{id}/cancel")]
async fn cancel_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    may_control(&state, caller, &id, "cancelling").await?;
    let row = on_task(&state, id, |s, id| s.cancel(id)).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": row.status })))
}

#[utoipa::path(
    params(("id" = String, Path, description = "Task id")),
    security(("bearer" = [])),
    responses((status = 201, description = "`{ id }`: queued again", body = Object))
)]
#[post("/tasks/{id}/retry")]
async fn retry_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    may_control(&state, caller, &id, "retrying").await?;
    let scaffolder = scaffolder(&state)?.clone();
    let lookup = id.clone();
    let waker = scaffolder.clone();
    let retried =
        web::block(move || scaffolder.store().transaction(|tx| tx.retry_task(&lookup))).await??;
    if !retried {
        return Err(ApiError::conflict(format!(
            "Task {id} does not exist or has not failed or been cancelled"
        )));
    }
    waker.wake_workers();
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct DryRun {
    template: Value,
    #[serde(default)]
    values: Value,
    #[serde(default)]
    secrets: Value,
    #[serde(default)]
    directory_contents: Vec<Value>,
}

/// Runs a template given whole in the request (entity and files) without
/// publishing or registering anything.
#[utoipa::path(
    request_body(content = DryRun, description = "A template entity, its values and its files (base64)", content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 200, description = "`{ log, directoryContents, output, steps }`", body = Object))
)]
#[post("/dry-run")]
async fn dry_run(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<DryRun>,
) -> Result<HttpResponse, ApiError> {
    state.auth.check(&caller.0, Permission::TemplateRun, None)?;
    let scaffolder = scaffolder(&state)?.clone();
    let DryRun {
        template,
        values,
        secrets,
        directory_contents,
    } = body.into_inner();
    let values = if values.is_null() { json!({}) } else { values };
    let secrets = if secrets.is_null() {
        json!({})
    } else {
        secrets
    };
    let user = caller.actor();
    let answer = web::block(move || {
        scaffolder.dry_run(&template, &values, &secrets, &directory_contents, &user)
    })
    .await??;
    Ok(HttpResponse::Ok().json(answer))
}

#[utoipa::path(
    responses((status = 200, description = "The actions templates may use: `[{ id, description, schema }]`", body = Vec<Object>))
)]
#[get("/actions")]
async fn actions(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(scaffolder(&state)?.actions().describe()))
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "`{ title, description?, steps: [{ title, schema }] }`: the template's form", body = Object))
)]
#[get("/templates/{namespace}/{kind}/{name}/parameter-schema")]
async fn parameter_schema(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (namespace, kind, name) = path.into_inner();
    if !kind.eq_ignore_ascii_case("template") {
        return Err(ApiError::input(format!("'{kind}' is not a template kind")));
    }
    let (template, _) = scaffolder(&state)?.template(&format!("template:{namespace}/{name}"))?;
    Ok(HttpResponse::Ok().json(template.parameter_schema()))
}
