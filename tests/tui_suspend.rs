//! Ctrl-Z in a real terminal, under a real shell with job control: the dashboard gives the
//! screen back and stops, `fg` brings it back drawn whole, and a stop far longer than the
//! feed's silence watchdog costs no reconnect. bash runs in a pseudo-terminal; the binary
//! is started from its prompt, against the simulator on 127.0.0.1.

mod pty_support;

use std::time::Duration;

use portable_pty::CommandBuilder;
use pty_support::{Screen, exited, has_row, sim_and_dir};

const ROWS: u16 = 30;
const COLS: u16 = 120;

/// The shell the test types into; missing, the test fails saying how to get it.
fn bash() -> String {
    let path = "/bin/bash";
    assert!(
        std::path::Path::new(path).exists(),
        "this test needs bash for job control: apt-get install -y bash"
    );
    path.to_string()
}

#[test]
fn ctrl_z_stops_fg_redraws_and_no_reconnect_follows() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (sim, dir) = sim_and_dir(&runtime, "suspend");
    let config = dir.join("config.toml");
    // A watchdog of four seconds: a stop of ten would be taken for a silent venue, and a
    // scheduler stalled on a loaded machine is still no silence of that length.
    std::fs::write(
        &config,
        "symbols = [\"BTC/USD\"]\n[feed]\nsilence_secs = 4.0\nping_interval_secs = 2.0\npong_timeout_secs = 2.0\n",
    )
    .unwrap();
    let log = dir.join("pricewire.log");

    let mut shell = CommandBuilder::new(bash());
    shell.args(["--norc", "--noprofile", "-i"]);
    shell.env("TERM", "xterm-256color");
    // The history file of this run alone: no earlier run's entries in the pane.
    shell.env("XDG_STATE_HOME", dir.join("state"));
    shell.env("PS1", "$ ");
    let (mut screen, mut child) = Screen::spawn(shell, ROWS, COLS);
    screen.wait("the prompt", |t| t.contains("$ "));
    let run = format!(
        "{} --ws-url {} --rest-url {} --config {} --log-file {}\r",
        env!("CARGO_BIN_EXE_pricewire"),
        sim.ws_url(),
        sim.rest_url(),
        config.display(),
        log.display()
    );
    screen.press(&run);
    screen.wait("a live BTC/USD price", |t| {
        t.contains("LIVE") && t.lines().any(|l| l.contains("BTC/USD") && l.contains(','))
    });

    screen.press("\u{1a}");
    screen.wait("the shell's job control saying it stopped", |t| {
        t.contains("Stopped")
    });
    assert!(
        !has_row(&screen.text(), "BTC/USD"),
        "the screen was given back"
    );
    // More than twice the watchdog's limit.
    std::thread::sleep(Duration::from_secs(10));

    screen.press("fg\r");
    screen.wait("the dashboard drawn again", |t| {
        t.contains("LIVE") && has_row(t, "BTC/USD") && t.contains("State history")
    });
    // Prices keep coming, and nothing was taken for silence.
    std::thread::sleep(Duration::from_secs(2));
    screen.pump();
    let text = screen.text();
    assert!(text.contains("● LIVE"), "{text}");
    for reconnect in ["no data for", "reconnecting", "pong not received"] {
        assert!(!text.contains(reconnect), "{reconnect}:\n{text}");
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("resumed after Ctrl-Z"), "{logged}");
    assert!(!logged.contains("no data for"), "{logged}");

    screen.press("q");
    screen.wait("the prompt again", |t| {
        t.lines()
            .any(|l| l.starts_with("$ ") && !l.contains("pricewire"))
    });
    screen.press("exit\r");
    let status = exited(&mut child, "exit");
    assert!(status.success(), "{status:?}");
    runtime.block_on(sim.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}
