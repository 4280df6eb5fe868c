//! Reading `cargo test`'s output into what ran, failed and was skipped, and the closing
//! summary the test command prints from it.
//!
//! The output is cargo's and the harnesses' human format: `Running …` and `Doc-tests …`
//! start a suite, `test NAME ... ok|FAILED|ignored[, reason| (reason)]` is one test (the
//! built-in harness writes a reason after a comma, Postern's after a space in parentheses),
//! and `test result: …` closes the suite with its counts. The counts come from that closing
//! line, which a test's own output cannot split; the names and reasons from the test lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// What one test binary (or one crate's doc-tests) reported.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Suite {
    pub name: String,
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    pub filtered_out: u64,
    /// Whether its `test result:` line came: a suite that crashed or was killed has none.
    pub finished: bool,
    pub failures: Vec<String>,
    /// Each ignored test with its reason, when it gave one.
    pub skips: Vec<(String, Option<String>)>,
}

/// Everything a run reported, suite by suite.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub suites: Vec<Suite>,
}

impl Report {
    #[cfg(test)]
    pub fn parse(output: &str) -> Report {
        let mut report = Report::default();
        for line in output.lines() {
            report.read(line);
        }
        report
    }

    /// Takes in one line of output.
    pub fn read(&mut self, line: &str) {
        let trimmed = line.trim();
        if let Some(name) = suite_name(trimmed) {
            self.suites.push(Suite {
                name,
                ..Suite::default()
            });
            return;
        }
        let Some(suite) = self.suites.last_mut() else {
            return;
        };
        if let Some(counts) = trimmed.strip_prefix("test result: ") {
            read_counts(suite, counts);
        } else if let Some((name, outcome)) = test_line(line) {
            match outcome {
                Outcome::Failed => suite.failures.push(name),
                Outcome::Ignored(reason) => suite.skips.push((name, reason)),
                Outcome::Passed => {}
            }
        }
    }

    pub fn passed(&self) -> u64 {
        self.suites.iter().map(|s| s.passed).sum()
    }

    pub fn failed(&self) -> u64 {
        self.suites.iter().map(|s| s.failed).sum()
    }

    pub fn skipped(&self) -> u64 {
        self.suites.iter().map(|s| s.ignored).sum()
    }

    /// Suites that started and never reported their result.
    pub fn unfinished(&self) -> impl Iterator<Item = &Suite> {
        self.suites.iter().filter(|s| !s.finished)
    }

    /// Whether anything ran at all (a filter can match nothing).
    pub fn ran_tests(&self) -> bool {
        self.passed() + self.failed() > 0
    }

    /// Skipped tests grouped by reason: each reason with its count and the suites it hit.
    pub fn skips_by_reason(&self) -> BTreeMap<&str, (u64, Vec<&str>)> {
        let mut by_reason: BTreeMap<&str, (u64, Vec<&str>)> = BTreeMap::new();
        for suite in &self.suites {
            for (_, reason) in &suite.skips {
                let entry = by_reason
                    .entry(reason.as_deref().unwrap_or("ignored, no reason given"))
                    .or_default();
                entry.0 += 1;
                if entry.1.last() != Some(&suite.name.as_str()) {
                    entry.1.push(&suite.name);
                }
            }
        }
        by_reason
    }

    /// The closing summary: suites and tests run, failures, skips with their reasons, the
    /// set-up notes and the time taken, ending with the one-line count.
    pub fn render(&self, setup: &[String], took: Duration) -> String {
        let mut out = String::new();
        let tests = self.passed() + self.failed() + self.skipped();
        let _ = writeln!(out, "\n──── Summary ────");
        let suites = self
            .suites
            .iter()
            .filter(|s| s.passed + s.failed + s.ignored > 0)
            .count();
        let _ = writeln!(
            out,
            "{tests} tests in {suites} suites: {} passed, {} failed, {} skipped.",
            self.passed(),
            self.failed(),
            self.skipped()
        );
        let failures: Vec<String> = self
            .suites
            .iter()
            .flat_map(|s| s.failures.iter().map(move |t| format!("{} {t}", s.name)))
            .collect();
        if !failures.is_empty() {
            let _ = writeln!(out, "Failed:");
            for failure in failures {
                let _ = writeln!(out, "  {failure}");
            }
        }
        for suite in self.unfinished() {
            let _ = writeln!(
                out,
                "Did not finish (crashed or was stopped): {}",
                suite.name
            );
        }
        let skips = self.skips_by_reason();
        if !skips.is_empty() {
            let _ = writeln!(out, "Skipped:");
            for (reason, (count, suites)) in skips {
                let tests = if count == 1 { "test" } else { "tests" };
                let _ = writeln!(out, "  {reason}: {count} {tests} in {}", suites.join(", "));
            }
        }
        if !setup.is_empty() {
            let _ = writeln!(out, "Set-up:");
            for note in setup {
                let _ = writeln!(out, "  {note}");
            }
        }
        let _ = writeln!(out, "Took {}.", minutes(took));
        let _ = writeln!(
            out,
            "Summary: {} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        );
        out
    }
}

fn minutes(took: Duration) -> String {
    let seconds = took.as_secs();
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min {} s", seconds / 60, seconds % 60)
    }
}

/// A suite's name from the line that starts it: the test binary without its hash
/// (`nats`), `postern_bus (unit)` for a crate's own tests, `postern_core (doc)`.
fn suite_name(line: &str) -> Option<String> {
    if let Some(krate) = line.strip_prefix("Doc-tests ") {
        return Some(format!("{krate} (doc)"));
    }
    let rest = line.strip_prefix("Running ")?;
    let unit = rest.starts_with("unittests ");
    let binary = rest.rsplit_once('(')?.1.strip_suffix(')')?;
    let file = binary.rsplit(['/', '\\']).next()?;
    let name = file.rsplit_once('-').map_or(file, |(name, _hash)| name);
    Some(if unit {
        format!("{name} (unit)")
    } else {
        name.to_owned()
    })
}

