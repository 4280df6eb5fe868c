//! The `main` of every integration test target, built on libtest-mimic so that a test can
//! decide at run time that it cannot run and say so as `ignored (reason)`, which the
//! built-in harness cannot (its `#[ignore]` is fixed when the test is compiled).
//!
//! Output looks like `cargo test`'s and takes its arguments (filters, `--exact`,
//! `--test-threads`, `--list`, `--ignored`). One difference: libtest-mimic does not capture
//! a test's output, so tests print only what a person should see.

use std::process::ExitCode;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::services::{self, Service};

/// A test, as `#[postern_testkit::test]` registers it.
pub struct Test {
    /// `module_path!()` where it was declared: the target's name, then its modules.
    pub module: &'static str,
    pub name: &'static str,
    /// What must be there for it to run.
    pub needs: &'static [Service],
    /// Runs it; it fails by panicking.
    pub run: fn(),
}

inventory::collect!(Test);

impl Test {
    /// Its name as the built-in harness would give it: the module path without the
    /// target's own name (`scale_out::groups_are_created`).
    fn full_name(&self) -> String {
        match self.module.split_once("::") {
            Some((_target, modules)) => format!("{modules}::{}", self.name),
            None => self.name.to_owned(),
        }
    }

    /// Why it cannot run now, if it cannot: the first missing service.
    fn missing(&self) -> Option<&'static str> {
        self.needs.iter().find_map(|s| s.availability().err())
    }
}

/// Runs the target's registered tests as the arguments ask; the exit code says whether all
/// that ran passed. Call it from the target's `fn main`.
pub fn run() -> ExitCode {
    let arguments = Arguments::from_args();
    let mut tests: Vec<&'static Test> = inventory::iter::<Test>.into_iter().collect();
    tests.sort_by_cached_key(|t| t.full_name());
    let trials = tests.into_iter().map(trial).collect();
    libtest_mimic::run(&arguments, trials).exit_code()
}

fn trial(test: &'static Test) -> Trial {
    Trial::ignorable_test(test.full_name(), move || match test.missing() {
        Some(reason) if services::in_ci() => Err(Failed::from(format!(
            "CI=true, so a test that cannot run fails: {reason}"
        ))),
        Some(reason) => Ok(Completion::ignored_with(reason)),
        None => {
            (test.run)();
            Ok(Completion::Completed)
        }
    })
}

/// Runs an `async` test to its end on a runtime of its own: one current thread, as
/// `#[tokio::test]` gives, or two worker threads.
pub fn block_on(test: impl Future<Output = ()>, multi_thread: bool) {
    let mut builder = if multi_thread {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = builder
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a Tokio runtime: {e}"));
    runtime.block_on(test);
}
