use std::borrow::Cow;
use std::time::Duration;

use super::Binance;
use crate::exchange::{Event, Exchange, ParseError, WireTicker};

use crate::exchange::testkit::{self, line, millis, text};

fn recorded(file: &str) -> String {
    testkit::recorded("binance", file)
}

fn parse(frame: &str) -> Vec<Event<'_>> {
    testkit::parse(&Binance, frame)
}

fn only_ticker(frame: &str) -> WireTicker<'_> {
    testkit::only_ticker(&Binance, frame)
}

#[test]
fn every_recorded_frame_parses_to_a_known_event() {
    testkit::assert_every_recorded_frame_known(&Binance, "binance");
}

#[test]
fn recorded_session_splits_into_book_tickers_and_ignored_streams() {
    let body = recorded("ws-combined-bookticker.frames");
    let (mut tickers, mut ignored) = (0, 0);
    for frame in body.lines() {
        match parse(frame).as_slice() {
            [Event::Ticker(t)] => {
                assert!(
                    t.bid.is_some() && t.ask.is_some() && t.last.is_none(),
                    "{frame}"
                );
                tickers += 1;
            }
            [Event::Ignored] => ignored += 1,
            other => panic!("{frame}: {other:?}"),
        }
    }
    // 84 @bookTicker; 177 depth, 2 kline and 2 aggTrade frames (README counts).
    assert_eq!((tickers, ignored), (84, 181));
}

#[test]
fn book_ticker_lines_keep_exact_decimals() {
    let body = recorded("ws-combined-bookticker.frames");
    let cases = [
        (8, "NKNUSDT", "0.35210000", "0.35260000"),
        (9, "NKNUSDT", "0.35210000", "0.35250000"),
        (38, "LRCBTC", "0.00000637", "0.00000638"),
        (130, "BLZETH", "0.00006547", "0.00006560"),
    ];
    for (n, symbol, bid, ask) in cases {
        let t = only_ticker(line(&body, n));
        assert_eq!(
            (t.symbol.as_ref(), text(t.bid), text(t.ask)),
            (symbol, bid.to_string(), ask.to_string()),
            "line {n}"
        );
        assert_eq!((t.last, t.exchange_ts), (None, None), "line {n}");
    }
}

#[test]
fn ticker_24h_carries_every_field_exactly() {
    let body = recorded("ws-24hrticker-excerpt.frames");
    let t = only_ticker(line(&body, 1));
    let got = [
        ("last", text(t.last)),
        ("bid", text(t.bid)),
        ("ask", text(t.ask)),
        ("open", text(t.open_24h)),
        ("change", text(t.change_24h)),
        ("pct", text(t.change_pct_24h)),
        ("high", text(t.high_24h)),
        ("low", text(t.low_24h)),
        ("volume", text(t.volume_24h)),
        ("vwap", text(t.vwap_24h)),
    ];
    let want = [
        ("last", "9338.96000000"),
        ("bid", "9338.03000000"),
        ("ask", "9339.70000000"),
        ("open", "8917.99000000"),
        ("change", "420.97000000"),
        ("pct", "4.720"),
        ("high", "9373.19000000"),
        ("low", "8862.40000000"),
        ("volume", "72229.53692000"),
        ("vwap", "9058.27981278"),
    ];
    for ((field, got), (_, want)) in got.iter().zip(want) {
        assert_eq!(got, want, "{field}");
    }
    assert_eq!(t.symbol, "BTCUSDT");
    assert!(
        matches!(t.symbol, Cow::Borrowed(_)),
        "the symbol borrows from the frame"
    );
    assert_eq!(t.exchange_ts, millis(1_580_254_809_477));
}

#[test]
fn bare_raw_stream_events_parse_like_combined_ones() {
    // `/ws` sends the event object without the {"stream","data"} wrapper.
    let frame = r#"{"e":"24hrTicker","E":1786310819126,"s":"ETHUSDT","p":"-12.50","P":"-0.647","w":"1925.1","x":"1931.0","c":"1919.41","Q":"0.1","b":"1919.40","B":"2","a":"1919.42","A":"3","o":"1931.91","h":"1940.00","l":"1911.04","v":"19975.9","q":"38000000.1","O":1786224419126,"C":1786310819126,"F":1,"L":2,"n":2}"#;
    let t = only_ticker(frame);
    assert_eq!(
        (t.symbol.as_ref(), text(t.last), text(t.change_pct_24h)),
        ("ETHUSDT", "1919.41".to_string(), "-0.647".to_string())
    );
    assert_eq!(t.exchange_ts, millis(1_786_310_819_126));
    let book = only_ticker(
        r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
    );
    assert_eq!(
        (text(book.bid), text(book.ask)),
        ("25.35190000".into(), "25.36520000".into())
    );
}

