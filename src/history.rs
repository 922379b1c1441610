//! The history that survives restarts: state transitions, symbols added and dropped,
//! manual reconnects, alerts and failed saves, appended as JSON lines to
//! `history.jsonl` in the XDG state directory (`~/.local/state/pricewire/` on Linux; the
//! data directory where the platform has no state directory), rotated by size. A thread of
//! its own writes them (never the UI task), each batch under an exclusive lock on the file,
//! so two instances never interleave half lines, and every entry names its run and whether
//! that run was live, a demo or a replay. `pricewire history` prints them.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of run wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunTag {
    /// Real venues.
    Live,
    /// The built-in simulator (`--demo`).
    Demo,
    /// A recording played back.
    Replay,
}

impl RunTag {
    /// The word the entries carry.
    pub fn name(self) -> &'static str {
        match self {
            RunTag::Live => "live",
            RunTag::Demo => "demo",
            RunTag::Replay => "replay",
        }
    }
}

/// One line of the history file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When (UTC; RFC 3339 in the file).
    #[serde(with = "rfc3339")]
    pub ts: DateTime<Utc>,
    /// The run that wrote it (its start time and process id).
    pub run: String,
    /// Live, demo or replay.
    pub tag: RunTag,
    /// `state`, `add`, `drop`, `reconnect`, `alert`, `save_failed`, `recording`.
    pub kind: String,
    /// The venue, where the entry has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
    /// The market, where the entry has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// For a state entry: the states before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// See `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// What happened, in words (a transition's reason, an alert's message).
    pub text: String,
    /// For an alert: its rule, canonically spelled (a fired one-shot is known by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// Times as RFC 3339 text, as every other JSON line of the program writes them.
mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&pricewire_core::json::ts(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// Where and how much history is kept.
#[derive(Debug, Clone)]
pub struct HistorySettings {
    /// The file (`history.jsonl` in the state directory unless configured).
    pub path: PathBuf,
    /// Rotate past this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept (`history.jsonl.1` is the newest).
    pub keep: usize,
}

/// The state directory's `history.jsonl`: `$XDG_STATE_HOME/pricewire/` (default
/// `~/.local/state/pricewire/`) on Linux; the platform data directory elsewhere.
pub fn default_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "pricewire")?;
    let dir = dirs
        .state_dir()
        .map_or_else(|| dirs.data_local_dir().to_path_buf(), Path::to_path_buf);
    Some(dir.join("history.jsonl"))
}

/// Entries queued for the writer before new ones are dropped.
const QUEUE: usize = 1024;

/// Appends entries; cheap to clone. A log that could not start drops everything quietly
/// (its failure was logged once).
#[derive(Clone)]
pub struct HistoryLog {
    tx: Option<SyncSender<Entry>>,
    run: String,
    tag: RunTag,
}

impl HistoryLog {
    /// Start the writer thread for `settings`. Failures to write are logged (once per
    /// kind of failure), never shown as errors: the history is a convenience.
    pub fn start(settings: HistorySettings, tag: RunTag) -> HistoryLog {
        let run = format!(
            "{}-{}",
            Utc::now().format("%Y%m%dT%H%M%S"),
            std::process::id()
        );
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let started = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || write_loop(&settings, &rx));
        match started {
            Ok(_) => HistoryLog {
                tx: Some(tx),
                run,
                tag,
            },
            Err(e) => {
                tracing::warn!("history not kept: {e}");
                HistoryLog::off(tag)
            }
        }
    }

    /// A log that keeps nothing (tests, or no directory for it).
    pub fn off(tag: RunTag) -> HistoryLog {
        HistoryLog {
            tx: None,
            run: String::new(),
            tag,
        }
    }

    /// This run's id, as its entries carry it.
    pub fn run(&self) -> &str {
        &self.run
    }

    /// Append an entry of `kind` (never waits).
    pub fn log(&self, kind: &str, exchange: Option<&str>, symbol: Option<&str>, text: &str) {
        self.put(Entry {
            ts: Utc::now(),
            run: self.run.clone(),
            tag: self.tag,
            kind: kind.into(),
            exchange: exchange.map(Into::into),
            symbol: symbol.map(Into::into),
            from: None,
            to: None,
            text: text.into(),
            rule: None,
        });
    }

    /// Append an alert that fired (or recovered), with its rule.
    pub fn alert(&self, a: &pricewire_core::alert::AlertEvent) {
        let kind = match a.kind {
            pricewire_core::alert::AlertKind::Fired => "alert",
            pricewire_core::alert::AlertKind::Recovered => "alert_recovered",
        };
        self.put(Entry {
            ts: a.at,
            run: self.run.clone(),
            tag: self.tag,
            kind: kind.into(),
            exchange: Some(a.exchange.as_str().into()),
            symbol: a.symbol.as_ref().map(ToString::to_string),
            from: None,
            to: None,
            text: a.message.clone(),
            rule: Some(a.rule.clone()),
        });
    }

    /// Append a state transition.
    pub fn transition(&self, t: &pricewire_core::model::Transition) {
        self.put(Entry {
            ts: t.at,
            run: self.run.clone(),
            tag: self.tag,
            kind: "state".into(),
            exchange: Some(t.exchange.as_str().into()),
            symbol: None,
            from: Some(t.from.name().into()),
            to: Some(t.to.name().into()),
            text: t.reason.clone(),
            rule: None,
        });
    }

    fn put(&self, entry: Entry) {
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(entry);
        }
    }
}

