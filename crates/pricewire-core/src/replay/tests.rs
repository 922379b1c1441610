use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::*;
use crate::model::{FeedStatus, Transition};
use crate::store::{RowState, StoreEvent, StoreLimits};
use crate::symbol::{Instrument, Symbol};

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_800_000_000_000 + ms).unwrap() + TimeDelta::nanoseconds(123)
}

fn kraken_frame(last: &str) -> String {
    format!(
        r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"BTC/USD","bid":64999.9,"bid_qty":1.0,"ask":{last},"ask_qty":1.0,"last":{last},"volume":100.0,"vwap":64000.0,"low":63000.0,"high":66000.0,"change":100.0,"change_pct":0.15,"timestamp":"2026-09-24T03:54:18.054886Z"}}]}}"#
    )
}

fn btc() -> Symbol {
    Symbol::new("BTC", "USD")
}

/// A short Kraken session: connect, subscribe, three tickers 1 s apart, a drop and a
/// reconnect, one more ticker.
fn recording() -> Vec<Record> {
    let k = ExchangeId::Kraken;
    let status = |from, to, ms, reason: &str| {
        Record::Status(Arc::new(Transition {
            exchange: k,
            from,
            to,
            at: at(ms),
            reason: reason.into(),
        }))
    };
    let frame = |last: &str, ms| Record::Frame {
        exchange: k,
        conn: 1,
        at: at(ms),
        dir: Dir::In,
        body: FrameBody::Text(kraken_frame(last).into()),
    };
    vec![
        Record::Header(Header {
            version: record::VERSION,
            program: "pricewire test".into(),
            started: at(0),
            tags: vec!["demo".into()],
            config: serde_json::json!({"feed": {"max_attempts": 5}}),
        }),
        Record::Feed {
            exchange: k,
            at: at(0),
        },
        Record::Sub {
            exchange: k,
            instrument: Instrument {
                symbol: btc(),
                wire: "BTC/USD".into(),
                rest: "XBTUSD".into(),
                price_decimals: Some(1),
                aliases: vec!["XXBTZUSD".into()],
            },
        },
        Record::Open {
            exchange: k,
            conn: 1,
            at: at(5),
            url: "ws://127.0.0.1:1/v2".into(),
        },
        status(
            FeedStatus::Connecting,
            FeedStatus::Connected,
            6,
            "subscribing 1 symbol",
        ),
        Record::Frame {
            exchange: k,
            conn: 1,
            at: at(7),
            dir: Dir::Out,
            body: FrameBody::Text(r#"{"method":"subscribe"}"#.into()),
        },
        frame("65000.1", 1000),
        frame("65001.1", 2000),
        Record::Row {
            exchange: k,
            symbol: Symbol::new("NOPE", "USD"),
            state: RowState::Invalid("kraken does not list NOPE/USD".into()),
        },
        frame("65002.1", 3000),
        status(
            FeedStatus::Connected,
            FeedStatus::Reconnecting {
                attempt: 1,
                max_attempts: 5,
                next_try: at(4500),
            },
            4000,
            "connection lost (1006)",
        ),
        status(
            FeedStatus::Reconnecting {
                attempt: 1,
                max_attempts: 5,
                next_try: at(4500),
            },
            FeedStatus::Connected,
            4600,
            "reconnected after 1 failed attempt",
        ),
        frame("64990.0", 5000),
    ]
}

fn text_of(records: &[Record]) -> String {
    let mut out = Vec::new();
    for r in records {
        record::encode(r, &mut out).unwrap();
        out.push(b'\n');
    }
    String::from_utf8(out).unwrap()
}

struct Counting(AtomicU64);

impl Connector for Counting {
    fn dial<'a>(&'a self, _: &'a str, _: u16) -> BoxFuture<'a, Result<BoxIo, NetError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(NetError::Refused) })
    }
}

/// Replay `text`; the store's events as text, the report and the dials made.
async fn replay(text: String, opts: ReplayOptions) -> (Vec<String>, ReplayReport, u64) {
    let counting = Arc::new(Counting(AtomicU64::new(0)));
    let opts = ReplayOptions {
        connector: Arc::clone(&counting) as Arc<dyn Connector>,
        ..opts
    };
    let store = Store::new(StoreLimits::default());
    let mut events = store.events();
    let lines = read_lines(std::io::Cursor::new(text.into_bytes()));
    let report = play(
        lines,
        Arc::clone(&store),
        opts,
        ReplayClock::default(),
        CancellationToken::new(),
    )
    .await;
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(match e {
            StoreEvent::Ticker(t) => format!("ticker {} {:?} {}", t.symbol, t.last, t.received_ts),
            StoreEvent::Status(t) => format!("status {} → {} {}", t.from.name(), t.to.name(), t.at),
            StoreEvent::Error { symbol, .. } => format!("error {symbol}"),
            StoreEvent::Gap { skipped, .. } => format!("gap {skipped}"),
        });
    }
    (seen, report, counting.0.load(Ordering::SeqCst))
}