#[test]
fn control_frames_map_to_events() {
    let shutdown = Event::ReconnectSoon {
        reason: "binance announced a server shutdown".into(),
    };
    let cases: [(&str, Event); 10] = [
        (
            r#"{"result":null,"id":1}"#,
            Event::Subscribed {
                symbol: None,
                req_id: Some(1),
            },
        ),
        (
            r#"{"code":2,"msg":"Invalid request: unknown variant SUBSCRIBEX"}"#,
            Event::SubscribeError {
                symbol: None,
                req_id: None,
                message: "Invalid request: unknown variant SUBSCRIBEX (code 2)".into(),
            },
        ),
        (
            r#"{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1}"#,
            Event::SubscribeError {
                symbol: None,
                req_id: Some(1),
                message: "Invalid request: invalid stream (code 2)".into(),
            },
        ),
        (
            r#"{"e":"serverShutdown","E":1786310819126}"#,
            shutdown.clone(),
        ),
        (
            r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1786310819126}}"#,
            shutdown,
        ),
        (r#"{"result":["btcusdt@ticker"],"id":3}"#, Event::Ignored),
        (
            r#"{"e":"24hrMiniTicker","E":1,"s":"BTCUSDT","c":"1","o":"1","h":"1","l":"1","v":"1","q":"1"}"#,
            Event::Ignored,
        ),
        (
            r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#,
            Event::Ignored,
        ),
        (r#"{"e":"somethingNew","E":1}"#, Event::Unknown),
        (r"[1,2,3]", Event::Unknown),
    ];
    for (frame, want) in cases {
        assert_eq!(parse(frame), vec![want], "{frame}");
    }
}

#[test]
fn malformed_frames_are_errors() {
    for frame in [
        r#"{"e":"24hrTicker","s":"BTCUSDT","c":"#,
        "not json",
        r#"{"e":"24hrTicker","s":"BTCUSDT","c":"12.3.4"}"#,
        r#"{"e":"24hrTicker","c":"1"}"#,
    ] {
        let mut out = Vec::new();
        assert!(
            matches!(Binance.parse(frame, &mut out), Err(ParseError::Json(_))),
            "{frame}"
        );
    }
}

