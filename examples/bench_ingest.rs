//! End-to-end ingest throughput, release build:
//!
//! ```text
//! cargo build --release --bins --examples && target/release/examples/bench_ingest
//! ```
//!
//! 1. Starts the simulator as its own process (`pricewire sim --scenario burst`, so its CPU
//!    is not counted here) and streams every pair it lists through the real client path:
//!    `feed::spawn` → WebSocket read → Kraken parse → store. Counts tickers applied with the
//!    store's counters over a fixed window; CPU from `/proc/self/stat` deltas.
//! 2. In the same run, against the same server: a bare tokio-tungstenite receive loop that
//!    only counts frames. Prints both and the ratio.
//! 3. The real binary `pricewire --headless --demo --scenario burst SYMBOLS` with stdout on a
//!    pipe: lines per second read from the pipe (gap lines and skipped events counted).
//!
//! Options: `--secs N` (window, default 10), `--skip-bare`, `--skip-headless`,
//! `--only-headless`; `PRICEWIRE_BIN` picks another `pricewire` binary (A/B runs).

#[path = "support/kraken_pairs.rs"]
mod kraken_pairs;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use pricewire_core::feed::FeedBuilder;
use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Store, StoreLimits};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use kraken_pairs::{SYMBOLS, subscribed_client};

/// Linux reports process CPU time in clock ticks of 1/100 s (`getconf CLK_TCK`).
const CLK_TCK: f64 = 100.0;

/// User + system CPU seconds of a process (`self` or a pid).
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat(5); `after` starts at field 3.
    (tick(11) + tick(12)) / CLK_TCK
}

