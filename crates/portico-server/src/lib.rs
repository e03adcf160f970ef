//! The actix-web application: routes, error envelope, application state and
//! the background loops that keep the catalog fresh.

mod access;
pub mod audit;
pub mod auth;
pub mod config;
mod csrf;
pub mod docs;
pub mod error;
mod gate;
pub mod metrics;
pub mod openapi;
mod params;
mod routes;
pub mod scaffolder;
pub mod scorecards;
pub mod search;
mod trace;
mod ui;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpServer, ResponseError};
use portico_catalog::read::{GitCache, LocationSpec, ReadOptions};
use portico_catalog::{AddMode, Catalog, CatalogConfig, RefreshPolicy};
use portico_git::GitOptions;
use portico_store::Store;
use portico_techdocs::DocBuilder;
use search::Search;
use tracing::Instrument;

pub use config::Config;
use config::LocationConfig;
pub use error::ApiError;

/// Everything handlers need, given to them through `web::Data`.
pub struct AppState {
    pub catalog: Arc<Catalog>,
    /// `catalog.webhookSecret`; without it push webhooks are refused.
    pub webhook_secret: Option<String>,
    /// Builds and serves TechDocs sites.
    pub docs: Arc<DocBuilder>,
    /// This replica's search index, following the store.
    pub search: Arc<Search>,
    /// Scaffolder tasks; `None` where no directory for workspaces and
    /// repositories was given (tests of other parts).
    pub scaffolder: Option<Arc<scaffolder::Scaffolder>>,
    /// Who is calling and what they may do.
    pub auth: Arc<auth::Auth>,
    /// Set when the server begins to shut down: `/readyz` answers 503 so
    /// load balancers stop sending requests while in-flight ones finish.
    pub stopping: Arc<AtomicBool>,
    /// The state part of `/metrics`, reused for a moment between scrapes.
    pub metrics_state: metrics::StateCache,
    /// Scorecards and their results, kept current.
    pub scorecards: Arc<scorecards::Scorecards>,
}

impl AppState {
    /// The index lives in `<dataDir>/search`.
    pub fn new(catalog: Arc<Catalog>, config: &Config) -> Result<AppState, StartError> {
        metrics::recorder();
        let docs = docs::docs_builder(&catalog, &config.techdocs);
        let auth = auth::Auth::from_config(&config.auth, &config.data_dir)?;
        let search = Search::start(
            catalog.store().clone(),
            Some(&config.data_dir.join("search")),
        )?;
        let scaffolder = scaffolder::Scaffolder::new(
            catalog.store().clone(),
            Arc::clone(&catalog),
            scaffolder::ScaffolderOptions {
                workers: config.scaffolder.workers.clamp(1, 64),
                heartbeat_timeout: Duration::from_secs(config.scaffolder.heartbeat_timeout.max(1)),
                repositories: config.repositories_dir(),
                workspaces: config.data_dir.join("scaffolder-workspaces"),
            },
        );
        let scorecards = scorecards::Scorecards::start(
            Arc::clone(&catalog),
            config.scorecards.compile()?,
            &config.scorecards,
        );
        Ok(AppState {
            catalog,
            webhook_secret: config
                .catalog
                .webhook_secret
                .clone()
                .filter(|s| !s.is_empty()),
            docs,
            search: Arc::new(search),
            scaffolder: Some(scaffolder),
            auth: Arc::new(auth),
            stopping: Arc::default(),
            metrics_state: metrics::StateCache::default(),
            scorecards: Arc::new(scorecards),
        })
    }

    /// Default TechDocs settings, an in-memory search index and the given
    /// webhook secret: for tests and the bench, which configure the catalog
    /// themselves.
    pub fn for_catalog(
        catalog: Arc<Catalog>,
        webhook_secret: Option<String>,
    ) -> Result<AppState, StartError> {
        metrics::recorder();
        let docs = docs::docs_builder(&catalog, &config::TechDocsSection::default());
        let search = Search::start(catalog.store().clone(), None)?;
        let auth = auth::Auth::ephemeral(&config::AuthSection::default())?;
        let section = config::ScorecardsSection::default();
        let scorecards =
            scorecards::Scorecards::start(Arc::clone(&catalog), section.compile()?, &section);
        Ok(AppState {
            catalog,
            webhook_secret,
            docs,
            search: Arc::new(search),
            scaffolder: None,
            auth: Arc::new(auth),
            stopping: Arc::default(),
            metrics_state: metrics::StateCache::default(),
            scorecards: Arc::new(scorecards),
        })
    }

    /// Replaces the identity settings (keys generated for this process).
    pub fn with_auth(mut self, section: &config::AuthSection) -> Result<AppState, StartError> {
        self.auth = Arc::new(auth::Auth::ephemeral(section)?);
        Ok(self)
    }

    /// Replaces the scorecards with those `section` defines.
    pub fn with_scorecards(
        mut self,
        section: &config::ScorecardsSection,
    ) -> Result<AppState, StartError> {
        let cards = section.compile()?;
        self.scorecards = Arc::new(scorecards::Scorecards::start(
            Arc::clone(&self.catalog),
            cards,
            section,
        ));
        Ok(self)
    }