#[test]
fn every_record_reads_back_as_written() {
    let records = recording();
    let text = text_of(&records);
    assert_eq!(decode_all(&text).unwrap(), records);
    assert!(text.lines().all(|l| l.starts_with(r#"{"rec":""#)), "{text}");
    assert!(
        text.contains(r#""at":"2027-01-15T08:00:01.000000123Z""#),
        "{text}"
    );
}

#[tokio::test]
async fn a_replay_rebuilds_tickers_and_transitions_without_a_network_call() {
    let (seen, report, dials) = replay(text_of(&recording()), ReplayOptions::default()).await;
    assert_eq!(dials, 0);
    assert_eq!(report.ended, Ended::Complete);
    assert_eq!((report.records, report.frames), (12, 4));
    assert_eq!(
        seen,
        [
            "status connecting → connected 2027-01-15 08:00:00.006000123 UTC",
            "ticker BTC/USD Some(65000.1) 2027-01-15 08:00:01.000000123 UTC",
            "ticker BTC/USD Some(65001.1) 2027-01-15 08:00:02.000000123 UTC",
            "error NOPE/USD",
            "ticker BTC/USD Some(65002.1) 2027-01-15 08:00:03.000000123 UTC",
            "status connected → reconnecting 2027-01-15 08:00:04.000000123 UTC",
            "status reconnecting → connected 2027-01-15 08:00:04.600000123 UTC",
            "ticker BTC/USD Some(64990.0) 2027-01-15 08:00:05.000000123 UTC",
        ]
    );
}

#[tokio::test]
async fn a_truncated_file_plays_up_to_the_cut_and_says_where() {
    let text = text_of(&recording());
    let cut = &text[..text.len() - 40];
    let (seen, report, _) = replay(cut.to_string(), ReplayOptions::default()).await;
    assert_eq!(
        report.ended,
        Ended::Damaged {
            line: 13,
            reason: "read error: the file ends in the middle of a line (truncated)".into()
        }
    );
    assert_eq!(seen.len(), 7, "all but the last ticker: {seen:?}");
    assert_eq!(
        report.ended.describe(),
        "stopped at line 13: read error: the file ends in the middle of a line (truncated)"
    );
}

#[tokio::test]
async fn a_corrupt_line_stops_the_replay_there() {
    let text = text_of(&recording());
    let mut lines: Vec<&str> = text.lines().collect();
    lines[8] = r#"{"rec":"frame","venue":"kraken"#;
    let (seen, report, _) = replay(lines.join("\n") + "\n", ReplayOptions::default()).await;
    let Ended::Damaged { line, reason } = &report.ended else {
        panic!("{:?}", report.ended)
    };
    assert_eq!(*line, 9);
    assert!(reason.starts_with("not a record"), "{reason}");
    assert_eq!(seen.len(), 3);
    // A file that is no recording at all says so on its first line.
    let (_, report, _) = replay("hello\n".into(), ReplayOptions::default()).await;
    assert!(matches!(report.ended, Ended::Damaged { line: 1, .. }));
    let (_, report, _) = replay(
        r#"{"rec":"feed","venue":"kraken","at":"2027-01-15T08:00:00Z"}"#.to_string() + "\n",
        ReplayOptions::default(),
    )
    .await;
    assert_eq!(
        report.ended.describe(),
        "stopped at line 1: not a pricewire recording (no header line)"
    );
}

/// At 10× the recorded 5 s take half a second of the (paused) clock; `--from` applies
/// what came before at once, `--until` stops before what comes after.
#[tokio::test(start_paused = true)]
async fn timed_playback_scales_the_recorded_gaps() {
    let text = text_of(&recording());
    let start = Instant::now();
    let (seen, report, _) = replay(
        text.clone(),
        ReplayOptions {
            speed: Speed::Times(10.0),
            ..ReplayOptions::default()
        },
    )
    .await;
    assert_eq!(seen.len(), 8);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(499) && took <= Duration::from_millis(501),
        "{took:?}"
    );
    assert_eq!(report.last_at, Some(at(5000)));

    let start = Instant::now();
    let (seen, report, _) = replay(
        text,
        ReplayOptions {
            speed: Speed::Times(10.0),
            from: Some(at(3000)),
            until: Some(at(4700)),
            ..ReplayOptions::default()
        },
    )
    .await;
    assert_eq!(report.ended, Ended::Until);
    assert_eq!(seen.len(), 7, "{seen:?}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(159) && took <= Duration::from_millis(161),
        "from 3 s to 4.6 s at 10×: {took:?}"
    );
}

#[test]
fn speeds_read_as_typed() {
    assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
    assert_eq!("10".parse::<Speed>(), Ok(Speed::Times(10.0)));
    assert_eq!("2.5x".parse::<Speed>(), Ok(Speed::Times(2.5)));
    assert!("0".parse::<Speed>().is_err());
    assert!("fast".parse::<Speed>().is_err());
}

#[tokio::test]
async fn the_replay_clock_follows_the_records() {
    let clock = ReplayClock::default();
    let store = Store::new(StoreLimits::default());
    let lines = read_lines(std::io::Cursor::new(text_of(&recording()).into_bytes()));
    play(
        lines,
        store,
        ReplayOptions::default(),
        clock.clone(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(clock.now(), at(5000));
}
