//! Replay: a recording ([`crate::record`]) played through the same parsers and into a
//! [`Store`] as live data, with the recorded timing scaled (or as fast as it reads), while
//! a [`ReplayClock`] gives the recorded time to whoever draws ages and stale marks.
//!
//! Frames are parsed by the venue's adapter and their tickers resolved by the wire names
//! the recording subscribed, stamped with the recorded receive time; REST polls go through
//! the same REST parser; transitions, row states and simulated marks are applied as
//! recorded (they were the supervisor's decisions, not something a frame says). Nothing is
//! dialled: every venue's context holds a connector that refuses. A line that cannot be
//! read ends the replay there, with the line number and why; everything before it stands.

use std::io::BufRead;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::FeedConfig;
use crate::exchange::{self, Event};
use crate::feed::net::{BoxFuture, BoxIo, Connector, NetError};
use crate::feed::rest::{parse_pairs, polled_tickers};
use crate::feed::socket::{recycle, streamed_ticker};
use crate::feed::subs::Subs;
use crate::feed::{Clock, FeedCtx};
use crate::model::ExchangeId;
use crate::record::{self, Dir, FrameBody, Header, Record, RestWhat};
use crate::store::Store;

/// How fast to play.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the records can be read and applied.
    Max,
    /// The recorded timing divided by this (`2.0` plays twice as fast).
    Times(f64),
}

impl std::str::FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.trim_end_matches(['x', '×']).parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(Speed::Times(x)),
            _ => Err(format!("'{s}': a speed is a positive number (10) or max")),
        }
    }
}

/// What to play.
#[derive(Clone)]
pub struct ReplayOptions {
    /// How fast.
    pub speed: Speed,
    /// Play with timing from here on; everything before is applied at once, so the state
    /// at this moment is rebuilt from the start of the file.
    pub from: Option<DateTime<Utc>>,
    /// Stop at this recorded time.
    pub until: Option<DateTime<Utc>>,
    /// What the venues' contexts dial with: a connector that refuses, unless a test
    /// passes one that counts.
    pub connector: Arc<dyn Connector>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            speed: Speed::Max,
            from: None,
            until: None,
            connector: Arc::new(NoNetwork),
        }
    }
}

/// The connector a replay's venues hold: every dial fails, nothing leaves the machine.
pub struct NoNetwork;

impl Connector for NoNetwork {
    fn dial<'a>(&'a self, host: &'a str, _port: u16) -> BoxFuture<'a, Result<BoxIo, NetError>> {
        Box::pin(async move {
            Err(NetError::Io(format!(
                "a replay makes no network call (asked for {host})"
            )))
        })
    }
}

struct ClockState {
    recorded: DateTime<Utc>,
    wall: Instant,
    rate: f64,
}

/// The recorded time during a replay: what the screen's `now` is. It runs at the replay's
/// speed between records and stands still before the first record, at `max` speed (each
/// record moves it) and after the end.
#[derive(Clone)]
pub struct ReplayClock(Arc<Mutex<ClockState>>);

impl Default for ReplayClock {
    fn default() -> Self {
        ReplayClock(Arc::new(Mutex::new(ClockState {
            recorded: DateTime::UNIX_EPOCH,
            wall: Instant::now(),
            rate: 0.0,
        })))
    }
}

impl ReplayClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The recorded time now.
    pub fn now(&self) -> DateTime<Utc> {
        let s = self.lock();
        let run = s.wall.elapsed().mul_f64(s.rate);
        s.recorded + TimeDelta::from_std(run).unwrap_or_default()
    }

    /// The clock as the engine's [`Clock`] type.
    pub fn as_clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }

    fn set(&self, recorded: DateTime<Utc>, rate: f64) {
        self.set_at(recorded, Instant::now(), rate);
    }

    /// The clock read `recorded` at `wall` and runs at `rate` from there.
    fn set_at(&self, recorded: DateTime<Utc>, wall: Instant, rate: f64) {
        let mut s = self.lock();
        s.recorded = recorded;
        s.wall = wall;
        s.rate = rate;
    }
}