    /// Adds a scaffolder (its workers not started) with these options.
    pub fn with_scaffolder(mut self, options: scaffolder::ScaffolderOptions) -> AppState {
        self.scaffolder = Some(scaffolder::Scaffolder::new(
            self.catalog.store().clone(),
            Arc::clone(&self.catalog),
            options,
        ));
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] portico_store::StoreError),
    #[error(transparent)]
    Catalog(#[from] portico_catalog::CatalogError),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Search(#[from] portico_search::SearchError),
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
    let section = &config.catalog;
    let git = GitCache::new(GitOptions {
        cache_dir: config.data_dir.join("git"),
        fetch_timeout: Duration::from_secs(section.git_fetch_timeout.max(1)),
        max_fetch_bytes: section.git_max_fetch_bytes,
        credentials: section
            .git_credentials
            .iter()
            .map(config::GitCredentialConfig::resolve)
            .collect::<Result<_, _>>()?,
    });
    let read = ReadOptions {
        max_file_bytes: section.max_file_bytes,
        allowed_roots: Some(roots),
        allowed_hosts: Some(section.allowed_hosts.clone()),
        allow_local_repositories: section.allow_local_repositories,
        local_repository_roots: vec![config.repositories_dir()],
        git,
        ..ReadOptions::default()
    };
    // Provider targets are stored canonical; compare them that way.
    let provider_locations = section
        .providers
        .git
        .iter()
        .filter_map(|p| portico_catalog::normalize_spec("git", &p.target(), &read).ok())
        .collect::<Vec<LocationSpec>>();
    // Locations from the configuration (and providers) define the
    // organisation; registered ones may not, unless allowed.
    let org_locations = (!section.allow_org_from_registered_locations).then(|| {
        section
            .locations
            .iter()
            .filter_map(|l| {
                portico_catalog::normalize_spec(&l.location_type, &l.target, &read).ok()
            })
            .chain(provider_locations.iter().cloned())
            .collect::<Vec<LocationSpec>>()
    });
    let catalog_config = CatalogConfig {
        orphan_strategy: section.orphan_strategy,
        read,
        refresh: RefreshPolicy {
            interval: Duration::from_secs(section.refresh_interval.max(1)),
            claim_timeout: Duration::from_secs(section.refresh_claim_timeout.max(1)),
            workers: section.refresh_workers.clamp(1, 64),
            ..RefreshPolicy::default()
        },
        provider_locations,
        org_locations,
    };
    let catalog = Arc::new(Catalog::open(store, catalog_config)?);
    let providers = section.providers.git.iter().map(|p| LocationConfig {
        location_type: "git".to_string(),
        target: p.target(),
    });
    let mut listed = Vec::new();
    let mut all_registered = true;
    for loc in section.locations.iter().cloned().chain(providers) {
        match catalog.add_location(&loc.location_type, &loc.target, AddMode::Lenient) {
            Ok(added) => {
                tracing::info!(
                    target = %added.location.target,
                    entities = added.entities.len(),
                    "configured location loaded"
                );
                listed.push(added.location.id);
            }
            Err(e) => {
                all_registered = false;
                tracing::error!(target = %loc.target, error = %e, "configured location failed")
            }
        }
    }
    // Locations the configuration no longer lists go, unless some listed
    // one could not be registered: then what "no longer listed" means is
    // not certain, and nothing is removed.
    if all_registered {
        if let Err(e) = catalog.retain_config_locations(&listed) {
            tracing::error!(error = %e, "removing locations no longer configured failed");
        }
    } else {
        tracing::warn!("a configured location failed; locations no longer configured are kept");
    }
    // Configured locations registered before were made due: refresh them
    // (in parallel) before serving, so a restart serves what is in them now.
    match catalog.refresh_due() {
        Ok(n) if n > 0 => tracing::info!(locations = n, "refreshed at start"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "refreshing locations at start failed"),
    }
    Ok(catalog)
}

/// Registers every route, extractor config and the error envelope. Routes
/// go through `service(...)` of utoipa-actix-web's config, which takes only
/// handlers described with `#[utoipa::path]`: each one is in the OpenAPI
/// document.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(4 * 1024 * 1024)
            .error_handler(error::json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(error::query_error))
    .app_data(web::PathConfig::default().error_handler(error::path_error))
    .app_data(web::FormConfig::default().error_handler(ui::form_error))
    .service(routes::health::healthz)
    .service(routes::health::readyz)
    .service(metrics::scrape)
    .service(openapi::document)
    .configure(routes::catalog::configure)
    .configure(routes::techdocs::configure)
    .configure(routes::search::configure)
    .configure(routes::scaffolder::configure)
    .configure(routes::scorecards::configure)
    .configure(routes::auth::configure)
    .configure(audit::configure)
    .configure(ui::configure)
    .default_service(web::to(error::not_found));
}

/// The OpenAPI document of every route [`configure`] registers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, api) = App::new()
        .into_utoipa_app()
        .configure(configure)
        .split_for_parts();
    openapi::finish(api)
}