fn write_loop(settings: &HistorySettings, rx: &Receiver<Entry>) {
    let mut warned = false;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter().take(QUEUE));
        if let Err(e) = append(settings, &batch)
            && !std::mem::replace(&mut warned, true)
        {
            tracing::warn!(file = %settings.path.display(), "cannot write the history: {e}");
        }
    }
}

fn numbered(path: &Path, n: usize) -> PathBuf {
    let mut p = path.as_os_str().to_os_string();
    p.push(format!(".{n}"));
    PathBuf::from(p)
}

/// Append `batch` under an exclusive lock, rotating first when the file is full.
pub fn append(settings: &HistorySettings, batch: &[Entry]) -> io::Result<()> {
    if let Some(dir) = settings.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // The lock lives on a file of its own, so rotating the history never moves it.
    let lock_path = settings.path.with_extension("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    // Named through the trait: std's own `File::lock` is newer than the supported Rust.
    fs4::FileExt::lock(&lock)?;
    let size = std::fs::metadata(&settings.path).map_or(0, |m| m.len());
    if size >= settings.max_bytes {
        let keep = settings.keep.max(1);
        let _ = std::fs::remove_file(numbered(&settings.path, keep));
        for n in (1..keep).rev() {
            let _ = std::fs::rename(numbered(&settings.path, n), numbered(&settings.path, n + 1));
        }
        std::fs::rename(&settings.path, numbered(&settings.path, 1))?;
    }
    let mut text = Vec::with_capacity(batch.len() * 160);
    for e in batch {
        serde_json::to_writer(&mut text, e).map_err(io::Error::other)?;
        text.push(b'\n');
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&settings.path)?;
    file.write_all(&text)?;
    // Dropping the lock file's handle releases the lock.
    drop(lock);
    Ok(())
}

/// Every entry in the history files, oldest first (rotated files included); unreadable
/// lines are skipped.
pub fn read_all(path: &Path, keep: usize) -> Vec<Entry> {
    let mut files: Vec<PathBuf> = (1..=keep.max(1)).rev().map(|n| numbered(path, n)).collect();
    files.push(path.to_path_buf());
    let mut out = Vec::new();
    for f in files {
        let Ok(file) = File::open(&f) else { continue };
        for line in BufReader::new(file).lines().map_while(Result::ok) {
            if let Ok(e) = serde_json::from_str::<Entry>(&line) {
                out.push(e);
            }
        }
    }
    out
}

/// The last `n` entries of the newest run other than `this_run`: what the history pane
/// shows as "earlier" at start.
pub fn previous_run(entries: &[Entry], this_run: &str, n: usize) -> Vec<Entry> {
    let Some(last) = entries.iter().rev().find(|e| e.run != this_run) else {
        return Vec::new();
    };
    let run = last.run.clone();
    let mut out: Vec<Entry> = entries
        .iter()
        .rev()
        .filter(|e| e.run == run)
        .take(n)
        .cloned()
        .collect();
    out.reverse();
    out
}

/// One entry as `pricewire history` prints it.
pub fn line(e: &Entry) -> String {
    let venue = e
        .exchange
        .as_deref()
        .map(|x| format!("[{x}] "))
        .unwrap_or_default();
    format!(
        "{}  {:<6} {venue}{}{}",
        e.ts.format("%Y-%m-%d %H:%M:%S"),
        e.tag.name(),
        e.what(),
        pricewire_core::sanitize::clean(&e.text)
    )
}

impl Entry {
    /// What the entry is about, as it leads its text wherever it is shown: a state
    /// change's `from → to` or the entry's kind, then the symbol, where there is one.
    pub fn what(&self) -> String {
        let change = match (&self.from, &self.to) {
            (Some(f), Some(t)) => format!("{f} → {t}  "),
            _ if self.kind == "state" => String::new(),
            _ => format!("{}  ", self.kind.replace('_', " ")),
        };
        let symbol = self
            .symbol
            .as_deref()
            .map(|s| format!("{s}: "))
            .unwrap_or_default();
        format!("{change}{symbol}")
    }
}
