//! `--record FILE`: the recording's writer. A thread of its own takes the engine's records
//! ([`pricewire_core::record`]) off the tap's queue and appends them as JSON lines, zstd
//! compressed when the name ends in `.zst` (a new zstd frame every few seconds, so a file
//! cut short loses only its tail). It marks a gap where the queue overflowed, rotates the
//! file at a size limit (`FILE.1`, `FILE.2`, …, each new file starting with the header and
//! what a replay needs to go on: venues, subscriptions, pair lists, states), and on a
//! write error (a full disk) stops recording, says why, and leaves the feeds alone.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;

use pricewire_core::model::ExchangeId;
use pricewire_core::record::{self, Header, Record, RestWhat, Tap};
use pricewire_core::store::Store;
use pricewire_core::symbol::Symbol;

/// How the recording is written.
#[derive(Debug, Clone)]
pub struct RecordSettings {
    /// The file; zstd when its name ends in `.zst`.
    pub path: PathBuf,
    /// Rotate once the file (as written, compressed or not) reaches this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept (`FILE.1` is the newest).
    pub keep: usize,
    /// A new zstd frame (and a flush) at least this often.
    pub flush_every: Duration,
    /// Records the queue holds before it drops (and the file marks a gap).
    pub queue: usize,
}

/// Where the recording stands, for the status line and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordState {
    /// Writing.
    Recording {
        /// The file.
        path: PathBuf,
        /// Records written so far.
        records: u64,
    },
    /// Stopped by a write error; the feeds go on. The text says why, in full.
    Stopped(String),
    /// Ended with the run.
    Closed,
}

