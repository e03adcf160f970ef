//! Resolving a reference of a remote repository into its mirror, bounded in
//! time and size.
//!
//! The remote work runs on a worker thread; the caller waits at most
//! `fetch_timeout` for it. When the caller gives up it raises the worker's
//! interrupt flag (checked by gix while it reads a pack) and, for `git://`,
//! shuts the socket down so that a remote that stopped answering mid-read
//! releases the worker at once. HTTP gets a request timeout, ssh
//! keep-alives; so a worker outlives its caller only briefly and the
//! per-mirror lock it holds is released.
//!
//! The size limit is watched through gix's progress reporting: every read
//! of pack bytes is counted, and past the limit the interrupt flag stops
//! the very next read, whatever the transport.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gix::protocol::handshake::Ref;
use gix::protocol::transport::client::blocking_io::Transport;
use gix::remote::Direction;

use crate::error::{chain, GitError};
use crate::mirrors::candidates;
use crate::{handles, RepoUrl, Resolved};

/// Where a mirror keeps the remote's HEAD, which has no name of its own.
const MIRROR_HEAD: &str = "refs/mirror/HEAD";

pub(crate) struct Job {
    pub url: RepoUrl,
    pub mirror: PathBuf,
    pub reference: Option<String>,
    pub timeout: Duration,
    pub max_bytes: u64,
    /// For HTTP(S) remotes that ask for an account.
    pub credential: Option<crate::Credential>,
}

#[derive(Default)]
struct Shared {
    interrupt: AtomicBool,
    too_large: AtomicBool,
    socket: Mutex<Option<TcpStream>>,
}

