//! The fault matrix against the real binary in `--headless` mode: row 20 (SIGTERM, SIGINT,
//! SIGHUP end it cleanly: exit 0, well-formed JSON lines, config untouched) and a reader
//! that hangs up early (`| head -5`). Real processes and time, every wait bounded.
//!
//! Row 20 runs with a config file the program may write (`--config`, not `--demo`, which
//! never saves) against a simulator this test starts on 127.0.0.1 (`--ws-url`,
//! `--rest-url`), so a shutdown that rewrote or truncated the file would be seen.
#![cfg(unix)]

mod process_support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pricewire_sim::{SimConfig, SimServer};

const CONFIG: &str =
    "# mine: do not touch\nsymbols = [\"BTC/USD\", \"ETH/USD\"] # two\n\n[ui]\nfps = 10\n";

/// How long a process may take to end before it counts as hung: far beyond any normal
/// exit, so a slow machine never fails a test; exit speed is a benchmark's business.
const HANG_GUARD: Duration = Duration::from_mins(1);

struct Run {
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: PathBuf,
}

/// A Kraken simulator on 127.0.0.1 for the binary to dial, on a runtime of its own (the
/// tests here are plain threads); both live as long as the returned pair.
fn simulator() -> (tokio::runtime::Runtime, SimServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt
        .block_on(SimServer::start(
            "127.0.0.1:0".parse().unwrap(),
            SimConfig::default(),
        ))
        .expect("simulator starts");
    (rt, sim)
}

/// How the binary finds a venue: its own `--demo` simulator, or the given one by URL.
enum Venue<'a> {
    Demo,
    At(&'a SimServer),
}

