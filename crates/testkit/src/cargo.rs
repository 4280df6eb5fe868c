//! Running cargo from a program that cargo itself started (`cargo xtask` is `cargo run`; a
//! test of the test command is run by `cargo test`).

use std::process::Command;

/// `cargo` (the one running us, when it said so) without the variables cargo set for the
/// program it ran. Passed on, they change what build scripts see (ring's reruns when
/// `CARGO_PKG_NAME` or `CARGO_MANIFEST_DIR` changes), so every such run would rebuild them,
/// and the next plain `cargo test` rebuild them back.
pub fn command() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (variable, _) in std::env::vars_os() {
        if set_for_the_program_cargo_ran(&variable.to_string_lossy()) {
            command.env_remove(variable);
        }
    }
    command
}

fn set_for_the_program_cargo_ran(variable: &str) -> bool {
    const EXACT: [&str; 8] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    EXACT.contains(&variable)
        || variable.starts_with("CARGO_PKG_")
        || variable.starts_with("CARGO_BIN_EXE_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_cargo_sets_for_a_program_is_dropped_and_settings_are_kept() {
        for dropped in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_BIN_EXE_xtask",
        ] {
            assert!(set_for_the_program_cargo_ran(dropped), "{dropped}");
        }
        for kept in ["CARGO_HOME", "CARGO_TARGET_DIR", "CARGO_TERM_COLOR", "CI"] {
            assert!(!set_for_the_program_cargo_ran(kept), "{kept}");
        }
    }
}
