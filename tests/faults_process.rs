//! The fault matrix against the real binary in `--headless --demo` mode: row 20 (SIGTERM,
//! SIGINT, SIGHUP end it cleanly: exit 0, well-formed JSON lines, config untouched) and a
//! reader that hangs up early (`| head -5`). Real processes and time, every wait bounded.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CONFIG: &str =
    "# mine: do not touch\nsymbols = [\"BTC/USD\", \"ETH/USD\"] # two\n\n[ui]\nfps = 10\n";

struct Run {
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: PathBuf,
}

/// Start the binary; the stdout reader hangs up after `take` lines when given.
fn start(name: &str, take: Option<usize>) -> Run {
    let dir = std::env::temp_dir().join(format!("pricewire-proc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), CONFIG).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pricewire"))
        .args(["--headless", "--demo", "--config"])
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

    /// Wait (bounded) for the exit; kill and fail when it does not come.
    fn wait(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                panic!("still running {limit:?} after being asked to stop");
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

fn signal_ends_cleanly(signal: &str) {
    let mut run = start(signal, None);
    for _ in 0..5 {
        check_json(&run.next_line());
    }
    let sent = Instant::now();
    let killed = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(run.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = run.wait(Duration::from_secs(10));
    assert!(status.success(), "SIG{signal}: {status:?}");
    assert!(sent.elapsed() < Duration::from_secs(5), "slow exit");
    // Everything printed up to the end is whole lines of JSON.
    while let Ok(line) = run.lines.recv_timeout(Duration::from_secs(5)) {
        check_json(&line);
    }
    assert_eq!(
        std::fs::read_to_string(run.dir.join("config.toml")).unwrap(),
        CONFIG
    );
    assert!(!run.dir.join("config.toml.tmp").exists());
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
    let mut run = start("head", Some(5));
    for _ in 0..5 {
        check_json(&run.next_line());
    }
    let status = run.wait(Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    std::fs::remove_dir_all(&run.dir).unwrap();
}
