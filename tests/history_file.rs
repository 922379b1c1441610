//! The history file: entries appended as JSON lines, read back oldest first across
//! rotated files, the previous run's last entries picked out, and two writers at once
//! never interleaving parts of lines.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use pricewire::history::{self, Entry, HistorySettings, RunTag};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("pricewire-history-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn entry(run: &str, n: i64, text: &str) -> Entry {
    Entry {
        ts: DateTime::from_timestamp(1_800_000_000 + n, 0).unwrap(),
        run: run.into(),
        tag: RunTag::Demo,
        kind: "state".into(),
        exchange: Some("kraken".into()),
        symbol: None,
        from: Some("connected".into()),
        to: Some("reconnecting".into()),
        text: text.into(),
        rule: None,
    }
}

#[test]
fn entries_read_back_across_rotations_oldest_first() {
    let dir = TempDir::new("rotate");
    let settings = HistorySettings {
        path: dir.0.join("history.jsonl"),
        max_bytes: 600,
        keep: 2,
    };
    // About 190 bytes an entry: four to a file.
    for n in 0..16 {
        history::append(&settings, &[entry("r1", n, &format!("event {n}"))]).unwrap();
    }
    assert!(dir.0.join("history.jsonl.1").exists());
    assert!(dir.0.join("history.jsonl.2").exists());
    assert!(!dir.0.join("history.jsonl.3").exists());
    let all = history::read_all(&settings.path, settings.keep);
    let texts: Vec<String> = all.iter().map(|e| e.text.clone()).collect();
    let kept: Vec<String> = (4..16).map(|n| format!("event {n}")).collect();
    assert_eq!(texts, kept, "the oldest file went with the third rotation");
}

#[test]
fn the_previous_run_is_the_last_run_before_this_one() {
    let all: Vec<Entry> = [
        entry("r1", 0, "a"),
        entry("r2", 1, "b"),
        entry("r2", 2, "c"),
        entry("r2", 3, "d"),
        entry("now", 4, "e"),
    ]
    .into();
    let prev = history::previous_run(&all, "now", 2);
    let texts: Vec<&str> = prev.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["c", "d"]);
    assert!(history::previous_run(&all[..1], "r1", 5).is_empty());
}

#[test]
fn a_printed_entry_reads_as_a_history_line() {
    let mut e = entry("r1", 0, "connection lost (1006)\u{1b}[31m");
    assert_eq!(
        history::line(&e),
        "2027-01-15 08:00:00  demo   [kraken] connected → reconnecting  connection lost (1006)"
    );
    e.kind = "alert".into();
    e.from = None;
    e.to = None;
    e.symbol = Some("BTC/USD".into());
    e.text = "last 70001 crossed above 70000".into();
    assert_eq!(
        history::line(&e),
        "2027-01-15 08:00:00  demo   [kraken] alert  BTC/USD: last 70001 crossed above 70000"
    );
}

/// Two writers (as two instances would be) appending at once: every line whole, none lost.
#[test]
fn two_writers_never_interleave_lines() {
    let dir = TempDir::new("lock");
    let settings = HistorySettings {
        path: dir.0.join("history.jsonl"),
        max_bytes: 1 << 30,
        keep: 2,
    };
    let long = "x".repeat(3000);
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|run| {
            let settings = settings.clone();
            let long = long.clone();
            std::thread::spawn(move || {
                for n in 0..200 {
                    let batch: Vec<Entry> = (0..5).map(|i| entry(run, n * 5 + i, &long)).collect();
                    history::append(&settings, &batch).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let text = std::fs::read_to_string(&settings.path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2000);
    let parsed = history::read_all(&settings.path, 2);
    assert_eq!(parsed.len(), 2000, "every line whole");
    let _: Vec<DateTime<Utc>> = parsed.iter().map(|e| e.ts).collect();
}
