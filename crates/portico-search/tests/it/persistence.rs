//! Opening an index directory: reuse, version mismatch, corruption.

use std::fs;
use std::path::{Path, PathBuf};

use portico_search::{Batch, Opened, Position, SearchError, SearchIndex, SearchQuery, Update};

use crate::common::{catalog, locations, payments, PAYMENTS};

const WRITTEN: Position = Position {
    entities: 42,
    docs: 17,
};

/// An index on disk with the fixture catalog, committed at `WRITTEN`.
fn written_index(dir: &Path) {
    let (index, opened) = SearchIndex::open(dir).expect("open new");
    assert_eq!(opened, Opened::Created);
    let writer = index.writer().expect("writer");
    writer
        .send(Batch {
            updates: catalog(),
            position: WRITTEN,
        })
        .expect("send");
    writer.flush().expect("flush");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

fn files_ending(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .collect();
    files.sort();
    files
}

/// The recreated index is empty and fully usable.
fn assert_recreated_and_usable(dir: &Path) {
    let (index, opened) = SearchIndex::open(dir).expect("open must not fail");
    assert_eq!(opened, Opened::Created);
    assert_eq!(index.num_docs(), 0);
    assert_eq!(index.position(), Position::default());
    let writer = index.writer().expect("writer");
    writer
        .send(Batch {
            updates: vec![Update::UpsertEntity(payments())],
            position: Position {
                entities: 1,
                docs: 1,
            },
        })
        .expect("send");
    writer.flush().expect("flush");
    assert_eq!(
        locations(&index.query(&SearchQuery::term("payments")).expect("query")),
        vec![PAYMENTS.to_owned()]
    );
}

#[test]
fn reopen_reuses_index_and_position() {
    let tmp = tempfile::tempdir().expect("tmp");
    written_index(tmp.path());
    let (index, opened) = SearchIndex::open(tmp.path()).expect("reopen");
    assert_eq!(opened, Opened::Reused(WRITTEN));
    assert_eq!(index.position(), WRITTEN);
    assert_eq!(
        locations(&index.query(&SearchQuery::term("payments")).expect("q"))[0],
        PAYMENTS
    );
    assert!(index.size_on_disk() > 1000, "{}", index.size_on_disk());
    // And it can be written again (the first writer's lock is gone).
    let writer = index.writer().expect("writer after reopen");
    writer
        .send(Batch {
            updates: vec![Update::RemoveEntity("component:default/payments".into())],
            position: Position {
                entities: 43,
                docs: 17,
            },
        })
        .expect("send");
    writer.flush().expect("flush");
    drop(writer);
    drop(index);
    let (_, opened) = SearchIndex::open(tmp.path()).expect("third open");
    assert_eq!(
        opened,
        Opened::Reused(Position {
            entities: 43,
            docs: 17
        })
    );
}

#[test]
fn in_memory_index_has_no_size() {
    assert_eq!(SearchIndex::in_memory().expect("index").size_on_disk(), 0);
}

#[test]
fn other_schema_version_is_recreated() {
    let tmp = tempfile::tempdir().expect("tmp");
    written_index(tmp.path());
    let meta_path = tmp.path().join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&meta_path).expect("meta")).expect("json");
    let payload: serde_json::Value =
        serde_json::from_str(meta["payload"].as_str().expect("payload string"))
            .expect("payload json");
    assert_eq!(payload["schema_version"], portico_search::SCHEMA_VERSION);
    meta["payload"] = serde_json::json!({
        "schema_version": portico_search::SCHEMA_VERSION + 1,
        "position": { "entities": 42, "docs": 17 },
    })
    .to_string()
    .into();
    fs::write(&meta_path, meta.to_string()).expect("write meta");
    assert_recreated_and_usable(tmp.path());
}

