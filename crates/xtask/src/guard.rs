//! Keeps tests from silently not existing.
//!
//! Every integration test target runs Postern's harness (`harness = false`), which runs the
//! tests `#[postern_testkit::test]` registers. Two slips compile without a word and leave
//! tests that never run: a `#[test]` or `#[tokio::test]` in such a target, and a target
//! left on the built-in harness (which never looks at the registrations). The test command
//! refuses to start while either exists.

use std::path::{Path, PathBuf};

/// `file:line: attribute` for each built-in test attribute under a crate's `tests/`.
pub fn stray_test_attributes(workspace: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(crates) = std::fs::read_dir(workspace.join("crates")) else {
        return found;
    };
    let mut files = Vec::new();
    for krate in crates.flatten() {
        collect_rust_files(&krate.path().join("tests"), &mut files);
    }
    files.sort();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let shown = file.strip_prefix(workspace).unwrap_or(&file).display();
        for (n, line) in text.lines().enumerate() {
            if let Some(attribute) = builtin_test_attribute(line) {
                found.push(format!("{shown}:{}: {attribute}", n + 1));
            }
        }
    }
    found
}

/// Each integration test target (`tests/NAME.rs`, `tests/NAME/main.rs`) that its crate's
/// `Cargo.toml` does not declare with `harness = false`.
pub fn targets_on_the_builtin_harness(workspace: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(crates) = std::fs::read_dir(workspace.join("crates")) else {
        return found;
    };
    let mut crates: Vec<PathBuf> = crates.flatten().map(|e| e.path()).collect();
    crates.sort();
    for krate in crates {
        let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap_or_default();
        let declared = harnessless_targets(&manifest);
        for target in test_targets(&krate.join("tests")) {
            if !declared.contains(&target) {
                let shown = krate.strip_prefix(workspace).unwrap_or(&krate).display();
                found.push(format!(
                    "{shown}/tests/{target}: not declared in {shown}/Cargo.toml as \
                     [[test]] name = \"{target}\", harness = false"
                ));
            }
        }
    }
    found
}

/// The names of the `[[test]]` sections that say `harness = false`.
fn harnessless_targets(manifest: &str) -> Vec<String> {
    manifest
        .split("[[test]]")
        .skip(1)
        .filter_map(|section| {
            let section = section.split("\n[").next().unwrap_or(section);
            let value = |key: &str| {
                section.lines().find_map(|line| {
                    let (k, v) = line.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
                })
            };
            (value("harness").as_deref() == Some("false")).then(|| value("name"))?
        })
        .collect()
}

/// The integration test targets cargo finds in `tests`.
fn test_targets(tests: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(tests) else {
        return Vec::new();
    };
    let mut targets: Vec<String> = entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                path.join("main.rs").exists().then(|| entry.file_name())
            } else {
                let is_rust = path.extension().is_some_and(|e| e == "rs");
                is_rust.then(|| path.file_stem().map(ToOwned::to_owned))?
            }
        })
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    targets.sort();
    targets
}

fn collect_rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

fn builtin_test_attribute(line: &str) -> Option<&str> {
    let attribute = line.trim();
    let builtin = attribute == "#[test]"
        || attribute.starts_with("#[tokio::test")
        || attribute.starts_with("#[::tokio::test");
    builtin.then_some(attribute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_attributes_are_found_and_ours_are_not() {
        assert_eq!(builtin_test_attribute("    #[test]"), Some("#[test]"));
        assert_eq!(
            builtin_test_attribute("#[tokio::test(flavor = \"multi_thread\")]"),
            Some("#[tokio::test(flavor = \"multi_thread\")]")
        );
        assert_eq!(builtin_test_attribute("#[postern_testkit::test]"), None);
        assert_eq!(builtin_test_attribute("// #[test] in a comment"), None);
    }

    #[test]
    fn a_stray_attribute_is_reported_with_its_place() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let tests = dir.path().join("crates/demo/tests");
        std::fs::create_dir_all(tests.join("suite"))
            .unwrap_or_else(|e| panic!("create {}: {e}", tests.display()));
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()))
        };
        write(
            tests.join("fine.rs"),
            "#[postern_testkit::test]\nfn a() {}\n",
        );
        write(
            tests.join("suite/cases.rs"),
            "\n#[tokio::test]\nasync fn b() {}\n",
        );
        assert_eq!(
            stray_test_attributes(dir.path()),
            ["crates/demo/tests/suite/cases.rs:2: #[tokio::test]"]
        );
    }

    #[test]
    fn a_target_left_on_the_builtin_harness_is_reported() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let krate = dir.path().join("crates/demo");
        std::fs::create_dir_all(krate.join("tests/suite"))
            .unwrap_or_else(|e| panic!("create: {e}"));
        for (file, text) in [
            ("tests/declared.rs", ""),
            ("tests/forgotten.rs", ""),
            ("tests/suite/main.rs", ""),
            ("tests/suite/helpers.rs", ""),
            (
                "Cargo.toml",
                "[package]\nname = \"demo\"\n\n[[test]]\nname = \"declared\"\nharness = false\n\n\
                 [[test]]\nname = \"suite\"\n\n[dependencies]\nharness = false\n",
            ),
        ] {
            std::fs::write(krate.join(file), text).unwrap_or_else(|e| panic!("write: {e}"));
        }
        let found = targets_on_the_builtin_harness(dir.path());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .first()
                .is_some_and(|f| f.starts_with("crates/demo/tests/forgotten:"))
        );
        assert!(
            found
                .get(1)
                .is_some_and(|f| f.starts_with("crates/demo/tests/suite:"))
        );
    }

    /// The workspace itself has neither slip: every integration test goes through the harness.
    #[test]
    fn the_workspace_runs_every_integration_test_through_the_harness() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert_eq!(stray_test_attributes(&workspace), Vec::<String>::new());
        assert_eq!(
            targets_on_the_builtin_harness(&workspace),
            Vec::<String>::new()
        );
    }
}
