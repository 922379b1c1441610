//! `--record` and `pricewire replay`, end to end on the simulator: a session recorded to a
//! file (JSON lines, and zstd) replays at max speed into the same ticker sequence, receive
//! times included, and the same state transitions, without a network call; a cut or
//! corrupted file replays up to the damage and says where; a full disk stops the
//! recording, never the feed; a size limit rotates the file, and a rotated file replays
//! on its own; an overflowing queue leaves a gap mark.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pricewire::recorder::{self, RecordSettings, RecordState, Recorder};
use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::net::{BoxFuture, BoxIo, Connector, NetError};
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::record::{Header, VERSION};
use pricewire_core::replay::{self, Ended, ReplayClock, ReplayOptions, ReplayReport};
use pricewire_core::store::{Store, StoreEvent, StoreLimits};
use pricewire_sim::{Scenario, SimConnector, SimServer};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// A directory of its own under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("pricewire-record-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn header() -> Header {
    Header {
        version: VERSION,
        program: "pricewire test".into(),
        started: chrono::Utc::now(),
        tags: vec!["demo".into()],
        config: serde_json::json!({"exchanges": ["kraken"]}),
    }
}

fn settings(path: &Path) -> RecordSettings {
    RecordSettings {
        path: path.to_path_buf(),
        max_bytes: 1 << 30,
        keep: 3,
        flush_every: Duration::from_millis(200),
        queue: 1 << 16,
    }
}

/// An event as a comparable line: every field of a ticker (receive time to the
/// nanosecond), every field of a transition.
fn line(e: &StoreEvent) -> String {
    match e {
        StoreEvent::Ticker(t) => format!("{t:?}"),
        StoreEvent::Status(t) => format!(
            "status {:?} → {:?} at {} ({})",
            t.from, t.to, t.at, t.reason
        ),
        StoreEvent::Error {
            exchange,
            symbol,
            message,
        } => format!("error {exchange} {symbol} {message}"),
        _ => "other".into(),
    }
}

fn drain(rx: &mut broadcast::Receiver<StoreEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(line(&e));
    }
    out
}

/// Record a Kraken simulator session over in-memory pipes on paused time: the stream is
/// dropped after 40 frames, the feed reconnects, and the session ends after two drops.
/// Returns the live events in order.
async fn record_session(path: &Path) -> Vec<String> {
    record_session_with(settings(path)).await
}

/// A Kraken feed of `symbols` into `store` from the in-memory `sim`, on the fast test
/// config.
fn kraken_feed<const N: usize>(
    sim: &Arc<SimServer>,
    store: &Arc<Store>,
    symbols: [&str; N],
) -> FeedBuilder {
    FeedBuilder::new(ExchangeId::Kraken)
        .config(common::fast_config())
        .store(Arc::clone(store))
        .ws_url(sim.ws_url())
        .rest_url(sim.rest_url())
        .symbols(symbols)
        .connector(Arc::new(SimConnector::new(Arc::clone(sim))))
}

async fn record_session_with(settings: RecordSettings) -> Vec<String> {
    let sim = Arc::new(SimServer::in_memory(common::sim_config(
        ExchangeId::Kraken,
        Scenario::DropAfter(40),
    )));
    let store = Store::new(StoreLimits::default());
    let rec = Recorder::start(&store, settings, header()).expect("recording starts");
    let mut events = store.events();
    let shutdown = CancellationToken::new();
    let feed = kraken_feed(&sim, &store, ["BTC/USD", "ETH/USD", "NOPE/USD"])
        .seed(7)
        .shutdown_on(shutdown.clone())
        .spawn()
        .expect("the feed builds");
    // Three connections: the first, and two after drops.
    let connections = || {
        store.snapshot().feed(ExchangeId::Kraken).map_or(0, |f| {
            f.history
                .iter()
                .filter(|t| t.to == FeedStatus::Connected)
                .count()
        })
    };
    while connections() < 3 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    feed.shutdown().await;
    rec.finish();
    let live = drain(&mut events);
    assert!(
        live.iter().filter(|l| l.starts_with("Ticker")).count() >= 60,
        "{live:#?}"
    );
    assert!(live.iter().any(|l| l.contains("Reconnecting")), "{live:#?}");
    assert!(live.iter().any(|l| l.starts_with("error kraken NOPE/USD")));
    live
}

