//! Every type the API document describes has a name of its own. utoipa keys the document's
//! schemas by the type's bare name, so two types with one name (a feedback `Answer`, a consent
//! page's `Answer`) silently become one schema, and the document describes one of them
//! wrongly: the contract gate once caught it only because a request happened to fit the other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// The crates whose types the document describes.
const CRATES: [&str; 3] = ["core", "service", "http"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The names of the types in `source` that derive `ToSchema`.
fn schema_types(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut deriving = false;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[derive(") && line.contains("ToSchema") {
            deriving = true;
            continue;
        }
        if !deriving || line.starts_with("#[") || line.starts_with("///") {
            continue;
        }
        let rest = line.strip_prefix("pub ").unwrap_or(line);
        let rest = rest.strip_prefix("pub(crate) ").unwrap_or(rest);
        if let Some(named) = rest
            .strip_prefix("struct ")
            .or_else(|| rest.strip_prefix("enum "))
        {
            let name: String = named
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
        }
        deriving = false;
    }
    names
}

#[postern_testkit::test]
fn no_two_documented_types_share_a_name() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for krate in CRATES {
        let mut files = Vec::new();
        rust_files(&crates.join(krate).join("src"), &mut files);
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap_or_default();
            for name in schema_types(&source) {
                seen.entry(name)
                    .or_default()
                    .push(file.display().to_string());
            }
        }
    }
    assert!(seen.len() > 50, "found too few documented types: {seen:?}");
    let shared: Vec<_> = seen.iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(
        shared.is_empty(),
        "types that would share a schema: {shared:?}"
    );
}
