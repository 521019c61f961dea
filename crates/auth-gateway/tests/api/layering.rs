//! The layers as a rule the build checks: every `crate::…` (and `super::…` reaching the
//! crate root) path in `src/{domain,store,upstream,core,config*,monitoring.rs}` must name
//! a layer its own layer may import. The layout is described in `src/lib.rs`.
//!
//! - `domain` imports nothing of the crate: it is the shared vocabulary.
//! - `store`, `upstream`, `monitoring` import only `domain` (and themselves).
//! - `config` imports only `domain`, except for the two adapter settings listed in
//!   `CONFIG_EXCEPTIONS`.
//! - `core` imports `domain`, and `store` / `upstream` only through their traits and the
//!   plain data those traits take and return (`CORE_MAY_USE_FROM_STORE`,
//!   `CORE_MAY_USE_FROM_UPSTREAM`); never a concrete backend or provider.
//!
//! `http`, `cli`, `startup` and `server` sit on top and may import any layer.
//!
//! Inside `core`, the modules (and the folders `flows`, `admin`, `runtime`) import each
//! other without cycles: `core_modules_import_each_other_without_cycles` names the
//! first cycle it finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What the core may name in `store`: the `Store` supertrait, its role traits, the
/// `LegacyReader` trait, their error, and the records their methods take and return. Not
/// `SqlStore`, `PgStore`, `SqliteStore`, `LegacyDatabase`, `connect` or `DatabaseUrl`:
/// startup and the CLI choose the backend.
const CORE_MAY_USE_FROM_STORE: &[&str] = &[
    "Store",
    "AuditStore",
    "ChangeFeed",
    "ClientStore",
    "CredentialStore",
    "Health",
    "KeyStore",
    "LeaseStore",
    "SessionStore",
    "ResourceStore",
    "SigningKeyStore",
    "LegacyReader",
    "StoreError",
    "StoreResult",
    "AuditEvent",
    "AuditQuery",
    "ClientRecord",
    "CredentialChange",
    "CredentialRecord",
    "ImportedCredential",
    "LegacyRow",
    "NewClient",
    "NewSession",
    "RefreshedTokens",
    "SessionRecord",
    "SessionVerifier",
    "SignInGrant",
    "ResourceRecord",
    "NewSigningKey",
    "SigningKeyRecord",
    "OAuthClientStore",
    "AuthorizationStore",
    "OAuthClientKind",
    "OAuthClientRecord",
    "LoginStore",
    "NewLogin",
    "LoginRecord",
    "BrowserSessionRecord",
    "ConsentRecord",
    "AuthorizationGrantRecord",
    "AuthorizationCodeRecord",
    "CodeRedemption",
    "NewRefreshToken",
    "RefreshRotation",
];

/// What the core may name in `upstream`: the `Provider` trait and the client metadata
/// document fetcher's trait, their errors and the values they take and return, and the table of known provider names (constant data, used to
/// tell "unknown" from "not configured"). Not `google`: startup builds the providers.
const CORE_MAY_USE_FROM_UPSTREAM: &[&str] = &[
    "Provider",
    "UpstreamError",
    "AuthorizeRequest",
    "Identity",
    "TokenGrant",
    "KnownProvider",
    "KNOWN_PROVIDERS",
    "known_provider",
    "ClientMetadataFetcher",
    "FetchedDocument",
    "FetchError",
    "CacheHint",
];

/// Exceptions for `config`: the settings of the adapters it configures. They stay with
/// their adapter because they carry its detail (URL schemes and the SQLite file for the
/// store, Google's endpoints and client secret for the provider); moving them into the
/// domain would put adapter detail in the shared vocabulary.
const CONFIG_EXCEPTIONS: &[&[&str]] = &[
    &["store", "DatabaseUrl"],
    &["upstream", "google", "GoogleSettings"],
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Domain,
    Store,
    Upstream,
    Core,
    Config,
    Monitoring,
}

/// Whether code in `layer` may import the crate path `path` (segments after `crate::`).
fn allowed(layer: Layer, path: &[String]) -> bool {
    let top = path.first().map_or("", String::as_str);
    let second = path.get(1).map_or("", String::as_str);
    match layer {
        Layer::Domain => top == "domain",
        Layer::Store => matches!(top, "domain" | "store"),
        Layer::Upstream => matches!(top, "domain" | "upstream"),
        Layer::Monitoring => matches!(top, "domain" | "monitoring"),
        Layer::Config => {
            matches!(top, "domain" | "config")
                || CONFIG_EXCEPTIONS.iter().any(|allowed| path == *allowed)
        }
        Layer::Core => match top {
            "domain" | "core" => true,
            "store" => path.len() == 2 && CORE_MAY_USE_FROM_STORE.contains(&second),
            "upstream" => path.len() == 2 && CORE_MAY_USE_FROM_UPSTREAM.contains(&second),
            _ => false,
        },
    }
}