#[test]
fn corrupt_directories_are_recreated_without_panic() {
    let tmp = tempfile::tempdir().expect("tmp");
    let good = tmp.path().join("good");
    written_index(&good);

    type Damage = fn(&Path);
    let damages: Vec<(&str, Damage)> = vec![
        ("garbled meta.json", |d| {
            fs::write(d.join("meta.json"), b"{ not json").expect("w")
        }),
        ("empty meta.json", |d| {
            fs::write(d.join("meta.json"), b"").expect("w")
        }),
        ("garbled .managed.json", |d| {
            fs::write(d.join(".managed.json"), b"[1,").expect("w")
        }),
        ("truncated store", |d| truncate_all(d, ".store", 10)),
        ("truncated terms", |d| truncate_all(d, ".term", 3)),
        ("truncated postings", |d| truncate_all(d, ".idx", 0)),
        ("garbled fast fields", |d| garble_all(d, ".fast")),
        ("garbled positions", |d| garble_all(d, ".pos")),
        ("missing segment file", |d| {
            for f in files_ending(d, ".term") {
                fs::remove_file(f).expect("rm");
            }
        }),
        ("meta.json only", |d| {
            for f in files_ending(d, "") {
                if !f.ends_with("meta.json") {
                    fs::remove_file(f).expect("rm");
                }
            }
        }),
    ];
    for (name, damage) in damages {
        let dir = tmp.path().join(name.replace(' ', "-"));
        copy_dir(&good, &dir);
        damage(&dir);
        let outcome = std::panic::catch_unwind(|| assert_recreated_and_usable(&dir));
        assert!(outcome.is_ok(), "{name}: open panicked or did not recreate");
    }
}

fn truncate_all(dir: &Path, ext: &str, len: u64) {
    let files = files_ending(dir, ext);
    assert!(!files.is_empty(), "no {ext} files");
    for f in files {
        fs::OpenOptions::new()
            .write(true)
            .open(&f)
            .and_then(|file| file.set_len(len))
            .expect("truncate");
    }
}

fn garble_all(dir: &Path, ext: &str) {
    let files = files_ending(dir, ext);
    assert!(!files.is_empty(), "no {ext} files");
    for f in files {
        let mut bytes = fs::read(&f).expect("read");
        let middle = bytes.len() / 2;
        for b in bytes.iter_mut().skip(middle.saturating_sub(8)).take(16) {
            *b ^= 0xA5;
        }
        fs::write(&f, bytes).expect("write");
    }
}

#[test]
fn foreign_files_are_never_wiped() {
    let tmp = tempfile::tempdir().expect("tmp");
    fs::write(tmp.path().join("thesis.docx"), b"precious").expect("write");
    let result = SearchIndex::open(tmp.path());
    assert!(
        matches!(result, Err(SearchError::ForeignFiles { ref file, .. }) if file == "thesis.docx"),
        "{:?}",
        result.err()
    );
    assert_eq!(
        fs::read(tmp.path().join("thesis.docx")).expect("still there"),
        b"precious"
    );
}

#[test]
fn a_second_writer_on_the_same_directory_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    written_index(tmp.path());
    let (first, _) = SearchIndex::open(tmp.path()).expect("open");
    let _writer = first.writer().expect("writer");
    let (second, opened) = SearchIndex::open(tmp.path()).expect("open again");
    assert_eq!(opened, Opened::Reused(WRITTEN));
    assert!(matches!(second.writer(), Err(SearchError::Locked { .. })));
}

#[test]
fn an_index_in_use_is_not_wiped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (first, _) = SearchIndex::open(tmp.path()).expect("open");
    // Writer started, nothing committed: not reusable, but in use.
    let _writer = first.writer().expect("writer");
    let before = fs::read_dir(tmp.path()).expect("dir").count();
    let second = SearchIndex::open(tmp.path());
    assert!(
        matches!(second, Err(SearchError::Locked { .. })),
        "{:?}",
        second.err()
    );
    assert_eq!(fs::read_dir(tmp.path()).expect("dir").count(), before);
    assert!(tmp.path().join("meta.json").exists());
}
