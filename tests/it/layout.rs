//! The shape of the code, checked: the library's modules depend on each
//! other in one direction only (no import cycle), and no source file is over
//! 500 lines before its unit tests. A module that grows past that, or an
//! import that closes a loop, fails here with the files named.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::repo;

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file before its `#[cfg(test)]` module.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    match text.find("\n#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// The top-level library module a file belongs to (`src/contract/read.rs`
/// → `contract`); `None` for the binary's files and `lib.rs`.
fn module_of(src: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (!["lib", "main", "cli", "cmd"].contains(&name.as_str())).then_some(name)
}

/// `crate::<name>` references in code (comments included: a doc link is a
/// dependency too).
fn crate_refs(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(i, m)| {
            code[i + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// A cycle in `edges`, as the modules along it, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo().join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let refs = crate_refs(&code_of(&file));
        let deps = edges.entry(module.clone()).or_default();
        deps.extend(refs.into_iter().filter(|r| *r != module));
    }
    edges
}

#[test]
fn library_modules_have_no_import_cycle() {
    let edges = module_graph();
    // the check sees the real graph: the pipeline reads the contract
    assert!(edges["pipeline"].contains("contract"), "{edges:?}");
    assert_eq!(find_cycle(&edges), None, "module graph: {edges:#?}");
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    let cycle = find_cycle(&edges).unwrap();
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
}

#[test]
fn no_source_file_is_over_500_lines_before_its_tests() {
    let long: Vec<String> = rust_files(&repo().join("src"))
        .iter()
        .map(|f| (f, code_of(f).lines().count()))
        .filter(|(_, n)| *n > 500)
        .map(|(f, n)| format!("{} ({n} lines)", f.display()))
        .collect();
    assert!(long.is_empty(), "over 500 lines: {long:?}");
}

/// Markdown files of the repository: the README and everything under docs/.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md"), repo().join("BENCHMARKS.md")];
    for entry in fs::read_dir(repo().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The targets of `[text](target)` links in markdown, without `#anchors`.
fn link_targets(text: &str) -> Vec<String> {
    text.match_indices("](")
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            let end = rest.find(')')?;
            Some(
                rest[..end]
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            )
        })
        .filter(|t| !t.is_empty() && !t.contains("://") && !t.starts_with("mailto:"))
        .collect()
}

#[test]
fn every_doc_link_resolves_inside_the_repository() {
    let root = repo().canonicalize().unwrap();
    let mut bad = Vec::new();
    let mut seen = 0;
    for file in markdown_files() {
        let text = fs::read_to_string(&file).unwrap();
        for target in link_targets(&text) {
            seen += 1;
            let resolved = file.parent().unwrap().join(&target);
            match resolved.canonicalize() {
                Ok(p) if p.starts_with(&root) => {}
                Ok(p) => bad.push(format!(
                    "{}: {target} leaves the repository ({})",
                    file.display(),
                    p.display()
                )),
                Err(_) => bad.push(format!("{}: {target} does not exist", file.display())),
            }
        }
    }
    assert!(
        seen > 20,
        "only {seen} links found: the link parser is broken"
    );
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(
        link_targets("see [a](../x.md#top) and [b](https://e.org)"),
        ["../x.md"]
    );
}

#[test]
fn nothing_cites_a_contract_outside_the_repository() {
    let mut files = rust_files(&repo().join("src"));
    files.extend(rust_files(&repo().join("tests")));
    files.extend(markdown_files());
    for dir in [
        "sql",
        "scripts",
        "bench",
        "tests/bi",
        "tests/delta",
        "tests/s3",
    ] {
        for entry in fs::read_dir(repo().join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    let needle = ["shared", "SPEC.md"].join("/");
    let outside: Vec<String> = files
        .iter()
        .filter(|f| f.is_file() && !f.ends_with("layout.rs"))
        .filter(|f| fs::read_to_string(f).is_ok_and(|t| t.contains(&needle)))
        .map(|f| f.display().to_string())
        .collect();
    assert!(files.len() > 50, "only {} files read", files.len());
    assert!(outside.is_empty(), "cite {needle}: {outside:?}");
}
