use super::*;

use crate::exchange::testkit;

fn fixture(file: &str) -> String {
    testkit::recorded("kraken", file)
}

fn parse(frame: &str) -> Vec<Event<'_>> {
    testkit::parse(&Kraken::default(), frame)
}

fn s(d: Option<Decimal>) -> String {
    testkit::text(d)
}

fn one_ticker(frame: &str) -> WireTicker<'_> {
    match parse(frame).as_slice() {
        [Event::Ticker(t)] => t.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn recorded_v2_frames() {
    let text = fixture("ws-v2-ticker-excerpt.frames");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        parse(lines[0]),
        vec![Event::Status {
            status: "online".into(),
            healthy: true
        }]
    );
    assert_eq!(
        parse(lines[1]),
        vec![Event::Subscribed {
            symbol: Some("USDT/USD".into()),
            req_id: None,
        }]
    );
    assert_eq!(
        parse(lines[2]),
        vec![Event::SubscribeError {
            symbol: Some("NOPE/USD".into()),
            req_id: None,
            message: "Currency pair not supported NOPE/USD".into()
        }]
    );
    let t = one_ticker(lines[3]);
    assert_eq!(t.symbol, "USDT/USD");
    assert_eq!(s(t.bid), "0.99980");
    assert_eq!(s(t.ask), "0.99981");
    assert_eq!(s(t.last), "0.99981");
    assert_eq!(s(t.high_24h), "1.00000");
    assert_eq!(s(t.low_24h), "0.99959");
    assert_eq!(s(t.volume_24h), "270638277.50461281");
    assert_eq!(s(t.vwap_24h), "0.99983");
    assert_eq!(s(t.change_24h), "0.00005");
    assert_eq!(s(t.change_pct_24h), "0.01");
    assert_eq!(
        t.exchange_ts.unwrap().to_rfc3339(),
        "2026-09-24T03:54:18.054886+00:00"
    );
    assert_eq!(parse(lines[4]), vec![Event::Heartbeat]);
}