/// Starts the HTTP server on an already-bound listener (port 0 in tests),
/// with no webhook secret.
pub fn serve(listener: TcpListener, catalog: Arc<Catalog>) -> std::io::Result<Server> {
    let state = AppState::for_catalog(catalog, None).map_err(std::io::Error::other)?;
    serve_state(listener, state)
}

/// Starts the HTTP server with the given state, stopped by its handle
/// (signals are the caller's: see [`serve_with`]).
pub fn serve_state(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    serve_with(listener, state, Duration::from_secs(10))
}

/// Starts the HTTP server; a graceful stop through its handle waits up to
/// `shutdown_timeout` for requests in flight. The server does not handle
/// signals itself: `portico serve` does, to stop the rest of the process in
/// order too.
pub fn serve_with(
    listener: TcpListener,
    state: AppState,
    shutdown_timeout: Duration,
) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let spec = openapi()
        .to_json()
        .map_err(|e| std::io::Error::other(format!("the OpenAPI document: {e}")))?;
    let spec = web::Data::new(openapi::ApiSpec(web::Bytes::from(spec)));
    let server = HttpServer::new(move || {
        use utoipa_actix_web::AppExt;
        App::new()
            .app_data(state.clone())
            .app_data(spec.clone())
            .wrap_fn(|req, srv| {
                let trace = trace::begin(&req);
                let span = trace.span.clone();
                let _entered = span.enter();
                let pending = audit::begin(&req);
                let refused = match csrf::refusal(&req) {
                    Some(why) => Some(ApiError::not_allowed(why).error_response()),
                    None => gate::refusal(&req),
                };
                let outcome = match refused {
                    Some(answer) => Err(req.into_response(answer)),
                    None => Ok(srv.call(req)),
                };
                let span = span.clone();
                async move {
                    let response = match outcome {
                        Ok(fut) => fut.await.map(error::with_request_info)?,
                        Err(refused) => error::with_request_info(refused),
                    };
                    let response = match pending {
                        Some(pending) => audit::finish(pending, response).await,
                        None => response,
                    };
                    Ok(trace::finish(trace, response))
                }
                .instrument(span)
            })
            .into_utoipa_app()
            .configure(configure)
            .into_app()
    })
    .disable_signals()
    .shutdown_timeout(shutdown_timeout.as_secs().max(1))
    .listen(listener)?
    .run();
    Ok(server)
}

/// How often a replica looks for locations due for refresh.
const REFRESH_POLL: Duration = Duration::from_millis(500);

/// The loops that keep a replica current: follow the change log often
/// (other replicas' writes), re-read every location now and then.
pub struct Background {
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl Background {
    /// `refresh`: whether this replica takes part in refreshing locations
    /// (each is due per `catalog.refreshInterval`; see `RefreshPolicy`).
    /// Syncing and refreshing run on their own threads, so a slow git
    /// remote never delays following other replicas' writes.
    pub fn spawn(catalog: Arc<Catalog>, sync_every: Duration, refresh: bool) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        let sync_catalog = catalog.clone();
        handles.extend(every("portico-sync", sync_every, stop.clone(), move || {
            if let Err(e) = sync_catalog.sync() {
                tracing::warn!(error = %e, "index sync failed");
            }
        }));
        if refresh {
            // Asking the database what is due is one indexed query: cheap
            // enough to do twice a second.
            handles.extend(every(
                "portico-refresh",
                REFRESH_POLL,
                stop.clone(),
                move || {
                    if let Err(e) = catalog.refresh_due() {
                        tracing::warn!(error = %e, "refreshing due locations failed");
                    }
                },
            ));
        }
        if let Some(recorder) = metrics::recorder() {
            handles.extend(every(
                "portico-metrics",
                metrics::UPKEEP_EVERY,
                stop.clone(),
                || recorder.run_upkeep(),
            ));
        }
        Background { stop, handles }
    }
}

impl Background {
    /// Adds the loop that keeps `auth`'s signing keys current (see
    /// [`auth::Auth::maintain_keys`]), once a minute.
    pub fn maintain_keys(&mut self, auth: Arc<auth::Auth>) {
        self.handles.extend(every(
            "portico-keys",
            Duration::from_secs(auth::KEY_LOOP_SECONDS.unsigned_abs()),
            self.stop.clone(),
            move || {
                if let Err(e) = auth.maintain_keys(auth::now_secs()) {
                    tracing::warn!(error = %e, "keeping the signing keys current failed");
                }
            },
        ));
    }
}

/// Runs `work` on a named thread every `period` until `stop` is set,
/// checking `stop` at least every 100 ms.
fn every(
    name: &str,
    period: Duration,
    stop: Arc<AtomicBool>,
    mut work: impl FnMut() + Send + 'static,
) -> Option<JoinHandle<()>> {
    let tick = Duration::from_millis(100).min(period);
    let spawned = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let mut last = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                if last.elapsed() >= period {
                    work();
                    last = Instant::now();
                }
            }
        });
    match spawned {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::error!(thread = name, error = %e, "cannot start a background thread");
            None
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
