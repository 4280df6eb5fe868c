//! Configuration: defaults, then `postern.toml`, then `POSTERN__SECTION__KEY` environment
//! variables, then command-line flags. Unknown keys are refused, so a typo cannot silently
//! leave a default in place.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use postern_core::limits::Limits;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub limits: Limits,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Distinguishes nodes in generated ids (0–1023).
    pub node_id: u16,
    /// Per-user send limits; turn off for load tests.
    pub rate_limits: bool,
    /// Seconds to let requests and streams finish on shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            node_id: 0,
            rate_limits: true,
            shutdown_grace_secs: 10,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./postern-data"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH`; empty means `DATA_DIR/postern.db`.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub session_days: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            session_days: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info,postern_http=debug`; `RUST_LOG` overrides.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

impl Config {
    /// Loads the layered configuration; `file` defaults to `./postern.toml` if present.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                anyhow::ensure!(
                    f.exists(),
                    "configuration file {} does not exist",
                    f.display()
                );
                figment = figment.merge(Toml::file(f));
            }
            None => figment = figment.merge(Toml::file("postern.toml")),
        }
        figment = figment.merge(Env::prefixed("POSTERN__").split("__"));
        figment.extract().context("invalid configuration")
    }

    /// Where the SQLite database lives.
    pub fn sqlite_path(&self) -> anyhow::Result<PathBuf> {
        let url = self.database.url.trim();
        if url.is_empty() {
            return Ok(self.storage.data_dir.join("postern.db"));
        }
        match url.split_once("://") {
            Some(("sqlite", path)) if !path.is_empty() => Ok(PathBuf::from(path)),
            Some((scheme, _)) => anyhow::bail!(
                "database.url scheme `{scheme}` is not supported by this build; use sqlite://PATH"
            ),
            None => anyhow::bail!("database.url `{url}` has no scheme; use sqlite://PATH"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("postern.toml");
        std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:9000\"\nlisen = 1\n")?;
        let err = Config::load(Some(&file)).err().map(|e| format!("{e:#}"));
        assert!(
            err.is_some_and(|e| e.contains("lisen")),
            "the message names the unknown key"
        );
        std::fs::write(
            &file,
            "[server]\nlisten = \"127.0.0.1:9000\"\n[limits]\ndm_text = 500\n",
        )?;
        let config = Config::load(Some(&file))?;
        assert_eq!(config.server.listen.port(), 9000);
        assert_eq!(config.limits.dm_text, 500);
        Ok(())
    }

    #[test]
    fn database_urls() {
        let mut c = Config::default();
        assert!(c.sqlite_path().is_ok_and(|p| p.ends_with("postern.db")));
        c.database.url = "sqlite:///tmp/x.db".into();
        assert!(c.sqlite_path().is_ok_and(|p| p == Path::new("/tmp/x.db")));
        c.database.url = "mysql://x".into();
        assert!(c.sqlite_path().is_err());
        c.database.url = "x.db".into();
        assert!(c.sqlite_path().is_err());
    }
}
