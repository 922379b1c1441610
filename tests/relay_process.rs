//! The relay as real processes on a real redis-server: a SIGKILLed leader is replaced
//! within 3 s (1 s lease) and readers see the new term's tickers; two relays started
//! together never lead at once (3 runs); a reader process prints the shared feed as
//! headless JSON lines; a wrong password stops a reader at start with why, unechoed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pricewire_core::{ExchangeId, Store, StoreLimits};
use pricewire_relay::consumer::{self, ConsumerSettings, VenueWatch};
use pricewire_relay::testkit::{Options, RedisServer};
use pricewire_relay::{Keys, RedisTarget, reader};
use pricewire_sim::{SimConfig, SimServer};
use tokio_util::sync::CancellationToken;

/// A child process killed (SIGKILL) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn sim() -> SimServer {
    SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            exchange: ExchangeId::Kraken,
            tick_interval: Duration::from_millis(50),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap()
}

fn relay(server: &RedisServer, sim: &SimServer, id: &str, log: &std::path::Path) -> Proc {
    let file = std::fs::File::create(log).unwrap();
    Proc(
        Command::new(env!("CARGO_BIN_EXE_pricewire"))
            .args(["relay", "--id", id, "-e", "kraken", "--lease-secs", "1"])
            .args(["--ws-url", &sim.ws_url(), "--rest-url", &sim.rest_url()])
            .args(["--config", "/dev/null", "BTC/USD"])
            .env("PRICEWIRE_REDIS_URL", server.url())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap(),
    )
}

async fn reader_store(server: &RedisServer, stop: &CancellationToken) -> Arc<Store> {
    let store = Store::new(StoreLimits::default());
    consumer::start(
        ConsumerSettings {
            target: RedisTarget::parse(&server.url(), None).unwrap(),
            id: consumer::new_id(),
            venues: vec![VenueWatch {
                exchange: ExchangeId::Kraken,
                symbols: vec!["BTC/USD".into()],
                quote_aliases: Vec::new(),
            }],
            connect_timeout: Duration::from_secs(1),
        },
        Arc::clone(&store),
        stop.clone(),
    )
    .await
    .unwrap();
    store
}

/// (leader, term, BTC/USD updates) as the reader's store has them.
fn seen(store: &Store) -> (String, u64, u64) {
    let snap = store.snapshot();
    let feed = snap.feed(ExchangeId::Kraken);
    let relay = feed
        .and_then(|f| f.relay.clone())
        .unwrap_or(pricewire_core::store::RelayInfo {
            leader: String::new(),
            term: 0,
        });
    let updates = snap
        .row(ExchangeId::Kraken, "BTC/USD")
        .map_or(0, |r| r.updates);
    (relay.leader, relay.term, updates)
}

