//! Row 21 of the fault matrix: every broken config file under `tests/invalid_configs/` is
//! refused with a message naming the file, the line and the key, by the library and by the
//! real binary (non-zero exit, nothing drawn, nothing written), and the file is left as it was.
//! A key this version does not know is not a broken file: `config_warnings.rs`.

mod process_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use pricewire::config::Config;

/// (fixture, line, key) — the key as the message spells it.
const CASES: &[(&str, usize, &str)] = &[
    ("bad_sort.toml", 2, "ui.sort"),
    ("bad_trigger.toml", 2, "feed.event_trigger"),
    ("duplicate_key.toml", 2, "symbols"),
    ("key_clash.toml", 4, "keys.chart"),
    ("lots_exceed_amount.toml", 3, "holdings[1].amount"),
    ("missing_value.toml", 1, "log_file"),
    ("negative_timeout.toml", 3, "feed.silence_secs"),
    ("symbols_not_a_list.toml", 1, "symbols"),
    ("three_errors.toml", 3, "ui.fps"),
    ("tiny_frames.toml", 2, "feed.max_frame_bytes"),
    ("unknown_column.toml", 2, "ui.columns"),
    ("unknown_exchange.toml", 2, "exchanges"),
    ("unknown_key_and_wrong_value.toml", 4, "ui.fps"),
    ("unterminated_array.toml", 2, "symbols"),
    ("wrong_type.toml", 3, "fps"),
    ("zero_attempts.toml", 2, "feed.max_attempts"),
    ("zero_fps.toml", 3, "ui.fps"),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs")
}

fn check_message(message: &str, path: &Path, line: usize, key: &str) {
    assert!(
        message.contains(&path.display().to_string()),
        "no path in: {message}"
    );
    assert!(
        message.contains(&format!("line {line}")),
        "no line {line} in: {message}"
    );
    assert!(message.contains(key), "no key {key} in: {message}");
}

#[test]
fn every_fixture_is_listed() {
    process_support::assert_lists_every_fixture(&dir(), CASES.iter().map(|c| c.0));
}

#[test]
fn library_names_file_line_and_key() {
    for &(file, line, key) in CASES {
        let path = dir().join(file);
        let err = Config::load(&path, true).expect_err(file).to_string();
        check_message(&err, &path, line, key);
    }
}

#[test]
fn every_error_in_a_file_is_reported() {
    let path = dir().join("three_errors.toml");
    let err = Config::load(&path, true)
        .expect_err("three errors")
        .to_string();
    for (line, key) in [(3, "ui.fps"), (4, "ui.sort"), (7, "feed.max_attempts")] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("line {line}, key `{key}`"))),
            "no line {line} key {key} in: {err}"
        );
    }
}

/// Run the binary on `path`, killed after `limit`.
fn run_binary(path: &Path, limit: Duration) -> std::process::Output {
    let log = std::env::temp_dir().join(format!("pricewire-invalid-{}.log", std::process::id()));
    let mut cmd = process_support::pricewire();
    cmd.arg("--headless")
        .arg("--config")
        .arg(path)
        .arg("--log-file")
        .arg(&log);
    process_support::run_to_end(&mut cmd, limit)
}

#[test]
fn binary_refuses_and_leaves_the_file_alone() {
    for &(file, line, key) in CASES {
        let path = dir().join(file);
        let before = std::fs::read(&path).unwrap();
        let out = run_binary(&path, Duration::from_secs(20));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(out.stdout.is_empty(), "{file} printed to stdout");
        check_message(&stderr, &path, line, key);
        assert_eq!(std::fs::read(&path).unwrap(), before, "{file} changed");
    }
}
