//! The modules of `src/` point one way: no module reaches itself through
//! `crate::` paths. The graph is read from the sources (every `crate::`
//! path, `lib.rs` re-exports resolved to the module that defines the item);
//! unit tests (items under `#[cfg(test)]`) may use any layer and are left
//! out. `cargo test -p pgmigrate-build --test layers -- --nocapture` prints
//! the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles that exist today and are on their way out; any other is an error.
const KNOWN_CYCLES: &[&[&str]] = &[];

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn the_modules_form_no_new_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (graph, lib_items) = module_graph(&src);
    for (module, targets) in &graph {
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        println!("{module} -> {}", targets.join(" "));
    }
    assert!(
        lib_items.is_empty(),
        "modules use items defined in lib.rs itself (define them in a module and re-export them): {lib_items:?}"
    );
    let cycles = cycles(&graph);
    println!("cycles: {cycles:?}");
    let new: Vec<&BTreeSet<String>> = cycles
        .iter()
        .filter(|cycle| {
            !KNOWN_CYCLES
                .iter()
                .any(|known| cycle.iter().all(|m| known.contains(&m.as_str())))
        })
        .collect();
    assert!(
        new.is_empty(),
        "import cycles between modules of src/: {new:?}; make the lower module not name the upper one (move the shared item below both)"
    );
    for known in KNOWN_CYCLES {
        if !cycles.iter().any(|c| known.iter().all(|m| c.contains(*m))) {
            println!("note: the known cycle {known:?} is gone: remove it from KNOWN_CYCLES");
        }
    }
    // The reading works: the crate's top layer uses several modules.
    assert!(graph.get("directory").is_some_and(|t| t.len() > 3));
}

#[test]
fn a_planted_cycle_is_found() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string());
    }
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].iter().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    let text = "use crate::{a::X, b, c::{D, E}};\nlet x = crate::d::f(); // crate::e\n$crate::g pub(crate) fn\n#[cfg(test)]\nfn t() {\n    crate::f::g();\n}\nuse crate::h;\n";
    assert_eq!(heads(&without_tests(text)), ["a", "b", "c", "d", "h"]);
}

/// The edges between top-level modules, and the `crate::` names that lead
/// to items defined in lib.rs itself.
fn module_graph(src: &Path) -> (Graph, BTreeSet<String>) {
    let modules: BTreeSet<String> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "lib.rs")
        .map(|name| name.strip_suffix(".rs").unwrap_or(&name).to_string())
        .collect();
    let reexports = reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut graph = Graph::new();
    let mut lib_items = BTreeSet::new();
    for module in &modules {
        let mut files = Vec::new();
        collect_rs(&src.join(module), &mut files);
        collect_rs(&src.join(format!("{module}.rs")), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for head in heads(&without_tests(&text)) {
                let target = if modules.contains(&head) {
                    head
                } else if let Some(target) = reexports.get(&head) {
                    target.clone()
                } else {
                    lib_items.insert(format!("{head} (in {})", file.display()));
                    continue;
                };
                // Re-exports of other crates are no edge.
                if &target != module && modules.contains(&target) {
                    graph.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    (graph, lib_items)
}

fn collect_rs(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            collect_rs(&entry.unwrap().path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The text without `//` comments and without the items under
/// `#[cfg(test)]` (a test module, a test-only method or `use`): each is
/// skipped up to its closing brace, or its `;` when it has no body.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    // While skipping an item: the brace depth, and whether its body opened.
    let mut skipping: Option<(usize, bool)> = None;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        if let Some((mut depth, mut opened)) = skipping {
            let mut done = false;
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth = depth.saturating_sub(1),
                    ';' if !opened => done = true,
                    _ => {}
                }
                done |= opened && depth == 0;
            }
            skipping = (!done).then_some((depth, opened));
            continue;
        }
        if code.trim() == "#[cfg(test)]" {
            skipping = Some((0, false));
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// `lib.rs`'s `pub use module::{A, B as C}`: exported name -> module.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for statement in without_tests(lib).split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = path.split_once("::") else {
            continue;
        };
        for name in names.split([',', '{', '}']) {
            let name = name.trim();
            let exported = name.rsplit(" as ").next().unwrap_or(name);
            let exported = exported.rsplit("::").next().unwrap_or(exported).trim();
            if !exported.is_empty() {
                map.insert(exported.to_string(), module.trim().to_string());
            }
        }
    }
    map
}

/// The first segment of every `crate::` path (each item of a `crate::{..}`
/// group), `$crate::` left out.
fn heads(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let ident = |from: usize| -> String {
        text[from..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find("crate::") {
        let start = at + found;
        at = start + "crate::".len();
        if start > 0 && {
            let before = bytes[start - 1];
            before == b'$' || before == b'_' || before.is_ascii_alphanumeric()
        } {
            continue;
        }
        if bytes.get(at) != Some(&b'{') {
            out.push(ident(at));
            continue;
        }
        // A group: the first identifier after `{` and after each `,` at depth 1.
        let mut depth = 0;
        let mut expect = false;
        for (i, c) in text[at..].char_indices() {
            match c {
                '{' => {
                    depth += 1;
                    expect = depth == 1;
                }
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => expect = true,
                c if expect && (c.is_alphanumeric() || c == '_') => {
                    out.push(ident(at + i));
                    expect = false;
                }
                _ => {}
            }
        }
    }
    out.retain(|h| !h.is_empty());
    out
}

/// Every strongly connected set of two or more modules.
fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(next) = stack.pop() {
            for target in graph.get(&next).into_iter().flatten() {
                if seen.insert(target.clone()) {
                    stack.push(target.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for (module, reached) in &reachable {
        if !reached.contains(*module) || out.iter().any(|c| c.contains(*module)) {
            continue;
        }
        let component: BTreeSet<String> = reached
            .iter()
            .filter(|other| reachable.get(other).is_some_and(|r| r.contains(*module)))
            .cloned()
            .collect();
        out.push(component);
    }
    out
}