/// Every dial refused and counted: the replay must make none.
struct Refusing(AtomicU64);

impl Connector for Refusing {
    fn dial<'a>(&'a self, _: &'a str, _: u16) -> BoxFuture<'a, Result<BoxIo, NetError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(NetError::Refused) })
    }
}

async fn replay_file(path: &Path) -> (Vec<String>, ReplayReport, u64) {
    let refusing = Arc::new(Refusing(AtomicU64::new(0)));
    let store = Store::new(StoreLimits::default());
    let mut events = store.events();
    let lines = replay::read_lines(recorder::open(path).expect("the recording opens"));
    let report = replay::play(
        lines,
        Arc::clone(&store),
        ReplayOptions {
            connector: Arc::clone(&refusing) as Arc<dyn Connector>,
            ..ReplayOptions::default()
        },
        ReplayClock::default(),
        CancellationToken::new(),
    )
    .await;
    (
        drain(&mut events),
        report,
        refusing.0.load(Ordering::SeqCst),
    )
}

async fn round_trip(name: &str) {
    let dir = TempDir::new(name);
    let path = dir.path(name);
    let live = record_session(&path).await;
    let (replayed, report, dials) = replay_file(&path).await;
    assert_eq!(report.ended, Ended::Complete);
    assert_eq!(dials, 0, "no network call");
    assert_eq!(report.lost, 0);
    // The live events end with the shutdown (recorded too).
    assert_eq!(replayed, live);
}

#[tokio::test(start_paused = true)]
async fn a_recorded_session_replays_into_the_same_tickers_and_transitions() {
    round_trip("session.jsonl").await;
}

#[tokio::test(start_paused = true)]
async fn a_zstd_recording_replays_the_same() {
    round_trip("session.jsonl.zst").await;
}

