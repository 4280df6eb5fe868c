//! Bringing up what the suites need, before they run.
//!
//! - PostgreSQL and NATS: started when installed but down (as the machine's own services).
//! - The S3-compatible server: moto, from PyPI at the versions pinned in
//!   `moto-requirements.txt`, installed into `target/test-tools/moto` and run for this test
//!   run only (stopped when the run ends).
//! - schemathesis, for the OpenAPI contract gate: from PyPI at the versions pinned in
//!   `schemathesis-requirements.txt`, installed into `target/test-tools/schemathesis`.
//! - tweepy, for the Twitter compatibility suite: from PyPI at the versions pinned in
//!   `twitter-clients-requirements.txt`, installed into `target/test-tools/twitter-clients`;
//!   twitter-api-v2 from npm, pinned by `crates/server/tests/twitter/clients/node/package-lock.json`.
//! - The browser suite: Debian's Chromium when missing and this is root, and the suite's npm
//!   packages (pinned by `web/e2e/package-lock.json`).
//!
//! Only a service at its default location is started; one moved by its environment variable
//! (`POSTERN_TEST_NATS=…`) is the caller's. Nothing here fails the run: what could not be set
//! up is noted, and the tests that need it show as skipped with the reason (or fail, under
//! `CI=true`, where the test command stops before running anything).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use postern_testkit::services::{self, Service};

/// moto and everything it runs on, at exact versions.
const MOTO_REQUIREMENTS: &str = include_str!("../moto-requirements.txt");

/// schemathesis and everything it runs on, at exact versions.
const SCHEMATHESIS_REQUIREMENTS: &str = include_str!("../schemathesis-requirements.txt");

/// The Twitter client libraries the compatibility suite runs, at exact versions.
const TWITTER_CLIENTS_REQUIREMENTS: &str = include_str!("../twitter-clients-requirements.txt");

/// What set-up did, and the S3 server it started (stopped when this is dropped).
#[derive(Default)]
pub struct Setup {
    /// One line per service: running, started, or why not.
    pub notes: Vec<String>,
    s3: Option<Child>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(mut moto) = self.s3.take() {
            let _ = moto.kill();
            let _ = moto.wait();
        }
    }
}

/// Brings up every service it can; see the module comment.
pub fn prepare(workspace: &Path) -> Setup {
    let mut setup = Setup::default();
    let tools = workspace.join("target/test-tools");
    bring_up(&mut setup, Service::Postgres, |_| {
        start_postgres().map(|()| None)
    });
    bring_up(&mut setup, Service::Nats, |_| start_nats().map(|()| None));
    bring_up(&mut setup, Service::S3, |location| {
        start_moto(&tools, location).map(Some)
    });
    prepare_browser(&mut setup);
    prepare_schemathesis(&mut setup, &tools);
    prepare_twitter_clients(&mut setup, &tools);
    setup
}

/// How long a started service may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn bring_up(
    setup: &mut Setup,
    service: Service,
    start: impl FnOnce(&str) -> Result<Option<Child>, String>,
) {
    let name = service.name();
    let location = service.location();
    if service.check().is_ok() {
        setup.notes.push(format!("{name}: running at {location}"));
        return;
    }
    if !service.at_default_location() {
        let (variable, _) = service.setting();
        setup.notes.push(format!(
            "{name}: not started ({variable} moves it to {location}, which this command leaves \
             to you)"
        ));
        return;
    }
    progress(&format!("starting {name} at {location}"));
    let child = match start(&location) {
        Ok(child) => child,
        Err(why) => {
            setup.notes.push(format!("{name}: not started ({why})"));
            return;
        }
    };
    let deadline = Instant::now() + START_TIMEOUT;
    let mut answer = service.check();
    while answer.is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        answer = service.check();
    }
    match answer {
        Ok(()) => {
            let lasts = if child.is_some() {
                ", for this run"
            } else {
                ""
            };
            setup
                .notes
                .push(format!("{name}: started at {location}{lasts}"));
            if child.is_some() {
                setup.s3 = child;
            }
        }
        Err(reason) => {
            setup.notes.push(format!("{name}: started, but {reason}"));
            if let Some(mut child) = child {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

fn start_postgres() -> Result<(), String> {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .map_err(|_| "no PostgreSQL cluster installed (/etc/postgresql)".to_owned())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    let version = versions
        .pop()
        .ok_or("no PostgreSQL cluster installed (/etc/postgresql is empty)")?;
    run(Command::new("pg_ctlcluster").args([
        "--skip-systemctl-redirect",
        &version,
        "main",
        "start",
    ]))
}

fn start_nats() -> Result<(), String> {
    let server = "/usr/sbin/nats-server";
    if !Path::new(server).exists() {
        return Err(format!("{server} not installed"));
    }
    run(Command::new("start-stop-daemon").args([
        "--start",
        "--oknodo",
        "--background",
        "--exec",
        server,
        "--",
        "-a",
        "127.0.0.1",
        "-p",
        "4222",
        "-js",
        "-sd",
        "/var/lib/nats-server",
    ]))
}

/// Installs moto into `tools` when it is missing or its pins changed, and starts it.
fn start_moto(tools: &Path, location: &str) -> Result<Child, String> {
    let venv = install_venv(
        tools,
        "moto",
        "moto (the S3-compatible server)",
        MOTO_REQUIREMENTS,
    )?;
    let (host, port) = location
        .rsplit_once(':')
        .ok_or_else(|| format!("{location} is not host:port"))?;
    let log = std::fs::File::create(tools.join("moto.log"))
        .map_err(|e| format!("create {}: {e}", tools.join("moto.log").display()))?;
    let log_too = log.try_clone().map_err(|e| format!("moto's log: {e}"))?;
    Command::new(venv.join("bin/moto_server"))
        .args(["-H", host, "-p", port])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_too)
        .spawn()
        .map_err(|e| format!("cannot run moto_server: {e}"))
}

/// Installs `requirements` into the virtual environment `tools/name` unless it holds them
/// already (a changed pin reinstalls it), and returns the environment's directory.
fn install_venv(
    tools: &Path,
    name: &str,
    what: &str,
    requirements: &str,
) -> Result<PathBuf, String> {
    let venv = tools.join(name);
    let installed = venv.join("requirements.txt");
    if std::fs::read_to_string(&installed).ok().as_deref() == Some(requirements) {
        return Ok(venv);
    }
    progress(&format!("installing {what} into target/test-tools/{name}"));
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    std::fs::write(&installed, requirements)
        .map_err(|e| format!("write {}: {e}", installed.display()))?;
    let pip = run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&installed));
    if let Err(e) = pip {
        // Not marked installed: the next run tries again.
        let _ = std::fs::remove_file(&installed);
        return Err(e);
    }
    Ok(venv)
}

