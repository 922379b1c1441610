//! Parser and store throughput: `cargo bench --bench parse`.
//!
//! Each venue's parser runs over ticker frames in that venue's real wire format: the
//! recorded frames under `$PRICEWIRE_FIXTURES` (default `tests/fixtures/recorded`) when that
//! folder exists, else the inline frames below. Only frames that parse into at least one
//! ticker are kept, so the numbers are per ticker frame. One iteration parses one frame,
//! cycling through the set: the time per iteration is ns/frame, the throughput MB/s.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricewire_core::exchange::{self, Event, Exchange};
use pricewire_core::model::{ExchangeId, Source, Ticker};
use pricewire_core::store::{Store, StoreLimits};
use pricewire_core::symbol::Symbol;

/// Recordings per venue (relative to the fixtures folder).
const RECORDED: &[(ExchangeId, &[&str])] = &[
    (ExchangeId::Kraken, &["kraken/ws-v2-ticker-excerpt.frames"]),
    (
        ExchangeId::Binance,
        &[
            "binance/ws-combined-bookticker.frames",
            "binance/ws-24hrticker-excerpt.frames",
        ],
    ),
    (ExchangeId::Coinbase, &["coinbase/advanced-trade-ws.frames"]),
    (ExchangeId::Bybit, &["bybit/v5-public-spot.frames"]),
    (ExchangeId::Okx, &["okx/ws-v5-public.frames"]),
    (ExchangeId::Kucoin, &["kucoin/ws-spot.frames"]),
];

/// Fallback frames, one per venue, in each venue's documented ticker format.
fn inline(id: ExchangeId) -> Vec<String> {
    let frames: &[&str] = match id {
        ExchangeId::Kraken => &[
            r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":97123.3,"bid_qty":0.51234567,"ask":97123.4,"ask_qty":1.20000000,"last":97123.4,"volume":1234.56789012,"vwap":96500.1,"low":95210.7,"high":97500.0,"change":1234.5,"change_pct":1.29,"timestamp":"2026-09-24T03:54:18.054886Z"}]}"#,
            r#"{"channel":"ticker","type":"update","data":[{"symbol":"ETH/USD","bid":3421.06,"bid_qty":12.5,"ask":3421.08,"ask_qty":3.25,"last":3421.07,"volume":45678.9012,"vwap":3440.55,"low":3390.00,"high":3550.12,"change":-78.93,"change_pct":-2.26,"timestamp":"2026-09-24T03:54:18.154886Z"}]}"#,
        ],
        ExchangeId::Binance => &[
            r#"{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"97123.30000000","B":"0.51200000","a":"97123.40000000","A":"1.20000000"}}"#,
            r#"{"stream":"btcusdt@ticker","data":{"e":"24hrTicker","E":1580254809477,"s":"BTCUSDT","p":"420.97000000","P":"4.720","w":"9058.27981278","x":"8917.98000000","c":"9338.96000000","Q":"0.17246300","b":"9338.03000000","B":"0.18234600","a":"9339.70000000","A":"0.14097600","o":"8917.99000000","h":"9373.19000000","l":"8862.40000000","v":"72229.53692000","q":"654275356.16896672","O":1580168409456,"C":1580254809456,"F":235294268,"L":235894703,"n":600436}}"#,
        ],
        ExchangeId::Coinbase => &[
            r#"{"channel":"ticker","client_id":"","timestamp":"2026-08-09T21:05:48.229198328Z","sequence_num":6,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USD","price":"65086.18","volume_24_h":"2867.54532609","low_24_h":"64675.22","high_24_h":"65252.99","low_52_w":"57717.55","high_52_w":"126296","price_percent_chg_24_h":"0.09601107287722","best_bid":"65083.66","best_ask":"65083.67","best_bid_quantity":"0.1","best_ask_quantity":"0.2"}]}]}"#,
        ],
        ExchangeId::Bybit => &[
            r#"{"topic":"tickers.BTCUSDT","ts":1786310819126,"type":"snapshot","cs":112488546160,"data":{"symbol":"BTCUSDT","lastPrice":"65140.5","highPrice24h":"65305.6","lowPrice24h":"64727.9","prevPrice24h":"65045.3","volume24h":"2953.835931","turnover24h":"191907024.69597728","price24hPcnt":"0.0015","usdIndexPrice":"65091.459221"}}"#,
        ],
        ExchangeId::Okx => &[
            r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"97123.4","lastSz":"0.001","askPx":"97123.5","askSz":"1.2","bidPx":"97123.4","bidSz":"0.5","open24h":"95888.9","high24h":"97500","low24h":"95210.7","volCcy24h":"119000000.5","vol24h":"1234.56","ts":"1715000000000","sodUtc0":"96000","sodUtc8":"96100"}]}"#,
        ],
        ExchangeId::Kucoin => &[
            r#"{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker","data":{"bestAsk":"97123.5","bestAskSize":"0.25","bestBid":"97123.4","bestBidSize":"0.5","price":"97123.4","sequence":"38509148","size":"0.001","time":1677321643926}}"#,
        ],
    };
    frames.iter().map(|s| (*s).to_string()).collect()
}