/// How a replay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The whole file was played.
    Complete,
    /// `until` was reached.
    Until,
    /// Stopped on request.
    Stopped,
    /// A line could not be read: played up to it.
    Damaged {
        /// The line number (1 = the header).
        line: u64,
        /// Why, in words.
        reason: String,
    },
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayReport {
    /// The recording's header (`None`: the file had none, see `ended`).
    pub header: Option<Header>,
    /// Records applied.
    pub records: u64,
    /// Frames received in the recording and parsed again.
    pub frames: u64,
    /// Records the recorder lost (its gap marks).
    pub lost: u64,
    /// The recorded time of the first and of the last record applied.
    pub first_at: Option<DateTime<Utc>>,
    /// See `first_at`.
    pub last_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub ended: Ended,
}

impl Ended {
    /// In words, for a status line: `complete`, `stopped at line 7: …`.
    pub fn describe(&self) -> String {
        match self {
            Ended::Complete => "complete".into(),
            Ended::Until => "reached --until".into(),
            Ended::Stopped => "stopped".into(),
            Ended::Damaged { line, reason } => format!("stopped at line {line}: {reason}"),
        }
    }
}

/// One line of a recording: its number, and its text or the error that ended reading.
pub type Line = (u64, std::io::Result<String>);

/// Lines handed over at once: the reader thread and the player meet once per batch
/// rather than once per line (a hand-over per line cost more than parsing the line).
const BATCH: usize = 256;

/// Lines of a recording, read off the async runtime (from [`read_lines`]).
pub struct Lines {
    rx: mpsc::Receiver<Vec<Line>>,
    batch: std::vec::IntoIter<Line>,
}

impl Lines {
    /// The next line, or `None` at the end of the input.
    pub async fn recv(&mut self) -> Option<Line> {
        loop {
            if let Some(line) = self.batch.next() {
                return Some(line);
            }
            self.batch = self.rx.recv().await?.into_iter();
        }
    }
}

/// Lines of a recording, read off the async runtime (a file, a zstd stream): each with its
/// number, or the error that ended reading. They end at the end of the input.
pub fn read_lines<R: BufRead + Send + 'static>(mut reader: R) -> Lines {
    let (tx, rx) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let mut n = 0u64;
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let mut line = String::new();
            n += 1;
            let last = match reader.read_line(&mut line) {
                Ok(0) => true,
                Ok(_) if !line.ends_with('\n') => {
                    // The file ends mid-line (cut off while being written).
                    batch.push((
                        n,
                        Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the file ends in the middle of a line (truncated)",
                        )),
                    ));
                    true
                }
                Ok(_) => {
                    line.pop();
                    batch.push((n, Ok(line)));
                    false
                }
                Err(e) => {
                    batch.push((n, Err(e)));
                    true
                }
            };
            if last || batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if (!full.is_empty() && tx.blocking_send(full).is_err()) || last {
                    return;
                }
            }
        }
    });
    Lines {
        rx,
        batch: Vec::new().into_iter(),
    }
}

struct Venue {
    ctx: FeedCtx,
    subs: Subs,
    events: Vec<Event<'static>>,
}

/// Records applied between two yields at `max` speed, so a screen drawn on the same
/// runtime keeps up.
const YIELD_EVERY: u64 = 512;