/// schemathesis at its pinned versions, unless the run points at another `st`.
fn prepare_schemathesis(setup: &mut Setup, tools: &Path) {
    let service = Service::Schemathesis;
    if service.at_default_location() {
        let installed = install_venv(
            tools,
            "schemathesis",
            "schemathesis (the OpenAPI contract gate)",
            SCHEMATHESIS_REQUIREMENTS,
        );
        if let Err(e) = installed {
            setup
                .notes
                .push(format!("schemathesis: not installed ({e})"));
            return;
        }
    }
    setup.notes.push(match service.check() {
        Ok(()) => format!("schemathesis: ready at {}", service.location()),
        Err(reason) => format!("schemathesis: {reason}"),
    });
}

/// tweepy at its pinned versions, unless the run points at another Python, and
/// twitter-api-v2 at the version its folder's lockfile pins.
fn prepare_twitter_clients(setup: &mut Setup, tools: &Path) {
    let service = Service::TwitterClients;
    let node = services::twitter_node_suite();
    let installed = ["twitter-api-v2", "twitter-autohook"]
        .iter()
        .all(|p| node.join(format!("node_modules/{p}/package.json")).exists());
    if !installed {
        progress(
            "installing twitter-api-v2 and twitter-autohook (npm ci in the Node.js clients' folder)",
        );
        // Without install scripts: twitter-autohook depends on ngrok, whose script would fetch
        // a binary from outside the package registry; the receiver never opens a tunnel.
        if let Err(e) = run(Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--silent",
            ])
            .current_dir(&node))
        {
            setup.notes.push(format!(
                "twitter-api-v2, twitter-autohook: not installed ({e})"
            ));
        }
    }
    if service.at_default_location() {
        let installed = install_venv(
            tools,
            "twitter-clients",
            "tweepy (a real Twitter client, for the compatibility suite)",
            TWITTER_CLIENTS_REQUIREMENTS,
        );
        if let Err(e) = installed {
            setup
                .notes
                .push(format!("Twitter client libraries: not installed ({e})"));
            return;
        }
    }
    setup.notes.push(match service.check() {
        Ok(()) => format!("Twitter client libraries: ready at {}", service.location()),
        Err(reason) => format!("Twitter client libraries: {reason}"),
    });
}

/// Chromium from Debian when it is missing and this is root, then the suite's packages.
fn prepare_browser(setup: &mut Setup) {
    let chromium = services::chromium();
    if !chromium.exists() && Service::Browser.at_default_location() && is_root() {
        progress("installing Chromium (Debian's chromium)");
        let install = || {
            run(Command::new("apt-get")
                .args(["install", "-y", "-q", "chromium", "chromium-driver"])
                .env("DEBIAN_FRONTEND", "noninteractive"))
        };
        // A fresh machine's package lists may be empty or stale.
        if let Err(first) = install() {
            let again =
                run(Command::new("apt-get").args(["update", "-q"])).and_then(|()| install());
            if let Err(second) = again {
                setup.notes.push(format!(
                    "Chromium: not installed ({first}; after an update: {second})"
                ));
            }
        }
    }
    let suite = services::browser_suite();
    if !suite
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        progress("installing the browser suite's packages (npm ci in web/e2e)");
        if let Err(e) = run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&suite))
        {
            setup
                .notes
                .push(format!("browser suite's packages: not installed ({e})"));
        }
    }
    setup.notes.push(match Service::Browser.check() {
        Ok(()) => format!(
            "browser suite: ready (Chromium at {}, Node.js, playwright-core)",
            chromium.display()
        ),
        Err(reason) => format!("browser suite: {reason}"),
    });
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs `command` to its end; an error names the program and its last line of output.
fn run(command: &mut Command) -> Result<(), String> {
    let program = PathBuf::from(command.get_program());
    let program = program.file_name().map_or_else(
        || program.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let last = said
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "{program} failed ({}): {}",
        output.status,
        last.trim()
    ))
}

fn progress(what: &str) {
    eprintln!("xtask: {what}…");
}