/// Start the binary; the stdout reader hangs up after `take` lines when given.
fn start(name: &str, venue: &Venue<'_>, take: Option<usize>) -> Run {
    let dir = std::env::temp_dir().join(format!("pricewire-proc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), CONFIG).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pricewire"));
    cmd.arg("--headless");
    match venue {
        Venue::Demo => cmd.arg("--demo"),
        Venue::At(sim) => cmd
            .arg("--ws-url")
            .arg(sim.ws_url())
            .arg("--rest-url")
            .arg(sim.rest_url()),
    };
    let mut child = cmd
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--log-file")
        .arg(dir.join("pricewire.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        // Returning drops the pipe's read end, as `head` does when it has enough.
        for line in BufReader::new(stdout)
            .lines()
            .take(take.unwrap_or(usize::MAX))
        {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    Run { child, lines, dir }
}

impl Run {
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("a line within 20 s")
    }

    /// Wait for the exit; kill and fail when it has not come after [`HANG_GUARD`]. The bound
    /// only catches a hang: how soon the binary exits is measured by `benches/exit.sh`.
    fn wait(&mut self) -> ExitStatus {
        let limit = HANG_GUARD;
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                panic!("hang guard: still running {limit:?} after being asked to stop");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn check_json(line: &str) {
    let v: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert!(v["type"].is_string(), "{line}");
}

/// The config file's bytes and identity (inode, modification time): a rewrite with the
/// same text still changes the latter.
fn config_state(path: &std::path::Path) -> (String, u64, std::time::SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).unwrap();
    (
        std::fs::read_to_string(path).unwrap(),
        meta.ino(),
        meta.modified().unwrap(),
    )
}

fn signal_ends_cleanly(signal: &str) {
    let (_rt, sim) = simulator();
    let mut run = start(signal, &Venue::At(&sim), None);
    let config = run.dir.join("config.toml");
    let before = config_state(&config);
    assert_eq!(before.0, CONFIG);
    let mut ticks = 0;
    for _ in 0..5 {
        let line = run.next_line();
        check_json(&line);
        ticks += usize::from(line.contains("\"type\":\"ticker\""));
    }
    // Streaming from the simulator given by URL, not from a demo of its own.
    while ticks == 0 {
        let line = run.next_line();
        check_json(&line);
        ticks += usize::from(line.contains("\"type\":\"ticker\""));
    }
    assert!(sim.stats().ws_sessions >= 1, "{:?}", sim.stats());
    let killed = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(run.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = run.wait();
    assert!(status.success(), "SIG{signal}: {status:?}");
    // Everything printed up to the end is whole lines of JSON.
    while let Ok(line) = run.lines.recv_timeout(Duration::from_secs(5)) {
        check_json(&line);
    }
    assert_eq!(config_state(&config), before, "config untouched");
    let left: Vec<_> = std::fs::read_dir(&run.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config.toml" && n != "pricewire.log")
        .collect();
    assert!(left.is_empty(), "no temporary file left: {left:?}");
    std::fs::remove_dir_all(&run.dir).unwrap();
}

#[test]
fn sigterm_exits_zero() {
    signal_ends_cleanly("TERM");
}

#[test]
fn sigint_exits_zero() {
    signal_ends_cleanly("INT");
}

#[test]
fn sighup_exits_zero() {
    signal_ends_cleanly("HUP");
}

// `pricewire --headless --demo | head -5`: the reader leaves, the writer ends quietly.
#[test]
fn reader_hanging_up_ends_with_success() {
    let mut run = start("head", &Venue::Demo, Some(5));
    for _ in 0..5 {
        check_json(&run.next_line());
    }
    let status = run.wait();
    assert!(status.success(), "{status:?}");
    std::fs::remove_dir_all(&run.dir).unwrap();
}

// Every line a simulated feed prints says so, whether the simulator is the binary's own
// (`--demo`) or one reached by URL: the peer decides, not the flag.
#[test]
fn every_headless_line_of_a_simulated_feed_says_so() {
    let (_rt, sim) = simulator();
    for (name, venue) in [("sim-demo", Venue::Demo), ("sim-url", Venue::At(&sim))] {
        let mut run = start(name, &venue, Some(12));
        let mut types = Vec::new();
        for _ in 0..12 {
            let line = run.next_line();
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v["simulated"], true, "{name}: {line}");
            // Right after the exchange, where a reader's eye is.
            assert!(
                line.contains(r#""exchange":"kraken","simulated":true,"#),
                "{name}: {line}"
            );
            types.push(v["type"].as_str().unwrap().to_string());
        }
        assert!(types.iter().any(|t| t == "status"), "{name}: {types:?}");
        assert!(types.iter().any(|t| t == "ticker"), "{name}: {types:?}");
        let status = run.wait();
        assert!(status.success(), "{name}: {status:?}");
        std::fs::remove_dir_all(&run.dir).unwrap();
    }
}

/// Run the binary to its end (bounded), stdout and stderr piped, with `TERM` set.
fn run_to_end(args: &[&str], term: &str) -> std::process::Output {
    let mut cmd = process_support::pricewire();
    cmd.args(args).env("TERM", term);
    process_support::run_to_end(&mut cmd, Duration::from_secs(15))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pricewire-proc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// `pricewire --demo | head`: no escape codes into the pipe, a reason and exit 2 instead.
#[test]
fn dashboard_into_a_pipe_is_refused() {
    let dir = scratch("pipe");
    let log = dir.join("pricewire.log");
    let out = run_to_end(
        &["--demo", "--log-file", log.to_str().unwrap()],
        "xterm-256color",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "wrote to the pipe");
    assert!(
        stderr.contains("pricewire: stdout is not a terminal; use --headless for JSON lines"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dumb_terminal_is_refused() {
    let dir = scratch("dumb");
    let log = dir.join("pricewire.log");
    let out = run_to_end(&["--demo", "--log-file", log.to_str().unwrap()], "dumb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("TERM=dumb"), "{stderr}");
    assert!(stderr.contains("--headless"), "{stderr}");
    assert!(stderr.contains("cursor movement"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_ws_url_is_refused_at_start() {
    let out = run_to_end(&["--headless", "--ws-url", "notaurl"], "dumb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("notaurl") && stderr.contains("not a URL"),
        "{stderr}"
    );
    let out = run_to_end(
        &["--headless", "--demo", "--rest-url", "http://127.0.0.1:1"],
        "dumb",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--demo") && stderr.contains("--rest-url"),
        "{stderr}"
    );
}

#[test]
fn help_names_the_log_file() {
    let out = run_to_end(&["--help"], "dumb");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let log = pricewire::logging::default_path().expect("a home directory for the tests");
    assert!(
        help.contains(&format!("Log file: {}", log.display())),
        "{help}"
    );
}

#[test]
fn start_up_line_is_logged() {
    let mut run = start("startup", &Venue::Demo, None);
    check_json(&run.next_line());
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(run.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(run.wait().success());
    let log = std::fs::read_to_string(run.dir.join("pricewire.log")).unwrap();
    let want = format!("starting pricewire {}", env!("CARGO_PKG_VERSION"));
    let line = log
        .lines()
        .find(|l| l.contains(&want))
        .unwrap_or_else(|| panic!("no {want:?} in: {log}"));
    assert!(
        line.contains("config.toml") && line.contains("venues kraken"),
        "{line}"
    );
    assert!(line.contains("pricewire.log"), "{line}");
    std::fs::remove_dir_all(&run.dir).unwrap();
}

// Headless with nothing any venue lists: the errors, then exit 2, instead of waiting forever.
#[test]
fn headless_with_nothing_to_watch_prints_the_errors_and_exits_2() {
    let dir = scratch("nothing");
    let log = dir.join("pricewire.log");
    let out = run_to_end(
        &[
            "--headless",
            "--demo",
            "--exchange",
            "binance",
            "--log-file",
            log.to_str().unwrap(),
            "BTC/USD",
            "NOPE/USDT",
        ],
        "dumb",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .filter(|v| v["type"] == "error")
        .map(|v| v["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["BTC/USD", "NOPE/USDT"], "{stdout}");
    assert!(
        lines
            .iter()
            .any(|v| v["type"] == "status" && v["to"] == "idle"),
        "{stdout}"
    );
    assert!(stderr.contains("nothing to watch"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