/// Play `lines` (from [`read_lines`]) into `store`. Returns when the input ends, a line
/// cannot be read, `until` is reached or `shutdown` is cancelled.
pub async fn play(
    mut lines: Lines,
    store: Arc<Store>,
    opts: ReplayOptions,
    clock: ReplayClock,
    shutdown: CancellationToken,
) -> ReplayReport {
    let mut report = ReplayReport {
        header: None,
        records: 0,
        frames: 0,
        lost: 0,
        first_at: None,
        last_at: None,
        ended: Ended::Complete,
    };
    let mut venues: HashMap<ExchangeId, Venue> = HashMap::default();
    // The adapters parse alike whatever their settings: the defaults serve.
    let feed_cfg = FeedConfig::default();
    // Recorded time ↔ wall instant where timed playback started (or last caught up).
    let mut anchor: Option<(DateTime<Utc>, Instant)> = None;
    loop {
        let next = tokio::select! {
            () = shutdown.cancelled() => { report.ended = Ended::Stopped; break; }
            next = lines.recv() => next,
        };
        let Some((n, line)) = next else { break };
        let record = match line
            .map_err(|e| format!("read error: {e}"))
            .and_then(|l| record::decode(&l).map_err(|e| e.to_string()))
        {
            Ok(r) => r,
            Err(reason) => {
                report.ended = Ended::Damaged { line: n, reason };
                break;
            }
        };
        if report.header.is_none() {
            let Record::Header(h) = record else {
                report.ended = Ended::Damaged {
                    line: n,
                    reason: "not a pricewire recording (no header line)".into(),
                };
                break;
            };
            if h.version > record::VERSION {
                report.ended = Ended::Damaged {
                    line: n,
                    reason: format!(
                        "format version {} is newer than this program reads ({})",
                        h.version,
                        record::VERSION
                    ),
                };
                break;
            }
            clock.set(h.started, 0.0);
            report.header = Some(h);
            continue;
        }
        if let Some(at) = record.at() {
            if opts.until.is_some_and(|until| at > until) {
                report.ended = Ended::Until;
                break;
            }
            let timed = opts.from.is_none_or(|from| at >= from);
            match (opts.speed, timed) {
                (Speed::Times(x), true) => {
                    let (rec0, wall0) = *anchor.get_or_insert((at, Instant::now()));
                    let ahead = (at - rec0).to_std().unwrap_or_default().div_f64(x);
                    clock.set_at(rec0, wall0, x);
                    tokio::select! {
                        () = shutdown.cancelled() => { report.ended = Ended::Stopped; break; }
                        () = tokio::time::sleep_until(wall0 + ahead) => {}
                    }
                }
                _ => clock.set(at, 0.0),
            }
            report.first_at.get_or_insert(at);
            report.last_at = Some(at);
        }
        apply(
            &store,
            &mut venues,
            &feed_cfg,
            &opts,
            &clock,
            record,
            &mut report,
        );
        report.records += 1;
        if opts.speed == Speed::Max && report.records.is_multiple_of(YIELD_EVERY) {
            tokio::task::yield_now().await;
        }
    }
    // The clock stops at the last record played.
    if let Some(at) = report.last_at {
        clock.set(at, 0.0);
    }
    report
}

fn venue<'v>(
    venues: &'v mut HashMap<ExchangeId, Venue>,
    exchange: ExchangeId,
    store: &Arc<Store>,
    cfg: &FeedConfig,
    opts: &ReplayOptions,
    clock: &ReplayClock,
) -> Option<&'v mut Venue> {
    if let std::collections::hash_map::Entry::Vacant(slot) = venues.entry(exchange) {
        let adapter = exchange::adapter_with(exchange, cfg)
            .or_else(|_| exchange::adapter_with(exchange, &FeedConfig::default()))
            .ok()?;
        let mut ctx = FeedCtx::new(
            Arc::from(adapter),
            Arc::clone(store),
            cfg.clone(),
            None,
            None,
        );
        ctx.connector = Arc::clone(&opts.connector);
        ctx.clock = clock.as_clock();
        ctx.pairs = Arc::new(RwLock::new(None));
        slot.insert(Venue {
            ctx,
            subs: Subs::default(),
            events: Vec::new(),
        });
    }
    venues.get_mut(&exchange)
}