#[test]
fn subscribe_frames_use_lower_case_ticker_streams() {
    assert_eq!(
        Binance.subscribe(&["BTCUSDT", "ETHUSDT"], 7),
        vec![r#"{"method":"SUBSCRIBE","params":["btcusdt@ticker","ethusdt@ticker"],"id":7}"#]
    );
    assert_eq!(
        Binance.unsubscribe(&["BTCUSDT"], 8),
        vec![r#"{"method":"UNSUBSCRIBE","params":["btcusdt@ticker"],"id":8}"#]
    );
    assert!(Binance.subscribe(&[], 9).is_empty());
}

#[test]
fn endpoints_and_keep_alive() {
    assert_eq!(Binance.default_ws_url(), "wss://stream.binance.com:9443/ws");
    assert_eq!(Binance.default_rest_url(), "https://api.binance.com");
    assert_eq!(Binance.pair_list_path(), "/api/v3/exchangeInfo");
    assert_eq!(Binance.ping(1), None);
    assert_eq!(Binance.max_connection_age(), Some(Duration::from_hours(24)));
}

#[test]
fn pair_list_keeps_trading_markets_only() {
    let body = recorded("rest-exchangeInfo.subset.json");
    let list = Binance.parse_pair_list(&body).expect("pair list parses");
    // 11 symbols recorded, BCCBTC and HSRBTC are in BREAK.
    assert_eq!(list.len(), 9);
    let cases = [
        ("BTC/USDT", "BTC/USDT", "BTCUSDT", Some(2)),
        ("btcusdt", "BTC/USDT", "BTCUSDT", Some(2)),
        ("BTC-USDC", "BTC/USDC", "BTCUSDC", Some(2)),
        ("LRC/BTC", "LRC/BTC", "LRCBTC", Some(8)),
        ("nkn usdt", "NKN/USDT", "NKNUSDT", Some(4)),
        ("BNB/USDT", "BNB/USDT", "BNBUSDT", Some(1)),
    ];
    testkit::assert_resolves(&list, &cases);
    assert!(
        list.resolve("BCC/BTC").is_err(),
        "BREAK markets are not listed"
    );
}

#[test]
fn usd_does_not_silently_become_usdt() {
    let body = recorded("rest-exchangeInfo.subset.json");
    let list = Binance.parse_pair_list(&body).expect("pair list parses");
    testkit::assert_suggests(&list, "BTC/USD", &["BTC/USDT", "BTC/USDC"]);
}

#[test]
fn pair_list_error_body_is_an_error() {
    let err = Binance
        .parse_pair_list(r#"{"code":-1121,"msg":"Invalid symbol."}"#)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected shape: binance error -1121: Invalid symbol."
    );
}

#[test]
fn rest_ticker_paths_are_url_encoded_in_batches_of_20() {
    assert_eq!(
        Binance.rest_ticker_paths(&["BTCUSDT", "ETHUSDT"]),
        vec!["/api/v3/ticker/24hr?symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D"]
    );
    let many: Vec<String> = (0..45).map(|i| format!("S{i}USDT")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(Binance.rest_ticker_paths(&refs).len(), 3);
    assert!(Binance.rest_ticker_paths(&[]).is_empty());
}

#[test]
fn rest_ticker_bodies_parse_exactly() {
    let array = r#"[{"symbol":"BTCUSDT","priceChange":"-94.99999800","priceChangePercent":"-95.960","weightedAvgPrice":"0.29628482","prevClosePrice":"0.10002000","lastPrice":"4.00000200","lastQty":"200.00000000","bidPrice":"4.00000000","bidQty":"100.00000000","askPrice":"4.00000200","askQty":"100.00000000","openPrice":"99.00000000","highPrice":"100.00000000","lowPrice":"0.10000000","volume":"8913.30000000","quoteVolume":"15.30000000","openTime":1499783499040,"closeTime":1499869899040,"firstId":28385,"lastId":28460,"count":76}]"#;
    let got = Binance.parse_rest_ticker(array).expect("array body");
    assert_eq!(got.len(), 1);
    let t = &got[0];
    assert_eq!(
        (
            t.symbol.as_ref(),
            text(t.last),
            text(t.bid),
            text(t.ask),
            text(t.open_24h),
            text(t.change_pct_24h),
            text(t.vwap_24h),
        ),
        (
            "BTCUSDT",
            "4.00000200".into(),
            "4.00000000".into(),
            "4.00000200".into(),
            "99.00000000".into(),
            "-95.960".into(),
            "0.29628482".into(),
        )
    );
    assert_eq!(t.exchange_ts, millis(1_499_869_899_040));

    let single =
        r#"{"symbol":"ETHUSDT","lastPrice":"1919.41","bidPrice":"1919.40","askPrice":"1919.42"}"#;
    let got = Binance.parse_rest_ticker(single).expect("object body");
    assert_eq!(
        (got[0].symbol.as_ref(), text(got[0].last)),
        ("ETHUSDT", "1919.41".into())
    );

    assert!(
        Binance
            .parse_rest_ticker(r#"{"code":-1121,"msg":"Invalid symbol."}"#)
            .is_err()
    );
    assert!(Binance.parse_rest_ticker("<html>").is_err());
}

#[test]
fn an_empty_book_side_clears_the_price() {
    // Binance prints an empty side as price and size zero.
    let both = r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
    let no_asks = r#"{"u":400900218,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"0.00000000","A":"0.00000000"}"#;
    let bnb = crate::symbol::Symbol::new("BNB", "USDT");
    let (t, line) = testkit::merged(&Binance, &bnb, &[both, no_asks]);
    assert_eq!(
        (text(t.bid), text(t.ask)),
        ("25.35190000".into(), "-".into())
    );
    assert_eq!(line["ask"], serde_json::Value::Null);
}
