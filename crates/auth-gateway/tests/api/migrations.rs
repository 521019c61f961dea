//! Both backends carry the same migration versions and names, so a schema change is
//! never written for one and forgotten for the other (a backend that needs nothing for
//! a version gets a no-op that says why).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn migrations(backend: &str) -> BTreeSet<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .map(|path| file_name(&path))
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn postgres_and_sqlite_have_the_same_migration_versions_and_names() {
    let postgres = migrations("postgres");
    let sqlite = migrations("sqlite");
    assert!(postgres.len() >= 4, "{postgres:?}");
    assert_eq!(postgres, sqlite);
}
