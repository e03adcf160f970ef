//! The search index on disk survives a killed server and a corrupted
//! directory: the next start serves a complete index.

use std::time::{Duration, Instant};

use crate::cli::{free_port, get_json, http_get, serve_example};

/// Components the catalog has, and components search finds, once equal.
fn wait_complete(port: u16) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let catalog = get_json(
            port,
            "/api/catalog/entities/by-query?filter=kind=component&limit=1",
        )
        .and_then(|p| p["totalItems"].as_u64());
        let searched = get_json(
            port,
            "/api/search/query?filters[kind]=component&types[]=software-catalog&pageLimit=100",
        )
        .and_then(|p| p["numberOfResults"].as_u64());
        if let (Some(c), Some(s)) = (catalog, searched) {
            if c == s || Instant::now() > deadline {
                return (c as usize, s as usize);
            }
        } else if Instant::now() > deadline {
            return (0, 0);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_killed_server_and_a_corrupt_index_come_back_complete() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    {
        let _server = serve_example(data.path(), port);
        // Killed as soon as it answers: the index may be mid-build.
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(port, "/healthz").is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let port = free_port();
    {
        let _server = serve_example(data.path(), port);
        let (catalog, searched) = wait_complete(port);
        assert!(catalog >= 15, "{catalog} components");
        assert_eq!(searched, catalog, "after a kill mid-build");
        let hit = get_json(port, "/api/search/query?term=payments-service").unwrap();
        assert_eq!(
            hit["results"][0]["document"]["location"],
            "/catalog/default/component/payments-service"
        );
    }
    // Garble every index file, keeping the names.
    let index = data.path().join("search");
    let mut garbled = 0;
    for entry in std::fs::read_dir(&index).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::write(&path, b"\0garbage\0").unwrap();
            garbled += 1;
        }
    }
    assert!(garbled > 0, "the index lives in {}", index.display());
    let port = free_port();
    let _server = serve_example(data.path(), port);
    let (catalog, searched) = wait_complete(port);
    assert!(catalog >= 15, "{catalog} components");
    assert_eq!(searched, catalog, "after the index was corrupted");
}
