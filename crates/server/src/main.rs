//! `postern`: serve, migrate, and operator commands.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use postern::Config;
use postern_service::accounts::Registration;

// Password hashing allocates ~19 MiB per hash on whichever blocking thread runs it; glibc's
// malloc kept those blocks in per-thread arenas (1.5 GiB resident after 1,000 sign-ups).
// mimalloc returns freed memory to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "postern",
    version,
    about = "A self-hostable direct-messaging server"
)]
struct Cli {
    /// Configuration file (default: ./postern.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Where data lives (default ./postern-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH (default DATA_DIR/postern.db) or postgres://….
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Bus URL for several nodes: nats://HOST:PORT (default: in-process, one node).
    #[arg(long, global = true)]
    bus_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Per-user send limits; `off` for load tests.
        #[arg(long, value_enum)]
        rate_limits: Option<Switch>,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
        #[arg(long)]
        tls_cert: Option<std::path::PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long)]
        tls_key: Option<std::path::PathBuf>,
    },
    /// Create or upgrade the database, then exit.
    Migrate,
    /// Copy an embedded installation's data into an empty PostgreSQL database (stop the
    /// server first); prints each table's row counts and fails if any differ.
    MigrateData {
        /// The embedded database: sqlite://PATH.
        #[arg(long)]
        from: String,
        /// The target: postgres://USER:PASSWORD@HOST:PORT/DATABASE.
        #[arg(long)]
        to: String,
    },
    /// Operator commands.
    Admin {
        #[command(subcommand)]
        command: Admin,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Subcommand)]
enum Admin {
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account.
    Create {
        screen_name: String,
        #[arg(long, env = "POSTERN_PASSWORD")]
        password: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        verified: bool,
    },
    /// Mark an account verified (or not, with --off).
    Verify {
        screen_name: String,
        #[arg(long)]
        off: bool,
    },
    /// Issue a personal access token and print it.
    Token {
        screen_name: String,
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.storage.data_dir = dir;
    }
    if let Some(url) = cli.database_url {
        config.database.url = url;
    }
    if let Some(url) = cli.bus_url {
        config.bus.url = url;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve {
            listen,
            rate_limits,
            tls_cert,
            tls_key,
        } => {
            config.server.tls_cert = tls_cert.or(config.server.tls_cert);
            config.server.tls_key = tls_key.or(config.server.tls_key);
            if let Some(addr) = listen {
                config.server.listen = addr;
            }
            if let Some(switch) = rate_limits {
                config.server.rate_limits = matches!(switch, Switch::On);
            }
            init_logging(&config, false)?;
            runtime.block_on(serve(config))
        }
        Command::Migrate => {
            runtime.block_on(postern::services(&config))?;
            println!("database is up to date");
            Ok(())
        }
        Command::MigrateData { from, to } => {
            // Progress goes to stderr, the summary to stdout.
            init_logging(&config, true)?;
            let report = runtime.block_on(postern::migrate_data::migrate_data(&from, &to))?;
            print!("{report}");
            let differ: Vec<String> = report
                .mismatches()
                .iter()
                .map(|t| format!("{} (source {}, target {})", t.table, t.source, t.target))
                .collect();
            anyhow::ensure!(
                differ.is_empty(),
                "row counts differ: {}; do not serve from this database (drop it and run again)",
                differ.join(", ")
            );
            let rows: u64 = report.tables.iter().map(|t| t.source).sum();
            println!(
                "copied {} tables, {rows} rows; every count matches. Start the nodes with database.url = {}",
                report.tables.len(),
                postern::redact(&to)
            );
            Ok(())
        }
        Command::Admin {
            command: Admin::User { command },
        } => runtime.block_on(admin(config, command)),
    }
}

/// Logs to stdout, or to stderr for commands whose stdout is their answer.
fn init_logging(config: &Config, stderr: bool) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    let filter =
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&config.log.filter))?;
    let writer = if stderr {
        BoxMakeWriter::new(std::io::stderr)
    } else {
        BoxMakeWriter::new(std::io::stdout)
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match config.log.format.as_str() {
        "json" => builder.json().init(),
        "text" => builder.init(),
        other => anyhow::bail!("log.format must be `text` or `json`, not `{other}`"),
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Every connection is a file handle; the usual soft limit (1,024) is far below what a
    // server holds. Raise it to the hard limit, which the operator controls.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(open_files = limit, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    let running = postern::start(&config, Some(metrics)).await?;
    tracing::info!(
        addr = %running.addr,
        database = %postern::redact(&config.database.url),
        bus = %config.bus.url,
        "postern is listening"
    );
    shutdown_signal().await;
    tracing::info!("shutting down: draining requests and streams");
    running
        .stop(Duration::from_secs(config.server.shutdown_grace_secs))
        .await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn admin(config: Config, command: UserCommand) -> anyhow::Result<()> {
    let services = postern::services(&config).await?;
    match command {
        UserCommand::Create {
            screen_name,
            password,
            name,
            verified,
        } => {
            let (user, _) = services
                .register(Registration {
                    screen_name,
                    password,
                    name,
                    verified,
                    session: false,
                })
                .await?;
            println!("created @{} (id {})", user.screen_name, user.id);
        }
        UserCommand::Verify { screen_name, off } => {
            let user = services.user_by_screen_name(&screen_name).await?;
            services.set_verified(user.id, !off).await?;
            println!(
                "@{} is {}verified",
                user.screen_name,
                if off { "not " } else { "" }
            );
        }
        UserCommand::Token { screen_name, name } => {
            let user = services.user_by_screen_name(&screen_name).await?;
            let issued = services.create_personal_token(user.id, name).await?;
            println!("{}", issued.secret);
        }
    }
    Ok(())
}
