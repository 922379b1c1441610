//! The relay's front door under many clients, release build, real processes:
//!
//! ```text
//! cargo build --release --bins --examples
//! ulimit -n 8192
//! target/release/examples/bench_door [--clients 1000] [--sse] [--symbols 100]
//!     [--per-client 10] [--tick-ms 100] [--secs 10]
//! ```
//!
//! A `redis-server` (127.0.0.1, free port, no persistence), `pricewire sim` (Kraken,
//! `--symbols` pairs each ticking every `--tick-ms`: 100 × 100 ms = 1,000 updates/s) and
//! one `pricewire relay --http` carrying them. This process is the load generator:
//! `--clients` WebSocket clients (or SSE clients with `--sse`), each subscribed to
//! `--per-client` of the symbols (client i takes symbols i, i+1, … so every symbol has
//! the same number of clients).
//!
//! 1. Idle cost: the simulator is stopped (SIGSTOP, no update flows); the relay's RSS with
//!    no client, then with every client connected and subscribed: the difference per
//!    client.
//! 2. Load: the simulator resumes; after a 3 s warm-up, for `--secs` seconds: messages
//!    received, the relay's CPU (from `/proc/PID/stat`) and this process's CPU (the load
//!    generator's, reported separately), and wire → client latency per ticker (the
//!    client's receive time minus the ticker's `exchange_ts`, which the simulator stamps
//!    from its wall clock as it writes the frame: one machine, one clock) as p50/p99/max.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use pricewire_relay::testkit::RedisServer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

#[path = "support/procs.rs"]
mod procs;
use procs::{Proc, arg, bin, cpu, exchange_us, rss_kib};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The open-file limit this process (and so the relay it starts) has.
fn nofile() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// What every client shares: whether to record, the counters and the merged histogram.
struct Tally {
    recording: AtomicBool,
    messages: AtomicU64,
    tickers: AtomicU64,
    subscribed: AtomicU64,
    hist: std::sync::Mutex<Histogram<u64>>,
}

impl Tally {
    fn seen(&self, text: &str, local: &mut Histogram<u64>) {
        if !self.recording.load(Ordering::Relaxed) {
            return;
        }
        self.messages.fetch_add(1, Ordering::Relaxed);
        if text.contains("\"type\":\"ticker\"") {
            self.tickers.fetch_add(1, Ordering::Relaxed);
            if let Some(at) = exchange_us(text) {
                let now = chrono::Utc::now().timestamp_micros();
                let _ = local.record(u64::try_from(now - at).unwrap_or(0));
            }
        }
    }
}

async fn ws_client(addr: String, symbols: Vec<String>, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/stream"))
        .await
        .expect("connect (is the open-file limit high enough?)");
    let sub = serde_json::json!({"op": "subscribe", "id": 1, "symbols": symbols});
    ws.send(Message::text(sub.to_string())).await.unwrap();
    let mut local = Histogram::<u64>::new(3).unwrap();
    let mut acked = false;
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            if !acked && t.contains("\"type\":\"ack\"") {
                acked = true;
                tally.subscribed.fetch_add(1, Ordering::Relaxed);
            }
            tally.seen(&t, &mut local);
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    tally.hist.lock().unwrap().add(&local).unwrap();
}