impl Shared {
    fn abort(&self) {
        self.interrupt.store(true, Ordering::SeqCst);
        let socket = self.socket.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(socket) = socket {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

pub(crate) fn run(job: Job, lock: Arc<Mutex<()>>) -> Result<Resolved, GitError> {
    let shared = Arc::new(Shared::default());
    let now = Instant::now();
    // A timeout too large for the clock means none at all.
    let deadline = now
        .checked_add(job.timeout)
        .or_else(|| now.checked_add(Duration::from_secs(1 << 32)))
        .unwrap_or(now);
    let url = job.url.to_string();
    let seconds = u64::try_from(job.timeout.as_millis().div_ceil(1000)).unwrap_or(u64::MAX);
    let limit = job.max_bytes;
    let (tx, rx) = mpsc::channel();
    let worker = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("portico-git-fetch".to_string())
        .spawn(move || {
            let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            // The caller gave up while another fetch held the mirror.
            if worker.interrupt.load(Ordering::SeqCst) {
                return;
            }
            let _ = tx.send(resolve_remote(&job, &worker, deadline));
        })
        .map_err(|e| GitError::repository(&url, format!("no thread to fetch with: {e}")))?;
    let too_large = || GitError::TooLarge {
        url: url.clone(),
        limit,
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            shared.abort();
            return Err(GitError::Timeout { url, seconds });
        }
        match rx.recv_timeout(left) {
            Ok(Err(_)) if shared.too_large.load(Ordering::SeqCst) => return Err(too_large()),
            Ok(result) => return result,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                if shared.too_large.load(Ordering::SeqCst) {
                    return Err(too_large());
                }
                return Err(GitError::repository(
                    &url,
                    "the fetch stopped without a result",
                ));
            }
        }
    }
}

fn resolve_remote(
    job: &Job,
    shared: &Arc<Shared>,
    deadline: Instant,
) -> Result<Resolved, GitError> {
    let url = &job.url;
    let not_found = || GitError::RefNotFound {
        url: url.to_string(),
        reference: job.reference.clone().unwrap_or_else(|| "HEAD".to_string()),
    };
    // Set when the remote asks for an account, to say so plainly.
    let asked_for_account = Arc::new(AtomicBool::new(false));
    let failed = |e: &gix::Error| {
        let host = url.host().unwrap_or_default();
        if shared.too_large.load(Ordering::SeqCst) {
            GitError::TooLarge {
                url: url.to_string(),
                limit: job.max_bytes,
            }
        } else if asked_for_account.load(Ordering::SeqCst) {
            let message = match &job.credential {
                None => format!(
                    "it asks for an account, and none is configured for host {host} \
                     (catalog.gitCredentials)"
                ),
                Some(_) => format!(
                    "it refused the account configured for host {host} \
                     (catalog.gitCredentials): {}",
                    chain(e)
                ),
            };
            GitError::Unreachable {
                url: url.to_string(),
                message,
            }
        } else {
            GitError::Unreachable {
                url: url.to_string(),
                message: chain(e),
            }
        }
    };
    let specs = refspecs(job.reference.as_deref()).ok_or_else(not_found)?;
    let repo = open_mirror(&job.mirror, job)?;
    let remote = repo
        .remote_at_without_url_rewrite(url.as_str())
        .and_then(|r| r.with_refspecs(specs.iter().map(String::as_str), Direction::Fetch))
        .map_err(|e| GitError::repository(url, chain(&e)))?
        .with_fetch_tags(gix::remote::fetch::Tags::None);
    let connection = if url.scheme() == "git" {
        let transport: Box<dyn Transport + Send> = Box::new(connect_daemon(url, shared, deadline)?);
        remote.to_connection_with_transport(transport)
    } else {
        let connection = remote.connect(Direction::Fetch).map_err(|e| failed(&e))?;
        let connection = match http_options(&repo, url, job.timeout) {
            Some(options) => connection.with_transport_options(options),
            None => connection,
        };
        // No credential helper is run and nobody is prompted (a server may
        // well have a terminal, and a prompt would hang the refresh): the
        // account comes from Portico's configuration or not at all.
        let credential = job.credential.clone();
        let asked = Arc::clone(&asked_for_account);
        connection.with_credentials(move |action| match (action, &credential) {
            (gix::credentials::helper::Action::Get(_), None) => {
                asked.store(true, Ordering::SeqCst);
                Ok(None)
            }
            (gix::credentials::helper::Action::Get(context), Some(credential)) => {
                asked.store(true, Ordering::SeqCst);
                Ok(Some(gix::credentials::protocol::Outcome {
                    identity: gix::sec::identity::Account {
                        username: credential.username.clone(),
                        password: credential.token.clone(),
                        oauth_refresh_token: None,
                    },
                    next: context.into(),
                }))
            }
            _ => Ok(None),
        })
    };
    let prepare = connection
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(|e| failed(&e))?;
    let (reference, commit) =
        pick(&prepare.ref_map().remote_refs, job.reference.as_deref()).ok_or_else(not_found)?;
    if repo.has_object(commit) {
        return Ok(Resolved {
            commit: commit.to_string(),
            reference,
            fetched: false,
        });
    }
    let started = Instant::now();
    let watch = PackWatch::new(Arc::clone(shared), job.max_bytes);
    prepare
        .receive(watch, &shared.interrupt)
        .map_err(|e| failed(&e))?;
    if !repo.has_object(commit) {
        return Err(GitError::repository(
            url,
            format!("the remote did not send commit {commit} of {reference}"),
        ));
    }
    tracing::info!(
        url = %url,
        reference = %reference,
        commit = %commit,
        ms = started.elapsed().as_millis(),
        "fetched git repository"
    );
    Ok(Resolved {
        commit: commit.to_string(),
        reference,
        fetched: true,
    })
}

/// Mirrors store each fetched ref under its own name (HEAD aside), so that
/// later fetches can tell the remote what they already have.
fn refspecs(reference: Option<&str>) -> Option<Vec<String>> {
    match reference {
        None | Some("HEAD") => Some(vec![format!("+HEAD:{MIRROR_HEAD}")]),
        Some(reference) => Some(
            candidates(reference)?
                .into_iter()
                .map(|name| format!("+{name}:{name}"))
                .collect(),
        ),
    }
}

/// The full ref name and commit the remote advertised for `reference`.
fn pick(refs: &[Ref], reference: Option<&str>) -> Option<(String, gix::ObjectId)> {
    let named = |name: &str| {
        refs.iter().find_map(|r| match r {
            Ref::Direct {
                full_ref_name,
                object,
            }
            | Ref::Peeled {
                full_ref_name,
                object,
                ..
            } if full_ref_name == name => Some((name.to_string(), *object)),
            Ref::Symbolic {
                full_ref_name,
                target,
                object,
                ..
            } if full_ref_name == name => Some((target.to_string(), *object)),
            _ => None,
        })
    };
    match reference {
        None | Some("HEAD") => named("HEAD"),
        Some(reference) => candidates(reference)?.iter().find_map(|name| named(name)),
    }
}

fn open_mirror(path: &Path, job: &Job) -> Result<gix::Repository, GitError> {
    // No user or system configuration, as for local repositories; ssh must
    // never prompt and must notice a dead connection.
    let connect_seconds = job.timeout.as_secs().clamp(1, 30);
    let options = || {
        gix::open::Options::isolated().config_overrides([
            format!(
                "core.sshCommand=ssh -o BatchMode=yes -o ConnectTimeout={connect_seconds} \
                 -o ServerAliveInterval=15 -o ServerAliveCountMax=2"
            ),
            "ssh.variant=ssh".to_string(),
        ])
    };
    let broken = |message: String| GitError::repository(&job.url, message);
    if path.exists() {
        match gix::open_opts(path, options()) {
            Ok(repo) => {
                sweep_stale(&path.join("objects").join("pack"), |name| {
                    !name.starts_with("pack-") && name != "multi-pack-index"
                });
                return Ok(repo);
            }
            Err(e) => {
                tracing::warn!(
                    mirror = %path.display(),
                    error = %chain(&e),
                    "re-creating unusable git mirror"
                );
                handles::forget(path);
                std::fs::remove_dir_all(path).map_err(|e| {
                    broken(format!(
                        "the mirror {} could not be removed: {e}",
                        path.display()
                    ))
                })?;
            }
        }
    }
    if let Some(parent) = path.parent() {
        sweep_stale(parent, |name| name.starts_with(".tmp-"));
    }
    create_mirror(path).map_err(broken)?;
    gix::open_opts(path, options()).map_err(|e| broken(chain(&e)))
}

/// A fetch or mirror creation that was under way when the process died
/// leaves temporary files behind. Ones untouched for an hour belong to
/// nobody: a live fetch writes continually, and a mirror is created in
/// moments.
fn sweep_stale(dir: &Path, temporary: impl Fn(&str) -> bool) {
    const STALE: Duration = Duration::from_secs(3600);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !temporary(&name.to_string_lossy()) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE);
        if stale {
            let path = entry.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            tracing::debug!(path = %path.display(), ok = removed.is_ok(), "removed stale temporary git file");
        }
    }
}

