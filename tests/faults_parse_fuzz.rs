//! Fuzz-style: arbitrary text, and real frames and bodies mutated (bytes flipped, cut,
//! spliced, numbers and strings swapped for hostile ones), through every venue adapter's
//! `parse`, `parse_rest_ticker` and `parse_pair_list`. None may panic; what they return is
//! their business. Seeds are the recorded fixtures where present plus a few shapes inline.
//! Bounded: a few thousand cases in all.

use std::path::Path;
use std::sync::OnceLock;

use pricewire_core::exchange::{self, Exchange};
use pricewire_core::model::ExchangeId;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Shapes that exist even without the recorded fixtures.
const INLINE: &[&str] = &[
    r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65000.1,"bid_qty":1.0,"ask":65000.2,"ask_qty":1.0,"last":65000.1,"volume":10.0,"vwap":64000.0,"low":63000.0,"high":66000.0,"change":100.0,"change_pct":0.15,"timestamp":"2026-01-01T00:00:00.000000Z"}]}"#,
    r#"{"channel":"status","type":"update","data":[{"system":"online","api_version":"v2","connection_id":1,"version":"2.0.0"}]}"#,
    r#"{"error":"Currency pair not supported NOPE/USD","method":"subscribe","success":false,"symbol":"NOPE/USD"}"#,
    r#"{"error":[],"result":{"XXBTZUSD":{"a":["65000.20000","1","1.000"],"b":["65000.10000","2","2.000"],"c":["65000.10000","0.00100000"],"v":["100.5","1234.56780000"],"p":["64950.1","64900.50000"],"t":[100,2000],"l":["64000.0","63900.00000"],"h":["65500.0","65600.00000"],"o":"64800.00000"}}}"#,
    r#"{"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","pair_decimals":1,"base":"XXBT","quote":"ZUSD"}}}"#,
    r#"{"e":"24hrTicker","E":1786310819126,"s":"ETHUSDT","p":"-12.50","P":"-0.647","w":"1925.1","x":"1931.0","c":"1919.41","Q":"0.1","b":"1919.40","B":"2","a":"1919.42","A":"3","o":"1931.91","h":"1940.00","l":"1911.04","v":"19975.9","q":"38000000.1","O":1786224419126,"C":1786310819126,"F":1,"L":2,"n":2}"#,
    r#"{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}"#,
    r#"[{"symbol":"ETHUSDT","lastPrice":"1919.41","bidPrice":"1919.40","askPrice":"1919.42","priceChangePercent":"-0.6","openPrice":"1931.9","highPrice":"1940","lowPrice":"1911","volume":"19975.9","weightedAvgPrice":"1925.1","closeTime":1786310819126}]"#,
    r#"{"topic":"tickers.BTCUSDT","ts":1786310819200,"type":"snapshot","data":{"symbol":"BTCUSDT","lastPrice":"65140.5","highPrice24h":"65305.6","lowPrice24h":"64727.9","prevPrice24h":"65045.3","volume24h":"2953.8","turnover24h":"191907024.6","price24hPcnt":"-0.0015"}}"#,
    r#"{"topic":"orderbook.1.BTCUSDT","ts":1786310819200,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140.40","0.875077"]],"a":[["65140.50","0.472215"]],"u":62505500,"seq":112488546200},"cts":1786310819190}"#,
    r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","bid1Price":"65140.4","bid1Size":"0.875077","ask1Price":"65140.5","ask1Size":"0.472215","lastPrice":"65140.5","prevPrice24h":"65045.3","price24hPcnt":"-0.0015","highPrice24h":"65305.6","lowPrice24h":"64727.9","turnover24h":"191907024.69597728","volume24h":"2953.835931"}]},"time":1786310819300}"#,
    r#"{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"ETH-USDT","last":"3012.45","lastSz":"0.0105","askPx":"3012.46","askSz":"4.2","bidPx":"3012.45","bidSz":"11.0077","open24h":"2950.10","high24h":"3050.00","low24h":"2931.7","volCcy24h":"312873001.110328","vol24h":"104112.883901","ts":"1717000000123","sodUtc0":"2990.01","sodUtc8":"3001.5"}]}"#,
    r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"65000.1","askPx":"65000.2","bidPx":"65000.1","open24h":"64000","high24h":"66000","low24h":"63000","vol24h":"100","volCcy24h":"6500000","ts":"1717000000123"}]}"#,
    r#"{"channel":"ticker","timestamp":"2026-01-01T00:00:00.000000Z","sequence_num":1,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USD","price":"65000.1","volume_24_h":"100","low_24_h":"63000","high_24_h":"66000","price_percent_chg_24_h":"1.5","best_bid":"65000.0","best_ask":"65000.2"}]}]}"#,
    r#"{"type":"message","topic":"/market/snapshot:BTC-USDT","subject":"trade.snapshot","data":{"sequence":"1","data":{"symbol":"BTC-USDT","lastTradedPrice":65000.1,"buy":65000.0,"sell":65000.2,"high":66000,"low":63000,"vol":100,"volValue":6500000,"changeRate":0.015,"datetime":1717000000123}}}"#,
    r#"{"code":"200000","data":{"time":1717000000123,"symbol":"BTC-USDT","buy":"65000.0","sell":"65000.2","changeRate":"0.015","changePrice":"960","high":"66000","low":"63000","vol":"100","volValue":"6500000","last":"65000.1","averagePrice":"64000"}}"#,
    r#"{"code":"429000","msg":"Too Many Requests"}"#,
    "[]",
    "{}",
    "null",
];

