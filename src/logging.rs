//! Logging to a file (never to the terminal while the dashboard runs): the platform data
//! directory by default, `RUST_LOG` for the level. The returned guard flushes on drop.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log lines queued for the writer thread before new ones are dropped.
const LOG_QUEUE_LINES: usize = 8_192;

/// `~/.local/share/pricewire/pricewire.log` on Linux.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pricewire").map(|d| d.data_dir().join("pricewire.log"))
}

/// Start logging where the settings say (`--log-file` over the config's `log_file`, both
/// with `~/` expanded, else [`default_path`]) and write the start-up line: version, the
/// config file read (or none), venues, the log file; then a line per config key this
/// version does not know. A failure is printed, not fatal.
pub fn start(cli: &crate::cli::Cli, settings: &crate::run::Settings) -> Option<WorkerGuard> {
    let log = settings.config.log_file.clone().or_else(default_path);
    let guard = init(log.as_deref())
        .map_err(|e| eprintln!("pricewire: logging disabled: {e}"))
        .ok()?;
    let config = cli.config.clone().or_else(crate::config::default_path);
    let venues: Vec<&str> = settings.exchanges.iter().map(|v| v.as_str()).collect();
    tracing::info!(
        "starting pricewire {}: config {}, venues {}, log {}",
        env!("CARGO_PKG_VERSION"),
        config
            .filter(|p| p.exists())
            .map_or("none".into(), |p| p.display().to_string()),
        venues.join(", "),
        log.map_or("none".into(), |p| p.display().to_string()),
    );
    for w in &settings.config.warnings {
        tracing::warn!("config {w}");
    }
    Some(guard)
}

/// Start logging to `path`. A log file that cannot be opened is reported and logging is
/// off; it never stops the program.
pub fn init(path: Option<&Path>) -> Result<WorkerGuard, String> {
    let path = path
        .map(Path::to_path_buf)
        .or_else(default_path)
        .ok_or("no data directory for the log file; pass --log-file")?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
    // Lines queued for the writer thread before new ones are dropped (counted by the
    // appender): the channel takes room for all of them up front, 32 bytes a line, so
    // the default 128,000 would hold 4 MB for a log that writes a line every few seconds.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(file);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(guard)
}
