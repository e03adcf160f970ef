//! Typed configuration: defaults, then an optional YAML file
//! (Backstage `app-config.yaml`-like, camelCase keys).

use std::path::{Path, PathBuf};

use portico_catalog::OrphanStrategy;

mod layers;
pub use layers::{redacted_yaml, ENV_PREFIX};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {message}")]
    Read { path: String, message: String },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid config {key}: {message}")]
    Invalid { key: String, message: String },
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub catalog: CatalogSection,
    pub techdocs: TechDocsSection,
    pub scaffolder: ScaffolderSection,
    pub auth: AuthSection,
    pub scorecards: ScorecardsSection,
    /// Where SQLite and other local state live when no database URL is given.
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// Seconds from SIGTERM (or Ctrl-C) to exit: requests in flight finish
    /// and running work stops within it. Keep it under the orchestrator's
    /// grace period (Kubernetes: `terminationGracePeriodSeconds`, 30).
    pub shutdown_timeout: u64,
    /// Seconds after SIGTERM during which the server still answers while
    /// `/readyz` says 503, so load balancers stop sending before the
    /// listener closes (a connection arriving after that is refused).
    /// Part of `shutdownTimeout`; Ctrl-C skips it.
    pub shutdown_drain: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` or `postgres://…`; default: SQLite under `dataDir`.
    pub url: Option<String>,
}

/// `techdocs`: building entities' doc sites.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct TechDocsSection {
    /// Sites one replica builds at the same time.
    pub build_workers: usize,
    /// Seconds between checks of every docs source for changes that no
    /// catalog change announces (a directory's files, a `url:` ref's
    /// branch); 0 turns the periodic check off.
    pub recheck_interval: u64,
    /// Where pages with mermaid diagrams load mermaid from (an ES module).
    pub mermaid_url: String,
}

impl Default for TechDocsSection {
    fn default() -> Self {
        TechDocsSection {
            build_workers: 2,
            recheck_interval: 60,
            mermaid_url: portico_techdocs::DEFAULT_MERMAID_URL.to_string(),
        }
    }
}

/// `scorecards`: ownership and operational-readiness checks.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ScorecardsSection {
    /// The scorecards, each as `portico-scorecards` reads them. Without
    /// the key, the built-in ones (`production-readiness` for services and
    /// websites, `api-quality` for APIs); `[]` turns scorecards off.
    pub definitions: Option<Vec<serde_json::Value>>,
    /// Seconds between evaluations of everything (checks that depend on
    /// time, like `updated-within`); changes are evaluated as they come.
    pub evaluate_interval: u64,
    /// Days of history kept for trends.
    pub history_days: u32,
}

impl Default for ScorecardsSection {
    fn default() -> Self {
        ScorecardsSection {
            definitions: None,
            evaluate_interval: 3600,
            history_days: 180,
        }
    }
}

/// The scorecards used when the configuration names none.
const BUILTIN_SCORECARDS: &str = include_str!("../scorecards/builtin.yaml");

impl ScorecardsSection {
    /// The definitions, checked: a mistake names the definition and what
    /// is wrong.
    pub fn compile(&self) -> Result<Vec<portico_scorecards::Scorecard>, ConfigError> {
        let builtin;
        let definitions = match &self.definitions {
            Some(definitions) => definitions,
            None => {
                builtin = serde_yaml::from_str::<Vec<serde_json::Value>>(BUILTIN_SCORECARDS)
                    .map_err(|e| ConfigError::Invalid {
                        key: "scorecards (built-in)".to_owned(),
                        message: e.to_string(),
                    })?;
                &builtin
            }
        };
        let mut cards: Vec<portico_scorecards::Scorecard> = Vec::new();
        for (i, definition) in definitions.iter().enumerate() {
            let invalid = |message: String| ConfigError::Invalid {
                key: format!("scorecards.definitions[{i}]"),
                message,
            };
            let card = portico_scorecards::Scorecard::from_value(definition.clone())
                .map_err(|e| invalid(e.to_string()))?;
            if cards.iter().any(|c| c.name == card.name) {
                return Err(invalid(format!("the name {} is used twice", card.name)));
            }
            cards.push(card);
        }
        Ok(cards)
    }
}

