//! The dashboard on a replay: a recording played at max speed into a real `Store`, drawn
//! with the replay clock as `now` (ages, stale marks), the header saying REPLAY, the
//! recorded time and where the file ended, and every pane marked as replayed.

mod ui_support;

use std::io;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use pricewire::app::{App, run_loop};
use pricewire::config::Config;
use pricewire::ui::theme::Theme;
use pricewire::view::ViewModel;
use pricewire::view::state::{ReplayEnd, ReplayView};
use pricewire_core::Watchlist;
use pricewire_core::feed::command::Feeds;
use pricewire_core::model::{ExchangeId, FeedStatus, Transition};
use pricewire_core::record::{self, Dir, FrameBody, Header, Record};
use pricewire_core::replay::{self, Ended, ReplayClock, ReplayOptions};
use pricewire_core::store::{Store, StoreLimits};
use pricewire_core::symbol::{Instrument, Symbol};

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + TimeDelta::milliseconds(ms)
}

fn frame(symbol: &str, last: &str, ms: i64) -> Record {
    Record::Frame {
        exchange: ExchangeId::Kraken,
        conn: 1,
        at: at(ms),
        dir: Dir::In,
        body: FrameBody::Text(
            format!(
                r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"{symbol}","bid":{last},"bid_qty":1.0,"ask":{last},"ask_qty":1.0,"last":{last},"volume":100.0,"vwap":64000.0,"low":1.0,"high":70000.0,"change":100.0,"change_pct":0.15,"timestamp":"2026-03-01T03:00:00.000000Z"}}]}}"#
            )
            .into(),
        ),
    }
}

fn sub(base: &str, decimals: u32) -> Record {
    Record::Sub {
        exchange: ExchangeId::Kraken,
        instrument: Instrument {
            symbol: Symbol::new(base, "USD"),
            wire: format!("{base}/USD"),
            rest: format!("{base}USD"),
            price_decimals: Some(decimals),
            aliases: Vec::new(),
        },
    }
}

/// A Kraken session: BTC ticks once at 1 s, ETH every 10 s until 41 s; the file is cut
/// in the middle of its last line.
fn recording() -> String {
    let k = ExchangeId::Kraken;
    let mut records = vec![
        Record::Header(Header {
            version: record::VERSION,
            program: "pricewire test".into(),
            started: at(0),
            tags: vec!["live".into()],
            config: serde_json::json!({"exchanges": ["kraken"]}),
        }),
        Record::Feed {
            exchange: k,
            at: at(0),
        },
        sub("BTC", 1),
        sub("ETH", 2),
        Record::Status(Arc::new(Transition {
            exchange: k,
            from: FeedStatus::Connecting,
            to: FeedStatus::Connected,
            at: at(6),
            reason: "subscribed 2 symbols".into(),
        })),
        frame("BTC/USD", "65000.1", 1000),
    ];
    for (i, last) in ["3400.10", "3401.20", "3399.90", "3402.50", "3403.00"]
        .into_iter()
        .enumerate()
    {
        records.push(frame(
            "ETH/USD",
            last,
            1000 + 10_000 * i64::try_from(i).unwrap(),
        ));
    }
    let mut out = Vec::new();
    for r in &records {
        record::encode(r, &mut out).unwrap();
        out.push(b'\n');
    }
    let mut text = String::from_utf8(out).unwrap();
    text.push_str(r#"{"type":"frame","exchange":"kra"#);
    text
}

/// The recording played at max speed: the store, the clock and the report.
async fn played() -> (Arc<Store>, ReplayClock, replay::ReplayReport) {
    let store = Store::new(StoreLimits::default());
    let clock = ReplayClock::default();
    let lines = replay::read_lines(io::Cursor::new(recording().into_bytes()));
    let report = replay::play(
        lines,
        Arc::clone(&store),
        ReplayOptions::default(),
        clock.clone(),
        CancellationToken::new(),
    )
    .await;
    (store, clock, report)
}

fn replaying(clock: &ReplayClock, report: &replay::ReplayReport) -> App {
    let (tx, rx) = watch::channel(None);
    let app = App::new(
        Watchlist::from(Feeds::new(Vec::new())),
        &Config::default(),
        None,
    )
    .replaying(
        ReplayView {
            file: "night.jsonl".into(),
            speed: "10×".into(),
            ended: None,
        },
        clock.as_clock(),
        rx,
    );
    tx.send(Some(ReplayEnd::of(report))).unwrap();
    app
}

fn text(term: &Terminal<TestBackend>) -> Vec<String> {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[tokio::test]
async fn a_replayed_dashboard_says_replay_the_recorded_time_and_where_the_file_ended() {
    let (store, clock, report) = played().await;
    assert!(matches!(report.ended, Ended::Damaged { .. }), "{report:?}");
    let mut app = replaying(&clock, &report);
    app.check_replay();
    let snap = store.snapshot();
    let now = app.now();
    assert_eq!(now, at(41_000), "the recorded time of the last record");
    let table = app.sync(&snap);
    let model = ViewModel::with_table(&app.view, &snap, table);
    let mut term = Terminal::new(TestBackend::new(100, 24)).unwrap();
    term.draw(|f| {
        pricewire::ui::draw(f, &model, now, &Theme::default());
    })
    .unwrap();
    let lines = text(&term);
    assert!(
        lines[0].contains("▶ REPLAY 2026-03-01 03:00:41 UTC"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("damaged file"), "{}", lines[0]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Prices") && l.contains("▶ REPLAYED"))
    );
    insta::assert_snapshot!(term.backend());
    // The connection details of a replayed venue say so too.
    app.apply(pricewire::app::keys::Action::OpenDetails, &snap);
    let table = app.sync(&snap);
    let model = ViewModel::with_table(&app.view, &snap, table);
    term.draw(|f| {
        pricewire::ui::draw(f, &model, now, &Theme::default());
    })
    .unwrap();
    let lines = text(&term);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("kraken connection") && l.contains("▶ REPLAYED")),
        "{}",
        lines.join("\n")
    );
}

#[tokio::test]
async fn the_replay_clock_drives_ages_and_stale_marks_in_the_loop() {
    let (store, clock, report) = played().await;
    let mut app = replaying(&clock, &report);
    let mut term = Terminal::new(TestBackend::new(100, 24)).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    // The first frame is drawn before the first key is read: `q` ends the loop after it.
    tx.send(Ok(Event::Key(KeyEvent::new(
        KeyCode::Char('q'),
        KeyModifiers::NONE,
    ))))
    .unwrap();
    let keys = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let stats = run_loop(
        &mut term,
        keys,
        &store,
        &mut app,
        &Theme::default(),
        30,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(stats.frames, 1);
    let lines = text(&term);
    let row = |sym: &str| {
        lines
            .iter()
            .find(|l| l.contains(sym))
            .unwrap_or_else(|| panic!("{sym} not on screen:\n{}", lines.join("\n")))
            .clone()
    };
    // BTC last ticked at 1 s and the clock reads 41 s: 40 s old, past the 30 s stale mark;
    // ETH ticked at 41 s. By the wall clock both would read as something else entirely.
    let btc = row("BTC/USD");
    assert!(btc.contains("40s"), "{btc}");
    let eth = row("ETH/USD");
    assert!(eth.contains(" 0s│"), "{eth}");
    assert!(!eth.contains("40s"), "{eth}");
    assert!(lines[0].contains("03:00:41"), "{}", lines[0]);
}
