//! The relay's throughput and latency on this machine, release build:
//!
//! ```text
//! cargo build --release --bins --examples
//! target/release/examples/bench_relay throughput [--secs 10] [--tick-ms 0]
//! target/release/examples/bench_relay burst [--frames 100000]
//! target/release/examples/bench_relay outage [--secs 30]
//! target/release/examples/bench_relay latency --rate 1000 [--readers 10] [--secs 10]
//! ```
//!
//! Real processes: a `redis-server` (127.0.0.1, free port, no persistence), `pricewire sim`
//! (Kraken, 19 pairs) and one `pricewire relay` carrying every pair.
//!
//! * `throughput`: the simulator sends flat out (`--scenario burst`) or every `--tick-ms`
//!   per pair; tickers landed are counted in Redis (the venue's `seq` counter, read before
//!   and after the window); relay and redis-server CPU from `/proc/PID/stat` deltas; drops
//!   are the gap entries the relay wrote (their `skipped` summed, read back from the stream
//!   window), and one reader (in this process) follows the stream as a consumer would.
//! * `burst`: the simulator sends `--frames` ticker frames flat out, then nothing; every one
//!   must land (tickers counted in the stream, drops from gap entries), and the rate is
//!   tickers over the time from the first landed to the last.
//! * `outage` (a soak, not a benchmark): 10,000 tickers/s (10 pairs every millisecond),
//!   then redis-server killed for `--secs` and restarted empty: the relay's RSS each
//!   second of the outage, how soon it publishes again, and its warnings.
//! * `latency`: the simulator ticks n pairs every t ms so that they make `--rate` tickers/s;
//!   `--readers` readers in this process each take a snapshot and follow the stream with
//!   blocking XREAD on their own connections, and record, per entry, their receive time
//!   minus the ticker's `exchange_ts` (the simulator stamps its wall clock into each frame as
//!   it writes it: wire → relay → Redis → reader, one machine, one clock). Prints p50, p99
//!   and max, the relay's RSS and this process's RSS and CPU (the readers').

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use pricewire_core::ExchangeId;
use pricewire_relay::testkit::RedisServer;
use pricewire_relay::{Keys, RedisTarget, reader};

#[path = "support/kraken_pairs.rs"]
#[allow(dead_code)] // the bare client there serves the ingest benchmarks
mod kraken_pairs;
#[path = "support/procs.rs"]
mod procs;
use procs::{Proc, arg, bin, cpu, exchange_us, rss_kib};

/// The benchmarks' 19 Kraken pairs, or the first `n` of them, comma-separated.
fn pairs(n: usize) -> String {
    kraken_pairs::SYMBOLS[..n.min(kraken_pairs::SYMBOLS.len())].join(",")
}

fn rss_mb(pid: u32) -> f64 {
    rss_kib(pid) / 1024.0
}

fn start_sim(args: &[&str]) -> (Proc, String) {
    let mut child = Command::new(bin())
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    (Proc(child), addr)
}

fn start_relay(server: &RedisServer, addr: &str, log: &std::path::Path, pairs: &str) -> Proc {
    Proc(
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
            .args([
                "--ws-url",
                &format!("ws://{addr}/v2"),
                "--rest-url",
                &format!("http://{addr}"),
            ])
            .arg(pairs)
            .env("PRICEWIRE_REDIS_URL", server.url())
            .env("PRICEWIRE_RELAY_SYMBOLS", pairs)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    )
}

async fn seq(con: &mut redis::aio::MultiplexedConnection, keys: &Keys) -> u64 {
    redis::cmd("GET")
        .arg(&keys.seq)
        .query_async::<Option<u64>>(con)
        .await
        .unwrap()
        .unwrap_or(0)
}

