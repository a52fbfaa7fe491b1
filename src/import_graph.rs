//! A test of the module structure: the import graph of `src/` (who names `crate::x`) has
//! no circle, and the core imports only stages below it (issue 12, item 1: `matching` took
//! `Note` from `policy`, `baseline` and `remediation` took a label from `report`, and eleven
//! files ended in one circle).
//!
//! Read from the source text, not the compiler: an edge is a `crate::x` in code, outside
//! comments and `#[cfg(test)] mod tests` (tests may use the report fixture).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The core, lowest stage first: a module may import only modules before it (and itself).
/// `tls` and `http` sit below `db` because `db/update.rs` (with `db/update/`: the paged feeds
/// and the signed prebuilt database) downloads; it is the only part of `db` that does: loading
/// is `db.rs`, building from feeds `db/build.rs` + `db/feeds/`, the cache `db/cache.rs`
/// (issue 12, item 6).
const CORE: &[&str] = &[
    "names",
    "parallel",
    "atomic_file",
    "vuln_id",
    "text",
    "version",
    "purl",
    "sbom",
    "tls",
    "http",
    "db",
    "cvss",
    "note",
    "matching",
    "enrich",
    "priority",
    "baseline",
    "policy",
    "remediation",
    "evaluation",
];

/// Module -> the modules it names, for every file under `src/` (a file of `db/` belongs to
/// `db`); `lib.rs` and `main.rs` are the crate root and left out.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in fs_err::read_dir(dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("under src");
        let first = rel
            .components()
            .next()
            .expect("a file")
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if matches!(module.as_str(), "lib" | "main")
            || path.file_name().is_some_and(|n| n == "tests.rs")
        {
            continue;
        }
        let text = fs_err::read_to_string(&path).expect("read source");
        let code = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        let targets = graph.entry(module.clone()).or_default();
        for line in code.lines() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                // `crate::evaluate` and other items of the root are not modules.
                if !name.is_empty() && name != module && name != "evaluate" {
                    targets.insert(name);
                }
            }
        }
    }
    graph
}

/// Every core module imports only stages below it: never a renderer (`report`), the GitHub
/// code, `output`, the CLI, nor a later stage.
#[test]
fn core_imports_only_lower_stages() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (rank, module) in CORE.iter().enumerate() {
        for target in graph.get(*module).into_iter().flatten() {
            match CORE.iter().position(|c| c == target) {
                Some(t) if t < rank => {}
                _ => wrong.push(format!("{module} -> {target}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows out of the core's order: {wrong:?}"
    );
    for module in CORE {
        assert!(graph.contains_key(*module), "`{module}` is not a module");
    }
}

/// The whole import graph of `src/` has no circle.
#[test]
fn no_import_circle() {
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut circle: Vec<String> = path[at..].iter().map(|s| (*s).to_owned()).collect();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let graph = graph();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let circle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert_eq!(circle, None, "an import circle");
    }
}
