//! The real binary in a pseudo-terminal against the simulator on 127.0.0.1, driven by key
//! presses and read through a terminal emulator: a price appears, `r` records a manual
//! reconnect, `a` adds a row (saved to the config file), `d` removes it, `q` exits 0 and
//! leaves the terminal as it found it.

mod pty_support;

use std::time::Duration;

use portable_pty::CommandBuilder;
use pty_support::{Screen, exited, has_row, sim_and_dir};

const ROWS: u16 = 30;
const COLS: u16 = 120;

#[test]
fn keys_drive_the_dashboard_in_a_real_terminal() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (sim, dir) = sim_and_dir(&runtime, "pty");
    let config = dir.join("config.toml");
    std::fs::write(&config, "# my watchlist\nsymbols = [\"BTC/USD\"] # keep\n").unwrap();

    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_pricewire"));
    cmd.args(["--ws-url", &sim.ws_url(), "--rest-url", &sim.rest_url()]);
    cmd.arg("--config");
    cmd.arg(&config);
    cmd.arg("--log-file");
    cmd.arg(dir.join("pricewire.log"));
    cmd.env("TERM", "xterm-256color");
    // The history file of this run alone: no earlier run's entries in the pane.
    cmd.env("XDG_STATE_HOME", dir.join("state"));
    let (mut screen, mut child) = Screen::spawn(cmd, ROWS, COLS);
    let press = |screen: &mut Screen, s: &str| screen.press(s);

    screen.wait("a live BTC/USD price", |t| {
        t.contains("LIVE") && t.lines().any(|l| l.contains("BTC/USD") && l.contains(','))
    });

    press(&mut screen, "r");
    screen.wait("manual reconnect in the history", |t| {
        t.contains("manual reconnect")
    });

    press(&mut screen, "a");
    screen.wait("the add prompt", |t| t.contains("Add symbol"));
    press(&mut screen, "SOL/USD\r");
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
    press(&mut screen, "d");
    screen.wait("SOL/USD gone", |t| {
        !has_row(t, "SOL/USD") && has_row(t, "BTC/USD")
    });
    screen.wait("the drop saved", |t| {
        t.contains("dropped kraken:SOL/USD") && t.contains("watchlist saved")
    });
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(!saved.contains("SOL/USD"), "{saved}");

    press(&mut screen, "q");
    let status = exited(&mut child, "q");
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
