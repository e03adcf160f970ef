//! Smart HTTP in front of `git http-backend`, from the crate's `serve` module.

use std::path::Path;

pub struct HttpServer(portico_git::serve::HttpGitServer);

impl HttpServer {
    /// `None` (after saying why) when git has no http-backend.
    pub fn start(root: &Path, slow: bool) -> Option<HttpServer> {
        match portico_git::serve::HttpGitServer::start(root, slow) {
            Ok(server) => Some(HttpServer(server)),
            Err(why) => {
                eprintln!("skipped: {why}");
                None
            }
        }
    }

    pub fn url(&self, path: &str) -> portico_git::RepoUrl {
        portico_git::RepoUrl::parse(&self.0.url(path)).unwrap()
    }
}