async fn wait(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "{what} within {secs} s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_leader_is_replaced_and_readers_see_the_new_term_within_3_s() {
    let server = RedisServer::start();
    let sim = sim().await;
    let a = relay(&server, &sim, "relay-a", &server.dir().join("a.log"));
    let stop = CancellationToken::new();
    let store = reader_store(&server, &stop).await;
    wait("relay-a leads and tickers arrive", 15, || {
        let (l, t, u) = seen(&store);
        l == "relay-a" && t == 1 && u > 0
    })
    .await;
    let _b = relay(&server, &sim, "relay-b", &server.dir().join("b.log"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut a = a;
    let killed = Instant::now();
    a.0.kill().unwrap();
    let _ = a.0.wait();
    let mut updates_at_term2 = None;
    wait("a ticker of the new term", 3, || {
        let (l, t, u) = seen(&store);
        if l == "relay-b" && t == 2 {
            let first = *updates_at_term2.get_or_insert(u);
            return u > first;
        }
        false
    })
    .await;
    eprintln!("first ticker of term 2 after {:?}", killed.elapsed());
    stop.cancel();
    sim.shutdown().await;
}

/// When each relay's log says it began and stopped leading (wall clock, ms).
fn lead_intervals(log: &str) -> Vec<(i64, Option<i64>)> {
    let mut out: Vec<(i64, Option<i64>)> = Vec::new();
    for line in log.lines() {
        let Some(at) = line
            .split_whitespace()
            .next()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis())
        else {
            continue;
        };
        if line.contains("leading: leader") {
            out.push((at, None));
        } else if (line.contains("no longer leading") || line.contains("lease time is up"))
            && let Some(last) = out.last_mut()
            && last.1.is_none()
        {
            last.1 = Some(at);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_started_together_never_lead_at_once_in_3_runs() {
    let sim = sim().await;
    for run in 0..3 {
        let server = RedisServer::start();
        let (la, lb) = (server.dir().join("a.log"), server.dir().join("b.log"));
        let a = relay(&server, &sim, "relay-a", &la);
        let b = relay(&server, &sim, "relay-b", &lb);
        let mut con = RedisTarget::parse(&server.url(), None)
            .unwrap()
            .connect(Duration::from_secs(1), Some(Duration::from_secs(1)))
            .await
            .unwrap();
        let keys = Keys::new(ExchangeId::Kraken);
        // Let one lead a while, then kill whichever leads; the other takes over.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let first: String = redis::cmd("HGET")
            .arg(&keys.leader)
            .arg("id")
            .query_async(&mut con)
            .await
            .unwrap();
        let (mut leader, other) = if first == "relay-a" { (a, b) } else { (b, a) };
        let killed_at = chrono::Utc::now().timestamp_millis();
        leader.0.kill().unwrap();
        let _ = leader.0.wait();
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(other);
        let logs = [
            std::fs::read_to_string(&la).unwrap(),
            std::fs::read_to_string(&lb).unwrap(),
        ];
        let (ia, ib) = (lead_intervals(&logs[0]), lead_intervals(&logs[1]));
        let (killed, survivor) = if first == "relay-a" {
            (&ia, &ib)
        } else {
            (&ib, &ia)
        };
        assert_eq!(killed.len(), 1, "run {run}: {logs:#?}");
        assert_eq!(
            survivor.len(),
            1,
            "run {run}: the survivor led once after the kill: {logs:#?}"
        );
        // The killed one led until it died, at the latest; the survivor began after.
        assert!(survivor[0].0 > killed[0].0, "run {run}");
        assert!(
            survivor[0].0 >= killed_at,
            "run {run}: overlapping leads {killed:?} {survivor:?}"
        );
        // Every accepted write came from the lease holder of its term.
        let entries = reader::range(&mut con, &keys, 1, u64::MAX / 2)
            .await
            .unwrap();
        assert!(!entries.is_empty());
        assert!(
            entries
                .windows(2)
                .all(|w| w[0].seq + 1 == w[1].seq && w[0].term <= w[1].term)
        );
        for e in &entries {
            let want = if e.term == 1 {
                first.as_str()
            } else if first == "relay-a" {
                "relay-b"
            } else {
                "relay-a"
            };
            assert_eq!(
                e.leader, want,
                "run {run}: seq {} of term {}",
                e.seq, e.term
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_process_prints_the_shared_feed_and_a_wrong_password_stops_it_unechoed() {
    let server = RedisServer::start_with(Options {
        password: Some("desk-secret".into()),
        ..Options::default()
    });
    let sim = sim().await;
    let _a = relay(&server, &sim, "relay-a", &server.dir().join("a.log"));
    let mut reader = Proc(
        Command::new(env!("CARGO_BIN_EXE_pricewire"))
            .args([
                "--source",
                &server.url_without_password(),
                "--headless",
                "--config",
                "/dev/null",
            ])
            .args(["-e", "kraken", "BTC/USD"])
            .env("PRICEWIRE_REDIS_PASSWORD", "desk-secret")
            .env("HOME", server.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = reader.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with(r#"{"type":"ticker""#))
    })
    .await
    .unwrap()
    .expect("a ticker line");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["symbol"], "BTC/USD");
    assert_eq!(v["simulated"], true);
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_pricewire"))
        .args([
            "--source",
            &server.url_without_password(),
            "--headless",
            "--config",
            "/dev/null",
        ])
        .env("PRICEWIRE_REDIS_PASSWORD", "not-the-password")
        .env("HOME", server.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Redis refused the credentials"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    sim.shutdown().await;
}