/// `ok. 3 passed; 0 failed; 1 ignored; 0 measured; 2 filtered out; finished in 0.01s`
fn read_counts(suite: &mut Suite, counts: &str) {
    suite.finished = true;
    for part in counts.split(';') {
        let part = part.trim();
        let (number, what) = match part.strip_suffix(" filtered out") {
            Some(number) => (number, "filtered out"),
            None => part.rsplit_once(' ').unwrap_or((part, "")),
        };
        let number = number
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        match what {
            "passed" => suite.passed = number,
            "failed" => suite.failed = number,
            "ignored" => suite.ignored = number,
            "filtered out" => suite.filtered_out = number,
            _ => {}
        }
    }
}

enum Outcome {
    Passed,
    Failed,
    Ignored(Option<String>),
}

/// `test NAME ... OUTCOME` (not `test result:`, handled before).
fn test_line(line: &str) -> Option<(String, Outcome)> {
    let (name, outcome) = line.strip_prefix("test ")?.split_once(" ... ")?;
    let outcome = match outcome.trim_end() {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed,
        "ignored" => Outcome::Ignored(None),
        other => {
            let reason = other.strip_prefix("ignored")?;
            let reason = reason
                .strip_prefix(", ")
                .or_else(|| reason.strip_prefix(" (")?.strip_suffix(')'))?;
            Outcome::Ignored(Some(reason.to_owned()))
        }
    };
    Some((name.trim().to_owned(), outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "\
   Compiling postern-bus v0.1.0
     Running unittests src/lib.rs (target/debug/deps/postern_bus-0123abcd)

running 2 tests
test local::tests::fans_out ... ok
test local::tests::drops_slow ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/nats.rs (target/debug/deps/nats-89abcdef)

running 3 tests
test a_node_stops_listening ... ignored (NATS not reachable at 127.0.0.1:1)
test events_reach_another_node ... ignored (NATS not reachable at 127.0.0.1:1)
test prefixes_stay_apart ... ignored (NATS not reachable at 127.0.0.1:1)

test result: ok. 0 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/messages.rs (target/debug/deps/messages-00ff00ff)

running 3 tests
test scale_out::edits ... ignored, needs a database
a test's own output
test sqlite::edits ... FAILED
test sqlite::sends ... ok

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 4 filtered out; finished in 1.20s

   Doc-tests postern_core

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/media/main.rs (target/debug/deps/media-77777777)

running 1 test
thread 'main' panicked at 'killed'
";

    #[test]
    fn suites_counts_failures_and_skips_are_read() {
        let report = Report::parse(RUN);
        let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "postern_bus (unit)",
                "nats",
                "messages",
                "postern_core (doc)",
                "media"
            ]
        );
        assert_eq!(
            (report.passed(), report.failed(), report.skipped()),
            (3, 1, 4)
        );
        let messages = report.suites.get(2).unwrap_or_else(|| panic!("messages"));
        assert_eq!(messages.failures, ["sqlite::edits"]);
        assert_eq!(messages.filtered_out, 4);
        assert_eq!(
            messages.skips,
            [(
                "scale_out::edits".to_owned(),
                Some("needs a database".to_owned())
            )]
        );
        let unfinished: Vec<&str> = report.unfinished().map(|s| s.name.as_str()).collect();
        assert_eq!(unfinished, ["media"]);
    }

    #[test]
    fn skips_are_grouped_by_reason_with_the_suites_they_hit() {
        let report = Report::parse(RUN);
        let skips = report.skips_by_reason();
        assert_eq!(
            skips.get("NATS not reachable at 127.0.0.1:1"),
            Some(&(3, vec!["nats"]))
        );
        assert_eq!(skips.get("needs a database"), Some(&(1, vec!["messages"])));
    }

    #[test]
    fn the_summary_names_each_reason_and_ends_with_the_counts() {
        let report = Report::parse(RUN);
        let summary = report.render(
            &["NATS: not started (POSTERN_TEST_NATS points elsewhere)".to_owned()],
            Duration::from_secs(125),
        );
        for expected in [
            "8 tests in 3 suites: 3 passed, 1 failed, 4 skipped.",
            "  messages sqlite::edits",
            "Did not finish (crashed or was stopped): media",
            "  NATS not reachable at 127.0.0.1:1: 3 tests in nats",
            "  needs a database: 1 test in messages",
            "  NATS: not started (POSTERN_TEST_NATS points elsewhere)",
            "Took 2 min 5 s.",
        ] {
            assert!(summary.contains(expected), "{expected:?} in:\n{summary}");
        }
        assert_eq!(
            summary.lines().last(),
            Some("Summary: 3 passed, 1 failed, 4 skipped")
        );
    }

    #[test]
    fn a_run_of_nothing_is_not_a_pass() {
        let report = Report::parse(
            "     Running tests/nats.rs (target/debug/deps/nats-1)\n\
            test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.00s\n",
        );
        assert!(!report.ran_tests());
    }

    #[test]
    fn lines_that_merely_look_alike_are_not_tests() {
        let report = Report::parse(
            "     Running tests/x.rs (target/debug/deps/x-1)\n\
             test the thing ... maybe\n\
             testing ... ok\n\
             test y ... ignored(no space)\n",
        );
        let suite = report.suites.first().unwrap_or_else(|| panic!("one suite"));
        assert!(
            suite.failures.is_empty() && suite.skips.is_empty(),
            "{suite:?}"
        );
    }
}
