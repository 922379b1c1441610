//! The real binary in a pseudo-terminal against the simulator on 127.0.0.1, driven by key
//! presses and read through a terminal emulator: a price appears, `r` records a manual
//! reconnect, `a` adds a row (saved to the config file), `d` removes it, `q` exits 0 and
//! leaves the terminal as it found it.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use pricewire_sim::{SimConfig, SimServer};

const ROWS: u16 = 30;
const COLS: u16 = 120;

struct Screen {
    parser: vt100::Parser,
    raw: Vec<u8>,
    rx: mpsc::Receiver<Vec<u8>>,
}

impl Screen {
    fn pump(&mut self) {
        while let Ok(bytes) = self.rx.try_recv() {
            self.parser.process(&bytes);
            self.raw.extend_from_slice(&bytes);
        }
    }

    fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Wait (bounded) until the screen satisfies `pred`.
    fn wait(&mut self, what: &str, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pump();
            let text = self.text();
            if pred(&text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Table rows start with the symbol right after the border.
fn has_row(text: &str, symbol: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start_matches('│').starts_with(symbol))
}

#[test]
fn keys_drive_the_dashboard_in_a_real_terminal() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(SimServer::start(
            "127.0.0.1:0".parse().unwrap(),
            SimConfig {
                tick_interval: Duration::from_millis(100),
                ..SimConfig::default()
            },
        ))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("pricewire-pty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "# my watchlist\nsymbols = [\"BTC/USD\"] # keep\n").unwrap();

    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_pricewire"));
    cmd.args(["--ws-url", &sim.ws_url(), "--rest-url", &sim.rest_url()]);
    cmd.arg("--config");
    cmd.arg(&config);
    cmd.arg("--log-file");
    cmd.arg(dir.join("pricewire.log"));
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut keys = pty.master.take_writer().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Screen {
        parser: vt100::Parser::new(
            std::num::NonZeroU16::new(ROWS).unwrap(),
            std::num::NonZeroU16::new(COLS).unwrap(),
            0,
        ),
        raw: Vec::new(),
        rx,
    };
    let mut press = |s: &str| {
        keys.write_all(s.as_bytes()).unwrap();
        keys.flush().unwrap();
    };

    screen.wait("a live BTC/USD price", |t| {
        t.contains("LIVE") && t.lines().any(|l| l.contains("BTC/USD") && l.contains(','))
    });

    press("r");
    screen.wait("manual reconnect in the history", |t| {
        t.contains("manual reconnect")
    });

    press("a");
    screen.wait("the add prompt", |t| t.contains("Add symbol"));
    press("SOL/USD\r");
    screen.wait("a SOL/USD row with a price", |t| {
        t.lines()
            .any(|l| l.trim_start_matches('│').starts_with("SOL/USD") && l.contains('.'))
    });
    // Saving is the config writer's: the status line says when it is done.
    screen.wait("the add saved", |t| {
        t.contains("added SOL/USD") && t.contains("watchlist saved")
    });
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(saved.contains("\"SOL/USD\""), "{saved}");
    assert!(saved.starts_with("# my watchlist\n"), "{saved}");

    // The added row is selected.
    press("d");
    screen.wait("SOL/USD gone", |t| {
        !has_row(t, "SOL/USD") && has_row(t, "BTC/USD")
    });
    screen.wait("the drop saved", |t| {
        t.contains("dropped kraken:SOL/USD") && t.contains("watchlist saved")
    });
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(!saved.contains("SOL/USD"), "{saved}");

    press("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit after q");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(200));
    screen.pump();
    // Restored: the alternate screen was left and the cursor shown again.
    let tail =
        String::from_utf8_lossy(&screen.raw[screen.raw.len().saturating_sub(200)..]).into_owned();
    assert!(tail.contains("\u{1b}[?1049l"), "{tail:?}");
    assert!(tail.contains("\u{1b}[?25h"), "{tail:?}");
    runtime.block_on(sim.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}