/// Every crate path a source file names, each as the segments after `crate::`, with
/// `super::` resolved against the file's module path and `{…}` groups expanded.
fn crate_paths(source: &str, module: &[String]) -> Vec<Vec<String>> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let mut paths = Vec::new();
    // Inline modules (`mod tests { … }`) open at the current brace depth; `super::`
    // inside them resolves one level deeper.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !code.is_char_boundary(at) {
            at += 1;
            continue;
        }
        match bytes[at] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                inline.retain(|(_, opened)| *opened <= depth);
            }
            _ => {}
        }
        if let Some(name) = inline_module(
            &code[at..],
            at == 0 || !bytes[at - 1].is_ascii_alphanumeric(),
        ) {
            inline.push((name, depth + 1));
        }
        let module: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(name, _)| name.clone()))
            .collect();
        let boundary =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || b"_:".contains(&bytes[at - 1]));
        let rest = &code[at..];
        // `pub(in crate::core)` names a visibility, not an import.
        let visibility = code[..at].ends_with("(in ");
        if boundary && !visibility && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let mut base: Vec<String> = Vec::new();
            let mut tail = rest;
            if tail.starts_with("crate::") {
                tail = &tail["crate::".len()..];
            } else {
                let mut up = 0;
                while let Some(after) = tail.strip_prefix("super::") {
                    up += 1;
                    tail = after;
                }
                if up > module.len() {
                    at += 1;
                    continue;
                }
                base = module[..module.len() - up].to_vec();
            }
            let (tree, used) = parse_tree(tail);
            for path in tree {
                let mut full = base.clone();
                full.extend(path);
                if !full.is_empty() {
                    paths.push(full);
                }
            }
            at += rest.len() - tail.len() + used.max(1);
        } else {
            at += 1;
        }
    }
    paths
}

/// The name of the inline module whose `mod name {` starts `text`, if one does.
fn inline_module(text: &str, boundary: bool) -> Option<String> {
    let rest = text.strip_prefix("mod ")?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let after = rest[name.len()..].trim_start();
    (boundary && !name.is_empty() && after.starts_with('{')).then_some(name)
}

/// Parses a use tree (`a::b`, `a::{b, c::{d, self}}`, `a::B as C`) at the start of
/// `text`; returns its paths and how many bytes it took.
fn parse_tree(text: &str) -> (Vec<Vec<String>>, usize) {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut prefix = Vec::new();
    loop {
        if text[at..].starts_with('{') {
            at += 1;
            let mut paths = Vec::new();
            loop {
                while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b',') {
                    at += 1;
                }
                if at >= bytes.len() || bytes[at] == b'}' {
                    return (paths, (at + 1).min(bytes.len()));
                }
                let (inner, used) = parse_tree(&text[at..]);
                at += used.max(1);
                for path in inner {
                    let mut full = prefix.clone();
                    full.extend(path.into_iter().filter(|segment| segment != "self"));
                    paths.push(full);
                }
                // Skip an `as alias` up to the next item.
                while at < bytes.len() && !b",}".contains(&bytes[at]) {
                    at += 1;
                }
            }
        }
        let start = at;
        while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
            at += 1;
        }
        if at == start {
            return (vec![prefix], at);
        }
        prefix.push(text[start..at].to_owned());
        if text[at..].starts_with("::") {
            at += 2;
            continue;
        }
        return (vec![prefix], at);
    }
}

/// The files of each checked layer, with their module paths.
fn layer_files(src: &Path) -> Vec<(Layer, PathBuf, Vec<String>)> {
    let mut files = Vec::new();
    for (layer, dir) in [
        (Layer::Domain, "domain"),
        (Layer::Store, "store"),
        (Layer::Upstream, "upstream"),
        (Layer::Core, "core"),
        (Layer::Config, "config"),
    ] {
        for (path, module) in rust_files(&src.join(dir), &[dir.to_owned()]) {
            files.push((layer, path, module));
        }
    }
    files.push((
        Layer::Config,
        src.join("config.rs"),
        vec!["config".to_owned()],
    ));
    files.push((
        Layer::Monitoring,
        src.join("monitoring.rs"),
        vec!["monitoring".to_owned()],
    ));
    files
}

/// The `.rs` files under `dir` (whose module path is `module`), each with its module path:
/// `a/mod.rs` is module `a`, `a/b.rs` is `a::b`.
fn rust_files(dir: &Path, module: &[String]) -> Vec<(PathBuf, Vec<String>)> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let mut inner = module.to_vec();
        if path.is_dir() {
            inner.push(stem);
            files.extend(rust_files(&path, &inner));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            if stem != "mod" {
                inner.push(stem);
            }
            files.push((path, inner));
        }
    }
    files
}

