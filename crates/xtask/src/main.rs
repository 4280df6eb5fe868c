//! The workspace's own commands, run as `cargo xtask …` (an alias in `.cargo/config.toml`).
//!
//! `cargo xtask test [--no-setup] [ARGS…]` is the test command:
//! 1. refuses to start while a test would silently never run (`guard`);
//! 2. sets up what the suites need (`setup`), unless `--no-setup`;
//! 3. under `CI=true`, stops if anything is still missing: CI runs everything or fails;
//! 4. runs `cargo test --workspace --no-fail-fast ARGS…` (ARGS naming a package replace
//!    `--workspace`), showing its output as it comes;
//! 5. closes with a summary of the suites and tests run, what failed, and what was skipped
//!    and why (`summary`). It exits non-zero when a test failed, a suite did not finish, no
//!    test ran, or (under `CI=true`) anything was skipped.

mod guard;
mod setup;
mod summary;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use postern_testkit::services::{self, Service};
use summary::Report;

const USAGE: &str = "\
usage: cargo xtask test [--no-setup] [ARGS…]

Sets up PostgreSQL, NATS, the S3-compatible server, schemathesis and the browser suite, runs
every test suite (`cargo test --workspace --no-fail-fast ARGS…`) and summarises what ran and
what was skipped, with the reason. --no-setup uses only what is already there. CI=true makes anything
missing a failure. Service locations: POSTERN_TEST_POSTGRES, POSTERN_TEST_NATS,
POSTERN_TEST_S3 (host:port), POSTERN_TEST_CHROMIUM and POSTERN_TEST_SCHEMATHESIS (paths).";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("test") => test(args.collect()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn test(mut args: Vec<String>) -> ExitCode {
    let started = Instant::now();
    let workspace = services::workspace();
    let stray: Vec<String> = guard::stray_test_attributes(&workspace)
        .into_iter()
        .chain(guard::targets_on_the_builtin_harness(&workspace))
        .collect();
    if !stray.is_empty() {
        eprintln!(
            "These tests would never run: integration test targets are declared with \
             `harness = false` and use Postern's harness, which runs #[postern_testkit::test] \
             (see crates/testkit):"
        );
        for place in stray {
            eprintln!("  {place}");
        }
        return ExitCode::FAILURE;
    }
    let setup = if let Some(i) = args.iter().position(|a| a == "--no-setup") {
        args.remove(i);
        setup::Setup::default()
    } else {
        setup::prepare(&workspace)
    };
    if services::in_ci() {
        let missing: Vec<String> = Service::ALL
            .iter()
            .filter_map(|s| s.check().err())
            .collect();
        if !missing.is_empty() {
            eprintln!("CI=true, so every suite must run, but:");
            for reason in missing.iter().chain(&setup.notes) {
                eprintln!("  {reason}");
            }
            return ExitCode::FAILURE;
        }
    }
    let (report, cargo_succeeded) = match run_cargo_test(&workspace, &args) {
        Ok(result) => result,
        Err(e) => {
            eprintln!("cannot run cargo test: {e}");
            return ExitCode::FAILURE;
        }
    };
    conclude(&report, setup, started, cargo_succeeded)
}

/// Prints the summary (after stopping what set-up started) and decides the exit code.
fn conclude(
    report: &Report,
    setup: setup::Setup,
    started: Instant,
    cargo_succeeded: bool,
) -> ExitCode {
    let notes = setup.notes.clone();
    drop(setup);
    print!("{}", report.render(&notes, started.elapsed()));
    let skipped_in_ci = services::in_ci() && report.skipped() > 0;
    let good = cargo_succeeded
        && report.failed() == 0
        && report.unfinished().next().is_none()
        && report.ran_tests()
        && !skipped_in_ci;
    if !report.ran_tests() {
        println!("No test ran.");
    }
    if skipped_in_ci {
        println!("CI=true, and tests were skipped.");
    }
    if good {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs cargo test with its output and the tests' in one pipe, so lines stay in the order
/// they were written (a suite's `Running` line, on stderr, before its tests, on stdout);
/// shows each line as it comes and reads it into the report.
fn run_cargo_test(workspace: &Path, args: &[String]) -> std::io::Result<(Report, bool)> {
    let names_packages = args
        .iter()
        .any(|a| a == "-p" || a.starts_with("--package") || a == "--workspace");
    let (reader, writer) = std::io::pipe()?;
    let mut command = postern_testkit::cargo::command();
    command.arg("test").current_dir(workspace);
    if !names_packages {
        command.arg("--workspace");
    }
    let mut child = command
        .arg("--no-fail-fast")
        .args(args)
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .spawn()?;
    // The writing ends now belong to the child only, so the reader ends when it exits.
    drop(command);
    let mut report = Report::default();
    let mut lines = BufReader::new(reader);
    let mut line = Vec::new();
    let mut out = std::io::stdout();
    while lines.read_until(b'\n', &mut line)? > 0 {
        let _ = out.write_all(&line);
        report.read(String::from_utf8_lossy(&line).trim_end());
        line.clear();
    }
    let _ = out.flush();
    Ok((report, child.wait()?.success()))
}