/// A running recording.
pub struct Recorder {
    state: watch::Receiver<RecordState>,
    tap: Arc<Tap>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Recorder {
    /// Open `settings.path` and start writing: the header first, then whatever the feeds
    /// of `store` receive. A file that cannot be created is an error here, before anything
    /// starts.
    pub fn start(store: &Store, settings: RecordSettings, header: Header) -> io::Result<Recorder> {
        let out = Out::create(&settings.path)?;
        let (tap, rx) = Tap::new(settings.queue);
        if !store.set_recorder(Arc::clone(&tap)) {
            return Err(io::Error::other("a recording is already running"));
        }
        let (state_tx, state) = watch::channel(RecordState::Recording {
            path: settings.path.clone(),
            records: 0,
        });
        let writer = Writer {
            out: Some(out),
            settings,
            header,
            context: Context::default(),
            records: 0,
            head_bytes: 0,
            tap: Arc::clone(&tap),
            state: state_tx,
        };
        let thread = std::thread::Builder::new()
            .name("record-writer".into())
            .spawn(move || writer.run(&rx))?;
        Ok(Recorder {
            state,
            tap,
            thread: Some(thread),
        })
    }

    /// Where the recording stands; wakes on every change of state (not on every record).
    pub fn state(&self) -> watch::Receiver<RecordState> {
        self.state.clone()
    }

    /// Stop taking records, write what is queued and close the file.
    pub fn finish(mut self) {
        self.tap.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The file, plain or zstd, counting the bytes that reach it.
enum Out {
    Plain(BufWriter<Counting>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<Counting>>),
}

struct Counting {
    file: File,
    bytes: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// How often the writer looks whether the run has ended while nothing arrives.
const POLL: Duration = Duration::from_millis(100);

/// zstd level: fast, and still a tenth of the JSON's size.
const LEVEL: i32 = 3;

fn is_zstd(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

impl Out {
    fn create(path: &Path) -> io::Result<Out> {
        let file = File::create(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let w = BufWriter::with_capacity(64 * 1024, Counting { file, bytes: 0 });
        Ok(if is_zstd(path) {
            Out::Zstd(zstd::stream::write::Encoder::new(w, LEVEL)?)
        } else {
            Out::Plain(w)
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Out::Plain(w) => w,
            Out::Zstd(z) => z,
        }
    }

    /// End the zstd frame (a later cut cannot spoil it) and push everything to the file;
    /// a zstd file goes on with a fresh frame.
    fn flush(self) -> io::Result<Out> {
        match self {
            Out::Plain(mut w) => {
                w.flush()?;
                Ok(Out::Plain(w))
            }
            Out::Zstd(z) => {
                let mut w = z.finish()?;
                w.flush()?;
                Ok(Out::Zstd(zstd::stream::write::Encoder::new(w, LEVEL)?))
            }
        }
    }

    fn close(self) -> io::Result<()> {
        let mut w = match self {
            Out::Plain(w) => w,
            Out::Zstd(z) => z.finish()?,
        };
        w.flush()?;
        w.get_ref().file.sync_all().or(Ok(()))
    }

    fn bytes(&self) -> u64 {
        match self {
            Out::Plain(w) => w.get_ref().bytes,
            Out::Zstd(z) => z.get_ref().get_ref().bytes,
        }
    }
}

/// What a rotated file needs at its head to replay on its own.
#[derive(Default)]
struct Context {
    feeds: BTreeMap<ExchangeId, Record>,
    subs: BTreeMap<(ExchangeId, Symbol), Record>,
    pairs: BTreeMap<ExchangeId, Record>,
    simulated: BTreeMap<ExchangeId, Record>,
    status: BTreeMap<ExchangeId, Record>,
}

impl Context {
    fn note(&mut self, r: &Record) {
        match r {
            Record::Feed { exchange, .. } => {
                self.feeds.insert(*exchange, r.clone());
            }
            Record::Sub {
                exchange,
                instrument,
            } => {
                self.subs
                    .insert((*exchange, instrument.symbol.clone()), r.clone());
            }
            Record::Unsub {
                exchange, symbol, ..
            } => {
                self.subs.remove(&(*exchange, symbol.clone()));
            }
            Record::Rest {
                exchange,
                what: RestWhat::Pairs,
                status: 200,
                ..
            } => {
                self.pairs.insert(*exchange, r.clone());
            }
            Record::Simulated { exchange, .. } => {
                self.simulated.insert(*exchange, r.clone());
            }
            Record::Status(t) => {
                self.status.insert(t.exchange, r.clone());
            }
            _ => {}
        }
    }

    fn records(&self) -> impl Iterator<Item = &Record> {
        self.feeds
            .values()
            .chain(self.pairs.values())
            .chain(self.subs.values())
            .chain(self.simulated.values())
            .chain(self.status.values())
    }
}

struct Writer {
    out: Option<Out>,
    settings: RecordSettings,
    header: Header,
    context: Context,
    records: u64,
    /// Bytes of the current file's head (header and context): not counted against the
    /// size limit, so a large pair list cannot make every file rotate at once.
    head_bytes: u64,
    tap: Arc<Tap>,
    state: watch::Sender<RecordState>,
}

impl Writer {
    fn run(mut self, rx: &Receiver<Record>) {
        let mut line = Vec::with_capacity(4096);
        let header = Record::Header(self.header.clone());
        if let Err(e) = self.write(&header, &mut line) {
            return self.stop(&e);
        }
        let mut flushed = Instant::now();
        loop {
            let wait = self
                .settings
                .flush_every
                .saturating_sub(flushed.elapsed())
                .min(POLL);
            let record = match rx.recv_timeout(wait) {
                Ok(r) => Some(r),
                // Closed by `finish`, and nothing is queued any more.
                Err(RecvTimeoutError::Timeout) if !self.tap.is_open() => break,
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let result = (|| -> io::Result<()> {
                let lost = self.tap.take_lost();
                if lost > 0 {
                    self.write(
                        &Record::Gap {
                            at: Utc::now(),
                            lost,
                        },
                        &mut line,
                    )?;
                }
                if let Some(r) = &record {
                    self.context.note(r);
                    self.write(r, &mut line)?;
                }
                if flushed.elapsed() >= self.settings.flush_every {
                    self.out = Some(self.out.take().ok_or_else(closed)?.flush()?);
                    flushed = Instant::now();
                    let _ = self.state.send(RecordState::Recording {
                        path: self.settings.path.clone(),
                        records: self.records,
                    });
                }
                if self.out.as_ref().is_some_and(|o| {
                    o.bytes().saturating_sub(self.head_bytes) >= self.settings.max_bytes
                }) {
                    self.rotate(&mut line)?;
                }
                Ok(())
            })();
            if let Err(e) = result {
                return self.stop(&e);
            }
        }
        match self.out.take().map(Out::close) {
            Some(Err(e)) => self.stop(&e),
            _ => {
                let _ = self.state.send(RecordState::Closed);
            }
        }
    }

    fn write(&mut self, r: &Record, line: &mut Vec<u8>) -> io::Result<()> {
        line.clear();
        record::encode(r, line)?;
        line.push(b'\n');
        self.out
            .as_mut()
            .ok_or_else(closed)?
            .writer()
            .write_all(line)?;
        self.records += 1;
        Ok(())
    }

    /// Close the file as `FILE.1` (older ones move up, the oldest beyond `keep` goes) and
    /// start a new one with the header and the context.
    fn rotate(&mut self, line: &mut Vec<u8>) -> io::Result<()> {
        self.out.take().ok_or_else(closed)?.close()?;
        let path = &self.settings.path;
        let numbered = |n: usize| {
            let mut p = path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        let keep = self.settings.keep.max(1);
        let _ = std::fs::remove_file(numbered(keep));
        for n in (1..keep).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        std::fs::rename(path, numbered(1))?;
        tracing::info!(file = %path.display(), "recording rotated");
        self.out = Some(Out::create(path)?);
        let mut header = self.header.clone();
        header.started = Utc::now();
        self.write(&Record::Header(header), line)?;
        let context: Vec<Record> = self.context.records().cloned().collect();
        for r in &context {
            self.write(r, line)?;
        }
        // What the head takes once it reaches the file.
        let out = self.out.take().ok_or_else(closed)?.flush()?;
        self.head_bytes = out.bytes();
        self.out = Some(out);
        Ok(())
    }

    /// A write failed: stop taking records (the feeds never wait on this), say why.
    fn stop(&mut self, e: &io::Error) {
        self.tap.close();
        let why = format!(
            "recording stopped: cannot write {}: {e}",
            self.settings.path.display()
        );
        tracing::error!("{why}");
        let _ = self.state.send(RecordState::Stopped(why));
    }
}

fn closed() -> io::Error {
    io::Error::other("the recording file is closed")
}

/// zstd's frame magic number, as the file's first four bytes.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Open a recording for reading, plain or zstd (told by its first bytes, so a rotated
/// `FILE.zst.1` reads too). A damaged zstd stream reads up to the damage, then errs.
pub fn open(path: &Path) -> io::Result<Box<dyn io::BufRead + Send>> {
    use io::{BufRead, BufReader};
    let file = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let zstd = reader.fill_buf()?.starts_with(&ZSTD_MAGIC);
    Ok(if zstd {
        let decoder = zstd::stream::read::Decoder::with_buffer(reader)?;
        Box::new(BufReader::with_capacity(256 * 1024, decoder))
    } else {
        Box::new(reader)
    })
}