fn fixtures_dir() -> PathBuf {
    std::env::var_os("PRICEWIRE_FIXTURES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recorded"),
        PathBuf::from,
    )
}

/// Frames that parse into at least one ticker.
fn ticker_frames(adapter: &dyn Exchange, candidates: Vec<String>) -> Vec<String> {
    candidates
        .into_iter()
        .filter(|f| {
            let mut out = Vec::new();
            adapter.parse(f, &mut out).is_ok() && out.iter().any(|e| matches!(e, Event::Ticker(_)))
        })
        .collect()
}

fn frames_for(id: ExchangeId, adapter: &dyn Exchange, dir: &Path) -> (Vec<String>, &'static str) {
    let files = RECORDED
        .iter()
        .find(|(v, _)| *v == id)
        .map_or(&[][..], |(_, f)| *f);
    let recorded: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .flat_map(|text| text.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let recorded = ticker_frames(adapter, recorded);
    if recorded.is_empty() {
        (ticker_frames(adapter, inline(id)), "inline")
    } else {
        (recorded, "recorded")
    }
}

fn parse(c: &mut Criterion) {
    let dir = fixtures_dir();
    let mut group = c.benchmark_group("parse");
    for id in ExchangeId::ALL {
        let adapter = exchange::adapter(id).expect("adapter");
        let (frames, origin) = frames_for(id, adapter.as_ref(), &dir);
        assert!(!frames.is_empty(), "{id}: no ticker frame parses");
        let bytes: usize = frames.iter().map(String::len).sum();
        let avg = (bytes / frames.len()) as u64;
        eprintln!(
            "parse/{id}: {} {origin} ticker frames, {avg} bytes on average",
            frames.len()
        );
        group.throughput(Throughput::Bytes(avg));
        let mut out: Vec<Event<'_>> = Vec::with_capacity(4);
        let mut i = 0usize;
        group.bench_function(id.as_str(), |b| {
            b.iter(|| {
                let frame = &frames[i % frames.len()];
                i = i.wrapping_add(1);
                out.clear();
                let r = adapter.parse(black_box(frame), &mut out);
                black_box(r.is_ok());
                black_box(out.len())
            });
        });
    }
    group.finish();
}

fn ticker(symbol: &Symbol, last: &str, at: DateTime<Utc>) -> Ticker {
    let mut t = Ticker::empty(ExchangeId::Kraken, symbol.clone(), Source::Stream, at);
    t.last = Some(last.parse().expect("decimal"));
    t.bid = Some("97123.3".parse().expect("decimal"));
    t.ask = Some("97123.5".parse().expect("decimal"));
    t.volume_24h = Some("1234.56789012".parse().expect("decimal"));
    t.exchange_ts = Some(at);
    t
}

/// One ticker applied to one of 20 rows (lock, index lookup, merge, sparkline, counters).
fn store_apply(c: &mut Criterion) {
    let store = Store::new(StoreLimits::default());
    let now = Utc::now();
    store.add_feed(ExchangeId::Kraken, now);
    let symbols: Vec<Symbol> = (0..20)
        .map(|i| Symbol::new(&format!("C{i:02}"), "USD"))
        .collect();
    for s in &symbols {
        store.add_symbol(ExchangeId::Kraken, s, Some(1));
    }
    // Alternating prices, so every update moves the direction and the sparkline.
    let tickers: Vec<Ticker> = (0..200)
        .map(|k| {
            ticker(
                &symbols[k % 20],
                if k % 40 < 20 { "97123.4" } else { "97123.5" },
                now,
            )
        })
        .collect();
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("apply", |b| {
        b.iter(|| {
            let t = tickers[i % tickers.len()].clone();
            i = i.wrapping_add(1);
            store.apply_all(std::iter::once(black_box(t)));
        });
    });
    group.finish();
}

criterion_group!(benches, parse, store_apply);
criterion_main!(benches);
