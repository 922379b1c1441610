//! `KuCoin` adapter tests: every recorded frame in `tests/fixtures/recorded/kucoin` (a
//! missing file fails the test), plus frames and bodies in the real formats for what was never
//! recorded (pong, errors, bullet-public, REST stats) from `tests/fixtures/kucoin`.

use std::time::Duration;

use super::{Kucoin, MAX_TOPICS_PER_REQUEST};
use crate::exchange::{Event, Exchange, ParseError, WireTicker};
use crate::model::ExchangeId;

use crate::exchange::testkit::{self, text};

const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/kucoin");

fn recorded(file: &str) -> String {
    testkit::recorded("kucoin", file)
}

fn parse(frame: &str) -> Vec<Event<'_>> {
    testkit::parse(&Kucoin, frame)
}

fn own(name: &str) -> String {
    std::fs::read_to_string(format!("{OWN}/{name}")).expect("own fixture readable")
}

fn one_ticker<'a>(events: &'a [Event<'a>], what: &str) -> &'a WireTicker<'a> {
    match events {
        [Event::Ticker(t)] => t,
        other => panic!("{what}: {other:?}"),
    }
}

#[test]
fn recorded_session_yields_expected_events() {
    let frames = recorded("ws-spot.frames");
    let (mut tickers, mut acks, mut welcome, mut ignored, mut other) = (0, 0, 0, 0, 0);
    for line in frames.lines() {
        for ev in parse(line) {
            match ev {
                Event::Ticker(t) => {
                    assert!(t.last.is_some() && t.bid.is_some() && t.ask.is_some());
                    assert!(t.exchange_ts.is_some() && !t.symbol.is_empty());
                    tickers += 1;
                }
                Event::Subscribed { symbol: None, .. } => acks += 1,
                Event::Status { healthy: true, .. } => welcome += 1,
                Event::Ignored => ignored += 1,
                _ => other += 1,
            }
        }
    }
    // README: welcome, 13 acks, 830 tickers, 18 match + 6 candles + 60 level2.
    assert_eq!(
        (welcome, acks, tickers, ignored, other),
        (1, 13, 830, 84, 0)
    );
}

#[test]
fn recorded_tickers_keep_exact_decimals() {
    let session = recorded("ws-spot.frames");
    let excerpt = recorded("ws-ticker-excerpt.frames");
    let session: Vec<&str> = session.lines().collect();
    let excerpt: Vec<&str> = excerpt.lines().collect();
    // frame, symbol, last, bid, ask, time ms
    #[rustfmt::skip]
    let cases = [
        (session[13], "SNX-BTC", "0.00028676", "0.00028678", "0.00028717", 1_619_378_326_323),
        (session[15], "BCHSV-USDT", "243.65", "242.654", "242.951", 1_619_378_326_330),
        (excerpt[0], "FET-BTC", "0.000018628", "0.000018622", "0.000018679", 1_677_321_643_926),
        // `/market/ticker:all`: the symbol comes from `subject`.
        (excerpt[1], "FTM-ETH", "0.0002894", "0.0002894", "0.0002901", 1_677_320_967_673),
    ];
    for (frame, symbol, last, bid, ask, ms) in cases {
        let events = parse(frame);
        let t = one_ticker(&events, symbol);
        let got = (t.symbol.as_ref(), text(t.last), text(t.bid), text(t.ask));
        assert_eq!(got, (symbol, last.into(), bid.into(), ask.into()));
        assert_eq!(
            t.exchange_ts.map(|t| t.timestamp_millis()),
            Some(ms),
            "{symbol}"
        );
        assert_eq!(
            (t.open_24h, t.high_24h, t.volume_24h),
            (None, None, None),
            "BBO only"
        );
    }
}

