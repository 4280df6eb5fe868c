//! `postern serve` as a real process, for tests that kill servers or run several.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::Client;

/// Starts `postern serve` on `port` with load-test limits off, cheap password hashing and
/// `args` (where the data lives) appended, plus `env`; the process dies with the returned
/// handle.
pub fn serve<I, S>(port: u16, args: I, env: &[(&str, &str)]) -> Child
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_postern"))
        .args(["serve", "--rate-limits", "off", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .envs(env.iter().copied())
        // Cheap password hashing keeps setup quick; these tests are not about hashing.
        .env("POSTERN__AUTH__ARGON2_MEMORY_KIB", "64")
        .env("POSTERN__AUTH__ARGON2_ITERATIONS", "1")
        .env("POSTERN__LOG__FILTER", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start postern: {e}"))
}

pub async fn wait_healthy(client: &Client) {
    for _ in 0..200 {
        if let Ok((200, _, _)) = client.try_call("GET", "/healthz", None, None, &[]).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server at {} did not become healthy", client.base);
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}