/// `scaffolder`: running templates.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaffolderSection {
    /// Tasks one replica runs at the same time.
    pub workers: usize,
    /// Seconds without a heartbeat after which a running task is failed
    /// (the replica running it died).
    pub heartbeat_timeout: u64,
    /// Where `publish:git` creates repositories; default `<dataDir>/repos`.
    /// The catalog may read repositories here.
    pub repositories_dir: Option<PathBuf>,
}

impl Default for ScaffolderSection {
    fn default() -> Self {
        ScaffolderSection {
            workers: 2,
            heartbeat_timeout: 30,
            repositories_dir: None,
        }
    }
}

/// `auth`: who is calling, and what they may do.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthSection {
    /// Sign-in providers. Default: `guest` only, for trying Portico out.
    pub providers: AuthProviders,
    /// Callers without credentials may read. On by default, for local
    /// development; turn it off wherever Portico is reachable by others.
    pub allow_anonymous_read: bool,
    /// Members of this group may unregister and delete anything and read
    /// the audit log (a ref; `admins` means `group:default/admins`).
    pub admin_group: Option<String>,
    /// Static tokens for CI and automation.
    pub service_tokens: Vec<ServiceTokenConfig>,
    /// Lifetime of the tokens Portico issues, in seconds.
    pub token_ttl: u64,
    /// Seconds after which a new signing key replaces the current one
    /// (tokens signed with the old one stay valid until they expire); 0
    /// never rotates. Generated keys only, not `signingKeyFile`.
    pub key_rotation_interval: u64,
    /// Where the signing keys live; default `<dataDir>/auth-keys`. Several
    /// replicas must share it (or use `signingKeyFile`).
    pub keys_dir: Option<PathBuf>,
    /// A PKCS#8 PEM Ed25519 key to sign with instead of generated ones.
    pub signing_key_file: Option<PathBuf>,
    /// `iss` of issued tokens.
    pub issuer: String,
    /// `aud` of issued tokens.
    pub audience: String,
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            providers: AuthProviders::default(),
            allow_anonymous_read: true,
            admin_group: None,
            service_tokens: Vec::new(),
            token_ttl: 3600,
            key_rotation_interval: 86_400,
            keys_dir: None,
            signing_key_file: None,
            issuer: "portico".to_owned(),
            audience: "portico".to_owned(),
        }
    }
}

/// Without `auth.providers` only `guest` is on; a `providers` section
/// turns on exactly the providers it lists.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthProviders {
    /// `guest: {}` signs anyone in as `user:default/guest`.
    #[serde(default)]
    pub guest: Option<GuestProviderConfig>,
    #[serde(default)]
    pub oidc: Option<OidcProviderConfig>,
}