/// Initialised next to its final place and renamed, so that a mirror
/// directory always holds a complete repository.
fn create_mirror(path: &Path) -> Result<(), String> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| {
        format!(
            "the cache directory {} could not be created: {e}",
            parent.display()
        )
    })?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(
        ".tmp-{name}-{}-{nanos}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let init = gix::ThreadSafeRepository::init_opts(
        &tmp,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    );
    if let Err(e) = init {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("the mirror could not be created: {}", chain(&e)));
    }
    match std::fs::rename(&tmp, path) {
        Ok(()) => Ok(()),
        // Another process created it meanwhile.
        Err(_) if path.exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(format!(
                "the mirror {} could not be created: {e}",
                path.display()
            ))
        }
    }
}

/// The configured HTTP options plus a whole-request timeout, which gix's
/// reqwest client does not set by itself.
fn http_options(
    repo: &gix::Repository,
    url: &RepoUrl,
    timeout: Duration,
) -> Option<Box<dyn std::any::Any>> {
    use gix::protocol::transport::client::blocking_io::http;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let configured = repo.transport_options(url.as_str(), None).ok().flatten();
    let mut options = configured
        .and_then(|o| o.downcast::<http::Options>().ok())
        .map(|o| *o)
        .unwrap_or_default();
    options.connect_timeout = Some(timeout.min(Duration::from_secs(30)));
    let backend = http::reqwest::Options {
        configure_client: Some(Box::new(move |builder| Ok(builder.timeout(timeout)))),
        ..Default::default()
    };
    options.backend = Some(Arc::new(Mutex::new(backend)));
    Some(Box::new(options))
}

/// A `git://` connection whose socket the caller can shut down.
fn connect_daemon(
    url: &RepoUrl,
    shared: &Arc<Shared>,
    deadline: Instant,
) -> Result<
    gix::protocol::transport::client::git::blocking_io::Connection<TcpStream, TcpStream>,
    GitError,
