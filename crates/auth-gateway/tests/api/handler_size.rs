//! Handlers stay thin: each `async fn` in `src/http/routes/` is at most 30 lines, from
//! its `async fn` line through its closing brace (attributes and annotations above it
//! are not counted). Logic that does not fit belongs in the core or an http helper.

use std::path::Path;

const MAX_HANDLER_LINES: usize = 30;

/// `(file, function, lines)` of every `async fn` in `source`. A function ends at the
/// first later line that is its own indentation followed by `}` (rustfmt's layout).
fn async_fns(file: &str, source: &str) -> Vec<(String, String, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let Some(at) = code.find("async fn ") else {
            continue;
        };
        if !(at == 0 || code.starts_with("pub")) {
            continue;
        }
        let name: String = code[at + "async fn ".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if code.trim_end().ends_with('}') {
            found.push((file.to_owned(), name, 1));
            continue;
        }
        let closing = format!("{}}}", &line[..line.len() - code.len()]);
        let end = lines[start..]
            .iter()
            .position(|later| *later == closing)
            .unwrap_or_else(|| panic!("{file}: no closing brace for {name}"));
        found.push((file.to_owned(), name, end + 1));
    }
    found
}

#[test]
fn every_handler_is_at_most_30_lines() {
    let routes = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/routes");
    let mut handlers = Vec::new();
    for entry in std::fs::read_dir(&routes).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            handlers.extend(async_fns(&file, &source));
        }
    }
    // The scan must see the handlers, or it would pass by finding none.
    assert!(
        handlers.iter().any(|(_, name, _)| name == "init_sign_in"),
        "found no handlers in {}",
        routes.display()
    );
    let too_long: Vec<String> = handlers
        .iter()
        .filter(|(_, _, lines)| *lines > MAX_HANDLER_LINES)
        .map(|(file, name, lines)| format!("{file}: {name} has {lines} lines"))
        .collect();
    assert!(
        too_long.is_empty(),
        "handlers over {MAX_HANDLER_LINES} lines: {too_long:?}"
    );
}

#[test]
fn the_count_runs_from_async_fn_through_the_closing_brace() {
    let source = "#[utoipa::path(get)]\npub async fn a(\n    x: u8,\n) -> u8 {\n    x\n}\n\nasync fn b() {}\n";
    let found = async_fns("x.rs", source);
    let counted: Vec<(&str, usize)> = found
        .iter()
        .map(|(_, name, lines)| (name.as_str(), *lines))
        .collect();
    assert_eq!(counted, [("a", 5), ("b", 1)]);
}