fn apply(
    store: &Arc<Store>,
    venues: &mut HashMap<ExchangeId, Venue>,
    cfg: &FeedConfig,
    opts: &ReplayOptions,
    clock: &ReplayClock,
    record: Record,
    report: &mut ReplayReport,
) {
    match record {
        // The header was read first; where a connection went is in the recording only.
        Record::Header(_) | Record::Open { .. } => {}
        Record::Feed { exchange, at } => store.add_feed(exchange, at),
        Record::Frame {
            exchange,
            at,
            dir,
            body,
            ..
        } => {
            if dir == Dir::Out {
                store.with_counters(exchange, |c| c.messages_out += 1);
                return;
            }
            report.frames += 1;
            let FrameBody::Text(text) = body else {
                store.count_frame(exchange, 0, at);
                return;
            };
            let Some(v) = venue(venues, exchange, store, cfg, opts, clock) else {
                return;
            };
            frame(store, v, exchange, text.as_str(), at);
        }
        Record::Rest {
            exchange,
            at,
            what,
            status,
            body,
            ..
        } => {
            let Some(v) = venue(venues, exchange, store, cfg, opts, clock) else {
                return;
            };
            if status != 200 {
                return;
            }
            match what {
                RestWhat::Pairs => {
                    if let Ok(list) = parse_pairs(&v.ctx, &body) {
                        *v.ctx
                            .pairs
                            .write()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(list);
                    }
                }
                RestWhat::Poll => {
                    if let Ok(tickers) = polled_tickers(&v.ctx, &v.subs, &body, at) {
                        store.apply_all(tickers);
                    }
                    store.with_counters(exchange, |c| {
                        c.rest_polls += 1;
                        c.last_poll_at = Some(at);
                    });
                }
                RestWhat::Token | RestWhat::Candles => {}
            }
        }
        Record::Sub {
            exchange,
            instrument,
        } => {
            if let Some(v) = venue(venues, exchange, store, cfg, opts, clock) {
                store.add_symbol(exchange, &instrument.symbol, instrument.price_decimals);
                v.subs.insert(&instrument);
            }
        }
        Record::Unsub {
            exchange,
            symbol,
            row_removed,
        } => {
            if row_removed {
                store.remove_symbol(exchange, &symbol);
            }
            if let Some(v) = venues.get_mut(&exchange) {
                v.subs.remove(&symbol);
            }
        }
        Record::Row {
            exchange,
            symbol,
            state,
        } => store.set_row_state(exchange, &symbol, state),
        Record::Status(t) => {
            store.transition(t.exchange, t.to.clone(), &t.reason, t.at);
        }
        Record::Simulated { exchange, at } => store.mark_simulated(exchange, at),
        Record::Gap { at, lost } => {
            report.lost += lost;
            for f in store.snapshot().feeds {
                store.transition(
                    f.exchange,
                    f.status,
                    &format!("the recording lost {lost} records here"),
                    at,
                );
            }
        }
    }
}

/// One received text frame: parsed as the live session parses it, its tickers applied
/// under the recorded receive time.
fn frame(store: &Store, v: &mut Venue, exchange: ExchangeId, text: &str, at: DateTime<Utc>) {
    let mut events: Vec<Event<'_>> = recycle(std::mem::take(&mut v.events));
    if v.ctx.exchange.parse(text, &mut events).is_err() {
        store.with_counters(exchange, |c| c.parse_errors += 1);
    }
    let now = Instant::now();
    let mut tickers = Vec::new();
    for event in events.drain(..) {
        match event {
            Event::Ticker(w) => {
                if let Some(t) = streamed_ticker(&mut v.subs, exchange, w, now, at) {
                    tickers.push(t);
                }
            }
            Event::Unknown => store.with_counters(exchange, |c| c.unknown_frames += 1),
            _ => {}
        }
    }
    v.events = recycle(events);
    if tickers.is_empty() {
        store.count_frame(exchange, text.len(), at);
    } else {
        store.apply_frame(exchange, text.len(), at, tickers);
    }
}

/// Read a whole recording (for tests and tools): every record, or the first error with its
/// line number.
pub fn decode_all(text: &str) -> Result<Vec<Record>, (u64, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| record::decode(l).map_err(|e| (i as u64 + 1, e.to_string())))
        .collect()
}

#[cfg(test)]
mod tests;
