use proptest::prelude::*;

use super::frame;
use crate::exchange::kraken::Kraken;
use crate::exchange::kraken::envelope::parse_message;
use crate::exchange::{Event, Exchange};

const RECORDED: &str = r#"{"channel":"ticker","type":"snapshot","data":[{"symbol":"USDT/USD","bid":0.99980,"bid_qty":44620.68691883,"ask":0.99981,"ask_qty":1087605.70466858,"last":0.99981,"volume":270638277.50461281,"vwap":0.99983,"low":0.99959,"high":1.00000,"change":0.00005,"change_pct":0.01,"trades":38144,"timestamp":"2026-09-24T03:54:18.054886Z"}]}"#;

/// Both readers on one frame: the scanner's events (if it reads the frame) and the
/// general reader's result. Events are compared as text, which shows each decimal's scale.
fn both(text: &str) -> (Option<String>, Result<String, String>) {
    let mut fast = Vec::new();
    let fast = frame(text, &mut fast).map(|()| format!("{fast:?}"));
    let mut general: Vec<Event<'_>> = Vec::new();
    let general = parse_message(text, &mut general)
        .map(|()| format!("{general:?}"))
        .map_err(|e| e.to_string());
    (fast, general)
}

/// What the adapter's `parse` gives for a frame (scanner first, general reader when it
/// declines), as text like [`both`].
fn adapter(text: &str) -> Result<String, String> {
    let mut out: Vec<Event<'_>> = Vec::new();
    Kraken::default()
        .parse(text, &mut out)
        .map(|()| format!("{out:?}"))
        .map_err(|e| e.to_string())
}

#[test]
fn kraken_s_own_form_takes_the_scanner() {
    for text in [
        RECORDED.to_string(),
        RECORDED.replace("snapshot", "update"),
        // Several tickers, nulls, whitespace, keys in another order.
        r#" { "channel" : "ticker" , "data" : [ {"bid":null,"symbol":"BTC/USD","last":97000.1} ,
            {"symbol":"ETH/USD","timestamp":null,"change_pct":-1.5e-2} ] , "type":"update" } "#
            .to_string(),
        r#"{"channel":"ticker","type":"update","data":[]}"#.to_string(),
    ] {
        let (fast, general) = both(&text);
        assert!(fast.is_some(), "scanner declined {text}");
        assert_eq!(fast.unwrap(), general.unwrap());
    }
}

#[test]
fn other_forms_are_left_to_the_general_reader() {
    for text in [
        // Data before channel; escapes; quoted numbers; nested values; repeated keys.
        r#"{"data":[{"symbol":"BTC/USD"}],"channel":"ticker"}"#,
        r#"{"channel":"ticker","data":[{"symbol":"BTC\/USD"}]}"#,
        r#"{"channel":"ticker","data":[{"symbol":"BTC/USD","bid":"1.5"}]}"#,
        r#"{"channel":"ticker","data":[{"symbol":"BTC/USD","extra":{"a":1}}]}"#,
        r#"{"channel":"ticker","data":[{"symbol":"BTC/USD","bid":1,"bid":2}]}"#,
        r#"{"channel":"ticker","data":[{"symbol":"BTC/USD"}],"data":[]}"#,
        // Malformed: no data, no symbol, trailing text, bad number, bad time.
        r#"{"channel":"ticker"}"#,
        r#"{"channel":"ticker","data":[{"bid":1}]}"#,
        r#"{"channel":"ticker","data":[]} x"#,
        r#"{"channel":"ticker","data":[{"symbol":"A/B","bid":01}]}"#,
        r#"{"channel":"ticker","data":[{"symbol":"A/B","timestamp":"yesterday"}]}"#,
        r#"{"channel":"heartbeat"}"#,
    ] {
        assert_eq!(both(text).0, None, "{text}");
    }
}

/// A value for a number field, in the forms venues and broken proxies send.
fn number_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "-?[0-9]{1,12}(\\.[0-9]{1,10})?",
        1 => "[0-9]{1,25}\\.[0-9]{1,12}",
        1 => "-?[1-9]\\.[0-9]{1,4}[eE][+-]?[0-9]{1,2}",
        1 => Just("null".to_string()),
        1 => "\"[0-9.]{0,6}\"",
        1 => prop_oneof![Just("true"), Just("{}"), Just("[1]"), Just("01"), Just("1.")]
            .prop_map(str::to_string),
    ]
}

fn time_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,9})?Z\"",
        1 => "\"2026-09-24T03:54:18(\\.[0-9]{1,3})?[+-]0[0-9]:00\"",
        1 => Just("null".to_string()),
        1 => Just("1700000000".to_string()),
    ]
}

fn field() -> impl Strategy<Value = String> {
    let number_keys = prop_oneof![
        Just("bid"),
        Just("ask"),
        Just("last"),
        Just("volume"),
        Just("vwap"),
        Just("low"),
        Just("high"),
        Just("change"),
        Just("change_pct"),
        Just("bid_qty"),
        Just("trades"),
    ];
    prop_oneof![
        6 => (number_keys, number_value()).prop_map(|(k, v)| format!("\"{k}\":{v}")),
        1 => time_value().prop_map(|v| format!("\"timestamp\":{v}")),
        1 => "\"[a-z_\\\\]{1,6}\":(\"[a-z]{0,4}\"|[0-9]{1,3}|true)",
    ]
}