#[test]
fn recorded_snapshots_carry_exact_24h_stats() {
    let frames = recorded("ws-market-snapshot-excerpt.frames");
    let lines: Vec<&str> = frames.lines().collect();
    // line, symbol, last, bid, ask, open, high, change, change %, volume
    #[rustfmt::skip]
    let cases = [
        (0, "TRX-BTC", "0.004415", "0.004411", "0.004415", "0.00441500000000000000",
             "0.00444500000000000000", "0.00000000000000000000", "0.00",
             "13097.33570000000000000000"),
        (1, "ETH-BTC", "0.053778", "0.053778", "0.053779", "0.05423600000000000000",
             "0.05484600000000000000", "-0.00045800000000000000", "-0.84",
             "2958.31391160000000000000"),
        (2, "BTC-USDT", "37366.8", "37366.7", "37366.8", "37195.30000000000000000000",
             "37750.00000000000000000000", "171.50000000000000000000", "0.46",
             "2900.37846402000000000000"),
    ];
    for (line, symbol, last, bid, ask, open, high, change, pct, vol) in cases {
        let events = parse(lines[line]);
        let t = one_ticker(&events, symbol);
        #[rustfmt::skip]
        let got = [
            text(t.last), text(t.bid), text(t.ask), text(t.open_24h), text(t.high_24h),
            text(t.change_24h), text(t.change_pct_24h), text(t.volume_24h),
        ];
        assert_eq!(t.symbol, symbol);
        assert_eq!(
            got,
            [last, bid, ask, open, high, change, pct, vol],
            "{symbol}"
        );
    }
    let events = parse(lines[2]);
    let t = one_ticker(&events, "BTC-USDT");
    assert_eq!(text(t.low_24h), "36700.00000000000000000000");
    assert_eq!(
        t.exchange_ts.map(|t| t.timestamp_millis()),
        Some(1_700_555_342_151)
    );
}