async fn sse_client(addr: String, symbols: Vec<String>, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let req = format!(
        "GET /v1/sse?symbols={} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n",
        symbols.join(",")
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut lines = tokio::io::BufReader::new(s).lines();
    let mut local = Histogram::<u64>::new(3).unwrap();
    let mut acked = false;
    while let Ok(Some(l)) = lines.next_line().await {
        if let Some(d) = l.strip_prefix("data: ") {
            if !acked && d.contains("\"type\":\"ack\"") {
                acked = true;
                tally.subscribed.fetch_add(1, Ordering::Relaxed);
            }
            tally.seen(d, &mut local);
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    tally.hist.lock().unwrap().add(&local).unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clients = arg("--clients", 1000) as usize;
    let n_symbols = arg("--symbols", 100) as usize;
    let per_client = arg("--per-client", 10) as usize;
    let tick = arg("--tick-ms", 100);
    let secs = arg("--secs", 10);
    let sse = std::env::args().any(|a| a == "--sse");
    let limit = nofile();
    assert!(
        limit >= clients as u64 * 2 + 256,
        "open-file limit {limit} is too low for {clients} clients: ulimit -n 8192"
    );
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg").unwrap().trim()
    );
    let server = RedisServer::start();
    let mut sim = Command::new(bin())
        .args(["sim", "--tick-ms", &tick.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let sim_addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let sim = Proc(sim);
    // The first `--symbols` of the simulator's pair list, by their WebSocket names.
    let pairs: serde_json::Value = reqwest::get(format!("http://{sim_addr}/0/public/AssetPairs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = pairs["result"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|p| p["wsname"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names.truncate(n_symbols);
    let http_port = free_port();
    let http = format!("127.0.0.1:{http_port}");
    let dir = server.dir().join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let relay = Proc(
        Command::new(bin())
            .args([
                "relay",
                "--id",
                "bench",
                "-e",
                "kraken",
                "--config",
                "/dev/null",
            ])
            .args(["--ws-url", &format!("ws://{sim_addr}/v2")])
            .args(["--rest-url", &format!("http://{sim_addr}")])
            .args(["--http", &http])
            .env("PRICEWIRE_REDIS_URL", server.url())
            .env("PRICEWIRE_RELAY_SYMBOLS", names.join(","))
            .env("XDG_DATA_HOME", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("relay.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let relay_pid = relay.0.id();
    // Live, every symbol watched: their canonical names from /v1/status.
    let mut watched: Vec<String> = Vec::new();
    for _ in 0..300 {
        if let Ok(r) = reqwest::get(format!("http://{http}/v1/status")).await
            && let Ok(s) = r.json::<serde_json::Value>().await
        {
            watched = s["venues"][0]["watched"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let ok = reqwest::get(format!("http://{http}/health"))
                .await
                .is_ok_and(|r| r.status() == 200);
            if ok && watched.len() >= names.len() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!watched.is_empty(), "the relay never watched its symbols");
    println!(
        "{} symbols watched, {} ms per symbol: {} updates/s; {clients} {} clients × {per_client} symbols",
        watched.len(),
        tick,
        watched.len() as u64 * 1000 / tick.max(1),
        if sse { "SSE" } else { "WebSocket" }
    );

    // 1. Idle: no update flowing.
    let _ = Command::new("kill")
        .args(["-STOP", &sim.0.id().to_string()])
        .status();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss0 = rss_kib(relay_pid);
    let tally = Arc::new(Tally {
        recording: AtomicBool::new(false),
        messages: AtomicU64::new(0),
        tickers: AtomicU64::new(0),
        subscribed: AtomicU64::new(0),
        hist: std::sync::Mutex::new(Histogram::new(3).unwrap()),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let mine: Vec<String> = (0..per_client)
            .map(|k| format!("kraken:{}", watched[(i + k) % watched.len()]))
            .collect();
        let (a, t, s) = (http.clone(), Arc::clone(&tally), Arc::clone(&stop));
        tasks.push(if sse {
            tokio::spawn(sse_client(a, mine, t, s))
        } else {
            tokio::spawn(ws_client(a, mine, t, s))
        });
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for _ in 0..600 {
        if tally.subscribed.load(Ordering::Relaxed) as usize >= clients {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss1 = rss_kib(relay_pid);
    println!(
        "idle: {} clients subscribed; relay RSS {:.1} MB with none, {:.1} MB with them: {:.1} KB per idle client",
        tally.subscribed.load(Ordering::Relaxed),
        rss0 / 1024.0,
        rss1 / 1024.0,
        (rss1 - rss0) / clients as f64
    );

    // 2. Load.
    let _ = Command::new("kill")
        .args(["-CONT", &sim.0.id().to_string()])
        .status();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let me = std::process::id();
    let (relay_cpu0, me_cpu0) = (cpu(relay_pid), cpu(me));
    tally.recording.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    tally.recording.store(false, Ordering::Relaxed);
    let (relay_cpu, me_cpu) = (cpu(relay_pid) - relay_cpu0, cpu(me) - me_cpu0);
    let rss2 = rss_kib(relay_pid);
    stop.store(true, Ordering::Relaxed);
    drop(relay);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    let msgs = tally.messages.load(Ordering::Relaxed);
    let tickers = tally.tickers.load(Ordering::Relaxed);
    let h = tally.hist.lock().unwrap();
    println!(
        "load: {:.0} messages/s out ({:.0} tickers/s) for {secs} s; relay CPU {:.0} % of a core ({:.2} µs per message), RSS {:.1} MB; load generator CPU {:.0} % of a core",
        msgs as f64 / secs as f64,
        tickers as f64 / secs as f64,
        relay_cpu * 100.0 / secs as f64,
        relay_cpu * 1e6 / msgs.max(1) as f64,
        rss2 / 1024.0,
        me_cpu * 100.0 / secs as f64,
    );
    println!(
        "wire → client latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} tickers)",
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
        h.len()
    );
    println!(
        "load average after: {}",
        std::fs::read_to_string("/proc/loadavg").unwrap().trim()
    );
    drop(sim);
}
