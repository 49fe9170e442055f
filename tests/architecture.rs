//! The layers of ARCHITECTURE.md, checked: every `crate::` path in the library's source names a
//! module of its own layer or of a layer below, and no two modules import each other, directly or
//! through others. (Read from the source text; comments are skipped.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's top-level modules by layer, lowest first (ARCHITECTURE.md, "Layers").
const LAYERS: &[(&str, &[&str])] = &[
    ("leaves", &["error", "text", "named", "numeric", "units"]),
    ("data", &["data", "files", "empirical"]),
    ("math", &["objective", "model", "measure"]),
    ("records", &["history"]),
    ("training", &["train"]),
    ("views", &["plot", "report"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The top-level module a file of `src/` belongs to (`src/train/fused/pass.rs` → `train`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// The modules a file names as `crate::module` (in `use` lines and in paths), comments skipped.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            // `crate::{a, b}` lists several.
            if name.is_empty() && after.starts_with('{') {
                let list = &after[1..after.find('}').unwrap_or(after.len())];
                for item in list.split(',') {
                    let item: String =
                        item.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    out.insert(item);
                }
            } else {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_layer_above_and_no_two_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    for file in sources(&src) {
        let module = module_of(&src, &file);
        if module == "lib" {
            continue; // the crate root re-exports; it is above every layer
        }
        let Some(own) = layer_of(&module) else { panic!("{}: module {module} is in no layer", file.display()) };
        for target in imports(&std::fs::read_to_string(&file).unwrap()) {
            // Items re-exported at the root (crate::Empirical, crate::Metrics, ...) are named by
            // their module below; the macro `crate::named!` lives at the root by Rust's rule.
            let target = match target.as_str() {
                "Empirical" => "empirical".to_string(),
                "Metrics" => "measure".to_string(),
                "Error" | "Result" => "error".to_string(),
                "Record" | "History" => "history".to_string(),
                "Units" => "units".to_string(),
                "TrainConfig" | "OptimizerKind" | "train" => "train".to_string(),
                "Objective" => "objective".to_string(),
                other => other.to_string(),
            };
            let Some(theirs) = layer_of(&target) else { continue };
            if theirs > own {
                upward.push(format!(
                    "{} ({}) imports crate::{target} ({})",
                    file.display(),
                    LAYERS[own].0,
                    LAYERS[theirs].0
                ));
            }
            if target != module {
                graph.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    assert!(upward.is_empty(), "imports from a layer above:\n{}", upward.join("\n"));
    // No cycle: depth-first search from every module.
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(start) = path.iter().position(|m| *m == module) {
            panic!("modules import each other: {} → {module}", path[start..].join(" → "));
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for next in graph.get(module).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done);
    }
}
