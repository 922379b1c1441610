//! Wire → store and wire → drawn latency, release build:
//!
//! ```text
//! cargo build --release --examples && target/release/examples/bench_latency --rate 10000
//! ```
//!
//! The simulator runs on its own thread and runtime in this process, `steady` scenario, with
//! the tick interval that gives `--rate` ticker frames per second across the 19 pairs it
//! lists; it stamps each frame's wall-clock time into the ticker `timestamp` as it writes
//! that frame, and sends it at once. The real feed
//! (`feed::spawn`) streams them into a store. Same machine, same clock, so:
//!
//! * wire → read: `received_ts - exchange_ts` (the feed takes `received_ts` when it starts
//!   handling the frame, before parsing); a lower bound of wire → store.
//! * wire → store: time a task subscribed to the store's event tap sees the ticker, minus
//!   `exchange_ts`. The tap is sent from inside `apply_all`, so this is an upper bound
//!   (it adds one task wake-up).
//! * wire → drawn (`--draw`): the dashboard's own run loop (`app::run_loop`, 30 fps cap)
//!   draws into a `TestBackend` on the main thread, as the binary does; at each frame's flush, every row whose newest ticker was
//!   not drawn before records `now - exchange_ts`. Updates superseded within a frame
//!   interval are not drawn (only the newest state of a row is), so they are not counted.
//!
//! * floor (`--bare`): a bare tokio-tungstenite client against the same simulator, recording
//!   receive time minus the frame's `timestamp`: what the simulator, the kernel and the
//!   scheduler cost before any client code runs.
//!
//! Options: `--rate N` (default 10000), `--secs N` (default 10), `--draw`, `--bare`.

#[path = "support/kraken_pairs.rs"]
mod kraken_pairs;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use pricewire::app::{self, App};
use pricewire::config::Config;
use pricewire::ui::theme::{ColorMode, Theme};
use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::command::Feeds;
use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Store, StoreEvent, StoreLimits};
use pricewire_sim::{Scenario, SimConfig, SimServer};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio_util::sync::CancellationToken;

use kraken_pairs::{SYMBOLS, subscribed_client};

fn micros(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    (to - from).num_microseconds().unwrap_or(0).max(0) as u64
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram")
}

fn report(name: &str, h: &Histogram<u64>) {
    println!(
        "{name:<14} n={:>8}  p50 {:>7} µs  p99 {:>7} µs  p99.9 {:>7} µs  max {:>7} µs",
        h.len(),
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max()
    );
}

/// A `TestBackend` that, at each flush (one per drawn frame), records how old the newest
/// drawn ticker of every row that changed since the previous frame is.
struct Timed {
    inner: TestBackend,
    store: Arc<Store>,
    drawn: HashMap<String, DateTime<Utc>>,
    hist: Arc<Mutex<Histogram<u64>>>,
    from: DateTime<Utc>,
    frames: Arc<Mutex<u64>>,
}

impl Backend for Timed {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let now = Utc::now();
        *self.frames.lock().expect("frames") += 1;
        let snap = self.store.snapshot();
        let mut hist = self.hist.lock().expect("hist");
        for row in &snap.rows {
            let Some(ts) = row.ticker.as_ref().and_then(|t| t.exchange_ts) else {
                continue;
            };
            let key = row.symbol.to_string();
            if self.drawn.get(&key) != Some(&ts) {
                if ts > self.from {
                    let _ = hist.record(micros(ts, now).max(1));
                }
                self.drawn.insert(key, ts);
            }
        }
        Ok(())
    }
}

