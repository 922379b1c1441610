//! Soak: the Kraken feed against the simulator on 127.0.0.1 for N minutes, with faults
//! injected on a seeded schedule (scenario switches, dropped connections). Prints each fault
//! and its recovery, resident memory every ten minutes, then a summary: faults, recoveries,
//! worst recovery time, ticks received vs sent, panics, resident memory at start and end.
//!
//! ```text
//! cargo run --release --example soak -- --minutes 30 [--seed 1]
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pricewire_core::config::FeedConfig;
use pricewire_core::feed::FeedBuilder;
use pricewire_core::model::{ExchangeId, FeedStatus, Source};
use pricewire_core::store::{Snapshot, Store, StoreEvent, StoreLimits};
use pricewire_sim::{Scenario, SimConfig, SimServer};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const SYMBOLS: [&str; 3] = ["BTC/USD", "ETH/USD", "SOL/USD"];
/// A fault not recovered from within this long counts as a failure.
const GIVE_UP: Duration = Duration::from_secs(90);

struct Args {
    minutes: f64,
    seed: u64,
}

fn args() -> Result<Args, String> {
    let mut out = Args {
        minutes: 5.0,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--minutes" => out.minutes = value.parse().map_err(|_| "bad --minutes")?,
            "--seed" => out.seed = value.parse().map_err(|_| "bad --seed")?,
            other => return Err(format!("unknown flag {other} (--minutes N, --seed S)")),
        }
    }
    Ok(out)
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The faults the schedule draws from: a scenario held for a while, or a plain drop.
fn draw(rng: &mut fastrand::Rng) -> (Option<Scenario>, Duration) {
    let hold = Duration::from_secs(rng.u64(3..=20));
    let scenario = match rng.u8(0..12) {
        0 => None,
        1 => Some(Scenario::DropAfter(rng.u64(1..20))),
        2 => Some(Scenario::CloseAfter(rng.u64(1..20))),
        3 => Some(Scenario::SilentAfter(rng.u64(1..20))),
        4 => Some(Scenario::PongNever),
        5 => Some(Scenario::Garbage),
        6 => Some(Scenario::RefuseWs),
        7 => Some(Scenario::Down),
        8 => Some(Scenario::SlowConnect),
        9 => Some(Scenario::Flapping),
        10 => Some(Scenario::Oversized),
        _ => Some(Scenario::Maintenance),
    };
    (scenario, hold)
}

fn updates(snap: &Snapshot) -> Vec<u64> {
    SYMBOLS
        .iter()
        .map(|s| snap.row(ExchangeId::Kraken, s).map_or(0, |r| r.updates))
        .collect()
}