#[test]
fn no_layer_imports_upward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut checked = 0;
    for (layer, file, module) in layer_files(&src) {
        let source = std::fs::read_to_string(&file).unwrap();
        checked += 1;
        for path in crate_paths(&source, &module) {
            if !allowed(layer, &path) {
                violations.push(format!(
                    "{}: {layer:?} may not import crate::{}",
                    file.strip_prefix(&src).unwrap().display(),
                    path.join("::")
                ));
            }
        }
    }
    assert!(checked > 30, "found only {checked} files under {src:?}");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_checker_sees_groups_super_and_inline_paths() {
    let source = "use crate::{core::Gateway, domain::{Email, self}};\n\
                  use super::super::http::error::ApiError;\n\
                  // use crate::cli::ignored_in_a_comment;\n\
                  fn f() { crate::store::connect(); }\n\
                  use crate::store::{Store, PgStore as Backend};\n\
                  pub(in crate::store) struct Seen;\n";
    let module = ["store".to_owned(), "rows".to_owned()];
    let found: Vec<String> = crate_paths(source, &module)
        .iter()
        .map(|path| path.join("::"))
        .collect();
    assert_eq!(
        found,
        [
            "core::Gateway",
            "domain::Email",
            "domain",
            "http::error::ApiError",
            "store::connect",
            "store::Store",
            "store::PgStore",
        ]
    );
    let refused: Vec<&String> = found
        .iter()
        .filter(|path| {
            let path: Vec<String> = path.split("::").map(str::to_owned).collect();
            !allowed(Layer::Core, &path)
        })
        .collect();
    assert_eq!(
        refused,
        ["http::error::ApiError", "store::connect", "store::PgStore"]
    );
}

/// The modules of `src/core`, each with the core modules it imports: a path names the
/// longest module it starts with. Both `crate::`/`super::` paths and `use` paths relative
/// to the file (`use child::X`, `use self::child::X`) count; a `mod child;` declaration
/// does not.
fn core_graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files: Vec<(PathBuf, Vec<String>)> = rust_files(&src.join("core"), &["core".to_owned()]);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(_, module)| module.clone()).collect();
    let mut graph = BTreeMap::new();
    for (file, module) in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let mut paths = crate_paths(&source, module);
        paths.extend(relative_use_paths(&source, module, &modules));
        let imports: BTreeSet<Vec<String>> = paths
            .iter()
            .filter_map(|path| {
                (1..=path.len())
                    .rev()
                    .map(|len| path[..len].to_vec())
                    .find(|prefix| modules.contains(prefix))
            })
            .filter(|target| target != module)
            .collect();
        graph.insert(module.clone(), imports);
    }
    graph
}

/// Paths of `use` items that start at the file's own module (`use child::…`,
/// `use self::…`), made absolute.
fn relative_use_paths(
    source: &str,
    module: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in source.lines() {
        let line = line.trim_start();
        let rest = match line.strip_prefix("pub") {
            Some(after) if after.starts_with('(') => after
                .split_once(')')
                .map_or("", |(_, rest)| rest)
                .trim_start(),
            Some(after) => after.trim_start(),
            None => line,
        };
        let Some(tail) = rest.strip_prefix("use ") else {
            continue;
        };
        let tail = tail.strip_prefix("self::").unwrap_or(tail);
        for path in parse_tree(tail).0 {
            let mut full = module.to_vec();
            full.extend(path);
            if full.len() > module.len() && modules.contains(&full[..=module.len()]) {
                paths.push(full);
            }
        }
    }
    paths
}

/// The first cycle found in `graph`, as the nodes along it (the first repeated last).
fn find_cycle<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        node: &N,
        graph: &BTreeMap<N, BTreeSet<N>>,
        stack: &mut Vec<N>,
        done: &mut BTreeSet<N>,
    ) -> Option<Vec<N>> {
        if let Some(at) = stack.iter().position(|seen| seen == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn cycle_text(cycle: &[Vec<String>]) -> String {
    cycle
        .iter()
        .map(|module| module.join("::"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[test]
fn core_modules_import_each_other_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = core_graph(&src);
    assert!(graph.len() > 20, "found only {} core modules", graph.len());
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle in src/core: {}", cycle_text(&cycle));
    }
    // The folders too: `flows` may use `runtime`, never the other way round.
    let mut folders: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let folder = |module: &Vec<String>| module[..module.len().min(2)].to_vec();
    for (module, imports) in &graph {
        let entry = folders.entry(folder(module)).or_default();
        entry.extend(
            imports
                .iter()
                .map(folder)
                .filter(|target| *target != folder(module)),
        );
    }
    if let Some(cycle) = find_cycle(&folders) {
        panic!(
            "import cycle between src/core's folders: {}",
            cycle_text(&cycle)
        );
    }
}

#[test]
fn the_cycle_check_names_the_cycle() {
    let modules: BTreeSet<Vec<String>> = [["core", "a"], ["core", "b"], ["core", "c"]]
        .iter()
        .map(|module| module.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    let root = ["core".to_owned()];
    let found = relative_use_paths("pub use self::x::Y;\nuse b::Z;\n", &root, &modules);
    assert_eq!(
        found,
        [vec!["core".to_owned(), "b".to_owned(), "Z".to_owned()]]
    );
    let name = |s: &str| s.to_owned();
    let graph: BTreeMap<String, BTreeSet<String>> = [
        (name("a"), [name("b")].into()),
        (name("b"), [name("c")].into()),
        (name("c"), [name("a")].into()),
        (name("d"), [name("a")].into()),
    ]
    .into();
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let acyclic: BTreeMap<String, BTreeSet<String>> = [
        (name("a"), [name("b")].into()),
        (name("b"), BTreeSet::new()),
    ]
    .into();
    assert_eq!(find_cycle(&acyclic), None);
}
