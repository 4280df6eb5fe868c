//! The test command's skip reporting, through the real command on the workspace's own
//! suites: a service pointed at a closed port is named in the summary, the tests that need
//! it show as ignored with that reason (never `ok`), tests that do not need it still run, and
//! under `CI=true` the same run fails.

use std::net::TcpListener;
use std::process::Command;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// An address where nothing listens (the listener that found it is gone).
fn closed_address() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"));
    format!("127.0.0.1:{port}")
}

/// `cargo xtask test --no-setup ARGS` with `env`, outside CI unless `env` says so: its exit
/// success and everything it printed.
fn test_command(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["test", "--no-setup"])
        .args(args)
        .env_remove("CI")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the test command: {e}"));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

/// The outcome printed for the test whose name ends with `name`.
fn outcome<'a>(printed: &'a str, name: &str) -> Vec<&'a str> {
    printed
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.split_once(" ... "))
        .filter(|(test, _)| test.trim_end().ends_with(name))
        .map(|(_, outcome)| outcome)
        .collect()
}

/// The S3 server closed: the media suite's scale-out run is skipped and says why, its SQLite
/// run passes, and a scale-out test that uses no S3 is not skipped with it.
#[postern_testkit::test(needs(Postgres, Nats))]
fn a_missing_s3_server_skips_only_the_tests_that_use_it() {
    let s3 = closed_address();
    let reason = format!("S3-compatible server not reachable at {s3}");
    let env = [("POSTERN_TEST_S3", s3.as_str())];

    let (succeeded, printed) = test_command(
        &[
            "--test",
            "media",
            "--",
            "delivery_supports_ranges_and_caching",
        ],
        &env,
    );
    assert!(succeeded, "skips are not failures outside CI:\n{printed}");
    let test = "delivery_supports_ranges_and_caching_and_is_never_sniffed";
    assert_eq!(
        outcome(&printed, &format!("scale_out::{test}")),
        [format!("ignored ({reason})")],
        "{printed}"
    );
    assert_eq!(
        outcome(&printed, &format!("sqlite::{test}")),
        ["ok"],
        "{printed}"
    );
    assert!(
        printed.contains(&format!("  {reason}: 1 test in media")),
        "the summary names the reason:\n{printed}"
    );
    assert_eq!(
        printed.lines().last(),
        Some("Summary: 1 passed, 0 failed, 1 skipped"),
        "{printed}"
    );

    let (succeeded, printed) = test_command(
        &[
            "--test",
            "groups",
            "--",
            "scale_out::the_group_size_cap_is_enforced",
        ],
        &env,
    );
    assert!(succeeded, "{printed}");
    assert_eq!(
        outcome(&printed, "scale_out::the_group_size_cap_is_enforced"),
        ["ok"],
        "PostgreSQL and NATS are up, and the test needs nothing else:\n{printed}"
    );
    assert!(!printed.contains("Skipped:"), "{printed}");
}

/// NATS closed: its tests are ignored with the reason; under CI=true the harness fails each
/// one instead, and the test command refuses to run at all.
#[postern_testkit::test]
fn a_missing_service_fails_under_ci() {
    let nats = closed_address();
    let reason = format!("NATS not reachable at {nats}");
    let env = [("POSTERN_TEST_NATS", nats.as_str())];
    let test = "events_published_on_one_node_reach_subscribers_on_another";

    let (succeeded, printed) = test_command(&["--test", "nats", "--", test], &env);
    assert!(
        !succeeded,
        "nothing ran, so the command does not pass:\n{printed}"
    );
    assert_eq!(
        outcome(&printed, test),
        [format!("ignored ({reason})")],
        "{printed}"
    );
    assert!(printed.contains("No test ran."), "{printed}");
    assert!(
        printed.contains(&format!("  {reason}: 1 test in nats")),
        "{printed}"
    );

    let (succeeded, printed) = test_command(
        &["--test", "nats", "--", test],
        &[("POSTERN_TEST_NATS", nats.as_str()), ("CI", "true")],
    );
    assert!(!succeeded, "{printed}");
    assert!(
        printed.contains("CI=true, so every suite must run, but:")
            && printed.contains(&format!("  {reason}")),
        "{printed}"
    );
    assert!(
        outcome(&printed, test).is_empty(),
        "nothing ran:\n{printed}"
    );

    // The harness alone, as plain `cargo test` runs it.
    let output = postern_testkit::cargo::command()
        .args(["test", "--workspace", "--test", "nats", "--", test])
        .current_dir(postern_testkit::services::workspace())
        .env("POSTERN_TEST_NATS", &nats)
        .env("CI", "true")
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo test: {e}"));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{printed}");
    assert_eq!(outcome(&printed, test), ["FAILED"], "{printed}");
    assert!(
        printed.contains(&format!(
            "CI=true, so a test that cannot run fails: {reason}"
        )),
        "{printed}"
    );
}