fn ticker() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            8 => "\"[A-Z]{3}/[A-Z]{3}\"",
            1 => Just("\"BTC\\/USD\"".to_string()),
            1 => Just("null".to_string()),
        ],
        proptest::collection::vec(field(), 0..8),
        0usize..8,
        any::<bool>(),
    )
        .prop_map(|(symbol, mut fields, at, with_symbol)| {
            if with_symbol {
                fields.insert(at.min(fields.len()), format!("\"symbol\":{symbol}"));
            }
            format!("{{{}}}", fields.join(","))
        })
}

/// The ticker fields the scanner reads, each at most once in a ticker.
const KNOWN: [&str; 10] = [
    "timestamp",
    "bid",
    "ask",
    "last",
    "volume",
    "vwap",
    "low",
    "high",
    "change",
    "change_pct",
];

/// A number as Kraken writes one: plain JSON digits (no leading zero), a small exponent,
/// or `null`.
fn kraken_number() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "-?(0|[1-9][0-9]{0,11})(\\.[0-9]{1,10})?",
        1 => "-?[1-9]\\.[0-9]{1,4}[eE][+-]?[0-9]",
        1 => Just("null".to_string()),
    ]
}

/// A real UTC instant, `…Z`, with 0 to 9 fractional digits, or `null`.
fn kraken_time() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?Z\"",
        1 => Just("null".to_string()),
    ]
}

/// One ticker object in Kraken's own form: an escape-free symbol, any subset of the known
/// fields once each, fields the dashboard does not show (`bid_qty`, `trades`, new names)
/// with scalar values, keys in any order.
fn kraken_ticker() -> impl Strategy<Value = String> {
    let known = KNOWN.map(|key| {
        let value = if key == "timestamp" {
            kraken_time().boxed()
        } else {
            kraken_number().boxed()
        };
        proptest::option::of(value.prop_map(move |v| format!("\"{key}\":{v}")))
    });
    let other_key = prop_oneof![
        Just("bid_qty".to_string()),
        Just("ask_qty".to_string()),
        Just("trades".to_string()),
        "[a-z_]{1,8}",
    ]
    .prop_filter("a field the scanner reads", |k| {
        k != "symbol" && !KNOWN.contains(&k.as_str())
    });
    let other_value = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        "(0|[1-9][0-9]{0,6})(\\.[0-9]{1,8})?",
        "\"[a-z ]{0,6}\"",
    ];
    (
        "[A-Z]{2,5}/[A-Z]{3,4}",
        known,
        proptest::collection::btree_map(other_key, other_value, 0..3),
    )
        .prop_flat_map(|(symbol, known, other)| {
            let mut fields: Vec<String> = known.into_iter().flatten().collect();
            fields.extend(other.iter().map(|(k, v)| format!("\"{k}\":{v}")));
            fields.push(format!("\"symbol\":\"{symbol}\""));
            Just(fields).prop_shuffle()
        })
        .prop_map(|fields| format!("{{{}}}", fields.join(",")))
}

/// A whole ticker frame in Kraken's own form: `channel` first, `type` before or after
/// `data` or absent, optional whitespace around the data.
fn kraken_frame() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(kraken_ticker(), 0..4),
        prop_oneof![Just("snapshot"), Just("update")],
        0..3u8,
        prop_oneof![Just(""), Just(" "), Just("\n")],
    )
        .prop_map(|(tickers, kind, at, ws)| {
            let data = format!("\"data\":{ws}[{}]{ws}", tickers.join(","));
            let kind = format!("\"type\":\"{kind}\"");
            match at {
                0 => format!("{{\"channel\":\"ticker\",{kind},{data}}}"),
                1 => format!("{{\"channel\":\"ticker\",{data},{kind}}}"),
                _ => format!("{{\"channel\":\"ticker\",{data}}}"),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Every frame in the form Kraken sends is read by the scanner (it must not decline
    /// its own form to the slower reader), with the general reader's events.
    #[test]
    fn the_scanner_reads_kraken_s_own_form(text in kraken_frame()) {
        let (fast, general) = both(&text);
        prop_assert!(fast.is_some(), "scanner declined {}", text);
        prop_assert_eq!(fast.map(Ok), Some(general.clone()), "{}", text);
        prop_assert_eq!(adapter(&text), general, "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever frame the scanner reads, the general reader reads the same way; and
    /// whatever the scanner decides, the adapter gives the general reader's result (events
    /// or the error, nothing left over from a declined frame).
    #[test]
    fn the_scanner_agrees_with_the_general_reader(
        tickers in proptest::collection::vec(ticker(), 0..4),
        kind in prop_oneof![Just(",\"type\":\"update\""), Just(""), Just(",\"type\":7")],
        ws in prop_oneof![Just(""), Just(" "), Just("\n")],
    ) {
        let text = format!(
            "{{\"channel\":\"ticker\"{kind},{ws}\"data\":[{}]{ws}}}",
            tickers.join(",")
        );
        let (fast, general) = both(&text);
        if let Some(fast) = fast {
            prop_assert_eq!(Ok(fast), general.clone(), "{}", text);
        }
        prop_assert_eq!(adapter(&text), general, "{}", text);
    }
}