#[test]
fn own_frames_for_every_message_type() {
    let update = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65000.1,"bid_qty":0.5,"ask":65000.2,"ask_qty":1.25,"last":65000.10,"volume":1234.56780000,"vwap":64900.5,"low":64000.0,"high":65500.0,"change":100.0,"change_pct":0.15,"timestamp":"2026-11-21T10:00:00.123456Z"},{"symbol":"ETH/USD","bid":3000.01,"ask":3000.02,"last":3000.01,"volume":10,"vwap":2990,"low":2900,"high":3100,"change":-5.5,"change_pct":-0.18}]}"#;
    let events = parse(update);
    assert_eq!(events.len(), 2);
    let Event::Ticker(btc) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(s(btc.last), "65000.10");
    assert_eq!(s(btc.volume_24h), "1234.56780000");
    let Event::Ticker(eth) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!((s(eth.change_24h), eth.exchange_ts), ("-5.5".into(), None));

    let cases: &[(&str, Event<'_>)] = &[
        (
            r#"{"method":"pong","req_id":7,"time_in":"2026-11-21T10:00:00.000001Z","time_out":"2026-11-21T10:00:00.000002Z"}"#,
            Event::Pong { req_id: Some(7) },
        ),
        (
            r#"{"method":"unsubscribe","result":{"channel":"ticker","symbol":"ETH/USD"},"success":true,"time_in":"x","time_out":"y"}"#,
            Event::Unsubscribed {
                symbol: Some("ETH/USD".into()),
                req_id: None,
            },
        ),
        (
            r#"{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"maintenance","api_version":"v2","connection_id":18446744073709551615}]}"#,
            Event::Status {
                status: "maintenance".into(),
                healthy: false,
            },
        ),
        (
            r#"{"channel":"book","type":"update","data":[]}"#,
            Event::Ignored,
        ),
        (r#"{"channel":"spaceships","data":[]}"#, Event::Unknown),
        (r#"{"hello":"world"}"#, Event::Unknown),
        (
            r#"{"error":"EGeneral:Invalid arguments","method":"subscribe","success":false,"time_in":"x","time_out":"y"}"#,
            Event::SubscribeError {
                symbol: None,
                req_id: None,
                message: "EGeneral:Invalid arguments".into(),
            },
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(&parse(frame), &vec![want.clone()], "{frame}");
    }
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let k = Kraken::default();
    for frame in [
        "not json",
        r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":"abc"}]}"#,
        r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":1.0"#,
        r#"{"channel":"ticker","type":"update"}"#,
        r#"{"channel":"ticker","data":{"symbol":"BTC/USD"}}"#,
        "",
    ] {
        let mut out = Vec::new();
        assert!(k.parse(frame, &mut out).is_err(), "{frame}");
    }
}

#[test]
fn exponent_numbers_are_exact() {
    let t = one_ticker(
        r#"{"channel":"ticker","type":"update","data":[{"symbol":"SHIB/USD","bid":1e-05,"ask":1.2E-5,"last":0.00001}]}"#,
    );
    assert_eq!(
        (s(t.bid), s(t.ask), s(t.last)),
        ("0.00001".into(), "0.000012".into(), "0.00001".into())
    );
}

#[test]
fn subscribe_frames_follow_the_protocol() {
    let k = Kraken::default();
    let frames = k.subscribe(&["BTC/USD", "ETH/USD"], 3);
    let v: serde_json::Value = serde_json::from_str(&frames[0]).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD","ETH/USD"],"event_trigger":"bbo"},"req_id":3})
    );
    let frames = k.unsubscribe(&["ETH/USD"], 4);
    let v: serde_json::Value = serde_json::from_str(&frames[0]).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"method":"unsubscribe","params":{"channel":"ticker","symbol":["ETH/USD"]},"req_id":4})
    );
    assert_eq!(k.ping(9).unwrap(), r#"{"method":"ping","req_id":9}"#);
    let trades = Kraken {
        event_trigger: EventTrigger::Trades,
    };
    assert!(trades.subscribe(&["BTC/USD"], 1)[0].contains(r#""event_trigger":"trades""#));
}

#[test]
fn recorded_pair_list_resolves_every_spelling() {
    let body = fixture("rest-AssetPairs.json");
    let list = Kraken::default().parse_pair_list(&body).unwrap();
    // 304 entries, 11 of them dark-pool books without a WebSocket name.
    assert_eq!(list.len(), 293);
    for input in [
        "BTC/USD", "XBT/USD", "XBTUSD", "XXBTZUSD", "btc-usd", "BTCUSD",
    ] {
        let inst = list.resolve(input).unwrap();
        assert_eq!(inst.symbol.as_str(), "BTC/USD", "{input}");
        assert_eq!(
            (inst.wire.as_str(), inst.rest.as_str()),
            ("BTC/USD", "XBTUSD")
        );
        assert_eq!(inst.price_decimals, Some(1));
    }
    assert_eq!(list.resolve("XDG/USD").unwrap().wire, "DOGE/USD");
    assert_eq!(list.resolve("BTCUSDT").unwrap().symbol.as_str(), "BTC/USDT");
    assert_eq!(list.resolve("XETHZUSD").unwrap().symbol.as_str(), "ETH/USD");
    let err = list.resolve("BTC/USX").unwrap_err().to_string();
    assert!(err.contains("did you mean BTC/USD"), "{err}");
}

#[test]
fn rest_ticker_body() {
    let body = r#"{"error":[],"result":{"XXBTZUSD":{"a":["65000.20000","1","1.000"],"b":["65000.10000","2","2.000"],"c":["65000.10000","0.00100000"],"v":["100.5","1234.56780000"],"p":["64950.1","64900.50000"],"t":[100,2000],"l":["64000.0","63900.00000"],"h":["65500.0","65600.00000"],"o":"64800.00000"}}}"#;
    let tickers = Kraken::default().parse_rest_ticker(body).unwrap();
    assert_eq!(tickers.len(), 1);
    let t = &tickers[0];
    assert_eq!(t.symbol, "XXBTZUSD");
    assert_eq!(
        (s(t.last), s(t.bid), s(t.ask)),
        (
            "65000.10000".into(),
            "65000.10000".into(),
            "65000.20000".into()
        )
    );
    assert_eq!(
        (s(t.high_24h), s(t.low_24h), s(t.volume_24h), s(t.vwap_24h)),
        (
            "65600.00000".into(),
            "63900.00000".into(),
            "1234.56780000".into(),
            "64900.50000".into()
        )
    );
    assert_eq!(t.open_24h, None);
    let err = Kraken::default()
        .parse_rest_ticker(r#"{"error":["EQuery:Unknown asset pair"]}"#)
        .unwrap_err();
    assert!(err.to_string().contains("Unknown asset pair"));
    assert_eq!(
        Kraken::default().rest_ticker_paths(&["XBTUSD", "ETHUSD"]),
        vec!["/0/public/Ticker?pair=XBTUSD,ETHUSD".to_string()]
    );
}

#[test]
fn ticker_data_before_channel_and_failed_frames() {
    let ordered = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","last":65000.10,"bid":1e-08,"ask":"2.50","timestamp":"2026-11-21T10:00:00.123456Z"}]}"#;
    let reversed = r#"{"data":[{"symbol":"BTC/USD","last":65000.10,"bid":1e-08,"ask":"2.50","timestamp":"2026-11-21T10:00:00.123456Z"}],"type":"update","channel":"ticker"}"#;
    assert_eq!(parse(ordered), parse(reversed));
    let t = one_ticker(ordered);
    assert_eq!(s(t.last), "65000.10");
    assert_eq!(s(t.bid), "0.00000001");
    assert_eq!(s(t.ask), "2.50");
    // The second element is malformed: the frame is an error and yields nothing.
    let bad = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","last":1.5},{"symbol":"ETH/USD","last":"x"}]}"#;
    let mut out = Vec::new();
    assert!(Kraken::default().parse(bad, &mut out).is_err());
    assert!(out.is_empty());
    let twice = r#"{"channel":"ticker","channel":"ticker","data":[]}"#;
    assert!(Kraken::default().parse(twice, &mut out).is_err());
    let no_data = r#"{"channel":"ticker","type":"update"}"#;
    assert!(Kraken::default().parse(no_data, &mut out).is_err());
}

#[test]
fn positional_frames_read_as_derived_structs_read_them() {
    // An empty array is a message with no fields: unknown, not an error.
    assert_eq!(parse("[]"), vec![Event::Unknown]);
    assert_eq!(parse(r#"["heartbeat"]"#), vec![Event::Heartbeat]);
    // A v1 frame is not a v2 message.
    let mut out = Vec::new();
    assert!(
        Kraken::default()
            .parse(
                r#"[340,{"a":["1.0",0,"1.0"]},"ticker","XBT/USD"]"#,
                &mut out
            )
            .is_err()
    );
    assert!(out.is_empty());
}

#[test]
fn exchange_time_belongs_to_the_frame() {
    let stamped = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65000.1,"ask":65000.2,"last":65000.10,"timestamp":"2026-11-21T10:00:00.123456Z"}]}"#;
    let unstamped = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65000.3,"ask":65000.4,"last":65000.30}]}"#;
    let btc = Symbol::new("BTC", "USD");
    let (t, line) = testkit::merged(&Kraken::default(), &btc, &[stamped, unstamped]);
    assert_eq!(s(t.bid), "65000.3");
    assert_eq!(t.exchange_ts, None);
    assert_eq!(line["exchange_ts"], serde_json::Value::Null);
    let (t, _) = testkit::merged(&Kraken::default(), &btc, &[unstamped, stamped]);
    assert_eq!(
        t.exchange_ts.map(|t| t.to_rfc3339()),
        Some("2026-11-21T10:00:00.123456+00:00".into())
    );
}

#[test]
fn a_null_book_side_clears_the_price() {
    let both = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65000.1,"ask":65000.2,"last":65000.10}]}"#;
    let no_asks = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65000.1,"ask":null,"last":65000.10}]}"#;
    // The same frame in the spelling only the general reader takes (a quoted number).
    let no_asks_quoted = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":"65000.1","ask":null,"last":65000.10}]}"#;
    let btc = Symbol::new("BTC", "USD");
    for second in [no_asks, no_asks_quoted] {
        let (t, line) = testkit::merged(&Kraken::default(), &btc, &[both, second]);
        assert_eq!(
            (s(t.bid), s(t.ask)),
            ("65000.1".into(), "-".into()),
            "{second}"
        );
        assert_eq!(line["ask"], serde_json::Value::Null);
    }
}