/// Follow the stream like a reader; record latencies into `hist` until `until`.
async fn follow(
    target: RedisTarget,
    hist: Arc<Mutex<Histogram<u64>>>,
    until: Instant,
    warmup: Instant,
) -> u64 {
    let keys = Keys::new(ExchangeId::Kraken);
    let mut cmd = target
        .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
        .await
        .unwrap();
    let mut block = target
        .connect(Duration::from_secs(2), Some(Duration::from_secs(3)))
        .await
        .unwrap();
    let snap = reader::snapshot(&mut cmd, &keys).await.unwrap();
    let mut cursor = snap.cursor();
    let mut n = 0;
    let mut local = Histogram::<u64>::new(3).unwrap();
    while Instant::now() < until {
        let (ticks, _) = reader::read(&mut block, &keys, &cursor, 500, 1000)
            .await
            .unwrap();
        let now = chrono::Utc::now().timestamp_micros();
        for e in ticks {
            cursor.seq = e.seq;
            if Instant::now() < warmup {
                continue;
            }
            if let Some(at) = exchange_us(&e.line) {
                let _ = local.record(u64::try_from(now - at).unwrap_or(0));
                n += 1;
            }
        }
    }
    hist.lock().unwrap().add(&local).unwrap();
    n
}

#[tokio::main]
async fn main() {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "throughput".into());
    let secs = arg("--secs", 10);
    let server = RedisServer::start();
    let target = RedisTarget::parse(&server.url(), None).unwrap();
    let keys = Keys::new(ExchangeId::Kraken);
    let mut con = target
        .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
        .await
        .unwrap();
    let redis_pid = server.pid().unwrap();
    let log = server.dir().join("relay.log");
    match mode.as_str() {
        "throughput" => {
            let tick = arg("--tick-ms", 0);
            let sim_args: Vec<String> = if tick == 0 {
                vec!["--scenario".into(), "burst".into()]
            } else {
                vec!["--tick-ms".into(), tick.to_string()]
            };
            let sim_refs: Vec<&str> = sim_args.iter().map(String::as_str).collect();
            let (_sim, addr) = start_sim(&sim_refs);
            let relay = start_relay(&server, &addr, &log, &pairs(usize::MAX));
            let relay_pid = relay.0.id();
            // Warm up: the relay leads and every pair streams.
            tokio::time::sleep(Duration::from_secs(3)).await;
            let until = Instant::now() + Duration::from_secs(secs) + Duration::from_millis(500);
            let hist = Arc::new(Mutex::new(Histogram::<u64>::new(3).unwrap()));
            let one = tokio::spawn(follow(
                target.clone(),
                Arc::clone(&hist),
                until,
                Instant::now(),
            ));
            let (s0, c0, r0, t0) = (
                seq(&mut con, &keys).await,
                cpu(relay_pid),
                cpu(redis_pid),
                Instant::now(),
            );
            tokio::time::sleep(Duration::from_secs(secs)).await;
            let (s1, c1, r1, t1) = (
                seq(&mut con, &keys).await,
                cpu(relay_pid),
                cpu(redis_pid),
                Instant::now(),
            );
            let read = one.await.unwrap();
            let landed = s1 - s0;
            let wall = (t1 - t0).as_secs_f64();
            // Drops: the gap entries of the window.
            let mut dropped = 0u64;
            let mut held = 0usize;
            let mut from = s0 + 1;
            while from <= s1 {
                let to = (from + 19_999).min(s1);
                let entries = reader::range(&mut con, &keys, from, to).await.unwrap();
                held += entries.len();
                dropped += entries
                    .iter()
                    .filter(|e| e.line.starts_with("{\"type\":\"gap\""))
                    .filter_map(|e| pricewire_core::json::read_line(&e.line).ok())
                    .map(|l| match l {
                        pricewire_core::json::Line::Gap { skipped, .. } => skipped,
                        _ => 0,
                    })
                    .sum::<u64>();
                from = to + 1;
            }
            println!(
                "mode throughput ({}), window {wall:.1} s, {} entries still in the stream window",
                if tick == 0 {
                    "burst".to_string()
                } else {
                    format!("tick {tick} ms")
                },
                held
            );
            println!(
                "landed in Redis: {landed} tickers, {:.0}/s",
                landed as f64 / wall
            );
            println!(
                "relay CPU: {:.2} s = {:.2} µs/ticker; redis-server CPU: {:.2} s = {:.2} µs/ticker",
                c1 - c0,
                (c1 - c0) * 1e6 / landed.max(1) as f64,
                r1 - r0,
                (r1 - r0) * 1e6 / landed.max(1) as f64
            );
            println!("dropped by the relay (gap entries): {dropped}; read by one reader: {read}");
            println!(
                "relay RSS {:.1} MB, redis-server RSS {:.1} MB",
                rss_mb(relay_pid),
                rss_mb(redis_pid)
            );
        }
        "latency" => {
            let rate = arg("--rate", 1000);
            let readers = arg("--readers", 10);
            // n pairs, each every tick: rate = n × 1000 / tick_ms (1,000/s: 19 pairs every
            // 19 ms; 10,000/s: 10 pairs every millisecond).
            let tick = (19_000 / rate.max(1)).max(1);
            let n = usize::try_from(rate * tick / 1000)
                .unwrap_or(19)
                .clamp(1, 19);
            let pairs = pairs(n);
            println!(
                "offered: {n} pairs every {tick} ms = {} tickers/s",
                n as u64 * 1000 / tick
            );
            let (sim, addr) = start_sim(&["--tick-ms", &tick.to_string()]);
            let sim_pid = sim.0.id();
            let relay = start_relay(&server, &addr, &log, &pairs);
            let relay_pid = relay.0.id();
            tokio::time::sleep(Duration::from_secs(3)).await;
            let hist = Arc::new(Mutex::new(Histogram::<u64>::new(3).unwrap()));
            let warmup = Instant::now() + Duration::from_secs(1);
            let until = warmup + Duration::from_secs(secs);
            let me = std::process::id();
            let (c0, r0, m0, s0, x0) = (
                cpu(relay_pid),
                cpu(redis_pid),
                cpu(me),
                seq(&mut con, &keys).await,
                cpu(sim_pid),
            );
            let tasks: Vec<_> = (0..readers)
                .map(|_| tokio::spawn(follow(target.clone(), Arc::clone(&hist), until, warmup)))
                .collect();
            let mut n = 0;
            for t in tasks {
                n += t.await.unwrap();
            }
            let (c1, r1, m1, s1, x1) = (
                cpu(relay_pid),
                cpu(redis_pid),
                cpu(me),
                seq(&mut con, &keys).await,
                cpu(sim_pid),
            );
            let h = hist.lock().unwrap();
            let landed = s1 - s0;
            let wall = secs as f64 + 1.0;
            println!(
                "mode latency: {:.0} tickers/s landed, {readers} readers, {n} latencies recorded over {secs} s",
                landed as f64 / wall
            );
            println!(
                "wire → relay → Redis → reader: p50 {} µs, p99 {} µs, max {} µs",
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.99),
                h.max()
            );
            println!(
                "relay CPU {:.1} % of a core, RSS {:.1} MB; redis-server CPU {:.1} %; {readers} readers (this process) CPU {:.1} %, RSS {:.1} MB",
                (c1 - c0) * 100.0 / wall,
                rss_mb(relay_pid),
                (r1 - r0) * 100.0 / wall,
                (m1 - m0) * 100.0 / wall,
                rss_mb(me)
            );
            println!(
                "simulator CPU {:.1} %; per landed ticker: relay {:.1} µs, redis-server {:.1} µs, readers {:.1} µs (all {readers} together)",
                (x1 - x0) * 100.0 / wall,
                (c1 - c0) * 1e6 / landed.max(1) as f64,
                (r1 - r0) * 1e6 / landed.max(1) as f64,
                (m1 - m0) * 1e6 / landed.max(1) as f64,
            );
        }
        "burst" => {
            // A burst of known size: every frame must land, none dropped.
            let frames = arg("--frames", 100_000);
            let (sim, addr) = start_sim(&["--scenario", &format!("burst:{frames}")]);
            let sim_pid = sim.0.id();
            let relay = start_relay(&server, &addr, &log, &pairs(usize::MAX));
            let relay_pid = relay.0.id();
            let t0 = Instant::now();
            let (mut first, mut last, mut landed) = (None, t0, 0u64);
            // Until nothing lands for 3 s (or 120 s in all).
            while t0.elapsed() < Duration::from_secs(120) {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let now = seq(&mut con, &keys).await;
                if now > landed {
                    first.get_or_insert_with(Instant::now);
                    last = Instant::now();
                    landed = now;
                } else if first.is_some() && last.elapsed() > Duration::from_secs(3) {
                    break;
                }
            }
            let mut entries = Vec::new();
            let mut from = 1;
            while from <= landed {
                let to = (from + 19_999).min(landed);
                entries.extend(reader::range(&mut con, &keys, from, to).await.unwrap());
                from = to + 1;
            }
            let mut tickers = 0u64;
            let mut dropped = 0u64;
            for e in &entries {
                match pricewire_core::json::read_line(&e.line) {
                    Ok(pricewire_core::json::Line::Ticker { .. }) => tickers += 1,
                    Ok(pricewire_core::json::Line::Gap { skipped, .. }) => dropped += skipped,
                    _ => {}
                }
            }
            let wall = (last - first.unwrap_or(t0)).as_secs_f64();
            let (c, r, x) = (cpu(relay_pid), cpu(redis_pid), cpu(sim_pid));
            println!(
                "burst of {frames} frames: {tickers} tickers landed (of {} entries), {dropped} dropped (gap entries)",
                entries.len()
            );
            println!(
                "first to last landed {wall:.2} s = {:.0} tickers/s",
                tickers as f64 / wall.max(1e-3)
            );
            println!(
                "CPU, whole run (start-up and pair list included): relay {c:.2} s = {:.2} µs/ticker, redis-server {r:.2} s = {:.2} µs/ticker, simulator {x:.2} s",
                c * 1e6 / tickers.max(1) as f64,
                r * 1e6 / tickers.max(1) as f64
            );
            println!(
                "relay RSS {:.1} MB, redis-server RSS {:.1} MB",
                rss_mb(relay_pid),
                rss_mb(redis_pid)
            );
        }
        "outage" => {
            // Redis killed under a relay publishing 10,000 tickers/s, restarted after
            // --secs (30): the relay's RSS every second, and what it said.
            let outage = arg("--secs", 30);
            let (_sim, addr) = start_sim(&["--tick-ms", "1"]);
            let pairs = pairs(10);
            let relay = start_relay(&server, &addr, &log, &pairs);
            let relay_pid = relay.0.id();
            tokio::time::sleep(Duration::from_secs(5)).await;
            let before = seq(&mut con, &keys).await;
            println!(
                "before: {before} landed, relay RSS {:.1} MB",
                rss_mb(relay_pid)
            );
            let mut server = server;
            server.kill();
            let mut rss = Vec::new();
            for _ in 0..outage {
                tokio::time::sleep(Duration::from_secs(1)).await;
                rss.push(rss_mb(relay_pid));
            }
            server.restart();
            let t = Instant::now();
            let mut con = target
                .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
                .await
                .unwrap();
            let mut back = None;
            while t.elapsed() < Duration::from_secs(30) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if seq(&mut con, &keys).await > 0 {
                    back = Some(t.elapsed());
                    break;
                }
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
            let after = seq(&mut con, &keys).await;
            println!(
                "relay RSS during the {outage} s outage (MB, each second): {}",
                rss.iter()
                    .map(|r| format!("{r:.1}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            println!(
                "publishing again {:.1} s after the restart; {after} landed in the 5 s after that (new epoch); relay RSS {:.1} MB",
                back.map_or(f64::NAN, |d| d.as_secs_f64()),
                rss_mb(relay_pid)
            );
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            println!("what the relay logged (WARN and above, and the outage's summary):");
            for line in text.lines().filter(|l| {
                l.contains("WARN") || l.contains("ERROR") || l.contains("answers again")
            }) {
                println!("  {line}");
            }
        }
        other => panic!("unknown mode {other}: throughput, burst, latency or outage"),
    }
}