#[test]
fn control_and_other_frames() {
    let cases: [(&str, Event<'_>); 9] = [
        (
            r#"{"id":"1545910590801","type":"pong"}"#,
            Event::Pong {
                req_id: Some(1_545_910_590_801),
            },
        ),
        (
            r#"{"type":"pong","id":"7"}"#,
            Event::Pong { req_id: Some(7) },
        ),
        (
            r#"{"id":"1","type":"ack"}"#,
            Event::Subscribed {
                symbol: None,
                req_id: Some(1),
            },
        ),
        (
            r#"{"id":"1665514264414","type":"error","code":404,"data":"topic /market/match:ETH-UrSDT is not found"}"#,
            Event::SubscribeError {
                symbol: Some("ETH-UrSDT".into()),
                req_id: Some(1_665_514_264_414),
                message: "kucoin error 404: topic /market/match:ETH-UrSDT is not found".into(),
            },
        ),
        (
            r#"{"id":"9","type":"error","code":509,"data":"exceed max subscription count limitation of 100 per time"}"#,
            Event::SubscribeError {
                symbol: None,
                req_id: Some(9),
                message:
                    "kucoin error 509: exceed max subscription count limitation of 100 per time"
                        .into(),
            },
        ),
        (
            r#"{"id":"9","type":"error","code":"404","data":"topic /market/ticker:AAA-USDT,BBB-USDT is not found"}"#,
            // Several symbols: the request id says which (all of the chunk it answers).
            Event::SubscribeError {
                symbol: None,
                req_id: Some(9),
                message: "kucoin error 404: topic /market/ticker:AAA-USDT,BBB-USDT is not found"
                    .into(),
            },
        ),
        (
            r#"{"type":"message","topic":"/spotMarket/level2Depth5:BTC-USDT","subject":"level2","data":{"asks":[["9989","8"]],"bids":[["9983","3"]],"timestamp":1586948108193}}"#,
            Event::Ignored,
        ),
        (
            r#"{"type":"message","topic":"/market/somethingNew:BTC-USDT","subject":"x","data":{}}"#,
            Event::Unknown,
        ),
        (
            r#"{"id":"3","type":"notice","data":"hello"}"#,
            Event::Unknown,
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(parse(frame), [want], "{frame}");
    }
    let mut out = Vec::new();
    for bad in [
        "{\"type\":",
        "pong",
        r#"{"type":"message","topic":"/market/ticker:X","data":{"price":"abc"}}"#,
    ] {
        assert!(Kucoin.parse(bad, &mut out).is_err(), "{bad}");
    }
    assert!(out.is_empty());
}

#[test]
fn snapshot_data_as_array_yields_each_symbol() {
    let frame = r#"{"type":"message","topic":"/market/snapshot:BTC","subject":"trade.snapshot","data":{"sequence":"1","data":[{"symbol":"ETH-BTC","lastTradedPrice":0.0536,"changeRate":-0.5,"datetime":1700555340197},{"symbol":"TRX-BTC","lastTradedPrice":0.004415,"changeRate":0.0000}]}}"#;
    let events = parse(frame);
    let got: Vec<(&str, String, String)> = events
        .iter()
        .map(|e| match e {
            Event::Ticker(t) => (t.symbol.as_ref(), text(t.last), text(t.change_pct_24h)),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ETH-BTC", "0.0536".into(), "-50".into()),
            ("TRX-BTC", "0.004415".into(), "0.00".into())
        ]
    );
}

#[test]
fn subscribe_frames_match_the_recorded_request() {
    let wire = [
        "EQZ-BTC",
        "ANKR-BTC",
        "SNX-BTC",
        "FET-BTC",
        "BCHSV-USDT",
        "NRG-BTC",
        "CAPP-BTC",
        "DAPPT-BTC",
        "COV-BTC",
        "LTX-USDT",
    ];
    let frames = Kucoin.subscribe(&wire, 1);
    assert_eq!(frames.len(), 2);
    let sent = recorded("ws-spot.sent");
    let ticker_line = sent.lines().find(|l| l.contains("/market/ticker:"));
    assert_eq!(Some(frames[0].as_str()), ticker_line);
    assert_eq!(
        frames[1],
        r#"{"id":2,"type":"subscribe","topic":"/market/snapshot:EQZ-BTC,ANKR-BTC,SNX-BTC,FET-BTC,BCHSV-USDT,NRG-BTC,CAPP-BTC,DAPPT-BTC,COV-BTC,LTX-USDT","privateChannel":false,"response":true}"#
    );
    assert_eq!(
        Kucoin.unsubscribe(&["BTC-USDT"], 40),
        [
            r#"{"id":40,"type":"unsubscribe","topic":"/market/ticker:BTC-USDT","privateChannel":false,"response":true}"#,
            r#"{"id":41,"type":"unsubscribe","topic":"/market/snapshot:BTC-USDT","privateChannel":false,"response":true}"#,
        ]
    );
    assert!(Kucoin.subscribe(&[], 1).is_empty());
    // 250 symbols: chunks of 100, 100, 50, each as ticker + snapshot.
    let many: Vec<String> = (0..250).map(|i| format!("C{i}-USDT")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let frames = Kucoin.subscribe(&refs, 10);
    let topics: Vec<usize> = frames.iter().map(|f| f.matches("-USDT").count()).collect();
    assert_eq!(topics, [100, 100, 100, 100, 50, 50]);
    assert!(topics.iter().all(|&n| n <= MAX_TOPICS_PER_REQUEST));
    assert!(frames[5].starts_with(r#"{"id":15,"#) && frames[5].contains("/market/snapshot:C200-"));
}

#[test]
fn keep_alive_is_json_ping() {
    assert_eq!(
        Kucoin.ping(42).as_deref(),
        Some(r#"{"id":"42","type":"ping"}"#)
    );
    assert_eq!(Kucoin.ping_interval(), Duration::from_secs(18));
    assert_eq!(Kucoin.default_ws_url(), "wss://ws-api-spot.kucoin.com/");
    assert_eq!(Kucoin.default_rest_url(), "https://api.kucoin.com");
    let adapter = crate::exchange::adapter(ExchangeId::Kucoin).expect("kucoin adapter");
    assert_eq!(adapter.id(), ExchangeId::Kucoin);
}

#[test]
fn bootstrap_builds_the_url_with_and_without_override() {
    assert_eq!(Kucoin.ws_bootstrap_path(), Some("/api/v1/bullet-public"));
    let body = own("bullet-public.json");
    let token = "2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh_55i3Ysy2q2LEsEWU64mdzUOPusi34M_wGoSf7iNyEWJ4aBZXpWhrmY9jAtqVVDfbVpd6MXMmFCvRUnHPCGOqbZBbXMZAhwTDrlMx-w_yuA%3D%3D.Zq8%2FkQ%2BtRBm7gE3V8Xw1Pw%3D%3D";
    let boot = Kucoin
        .ws_url_from_bootstrap(&body, None)
        .expect("bootstrap");
    let url = boot.url;
    let prefix = format!("wss://ws-api-spot.kucoin.com/?token={token}&connectId=");
    assert!(url.starts_with(&prefix), "{url}");
    let connect_id = &url[prefix.len()..];
    assert_eq!(connect_id.len(), 16, "{url}");
    assert_eq!(boot.ping_interval, Some(Duration::from_secs(18)));
    assert_eq!(boot.pong_timeout, Some(Duration::from_secs(10)));
    // --ws-url replaces the host, keeps the token and the connection id.
    let local = Kucoin
        .ws_url_from_bootstrap(&body, Some("ws://127.0.0.1:9001/kucoin"))
        .expect("bootstrap")
        .url;
    assert_eq!(
        local,
        format!("ws://127.0.0.1:9001/kucoin?token={token}&connectId={connect_id}")
    );
    let with_query = Kucoin
        .ws_url_from_bootstrap(&body, Some("ws://127.0.0.1:9001/?v=1"))
        .expect("bootstrap")
        .url;
    assert!(
        with_query.starts_with("ws://127.0.0.1:9001/?v=1&token=2neA"),
        "{with_query}"
    );
    // A new token means a new connection id.
    let other = body.replace("2neA", "3xyz");
    let url2 = Kucoin
        .ws_url_from_bootstrap(&other, None)
        .expect("bootstrap")
        .url;
    assert!(!url2.ends_with(connect_id));
    for bad in [
        r#"{"code":"200000","data":{"token":"t","instanceServers":[]}}"#,
        r#"{"code":"429000","msg":"Too Many Requests"}"#,
        "<html>",
    ] {
        assert!(Kucoin.ws_url_from_bootstrap(bad, None).is_err(), "{bad}");
    }
}

#[test]
fn pair_list_resolves_both_spellings() {
    let body = recorded("rest-v1-symbols.subset.json");
    assert_eq!(Kucoin.pair_list_path(), "/api/v2/symbols");
    let list = Kucoin.parse_pair_list(&body).expect("pair list");
    assert_eq!(list.len(), 7);
    #[rustfmt::skip]
    let cases = [
        ("BTC/USDT", "BTC/USDT", "BTC-USDT", Some(1)),
        ("btc-usdt", "BTC/USDT", "BTC-USDT", Some(1)),
        ("BSV/USDT", "BSV/USDT", "BCHSV-USDT", Some(3)),
        ("BCHSV-USDT", "BSV/USDT", "BCHSV-USDT", Some(3)),
        ("bchsv/usdt", "BSV/USDT", "BCHSV-USDT", Some(3)),
        ("SNXBTC", "SNX/BTC", "SNX-BTC", Some(8)),
        ("LTX/USDT", "LTX/USDT", "LTX-USDT", Some(4)),
    ];
    testkit::assert_resolves(&list, &cases);
    testkit::assert_suggests(&list, "BTC/USD", &["BTC/USDT"]);
}

#[test]
fn pair_list_v2_skips_disabled_symbols() {
    let list = Kucoin
        .parse_pair_list(&own("symbols-v2.json"))
        .expect("pair list");
    assert_eq!(list.len(), 1);
    assert!(list.resolve("BTC/USDT").is_ok());
    assert!(list.resolve("OLD/USDT").is_err());
    let err = Kucoin.parse_pair_list(r#"{"code":"400100","msg":"Bad Request"}"#);
    assert!(matches!(err, Err(ParseError::Schema(m)) if m.contains("400100")));
}

#[test]
fn rest_stats_ticker() {
    assert_eq!(
        Kucoin.rest_ticker_paths(&["BTC-USDT", "BCHSV-USDT"]),
        [
            "/api/v1/market/stats?symbol=BTC-USDT",
            "/api/v1/market/stats?symbol=BCHSV-USDT"
        ]
    );
    let body = own("market-stats.json");
    let got = Kucoin.parse_rest_ticker(&body).expect("stats");
    let [t] = got.as_slice() else {
        panic!("{got:?}");
    };
    #[rustfmt::skip]
    let fields = [
        text(t.last), text(t.bid), text(t.ask), text(t.high_24h), text(t.low_24h),
        text(t.change_24h), text(t.change_pct_24h), text(t.volume_24h),
    ];
    assert_eq!(t.symbol, "BTC-USDT");
    assert_eq!(
        fields,
        [
            "67251.4",
            "67251.3",
            "67251.4",
            "68420",
            "66810.1",
            "-837.5",
            "-1.23",
            "1873.44218102"
        ]
    );
    assert_eq!(
        t.exchange_ts.map(|t| t.timestamp_millis()),
        Some(1_717_000_000_456)
    );
    assert!(
        Kucoin
            .parse_rest_ticker(&own("market-stats-unknown.json"))
            .expect("stats")
            .is_empty()
    );
    let err = Kucoin.parse_rest_ticker(r#"{"code":"429000","msg":"Too Many Requests"}"#);
    assert!(matches!(err, Err(ParseError::Schema(m)) if m.contains("429000")));
}

#[test]
fn an_empty_book_side_clears_the_price() {
    let both = r#"{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker","data":{"sequence":"1","price":"67000.1","size":"0.01","bestBid":"67000.0","bestBidSize":"1","bestAsk":"67000.2","bestAskSize":"1","time":1700000000000}}"#;
    let no_bids = r#"{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker","data":{"sequence":"2","price":"67000.1","size":"0.01","bestBid":null,"bestBidSize":null,"bestAsk":"67000.3","bestAskSize":"1","time":1700000000100}}"#;
    let btc = crate::symbol::Symbol::new("BTC", "USDT");
    let (t, line) = testkit::merged(&Kucoin, &btc, &[both, no_bids]);
    assert_eq!((text(t.bid), text(t.ask)), ("-".into(), "67000.3".into()));
    assert_eq!(line["bid"], serde_json::Value::Null);
}
