//! A program in a pseudo-terminal, read through a terminal emulator: the screen as a user
//! sees it, and keys typed into it. Shared by the real-terminal tests.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use pricewire_sim::{SimConfig, SimServer};

/// The simulator on 127.0.0.1 (a free port), ticking every 100 ms on `runtime`, and a
/// fresh temp dir for the run, `pricewire-{name}-{pid}`.
pub fn sim_and_dir(
    runtime: &tokio::runtime::Runtime,
    name: &str,
) -> (SimServer, std::path::PathBuf) {
    let sim = runtime
        .block_on(SimServer::start(
            "127.0.0.1:0".parse().unwrap(),
            SimConfig {
                tick_interval: Duration::from_millis(100),
                ..SimConfig::default()
            },
        ))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("pricewire-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    (sim, dir)
}

pub struct Screen {
    parser: vt100::Parser,
    /// Every byte the program wrote, for checks on escape sequences.
    pub raw: Vec<u8>,
    rx: mpsc::Receiver<Vec<u8>>,
    keys: Box<dyn Write + Send>,
    /// The master side, open as long as the screen reads it.
    _master: Box<dyn MasterPty + Send>,
}

impl Screen {
    /// Run `cmd` in a pseudo-terminal of `rows` × `cols`.
    pub fn spawn(
        cmd: CommandBuilder,
        rows: u16,
        cols: u16,
    ) -> (Screen, Box<dyn Child + Send + Sync>) {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let keys = pty.master.take_writer().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let screen = Screen {
            parser: vt100::Parser::new(
                std::num::NonZeroU16::new(rows).unwrap(),
                std::num::NonZeroU16::new(cols).unwrap(),
                0,
            ),
            raw: Vec::new(),
            rx,
            keys,
            _master: pty.master,
        };
        (screen, child)
    }

    pub fn pump(&mut self) {
        while let Ok(bytes) = self.rx.try_recv() {
            self.parser.process(&bytes);
            self.raw.extend_from_slice(&bytes);
        }
    }

    pub fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Type `s`.
    pub fn press(&mut self, s: &str) {
        self.keys.write_all(s.as_bytes()).unwrap();
        self.keys.flush().unwrap();
    }

    /// Wait (bounded) until the screen satisfies `pred`.
    pub fn wait(&mut self, what: &str, pred: impl Fn(&str) -> bool) {
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
pub fn has_row(text: &str, symbol: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start_matches('│').starts_with(symbol))
}

/// Wait (bounded) for `child` to end; its exit status.
pub fn exited(child: &mut Box<dyn Child + Send + Sync>, what: &str) -> portable_pty::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "did not exit after {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