#[tokio::test(start_paused = true)]
async fn a_cut_zstd_file_replays_up_to_the_cut() {
    let dir = TempDir::new("cut");
    let path = dir.path("cut.jsonl.zst");
    // A zstd frame per millisecond of the writer: many frames, so a cut spoils one.
    let live = record_session_with(RecordSettings {
        flush_every: Duration::from_millis(1),
        ..settings(&path)
    })
    .await;
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path("cut-half.jsonl.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (replayed, report, _) = replay_file(&cut).await;
    let Ended::Damaged { line, reason } = &report.ended else {
        panic!("{:?}", report.ended)
    };
    assert!(*line > 1, "{line}");
    assert!(reason.starts_with("read error"), "{reason}");
    assert!(!replayed.is_empty());
    assert!(replayed.len() < live.len());
    assert_eq!(
        replayed[..],
        live[..replayed.len()],
        "a prefix of the session"
    );
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_line_stops_the_replay_and_names_it() {
    let dir = TempDir::new("corrupt");
    let path = dir.path("c.jsonl");
    let live = record_session(&path).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[30] = "{\"rec\":\"frame\",\"venue\":\"kraken\",\"conn\":1,\u{0}garbage".into();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (replayed, report, _) = replay_file(&path).await;
    assert!(
        matches!(&report.ended, Ended::Damaged { line: 31, reason } if reason.starts_with("not a record")),
        "{:?}",
        report.ended
    );
    assert_eq!(replayed[..], live[..replayed.len()]);
}

/// `--record /dev/full`: the first flush fails, the recording stops and says why, and
/// the feed streams on.
#[tokio::test(start_paused = true)]
async fn a_full_disk_stops_the_recording_not_the_feed() {
    let sim = Arc::new(SimServer::in_memory(common::sim_config(
        ExchangeId::Kraken,
        Scenario::Steady,
    )));
    let store = Store::new(StoreLimits::default());
    let rec = Recorder::start(&store, settings(Path::new("/dev/full")), header())
        .expect("/dev/full opens");
    let mut state = rec.state();
    let shutdown = CancellationToken::new();
    let feed = kraken_feed(&sim, &store, ["BTC/USD"])
        .shutdown_on(shutdown.clone())
        .spawn()
        .expect("the feed builds");
    // The writer is a thread on the real clock: wait for it in real time.
    let stopped = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let RecordState::Stopped(why) = &*state.borrow_and_update() {
                return why.clone();
            }
            assert!(std::time::Instant::now() < deadline, "never stopped");
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
    assert!(
        stopped.starts_with("recording stopped: cannot write /dev/full: No space left on device"),
        "{stopped}"
    );
    assert!(store.recorder().is_none(), "the tap is closed");
    let tickers = |s: &Store| {
        s.snapshot()
            .feed(ExchangeId::Kraken)
            .map_or(0, |f| f.counters.tickers)
    };
    let before = tickers(&store);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(tickers(&store) > before, "the feed streams on");
    assert_eq!(
        store.snapshot().feed(ExchangeId::Kraken).unwrap().status,
        FeedStatus::Connected
    );
    feed.shutdown().await;
    rec.finish();
}

#[tokio::test(start_paused = true)]
async fn a_size_limit_rotates_and_a_rotated_file_replays_alone() {
    let dir = TempDir::new("rotate");
    let path = dir.path("r.jsonl");
    let sim = Arc::new(SimServer::in_memory(common::sim_config(
        ExchangeId::Kraken,
        Scenario::Steady,
    )));
    let store = Store::new(StoreLimits::default());
    let rec = Recorder::start(
        &store,
        RecordSettings {
            max_bytes: 20_000,
            keep: 2,
            ..settings(&path)
        },
        header(),
    )
    .unwrap();
    let feed = kraken_feed(&sim, &store, ["BTC/USD", "ETH/USD"])
        .spawn()
        .expect("the feed builds");
    let written = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    // Enough traffic for several files (the writer runs on the real clock).
    for _ in 0..2000 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if written(&dir.path("r.jsonl.2")) > 0 {
            break;
        }
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(1));
    }
    feed.shutdown().await;
    rec.finish();
    assert!(written(&dir.path("r.jsonl.1")) >= 20_000);
    assert!(written(&dir.path("r.jsonl.2")) >= 20_000);
    assert!(
        !dir.path("r.jsonl.3").exists(),
        "only two rotated files kept"
    );
    // A rotated file begins with the header and what it needs to play on its own: the
    // venue, its pair list, the subscriptions and the state.
    // `r.jsonl.1` began at a rotation: its head has the venue, its pair list, the
    // subscriptions and the state, so it plays on its own.
    let (replayed, report, _) = replay_file(&dir.path("r.jsonl.1")).await;
    assert_eq!(report.ended, Ended::Complete);
    assert!(
        replayed[0].starts_with("status Connecting → Connected"),
        "{replayed:?}"
    );
    assert!(
        replayed.iter().any(|l| l.starts_with("Ticker")),
        "{replayed:?}"
    );
    let (replayed, _, _) = replay_file(&path).await;
    assert!(
        replayed.last().unwrap().contains("shutdown"),
        "{replayed:?}"
    );
}

/// A queue of one record and ten thousand records in a row: the writer cannot keep up,
/// the file says how many were lost, and nothing blocked.
#[test]
fn an_overflowing_queue_leaves_a_gap_mark() {
    let dir = TempDir::new("gap");
    let path = dir.path("g.jsonl");
    let store = Store::new(StoreLimits::default());
    let rec = Recorder::start(
        &store,
        RecordSettings {
            queue: 1,
            ..settings(&path)
        },
        header(),
    )
    .unwrap();
    let t0 = chrono::Utc::now();
    for i in 0..10_000 {
        store.transition(
            ExchangeId::Kraken,
            FeedStatus::Connected,
            &format!("step {i}"),
            t0,
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    // One more after the flood, so the writer reports what was lost before it.
    store.transition(ExchangeId::Kraken, FeedStatus::Connected, "last", t0);
    rec.finish();
    let text = std::fs::read_to_string(&path).unwrap();
    let records = replay::decode_all(&text).unwrap();
    let statuses = text
        .lines()
        .filter(|l| l.contains(r#""rec":"status""#))
        .count() as u64;
    let lost: u64 = records
        .iter()
        .filter_map(|r| match r {
            pricewire_core::record::Record::Gap { lost, .. } => Some(*lost),
            _ => None,
        })
        .sum();
    assert!(lost > 0, "a gap was marked");
    assert_eq!(
        statuses + lost,
        10_001,
        "every record written or counted as lost"
    );
}
