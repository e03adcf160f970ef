//! `portico serve`: the portal, and its orderly stop on SIGTERM or Ctrl-C.
//!
//! A stop goes in this order, within `server.shutdownTimeout` seconds:
//! `/readyz` turns 503 and scheduled refreshing and the scaffolder take no
//! new work; on SIGTERM, requests are still answered for
//! `server.shutdownDrain` seconds, while load balancers take the replica
//! out; the listener closes and requests in flight finish; running
//! location reads and docs builds finish; scaffolder tasks still running
//! near the end are interrupted and queued again for another replica. If
//! anything outlasts the bound, the process exits anyway: an orchestrator
//! would kill it a little later, without the log line saying why.

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portico_server::scaffolder::Scaffolder;
use portico_server::{open_catalog, AppState, Background, Config};

use crate::AnyError;

/// Time kept back at the end of the bound for interrupted tasks to be
/// queued again and the rest to stop.
const TASK_MARGIN: Duration = Duration::from_secs(2);

pub fn serve(config: &Config) -> Result<(), AnyError> {
    let catalog = open_catalog(config)?;
    let addr = format!("{}:{}", config.server.host, config.server.port);
    let listener = TcpListener::bind(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let mut background = Background::spawn(
        catalog.clone(),
        Duration::from_millis(config.catalog.sync_interval_millis),
        config.catalog.refresh_interval > 0,
    );
    let state = AppState::new(catalog.clone(), config)?;
    background.maintain_keys(state.auth.clone());
    let recheck = config.techdocs.recheck_interval;
    let docs = portico_server::docs::DocsFollower::spawn(
        catalog.clone(),
        state.docs.clone(),
        (recheck > 0).then(|| Duration::from_secs(recheck)),
    );
    let scaffolder = state.scaffolder.clone();
    let workers = scaffolder.as_ref().map(|s| s.start()).unwrap_or_default();
    let stopping = state.stopping.clone();
    let bound = Duration::from_secs(config.server.shutdown_timeout.max(1));
    // The drain is part of the bound, with time left for the rest.
    let drain = Duration::from_secs(config.server.shutdown_drain).min(bound / 2);
    tracing::info!(%addr, entities = catalog.index().len(), "portico is listening");

    let stop_work = {
        let (catalog, scaffolder) = (catalog.clone(), scaffolder.clone());
        move || {
            stopping.store(true, Ordering::Relaxed);
            catalog.stop_refreshing();
            if let Some(scaffolder) = &scaffolder {
                scaffolder.stop();
            }
        }
    };
    // Requests in flight get what is left after the drain, less the time
    // kept for interrupting tasks: a stream that outlasts it (a task's
    // event stream follows the task) is cut, and its client reconnects.
    let in_flight = bound
        .saturating_sub(drain + TASK_MARGIN)
        .max(Duration::from_secs(1));
    let deadline = actix_web::rt::System::new().block_on(async move {
        let server = portico_server::serve_with(listener, state, in_flight)?;
        let handle = server.handle();
        let signalled = actix_web::rt::spawn(async move {
            let signal = next_signal().await;
            let deadline = Instant::now() + bound;
            tracing::info!(signal, bound_s = bound.as_secs(), "shutting down");
            watchdog(deadline);
            stop_work();
            if signal == "SIGTERM" && !drain.is_zero() {
                tracing::info!(
                    drain_s = drain.as_secs(),
                    "answering while load balancers see /readyz fail"
                );
                actix_web::rt::time::sleep(drain).await;
            }
            // Graceful: the listener closes, requests in flight finish.
            handle.stop(true).await;
            deadline
        });
        server.await?;
        Ok::<_, AnyError>(signalled.await.ok())
    })?;
    let deadline = deadline.unwrap_or_else(|| Instant::now() + bound);
    tracing::info!("requests finished; stopping background work");
    finish_tasks(scaffolder.as_deref(), workers, deadline);
    // Joins the loops: a location read or docs build under way finishes.
    drop(docs);
    drop(background);
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGTERM or SIGINT; returns which.
async fn next_signal() -> &'static str {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => first_of(term.recv(), actix_web::rt::signal::ctrl_c()).await,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = actix_web::rt::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = actix_web::rt::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// Whichever of SIGTERM (`term`) and Ctrl-C comes first.
#[cfg(unix)]
async fn first_of(
    term: impl std::future::Future<Output = Option<()>>,
    interrupt: impl std::future::Future<Output = std::io::Result<()>>,
) -> &'static str {
    let mut term = std::pin::pin!(term);
    let mut interrupt = std::pin::pin!(interrupt);
    std::future::poll_fn(|cx| {
        if term.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready("SIGTERM");
        }
        if interrupt.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready("SIGINT");
        }
        std::task::Poll::Pending
    })
    .await
}

/// Ends the process at `deadline` whatever is still running. Spans not yet
/// exported (OTLP) are lost then: the exit skips the flush.
fn watchdog(deadline: Instant) {
    let spawned = std::thread::Builder::new()
        .name("portico-shutdown".to_string())
        .spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            tracing::warn!("shutdown bound reached with work still running; exiting now");
            std::process::exit(1);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the shutdown watchdog");
    }
}

/// Lets running tasks finish until shortly before `deadline`, then
/// interrupts the rest (they go back to the queue) and waits for workers.
fn finish_tasks(scaffolder: Option<&Scaffolder>, workers: Vec<JoinHandle<()>>, deadline: Instant) {
    let Some(scaffolder) = scaffolder else {
        return;
    };
    scaffolder.stop();
    let interrupt_at = deadline.checked_sub(TASK_MARGIN).unwrap_or(deadline);
    while Instant::now() < interrupt_at && workers.iter().any(|w| !w.is_finished()) {
        std::thread::sleep(Duration::from_millis(50));
    }
    if workers.iter().any(|w| !w.is_finished()) {
        tracing::info!("interrupting scaffolder tasks still running; they are queued again");
        scaffolder.interrupt();
    }
    for worker in workers {
        let _ = worker.join();
    }
}