impl Default for AuthProviders {
    fn default() -> Self {
        AuthProviders {
            guest: Some(GuestProviderConfig {}),
            oidc: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuestProviderConfig {}

/// The company identity provider: its ID tokens are verified against its
/// JWKS (a file, or a URL read at start).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcProviderConfig {
    pub issuer: String,
    pub audience: String,
    pub jwks_file: Option<PathBuf>,
    pub jwks_url: Option<String>,
    /// Accepted signature algorithms; default RS256, ES256, EdDSA. `none`
    /// and HS* are always refused.
    pub algorithms: Option<Vec<String>>,
    /// Let people with no User entity sign in as `user:default/<name>`,
    /// owning nothing; default: refuse them.
    #[serde(default)]
    pub allow_unknown_users: bool,
}

/// `{ token | tokenEnv, subject, permissions }`: the token itself, or the
/// environment variable that holds it.
#[derive(Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceTokenConfig {
    pub token: Option<String>,
    pub token_env: Option<String>,
    pub subject: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl std::fmt::Debug for ServiceTokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceTokenConfig")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("token_env", &self.token_env)
            .field("subject", &self.subject)
            .field("permissions", &self.permissions)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogSection {
    /// Locations registered at start (if not registered yet).
    pub locations: Vec<LocationConfig>,
    pub orphan_strategy: OrphanStrategy,
    /// Seconds between refreshes of each location (jittered); 0 turns the
    /// loop off.
    #[serde(alias = "refreshIntervalSeconds")]
    pub refresh_interval: u64,
    /// Locations one replica refreshes at the same time.
    pub refresh_workers: usize,
    /// Seconds after which a replica's claim on a location it is refreshing
    /// lapses, so that a replica that died mid-refresh does not hold it.
    pub refresh_claim_timeout: u64,
    /// Secret that push webhooks are signed with (GitHub, Gitea: HMAC-SHA256;
    /// GitLab: the token itself). Without it, webhooks are refused.
    pub webhook_secret: Option<String>,
    /// Host names `url` and `git` locations may name (`*.example.com` for
    /// sub-domains). Empty: no remote repository may be registered.
    pub allowed_hosts: Vec<String>,
    /// Whether `git` locations may name repositories on this machine.
    pub allow_local_repositories: bool,
    /// Whether locations registered through the API (or by templates) may
    /// define Group and User entities. Off: the organisation, which decides
    /// who may do what, comes only from configured locations and providers.
    pub allow_org_from_registered_locations: bool,
    /// Seconds a clone or fetch may take.
    pub git_fetch_timeout: u64,
    /// Largest pack a fetch may receive, in bytes.
    pub git_max_fetch_bytes: u64,
    /// Accounts for private repositories over HTTPS, one per host.
    pub git_credentials: Vec<GitCredentialConfig>,
    pub providers: ProvidersConfig,
    /// How often the in-memory index follows other replicas' writes.
    pub sync_interval_millis: u64,
    pub max_file_bytes: u64,
    /// Directories that `file` locations registered through the API (and
    /// every Location target they name) must lie under. Default: the
    /// example catalog's directory and `dataDir`. Locations listed in this
    /// file are trusted: their directories are added.
    pub file_location_roots: Option<Vec<PathBuf>>,
}

/// `{ host, username?, token | tokenEnv }`: the token itself, or the name of
/// the environment variable that holds it (keeps it out of the file).
#[derive(Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitCredentialConfig {
    pub host: String,
    #[serde(default = "default_git_username")]
    pub username: String,
    pub token: Option<String>,
    pub token_env: Option<String>,
}

fn default_git_username() -> String {
    // GitHub takes any user name with a token; this one also works for
    // GitHub App installation tokens.
    "x-access-token".to_string()
}

impl std::fmt::Debug for GitCredentialConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitCredentialConfig")
            .field("host", &self.host)
            .field("username", &self.username)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_env", &self.token_env)
            .finish()
    }
}

impl GitCredentialConfig {
    /// The credential, with its token read from the environment if so
    /// configured.
    pub fn resolve(&self) -> Result<portico_git::Credential, ConfigError> {
        let token = secret(
            "catalog.gitCredentials",
            &format!("host {}", self.host),
            self.token.as_deref(),
            self.token_env.as_deref(),
        )?;
        Ok(portico_git::Credential {
            host: self.host.to_ascii_lowercase(),
            username: self.username.clone(),
            token,
        })
    }
}

/// A secret given in the file or, better, named by the environment
/// variable that holds it: exactly one of the two.
fn secret(
    key: &str,
    whose: &str,
    value: Option<&str>,
    env: Option<&str>,
) -> Result<String, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        key: key.to_string(),
        message,
    };
    match (value, env) {
        (Some(value), None) => Ok(value.to_owned()),
        (None, Some(var)) => std::env::var(var).map_err(|_| {
            invalid(format!(
                "the token of {whose} is to come from ${var}, which is not set"
            ))
        }),
        _ => Err(invalid(format!(
            "{whose} needs exactly one of token and tokenEnv"
        ))),
    }
}

