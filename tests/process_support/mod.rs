//! Running the real binary from a test: to its end, bounded (a hang fails the test rather
//! than the suite), and the config fixtures a folder holds.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn pricewire() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pricewire"))
}

/// Run `cmd` to its end, stdin empty and stdout and stderr kept; killed, failing the
/// test, once it has run for `limit` (a guard against a hang, not a timing).
pub fn run_to_end(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let out = std::thread::spawn(move || child.wait_with_output().unwrap());
    let started = Instant::now();
    while !out.is_finished() {
        if started.elapsed() > limit {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(id.to_string())
                .status();
            panic!("{cmd:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    out.join().unwrap()
}

/// `listed` names every `.toml` file in `dir`, in name order, and nothing else: a fixture
/// added without a case, or a case whose file is gone, fails.
pub fn assert_lists_every_fixture<'a>(dir: &Path, listed: impl Iterator<Item = &'a str>) {
    assert_eq!(toml_files(dir), listed.collect::<Vec<_>>());
}

/// The `.toml` files in `dir`, by name, sorted.
pub fn toml_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}