/// Recorded frames and bodies: up to 40 lines of each `.frames` file, each `.json` whole.
fn seeds() -> &'static [String] {
    static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out: Vec<String> = INLINE.iter().map(ToString::to_string).collect();
        // The recorded frames must be there: a seed list that shrinks silently would fuzz
        // less than it claims.
        let recorded = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recorded");
        let roots = [
            recorded.clone(),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        ];
        let mut recorded_files = 0;
        for root in roots {
            let venues = std::fs::read_dir(&root)
                .unwrap_or_else(|e| panic!("fixtures folder {}: {e}", root.display()));
            for venue in venues.flatten() {
                let Ok(files) = std::fs::read_dir(venue.path()) else {
                    // A file beside the venue folders (README.md), not a folder.
                    continue;
                };
                for file in files.flatten() {
                    let path = file.path();
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    if root == recorded {
                        recorded_files += 1;
                    }
                    match path.extension().and_then(|e| e.to_str()) {
                        Some("frames") => out.extend(
                            text.lines()
                                .filter(|l| !l.trim().is_empty())
                                .take(40)
                                .map(ToString::to_string),
                        ),
                        Some("json") => out.push(text),
                        _ => {}
                    }
                }
            }
        }
        assert!(
            recorded_files >= 40,
            "only {recorded_files} recorded fixture files under {}",
            recorded.display()
        );
        out
    })
}

fn adapters() -> &'static [Box<dyn Exchange>] {
    static ADAPTERS: OnceLock<Vec<Box<dyn Exchange>>> = OnceLock::new();
    ADAPTERS.get_or_init(|| {
        ExchangeId::ALL
            .iter()
            .map(|&id| exchange::adapter(id).expect("every venue has an adapter"))
            .collect()
    })
}

/// Everything every adapter does with untrusted text.
fn feed_all(text: &str) {
    for adapter in adapters() {
        let mut events = Vec::new();
        let _ = adapter.parse(text, &mut events);
        let _ = adapter.parse_rest_ticker(text);
        if let Ok(list) = adapter.parse_pair_list(text) {
            for inst in list.instruments() {
                let _ = (
                    inst.symbol.base(),
                    inst.symbol.quote(),
                    list.resolve(&inst.wire),
                );
            }
        }
        let _ = adapter.ws_url_from_bootstrap(text, None);
        let _ = adapter.ws_url_from_bootstrap(text, Some("ws://127.0.0.1:1/x"));
    }
}

