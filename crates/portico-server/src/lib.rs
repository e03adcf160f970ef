//! The actix-web application: routes, error envelope, application state and
//! the background loops that keep the catalog fresh.

pub mod config;
pub mod error;
mod params;
mod routes;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpServer};
use portico_catalog::read::ReadOptions;
use portico_catalog::{AddMode, Catalog, CatalogConfig};
use portico_store::Store;

pub use config::Config;
pub use error::ApiError;

/// Everything handlers need, given to them through `web::Data`.
pub struct AppState {
    pub catalog: Arc<Catalog>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] portico_store::StoreError),
    #[error(transparent)]
    Catalog(#[from] portico_catalog::CatalogError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// Opens the store and the catalog, and registers the configured locations.
/// A configured location that cannot be read is logged, not fatal: the
/// portal still starts and shows the error.
pub fn open_catalog(config: &Config) -> Result<Arc<Catalog>, StartError> {
    let store = Store::open(&config.database_url())?;
    // The data dir is a default file root; make sure it exists to be one.
    if let Err(e) = std::fs::create_dir_all(&config.data_dir) {
        tracing::warn!(dir = %config.data_dir.display(), error = %e, "cannot create the data dir");
    }
    let roots = config.file_roots();
    tracing::info!(roots = ?roots, "file locations are allowed under these directories");
    let catalog_config = CatalogConfig {
        orphan_strategy: config.catalog.orphan_strategy,
        read: ReadOptions {
            max_file_bytes: config.catalog.max_file_bytes,
            allowed_roots: Some(roots),
            ..ReadOptions::default()
        },
    };
    let catalog = Arc::new(Catalog::open(store, catalog_config)?);
    for loc in &config.catalog.locations {
        match catalog.add_location(&loc.location_type, &loc.target, AddMode::Lenient) {
            Ok(added) => tracing::info!(
                target = %added.location.target,
                entities = added.entities.len(),
                "configured location loaded"
            ),
            Err(e) => {
                tracing::error!(target = %loc.target, error = %e, "configured location failed")
            }
        }
    }
    Ok(catalog)
}

/// Registers every route, extractor config and the error envelope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(4 * 1024 * 1024)
            .error_handler(error::json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(error::query_error))
    .app_data(web::PathConfig::default().error_handler(error::path_error))
    .service(routes::health::healthz)
    .service(routes::health::readyz)
    .configure(routes::catalog::configure)
    .default_service(web::to(error::not_found));
}

/// Starts the HTTP server on an already-bound listener (port 0 in tests).
pub fn serve(listener: TcpListener, catalog: Arc<Catalog>) -> std::io::Result<Server> {
    let state = web::Data::new(AppState { catalog });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap_fn(|req, srv| {
                let fut = srv.call(req);
                async move { fut.await.map(error::with_request_info) }
            })
            .configure(configure)
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// The loops that keep a replica current: follow the change log often
/// (other replicas' writes), re-read every location now and then.
pub struct Background {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Background {
    pub fn spawn(
        catalog: Arc<Catalog>,
        sync_every: Duration,
        refresh_every: Option<Duration>,
    ) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("portico-refresh".to_string())
            .spawn(move || {
                let mut last_refresh = Instant::now();
                let tick = Duration::from_millis(100);
                let mut last_sync = Instant::now();
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    if last_sync.elapsed() >= sync_every {
                        if let Err(e) = catalog.sync() {
                            tracing::warn!(error = %e, "index sync failed");
                        }
                        last_sync = Instant::now();
                    }
                    if let Some(every) = refresh_every {
                        if last_refresh.elapsed() >= every {
                            for (id, result) in catalog.refresh_all() {
                                if let Err(e) = result {
                                    tracing::warn!(location = %id, error = %e, "refresh failed");
                                }
                            }
                            last_refresh = Instant::now();
                        }
                    }
                }
            })
            .ok();
        Background { stop, handle }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