> {
    let unreachable = |message: String| GitError::Unreachable {
        url: url.to_string(),
        message,
    };
    let host = url.host().unwrap_or_default();
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port().unwrap_or(9418);
    let addrs: Vec<SocketAddr> = (bare_host, port)
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("the host {host} could not be resolved: {e}")))?
        .collect();
    let left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    let mut last_error = format!("the host {host} has no address");
    let mut connected = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, left()) {
            Ok(stream) => {
                connected = Some(stream);
                break;
            }
            Err(e) => last_error = format!("connecting to {addr} failed: {e}"),
        }
    }
    let stream = connected.ok_or_else(|| unreachable(last_error))?;
    let io_error = |e: io::Error| unreachable(e.to_string());
    // Also bounds the worker by itself, should the shutdown not reach it.
    // The protocol writes many small packet lines; with Nagle's algorithm
    // each waits for the server's delayed ACK (40 ms on Linux).
    stream.set_nodelay(true).map_err(io_error)?;
    stream.set_read_timeout(Some(left())).map_err(io_error)?;
    stream.set_write_timeout(Some(left())).map_err(io_error)?;
    *shared.socket.lock().unwrap_or_else(|p| p.into_inner()) =
        Some(stream.try_clone().map_err(io_error)?);
    if shared.interrupt.load(Ordering::SeqCst) {
        let _ = stream.shutdown(Shutdown::Both);
    }
    let write = stream.try_clone().map_err(io_error)?;
    Ok(
        gix::protocol::transport::client::git::blocking_io::Connection::new(
            stream,
            write,
            gix::protocol::transport::Protocol::V2,
            url.network_path(),
            Some((host.to_string(), url.port())),
            gix::protocol::transport::client::git::ConnectMode::Daemon,
            false,
        )
        .custom_url(Some(url.as_str().into())),
    )
}

/// Progress that counts the bytes of the incoming pack and interrupts the
/// fetch past the limit; everything else it discards.
struct PackWatch {
    shared: Arc<Shared>,
    limit: u64,
    id: gix::progress::Id,
    counter: gix::progress::StepShared,
}

/// gix-pack's id for "read pack" bytes (`ProgressId::ReadPackBytes`).
const READ_PACK_BYTES: gix::progress::Id = *b"BWRB";

impl PackWatch {
    fn new(shared: Arc<Shared>, limit: u64) -> PackWatch {
        PackWatch {
            shared,
            limit,
            id: gix::progress::UNKNOWN,
            counter: Default::default(),
        }
    }

    fn check(&self) {
        let received = self.counter.load(Ordering::Relaxed) as u64;
        if self.id == READ_PACK_BYTES && received > self.limit {
            self.shared.too_large.store(true, Ordering::SeqCst);
            self.shared.interrupt.store(true, Ordering::SeqCst);
        }
    }
}

impl gix::progress::Count for PackWatch {
    fn set(&self, step: gix::progress::Step) {
        self.counter.store(step, Ordering::Relaxed);
        self.check();
    }

    fn step(&self) -> gix::progress::Step {
        self.counter.load(Ordering::Relaxed)
    }

    fn inc_by(&self, step: gix::progress::Step) {
        self.counter.fetch_add(step, Ordering::Relaxed);
        self.check();
    }

    fn counter(&self) -> gix::progress::StepShared {
        Arc::clone(&self.counter)
    }
}

impl gix::progress::Progress for PackWatch {
    fn init(&mut self, _max: Option<gix::progress::Step>, _unit: Option<gix::progress::Unit>) {}

    fn set_name(&mut self, _name: String) {}

    fn name(&self) -> Option<String> {
        None
    }

    fn id(&self) -> gix::progress::Id {
        self.id
    }

    fn message(&self, _level: gix::progress::MessageLevel, _message: String) {}
}

impl gix::progress::NestedProgress for PackWatch {
    type SubProgress = PackWatch;

    fn add_child(&mut self, name: impl Into<String>) -> PackWatch {
        self.add_child_with_id(name, gix::progress::UNKNOWN)
    }

    fn add_child_with_id(&mut self, _name: impl Into<String>, id: gix::progress::Id) -> PackWatch {
        PackWatch {
            id,
            ..PackWatch::new(Arc::clone(&self.shared), self.limit)
        }
    }
}