fn bin_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/release/examples/bench_ingest → target/release
    exe.parent()
        .and_then(std::path::Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// The `pricewire` binary next to this example, or `$PRICEWIRE_BIN`.
fn pricewire_bin() -> std::path::PathBuf {
    let bin = std::env::var_os("PRICEWIRE_BIN")
        .map_or_else(|| bin_dir().join("pricewire"), std::path::PathBuf::from);
    assert!(
        bin.exists(),
        "{} missing: cargo build --release --bins --examples",
        bin.display()
    );
    bin
}

/// Start `pricewire sim` and return it with its address.
fn start_sim(scenario: &str) -> (Child, String) {
    let mut child = Command::new(pricewire_bin())
        .args(["sim", "--scenario", scenario])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the simulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("simulator address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("`listening on ADDR`")
        .to_string();
    (child, addr)
}

struct Window {
    secs: f64,
    count: u64,
    cpu: f64,
}

impl Window {
    fn rate(&self) -> f64 {
        self.count as f64 / self.secs
    }
    fn cpu_us_per(&self) -> f64 {
        self.cpu * 1e6 / self.count.max(1) as f64
    }
    fn core_pct(&self) -> f64 {
        self.cpu * 100.0 / self.secs
    }
}

/// Measure `count()` and this process's CPU over `secs`.
async fn window(secs: f64, count: impl Fn() -> u64) -> Window {
    let (c0, cpu0, t0) = (count(), cpu_secs("self"), Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let (c1, cpu1, elapsed) = (count(), cpu_secs("self"), t0.elapsed());
    Window {
        secs: elapsed.as_secs_f64(),
        count: c1 - c0,
        cpu: cpu1 - cpu0,
    }
}

async fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn ingest(addr: &str, secs: f64) -> Window {
    let store = Store::new(StoreLimits::default());
    let shutdown = CancellationToken::new();
    let (_handle, task) = FeedBuilder::new(ExchangeId::Kraken)
        .store(Arc::clone(&store))
        .ws_url(format!("ws://{addr}/v2"))
        .rest_url(format!("http://{addr}"))
        .symbols(SYMBOLS.iter().copied())
        .shutdown_on(shutdown.clone())
        .spawn()
        .expect("the feed builds")
        .into_parts();
    let tickers = || {
        store
            .snapshot()
            .feed(ExchangeId::Kraken)
            .map_or(0, |f| f.counters.tickers)
    };
    wait_for("the first ticker", || tickers() > 0).await;
    // Let the burst ring fill and the socket buffers settle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let w = window(secs, tickers).await;
    let snap = store.snapshot();
    let feed = snap.feed(ExchangeId::Kraken).expect("feed");
    let live = snap.rows.iter().filter(|r| r.ticker.is_some()).count();
    println!(
        "  rows with data {live}/{}, parse errors {}, frames {} of {} bytes on average",
        snap.rows.len(),
        feed.counters.parse_errors,
        feed.counters.frames_in,
        feed.counters.bytes_in / feed.counters.frames_in.max(1)
    );
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
    w
}

async fn bare(addr: &str, secs: f64) -> Window {
    let mut ws = subscribed_client(&format!("ws://{addr}/v2")).await;
    let frames = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&frames);
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(text) = msg
                && text.as_str().starts_with(r#"{"channel":"ticker""#)
            {
                counted.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let count = || frames.load(Ordering::Relaxed);
    wait_for("the first bare frame", || count() > 0).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let w = window(secs, count).await;
    reader.abort();
    w
}

/// `pricewire --headless --demo --scenario burst`, stdout counted from a pipe.
fn headless(secs: f64) {
    let mut child = Command::new(pricewire_bin())
        .args(["--headless", "--demo", "--scenario", "burst"])
        .args(["--log-file", "/dev/null"])
        .args(SYMBOLS)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting pricewire --headless");
    let pid = child.id().to_string();
    let mut out = child.stdout.take().expect("stdout");
    let lines = Arc::new(AtomicU64::new(0));
    let gaps = Arc::new(AtomicU64::new(0));
    let skipped = Arc::new(AtomicU64::new(0));
    let (l, g, s) = (Arc::clone(&lines), Arc::clone(&gaps), Arc::clone(&skipped));
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 20];
        let mut line_start = true;
        let mut head = Vec::with_capacity(64);
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            for &b in &buf[..n] {
                if line_start {
                    head.clear();
                    line_start = false;
                }
                if head.len() < 64 {
                    head.push(b);
                }
                if b == b'\n' {
                    l.fetch_add(1, Ordering::Relaxed);
                    line_start = true;
                    if head.starts_with(br#"{"type":"gap""#) {
                        g.fetch_add(1, Ordering::Relaxed);
                        let text = String::from_utf8_lossy(&head);
                        let n: u64 = text
                            .split("\"skipped\":")
                            .nth(1)
                            .and_then(|r| r.trim_end_matches(['}', '\n']).parse().ok())
                            .unwrap_or(0);
                        s.fetch_add(n, Ordering::Relaxed);
                    }
                }
            }
        }
    });
    let start = Instant::now();
    while lines.load(Ordering::Relaxed) < 100 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no headless output"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_secs(1));
    let (l0, g0, s0, cpu0, t0) = (
        lines.load(Ordering::Relaxed),
        gaps.load(Ordering::Relaxed),
        skipped.load(Ordering::Relaxed),
        cpu_secs(&pid),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs_f64(secs));
    let elapsed = t0.elapsed().as_secs_f64();
    let (l1, g1, s1, cpu1) = (
        lines.load(Ordering::Relaxed),
        gaps.load(Ordering::Relaxed),
        skipped.load(Ordering::Relaxed),
        cpu_secs(&pid),
    );
    let _ = child.kill();
    let _ = child.wait();
    let n = l1 - l0;
    println!(
        "headless:  {:>10.0} lines/s   ({n} lines in {elapsed:.2} s; {} gap lines, {} events skipped; \
         process CPU {:.0} % of a core, simulator included)",
        n as f64 / elapsed,
        g1 - g0,
        s1 - s0,
        (cpu1 - cpu0) * 100.0 / elapsed
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let secs: f64 = args
        .iter()
        .position(|a| a == "--secs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(10.0);
    let flag = |name: &str| args.iter().any(|a| a == name);
    println!(
        "bench_ingest: {} symbols, {secs} s windows, load average {}",
        SYMBOLS.len(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    if !flag("--only-headless") {
        let (mut sim, addr) = start_sim("burst");
        let ingest = ingest(&addr, secs).await;
        println!(
            "ingest:    {:>10.0} tickers/s into the store   ({} in {:.2} s; CPU {:.3} µs/ticker, {:.0} % of a core)",
            ingest.rate(),
            ingest.count,
            ingest.secs,
            ingest.cpu_us_per(),
            ingest.core_pct()
        );
        let bare = if flag("--skip-bare") {
            None
        } else {
            Some(bare(&addr, secs).await)
        };
        if let Some(bare) = bare {
            println!(
                "bare loop: {:>10.0} frames/s received          ({} in {:.2} s; CPU {:.3} µs/frame, {:.0} % of a core)",
                bare.rate(),
                bare.count,
                bare.secs,
                bare.cpu_us_per(),
                bare.core_pct()
            );
            println!(
                "ratio:     {:>10.2} × the bare loop",
                ingest.rate() / bare.rate()
            );
        }
        let _ = sim.kill();
        let _ = sim.wait();
    }
    if !flag("--skip-headless") {
        headless(secs);
    }
    println!(
        "load average after: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