/// Receive time minus `timestamp` for every ticker frame a bare client reads in `secs`.
async fn bare(ws_url: &str, secs: f64) -> Histogram<u64> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut ws = subscribed_client(ws_url).await;
    let from = Utc::now() + chrono::TimeDelta::milliseconds(1500);
    let until = from + chrono::TimeDelta::milliseconds((secs * 1000.0) as i64);
    let mut h = hist();
    while let Some(Ok(msg)) = ws.next().await {
        let now = Utc::now();
        let Message::Text(text) = msg else { continue };
        let Some(at) = text.as_str().split("\"timestamp\":\"").nth(1) else {
            continue;
        };
        let Some(sent) = at
            .split('"')
            .next()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
        else {
            continue;
        };
        if sent < from {
            continue;
        }
        if sent > until {
            break;
        }
        let _ = h.record(micros(sent, now).max(1));
    }
    h
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str, default: f64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rate = value("--rate", 10_000.0);
    let secs = value("--secs", 10.0);
    let draw = args.iter().any(|a| a == "--draw");
    let tick = Duration::from_secs_f64(SYMBOLS.len() as f64 / rate);
    println!(
        "bench_latency: {rate} tickers/s over {} symbols (tick {tick:?}), {secs} s, load average {}",
        SYMBOLS.len(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    // The simulator on its own thread and runtime.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let stop = CancellationToken::new();
    let sim_stop = stop.clone();
    let sim_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let sim = SimServer::start(
                "127.0.0.1:0".parse().expect("addr"),
                SimConfig {
                    scenario: Scenario::Steady,
                    tick_interval: tick,
                    ..SimConfig::default()
                },
            )
            .await
            .expect("simulator");
            addr_tx
                .send((sim.ws_url(), sim.rest_url()))
                .expect("send addr");
            sim_stop.cancelled().await;
            let stats = sim.stats();
            sim.shutdown().await;
            stats
        })
    });
    let (ws_url, rest_url) = addr_rx.recv().expect("simulator address");
    if args.iter().any(|a| a == "--bare") {
        let floor = bare(&ws_url, secs).await;
        report("floor (bare)", &floor);
    }

    let store = Store::new(StoreLimits::default());
    let mut events = store.events();
    let shutdown = CancellationToken::new();
    let (handle, task) = FeedBuilder::new(ExchangeId::Kraken)
        .store(Arc::clone(&store))
        .ws_url(ws_url)
        .rest_url(rest_url)
        .symbols(SYMBOLS.iter().copied())
        .shutdown_on(shutdown.clone())
        .spawn()
        .expect("the feed builds")
        .into_parts();

    // Measure from one second after start, past connection and snapshots.
    let from = Utc::now() + chrono::TimeDelta::milliseconds(1500);
    let until = from + chrono::TimeDelta::milliseconds((secs * 1000.0) as i64);
    let recorder = tokio::spawn(async move {
        let (mut read, mut stored) = (hist(), hist());
        let mut lagged = 0u64;
        loop {
            match events.recv().await {
                Ok(StoreEvent::Ticker(t)) => {
                    let now = Utc::now();
                    let Some(sent) = t.exchange_ts else { continue };
                    if sent < from {
                        continue;
                    }
                    if sent > until {
                        break;
                    }
                    let _ = read.record(micros(sent, t.received_ts).max(1));
                    let _ = stored.record(micros(sent, now).max(1));
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => lagged += n,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
        (read, stored, lagged)
    });

    let drawn = Arc::new(Mutex::new(hist()));
    let frames = Arc::new(Mutex::new(0u64));
    let ui = draw.then(|| {
        let backend = Timed {
            inner: TestBackend::new(200, 60),
            store: Arc::clone(&store),
            drawn: HashMap::new(),
            hist: Arc::clone(&drawn),
            from,
            frames: Arc::clone(&frames),
        };
        let store = Arc::clone(&store);
        let stop = shutdown.clone();
        // On this (the main) thread, not a worker, as the binary runs the dashboard.
        async move {
            let config = Config::default();
            let theme = Theme::new(&config.theme, ColorMode::Color);
            let mut app = App::new(Feeds::new(vec![handle]), &config, None);
            let mut terminal = Terminal::new(backend).expect("terminal");
            let keys = futures_util::stream::pending();
            app::run_loop(
                &mut terminal,
                keys,
                &store,
                &mut app,
                &theme,
                config.ui.fps,
                stop,
            )
            .await
        }
    });

    let recorded = async {
        let recorded = recorder.await.expect("recorder");
        shutdown.cancel();
        recorded
    };
    let drawing = async {
        if let Some(ui) = ui {
            let _ = ui.await;
        }
    };
    let ((read, stored, lagged), ()) = tokio::join!(recorded, drawing);
    let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
    stop.cancel();
    let stats = sim_thread.join().expect("simulator thread");
    let measured = read.len() as f64 / secs;
    println!(
        "measured {measured:.0} tickers/s (simulator sent {} ticker frames in all); tap lagged {lagged}",
        stats.ticker_frames
    );
    report("wire→read", &read);
    report("wire→store", &stored);
    if draw {
        report("wire→drawn", &drawn.lock().expect("hist"));
        println!(
            "frames drawn: {} (30 fps cap)",
            frames.lock().expect("frames")
        );
    }
    println!(
        "load average after: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