/// Streaming again: connected, and every symbol has new stream prices since `before`.
fn recovered(snap: &Snapshot, before: &[u64]) -> bool {
    snap.feeds.first().map(|f| &f.status) == Some(&FeedStatus::Connected)
        && updates(snap)
            .iter()
            .zip(before)
            .all(|(now, then)| now > then)
        && SYMBOLS.iter().all(|s| {
            snap.row(ExchangeId::Kraken, s)
                .and_then(pricewire_core::store::Row::source)
                == Some(Source::Stream)
        })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args = args()?;
    let panics = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        seen.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let rss_start = rss_kb();
    let sim = SimServer::start(
        "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        SimConfig {
            exchange: ExchangeId::Kraken,
            scenario: Scenario::Steady,
            tick_interval: Duration::from_millis(200),
            seed: args.seed,
            ..SimConfig::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let store = Store::new(StoreLimits::default());
    let cfg = FeedConfig {
        connect_timeout: Duration::from_secs(3),
        silence: Some(Duration::from_secs(3)),
        ping_interval: Some(Duration::from_secs(2)),
        pong_timeout: Some(Duration::from_secs(3)),
        backoff_initial: Duration::from_millis(200),
        backoff_max: Duration::from_secs(3),
        max_attempts: 4,
        stable: Duration::from_secs(10),
        rest_poll: Duration::from_secs(1),
        rest_timeout: Duration::from_secs(3),
        symbol_silence: Duration::from_secs(5),
        breaker_threshold: 8,
        breaker_cooldown: Duration::from_secs(10),
        ..FeedConfig::default()
    };
    let builder = FeedBuilder::new(ExchangeId::Kraken)
        .store(Arc::clone(&store))
        .config(cfg)
        .ws_url(sim.ws_url())
        .rest_url(sim.rest_url())
        .seed(args.seed);
    let shutdown = CancellationToken::new();
    let mut events = store.events();
    // Ticks seen on the event tap: [stream, rest, missed].
    let seen_ticks = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let tally = Arc::clone(&seen_ticks);
    let counter = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(StoreEvent::Ticker(t)) => {
                    let i = usize::from(t.source != Source::Stream);
                    tally[i].fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tally[2].fetch_add(n, Ordering::Relaxed);
                }
                Err(_) => return,
            }
        }
    });
    let (_handle, task) = builder
        .symbols(SYMBOLS.iter().copied())
        .shutdown_on(shutdown.clone())
        .spawn()
        .expect("the feed builds")
        .into_parts();

    let started = Instant::now();
    let end = started + Duration::from_secs_f64(args.minutes * 60.0);
    let mut rng = fastrand::Rng::with_seed(args.seed);
    let (mut faults, mut recoveries, mut failures) = (0u64, 0u64, 0u64);
    let mut worst = Duration::ZERO;
    let mut worst_fault = String::new();
    let mut by_kind: BTreeMap<String, (u64, Duration)> = BTreeMap::new();
    // Let the first connection settle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Resident memory (client and simulator) every ten minutes: it should stay flat.
    let rss_every = Duration::from_mins(10);
    let mut next_rss = rss_every;
    loop {
        if started.elapsed() >= next_rss {
            println!("t={:>5}s RSS {} kB", started.elapsed().as_secs(), rss_kb());
            next_rss += rss_every;
        }
        let gap = Duration::from_secs(rng.u64(10..=40));
        if Instant::now() + gap >= end {
            break;
        }
        tokio::time::sleep(gap).await;
        let (scenario, hold) = draw(&mut rng);
        let name = scenario.map_or_else(|| "drop-connections".to_string(), |s| s.to_string());
        faults += 1;
        let at = started.elapsed().as_secs();
        if let Some(s) = scenario {
            sim.set_scenario(s);
            sim.drop_connections();
            tokio::time::sleep(hold).await;
            sim.set_scenario(Scenario::Steady);
            sim.settled().await;
        } else {
            sim.drop_connections();
        }
        let restored = Instant::now();
        let before = updates(&store.snapshot());
        let mut ok = false;
        while restored.elapsed() < GIVE_UP {
            if recovered(&store.snapshot(), &before) {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let took = restored.elapsed();
        let kind = name.split(':').next().unwrap_or_default().to_string();
        let entry = by_kind.entry(kind).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(took);
        if ok {
            recoveries += 1;
            if took > worst {
                worst = took;
                worst_fault.clone_from(&name);
            }
            println!(
                "t={at:>5}s fault {faults:>3}: {name:<18} held {:>2}s, streaming again {:.2}s after the fault ended",
                if scenario.is_some() {
                    hold.as_secs()
                } else {
                    0
                },
                took.as_secs_f64()
            );
        } else {
            failures += 1;
            let snap = store.snapshot();
            println!(
                "t={at:>5}s fault {faults:>3}: {name:<18} NOT recovered within {}s; status {:?}",
                GIVE_UP.as_secs(),
                snap.feeds.first().map(|f| f.status.name())
            );
        }
    }
    let remaining = end.saturating_duration_since(Instant::now());
    tokio::time::sleep(remaining).await;

    let snap = store.snapshot();
    let sent = sim.stats();
    let feed = &snap.feeds[0];
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    counter.abort();
    let [stream, rest, gaps] = seen_ticks
        .as_ref()
        .each_ref()
        .map(|c| c.load(Ordering::Relaxed));
    let restarts = feed
        .history
        .iter()
        .filter(|t| t.reason.contains("feed task panicked"))
        .count();
    sim.shutdown().await;
    let rss_end = rss_kb();
    println!();
    println!(
        "soak: {:.1} min, seed {}",
        started.elapsed().as_secs_f64() / 60.0,
        args.seed
    );
    println!("faults injected:   {faults}");
    println!(
        "recoveries:        {recoveries} (not recovered within {}s: {failures})",
        GIVE_UP.as_secs()
    );
    println!(
        "worst recovery:    {:.2}s ({worst_fault})",
        worst.as_secs_f64()
    );
    for (kind, (n, w)) in &by_kind {
        println!("  {kind:<18} x{n:<3} worst {:.2}s", w.as_secs_f64());
    }
    println!(
        "ticks:             sent by the simulator {} (WebSocket frames), received {} streamed + {} polled over REST, {} events missed by the counter",
        sent.ticker_frames, stream, rest, gaps
    );
    println!(
        "connections:       {} WebSocket sessions, {} REST requests, {} reconnects, {} parse errors",
        sent.ws_sessions, sent.rest_requests, feed.counters.reconnects, feed.counters.parse_errors
    );
    println!(
        "panics:            {} (feed task restarts recorded: {restarts})",
        panics.load(Ordering::SeqCst)
    );
    println!("RSS:               {rss_start} kB at start, {rss_end} kB at end");
    if failures > 0 || panics.load(Ordering::SeqCst) > 0 {
        return Err("soak failed".into());
    }
    Ok(())
}
