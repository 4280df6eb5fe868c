//! The outside services Postern's tests use, where each one is, and whether it is there.
//!
//! Each has a default location and an environment variable that moves it for one run
//! (`POSTERN_TEST_POSTGRES=127.0.0.1:5433 cargo xtask test`); pointing one at a closed port
//! is also how the skip reporting is tested. Only `std` is used here, so the test command
//! can share this module without building the harness.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Something outside the workspace that some tests need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// PostgreSQL, user `postgres` with trust authentication.
    Postgres,
    /// NATS with JetStream.
    Nats,
    /// An S3-compatible object store (moto), any credentials.
    S3,
    /// The browser suite's tools: Chromium, Node.js and the suite's npm packages.
    Browser,
    /// schemathesis's `st`, which checks the server against its OpenAPI document.
    Schemathesis,
    /// Real Twitter client libraries (tweepy), run against the Twitter-compatible APIs.
    TwitterClients,
}

/// How long a service may take to accept a connection before it counts as not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Service {
    pub const ALL: [Service; 6] = [
        Service::Postgres,
        Service::Nats,
        Service::S3,
        Service::Browser,
        Service::Schemathesis,
        Service::TwitterClients,
    ];

    /// What a person calls it.
    pub fn name(self) -> &'static str {
        match self {
            Service::Postgres => "PostgreSQL",
            Service::Nats => "NATS",
            Service::S3 => "S3-compatible server",
            Service::Browser => "Chromium",
            Service::Schemathesis => "schemathesis",
            Service::TwitterClients => "Twitter client libraries",
        }
    }

    /// The environment variable that moves it, and where it is without one: an address
    /// (`host:port`), or for a tool, its path (relative ones are in the workspace).
    pub fn setting(self) -> (&'static str, &'static str) {
        match self {
            Service::Postgres => ("POSTERN_TEST_POSTGRES", "127.0.0.1:5432"),
            Service::Nats => ("POSTERN_TEST_NATS", "127.0.0.1:4222"),
            Service::S3 => ("POSTERN_TEST_S3", "127.0.0.1:9000"),
            Service::Browser => ("POSTERN_TEST_CHROMIUM", "/usr/bin/chromium"),
            Service::Schemathesis => (
                "POSTERN_TEST_SCHEMATHESIS",
                "target/test-tools/schemathesis/bin/st",
            ),
            Service::TwitterClients => (
                "POSTERN_TEST_TWITTER_CLIENTS",
                "target/test-tools/twitter-clients/bin/python",
            ),
        }
    }

    /// Where it is for this run.
    pub fn location(self) -> String {
        let (variable, default) = self.setting();
        std::env::var(variable)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    /// Whether this run uses the default location (the only one the test command knows how
    /// to start a service at).
    pub fn at_default_location(self) -> bool {
        self.location() == self.setting().1
    }

    /// Whether it is there now, or why not ("PostgreSQL not reachable at 127.0.0.1:5432").
    pub fn check(self) -> Result<(), String> {
        match self {
            Service::Browser => browser_tools(),
            Service::Schemathesis => schemathesis_tool(),
            Service::TwitterClients => twitter_clients(),
            _ => reachable(self.name(), &self.location()),
        }
    }

    /// [`Service::check`], asked once per process: every test that needs the service gets
    /// the same answer, and a missing one costs one timeout, not one per test.
    pub fn availability(self) -> Result<(), &'static str> {
        static ANSWERS: [OnceLock<Result<(), String>>; Service::ALL.len()] =
            [const { OnceLock::new() }; Service::ALL.len()];
        let index = Service::ALL.iter().position(|s| *s == self);
        let answer = index
            .and_then(|i| ANSWERS.get(i))
            .map(|cell| cell.get_or_init(|| self.check()));
        match answer {
            Some(Ok(())) => Ok(()),
            Some(Err(reason)) => Err(reason.as_str()),
            None => Err("unknown service"),
        }
    }
}

fn reachable(name: &str, address: &str) -> Result<(), String> {
    let unreachable = || format!("{name} not reachable at {address}");
    let addresses = address.to_socket_addrs().map_err(|_| unreachable())?;
    for socket in addresses {
        if TcpStream::connect_timeout(&socket, CONNECT_TIMEOUT).is_ok() {
            return Ok(());
        }
    }
    Err(unreachable())
}

fn browser_tools() -> Result<(), String> {
    let chromium = chromium();
    if !chromium.exists() {
        return Err(format!("Chromium not installed at {}", chromium.display()));
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !node {
        return Err("Node.js not installed (no `node` on PATH)".to_owned());
    }
    if !browser_suite()
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return Err("the browser suite's packages not installed (npm ci in web/e2e)".to_owned());
    }
    Ok(())
}

fn schemathesis_tool() -> Result<(), String> {
    let st = schemathesis();
    let runs = Command::new(&st)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runs {
        Ok(())
    } else {
        Err(format!("schemathesis not installed at {}", st.display()))
    }
}

fn twitter_clients() -> Result<(), String> {
    let python = twitter_python();
    let imports = Command::new(&python)
        .args(["-c", "import tweepy"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !imports {
        return Err(format!("tweepy not installed for {}", python.display()));
    }
    let node = twitter_node_suite();
    for package in ["twitter-api-v2", "twitter-autohook"] {
        if !node
            .join(format!("node_modules/{package}/package.json"))
            .exists()
        {
            return Err(format!(
                "{package} not installed in {} (npm ci --ignore-scripts there)",
                node.display()
            ));
        }
    }
    Ok(())
}

/// The folder of the Node.js clients, with their pinned packages (twitter-api-v2,
/// twitter-autohook).
pub fn twitter_node_suite() -> PathBuf {
    workspace().join("crates/server/tests/twitter/clients/node")
}

/// The Python that has the Twitter client libraries.
pub fn twitter_python() -> PathBuf {
    workspace().join(Service::TwitterClients.location())
}

/// A URL for `database` on the tests' PostgreSQL, as user `postgres`.
pub fn postgres_url(database: &str) -> String {
    format!(
        "postgres://postgres@{}/{database}",
        Service::Postgres.location()
    )
}

/// The tests' NATS server.
pub fn nats_url() -> String {
    format!("nats://{}", Service::Nats.location())
}

/// The tests' S3-compatible server (plain HTTP).
pub fn s3_endpoint() -> String {
    format!("http://{}", Service::S3.location())
}

/// The Chromium the browser suite drives.
pub fn chromium() -> PathBuf {
    PathBuf::from(Service::Browser.location())
}

/// schemathesis's command-line program, `st`.
pub fn schemathesis() -> PathBuf {
    workspace().join(Service::Schemathesis.location())
}

/// The workspace's root directory.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The browser suite's directory (its `package.json`, `node_modules` and `tests`).
pub fn browser_suite() -> PathBuf {
    workspace().join("web/e2e")
}

/// Whether this is a CI run, where a test that cannot run fails rather than being skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_is_named_in_the_reason() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        // The listener is gone, so the port is closed.
        let address = format!("127.0.0.1:{port}");
        assert_eq!(
            reachable("NATS", &address),
            Err(format!("NATS not reachable at {address}"))
        );
    }

    #[test]
    fn an_open_port_is_reachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot listen: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no address: {e}"))
            .to_string();
        assert_eq!(reachable("NATS", &address), Ok(()));
    }

    #[test]
    fn an_address_that_does_not_parse_is_not_reachable() {
        assert_eq!(
            reachable("PostgreSQL", "nowhere"),
            Err("PostgreSQL not reachable at nowhere".to_owned())
        );
    }
}