impl ServiceTokenConfig {
    /// The token as the auth crate takes it, its secret read.
    pub fn resolve(&self) -> Result<portico_auth::ServiceToken, ConfigError> {
        let whose = format!("service {}", self.subject);
        let token = secret(
            "auth.serviceTokens",
            &whose,
            self.token.as_deref(),
            self.token_env.as_deref(),
        )?;
        let permissions = self
            .permissions
            .iter()
            .map(|p| {
                p.parse::<portico_auth::Permission>()
                    .map_err(|e| ConfigError::Invalid {
                        key: "auth.serviceTokens".to_string(),
                        message: format!("{whose}: {e}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(portico_auth::ServiceToken {
            token,
            subject: self.subject.clone(),
            permissions,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvidersConfig {
    /// Repositories whose matching files are all registered.
    pub git: Vec<GitProviderConfig>,
}

/// Every file of `url` at `branch` matching `glob` is a catalog file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GitProviderConfig {
    pub url: String,
    /// Default: the repository's HEAD.
    pub branch: Option<String>,
    #[serde(default = "default_provider_glob")]
    pub glob: String,
}

fn default_provider_glob() -> String {
    "**/catalog-info.yaml".to_string()
}

impl GitProviderConfig {
    /// The `git` location target the provider reads.
    pub fn target(&self) -> String {
        let glob = self.glob.trim_start_matches('/');
        match &self.branch {
            Some(branch) => format!("{}//{glob}?ref={branch}", self.url),
            None => format!("{}//{glob}", self.url),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
    #[serde(rename = "type", default = "file_type")]
    pub location_type: String,
    pub target: String,
}

fn file_type() -> String {
    "file".to_string()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            catalog: CatalogSection::default(),
            techdocs: TechDocsSection::default(),
            scaffolder: ScaffolderSection::default(),
            auth: AuthSection::default(),
            scorecards: ScorecardsSection::default(),
            data_dir: PathBuf::from("data"),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".to_string(),
            port: 7007,
            shutdown_timeout: 10,
            shutdown_drain: 2,
        }
    }
}

impl Default for CatalogSection {
    fn default() -> Self {
        CatalogSection {
            locations: Vec::new(),
            orphan_strategy: OrphanStrategy::default(),
            refresh_interval: 60,
            refresh_claim_timeout: 300,
            refresh_workers: 4,
            webhook_secret: None,
            allowed_hosts: Vec::new(),
            allow_local_repositories: false,
            allow_org_from_registered_locations: false,
            git_fetch_timeout: 120,
            git_max_fetch_bytes: 1 << 30,
            git_credentials: Vec::new(),
            providers: ProvidersConfig::default(),
            sync_interval_millis: 2_000,
            max_file_bytes: portico_catalog::read::ReadOptions::default().max_file_bytes,
            file_location_roots: None,
        }
    }
}

/// The catalog a newcomer sees when there is no config: the example
/// organisation, if we run from a checkout that has it.
pub const EXAMPLE_CATALOG: &str = "catalog-examples/all.yaml";

/// Portico's own docs in a checkout: the example `portico` component's
/// TechDocs, so a default file root beside the example catalog.
pub const EXAMPLE_DOCS: &str = "docs";

/// The templates shipped with Portico (`templates/`), registered by the
/// example catalog: a default file root, for their catalog files and
/// skeletons.
pub const SHIPPED_TEMPLATES: &str = "templates";

impl Config {
    /// Defaults, overlaid with `path` when given. With no file and no
    /// configured locations, the example catalog is loaded if present.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let files: Vec<PathBuf> = path.into_iter().map(Path::to_path_buf).collect();
        let env: Vec<(String, String)> = std::env::vars().collect();
        Config::load_layers(&files, &env)
    }

    /// Defaults, then `files` in order (later ones override), then the
    /// `PORTICO__` variables of `env`; `${VAR}` in the files comes from
    /// `env` too. With no file and no configured locations, the example
    /// catalog is loaded if present.
    pub fn load_layers(files: &[PathBuf], env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut config = layers::load_layers(files, env)?;
        config.scorecards.compile()?;
        if files.is_empty()
            && config.catalog.locations.is_empty()
            && Path::new(EXAMPLE_CATALOG).exists()
        {
            config.catalog.locations.push(LocationConfig {
                location_type: "file".to_string(),
                target: EXAMPLE_CATALOG.to_string(),
            });
        }
        Ok(config)
    }

    /// The directories file locations may be read from, canonicalised;
    /// roots that do not exist are left out (nothing can be read there).
    /// Where `publish:git` creates repositories.
    pub fn repositories_dir(&self) -> PathBuf {
        self.scaffolder
            .repositories_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("repos"))
    }

    pub fn file_roots(&self) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = match &self.catalog.file_location_roots {
            Some(roots) => roots.clone(),
            None => {
                let examples = Path::new(EXAMPLE_CATALOG).parent().map(Path::to_path_buf);
                examples
                    .into_iter()
                    .chain([
                        PathBuf::from(EXAMPLE_DOCS),
                        PathBuf::from(SHIPPED_TEMPLATES),
                        self.data_dir.clone(),
                    ])
                    .collect()
            }
        };
        for loc in self
            .catalog
            .locations
            .iter()
            .filter(|l| l.location_type == "file")
        {
            if let Some(dir) = Path::new(&loc.target).parent() {
                roots.push(if dir.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    dir.to_path_buf()
                });
            }
        }
        let mut canonical: Vec<PathBuf> =
            roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
        canonical.sort();
        canonical.dedup();
        canonical
    }

    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("portico.db").display()),
        }
    }
}