/// Replacements that stress number, time and string handling.
const HOSTILE: &[&str] = &[
    "-0",
    "1e400",
    "-1e-400",
    "79228162514264337593543950336",
    "0.0000000000000000000000000000001",
    "\"NaN\"",
    "\"1.2.3\"",
    "\"\"",
    "null",
    "true",
    "[]",
    "{}",
    "\"\\u0000\\u001b[2J\"",
    "\"9999-99-99T99:99:99Z\"",
    "\"2026-01-01T00:00:00.000000000000000000Z\"",
    "18446744073709551616",
    "-9223372036854775809",
    "\"\\ud800\"",
    "\"é\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Cut { at: usize },
    Drop { at: usize, len: usize },
    Dup { at: usize, len: usize },
    Hostile { nth: usize, with: usize },
    Splice { other: usize, at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Drop { at, len }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Dup { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(nth, with)| Mutation::Hostile { nth, with }),
        (any::<usize>(), any::<usize>()).prop_map(|(other, at)| Mutation::Splice { other, at }),
    ]
}

/// Apply mutations on bytes, then read back as text (lossily: frames arrive as UTF-8).
fn mutate(seed: &str, mutations: &[Mutation]) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for m in mutations {
        let n = bytes.len().max(1);
        match *m {
            Mutation::Flip { at, byte } => {
                if !bytes.is_empty() {
                    bytes[at % n] = byte;
                }
            }
            Mutation::Cut { at } => bytes.truncate(at % n),
            Mutation::Drop { at, len } => {
                let start = at % n;
                let end = (start + len).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Mutation::Dup { at, len } => {
                let start = at % n;
                let end = (start + len).min(bytes.len());
                if start < end {
                    let piece = bytes[start..end].to_vec();
                    bytes.splice(start..start, piece);
                }
            }
            Mutation::Hostile { nth, with } => {
                // Replace the nth value after a `:` (up to the next `,` `}` or `]`).
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
                if let Some(&c) = colons.get(nth % colons.len().max(1)) {
                    let end = text[c + 1..]
                        .find([',', '}', ']'])
                        .map_or(text.len(), |e| c + 1 + e);
                    let replaced = format!(
                        "{}{}{}",
                        &text[..=c],
                        HOSTILE[with % HOSTILE.len()],
                        &text[end..]
                    );
                    bytes = replaced.into_bytes();
                }
            }
            Mutation::Splice { other, at } => {
                let donor = seeds()[other % seeds().len()].as_bytes();
                let cut = at % n;
                bytes.truncate(cut);
                bytes.extend_from_slice(&donor[(at % donor.len().max(1)).min(donor.len())..]);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `cases` cases; a failing case is kept in this file's tracked regression file under
/// `proptest-regressions/` (beside those of the unit tests), never in a new file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/tests/faults_parse_fuzz.txt"
        )))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn mutated_real_frames_never_panic(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let seed = pick.get(seeds());
        feed_all(&mutate(seed, &mutations));
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![
        any::<String>(),
        "[\\[\\]{}\":,0-9a-zA-Z.eE+-]{0,200}",
        "\\{(\"[a-zA-Z_]{1,12}\":(\"[^\"]{0,20}\"|-?[0-9]{1,30}(\\.[0-9]{0,30})?|\\[\\]|\\{\\}|null),?){0,12}\\}",
    ]) {
        feed_all(&text);
    }
}

#[test]
fn every_seed_as_is() {
    assert!(seeds().len() >= INLINE.len());
    for seed in seeds() {
        feed_all(seed);
    }
}

/// Regression cases: inputs that once crashed an adapter or the symbol type.
#[test]
fn regressions() {
    // A pair list naming an asset with a 300-byte non-ASCII code: `Symbol` split it inside
    // a character (found by `faults_symbol_prop`).
    let long = "é".repeat(150);
    let kraken = format!(
        r#"{{"error":[],"result":{{"X":{{"altname":"X","wsname":"{long}/USD","pair_decimals":1}}}}}}"#
    );
    feed_all(&kraken);
}
