//! Table tests of the simulator's Kraken encoder and request handling against the shapes
//! of recorded v2 frames (`tests/fixtures/recorded/kraken/ws-v2-ticker-excerpt.frames`).

use super::kraken::Kraken;
use super::market::Quote;
use super::testkit::{d, setup};
use super::venue::{Conn, FrameKind, Inbound, Subscriptions, Venue};

const NOW: &str = "2026-09-24T03:54:28.829165Z";

#[test]
fn status_and_ticker_frames_match_the_recorded_bytes() {
    let (k, market) = setup(Kraken::new());
    assert_eq!(
        k.status(true, 9_471_984_923_908_980_762).unwrap(),
        r#"{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":9471984923908980762}]}"#
    );
    let q = Quote {
        bid: d("0.99980"),
        bid_qty: d("44620.68691883"),
        ask: d("0.99981"),
        ask_qty: d("1087605.70466858"),
        last: d("0.99981"),
        last_qty: d("1.00000000"),
        volume: d("270638277.50461281"),
        vwap: d("0.99983"),
        low: d("0.99959"),
        high: d("1.00000"),
        open: d("0.99976"),
        change: d("0.00005"),
        change_pct: d("0.01"),
        trades: 38144,
    };
    let usdt = market.index_of("USDT/USD").unwrap();
    let frame = k
        .ticker(usdt, &q, FrameKind::Snapshot)
        .stamp("2026-09-24T03:54:18.054886Z");
    assert_eq!(
        frame,
        r#"{"channel":"ticker","type":"snapshot","data":[{"symbol":"USDT/USD","bid":0.99980,"bid_qty":44620.68691883,"ask":0.99981,"ask_qty":1087605.70466858,"last":0.99981,"volume":270638277.50461281,"vwap":0.99983,"low":0.99959,"high":1.00000,"change":0.00005,"change_pct":0.01,"trades":38144,"timestamp":"2026-09-24T03:54:18.054886Z"}]}"#
    );
    assert!(
        k.ticker(usdt, &q, FrameKind::Update)
            .prefix
            .contains("\"type\":\"update\"")
    );
}

#[test]
fn acks_and_errors_match_the_recorded_shapes() {
    let (k, market) = setup(Kraken::new());
    let req =
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["USDT/USD","NOPE/USD"]}}"#;
    let Inbound::Subscribe { replies, add } =
        k.handle(req, &Subscriptions::default(), &mut Conn::default(), NOW)
    else {
        panic!("not a subscribe");
    };
    assert_eq!(
        replies,
        [
            format!(
                r#"{{"method":"subscribe","result":{{"channel":"ticker","event_trigger":"trades","snapshot":true,"symbol":"USDT/USD"}},"success":true,"time_in":"{NOW}","time_out":"{NOW}"}}"#
            ),
            format!(
                r#"{{"error":"Currency pair not supported NOPE/USD","method":"subscribe","success":false,"symbol":"NOPE/USD","time_in":"{NOW}","time_out":"{NOW}"}}"#
            ),
        ]
    );
    assert_eq!(add, [(market.index_of("USDT/USD").unwrap(), true)]);
}

#[test]
fn request_handling_cases() {
    let (k, market) = setup(Kraken::new());
    let btc = market.index_of("BTC/USD").unwrap();
    let subscribed = Subscriptions { active: vec![btc] };
    let none = Subscriptions::default();
    let handle = |text: &str, subs: &Subscriptions| k.handle(text, subs, &mut Conn::default(), NOW);

    // Options are echoed; no snapshot when asked for none; duplicates in one request.
    let r = handle(
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD","BTC/USD"],"event_trigger":"bbo","snapshot":false},"req_id":3}"#,
        &none,
    );
    let Inbound::Subscribe { replies, add } = r else {
        panic!("{r:?}")
    };
    assert!(replies[0].contains(
        r#""req_id":3,"result":{"channel":"ticker","event_trigger":"bbo","snapshot":false"#
    ));
    assert!(replies[1].contains("Already subscribed"));
    assert_eq!(add, [(btc, false)]);

    let r = handle(
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"]}}"#,
        &subscribed,
    );
    assert!(
        matches!(&r, Inbound::Subscribe { add, replies } if add.is_empty() && replies[0].contains("Already subscribed"))
    );

    let r = handle(
        r#"{"method":"unsubscribe","params":{"channel":"ticker","symbol":["BTC/USD","ETH/USD"]},"req_id":4}"#,
        &subscribed,
    );
    let Inbound::Unsubscribe { replies, remove } = r else {
        panic!("{r:?}")
    };
    assert_eq!(remove, [btc]);
    assert!(replies[0].starts_with(r#"{"method":"unsubscribe","req_id":4,"result":{"channel":"ticker","symbol":"BTC/USD"},"success":true"#));
    assert!(
        replies[1].contains("Subscription Not Found")
            && replies[1].contains(r#""symbol":"ETH/USD""#)
    );

    assert_eq!(
        handle(r#"{"method":"ping"}"#, &none),
        Inbound::Ping {
            reply: format!(r#"{{"method":"pong","time_in":"{NOW}","time_out":"{NOW}"}}"#)
        }
    );
    for (bad, needle) in [
        ("", "Malformed request"),
        ("{}", "Malformed request"),
        (
            r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}"#,
            "book",
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"event_trigger":"x"}}"#,
            "event_trigger",
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"snapshot":"yes"}}"#,
            "snapshot",
        ),
        (
            r#"{"method":"subscribe","params":{"channel":"ticker"}}"#,
            "symbol",
        ),
        (r#"{"method":"fly","req_id":"x\"y"}"#, "Method not found"),
    ] {
        let r = handle(bad, &none);
        let Inbound::Invalid { reply } = r else {
            panic!("{bad}: {r:?}")
        };
        assert!(reply.contains(needle), "{bad}: {reply}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&reply).is_ok(),
            "{reply}"
        );
    }
    // A symbol with quotes is echoed as valid JSON.
    let r = handle(
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["A\"B",7]}}"#,
        &none,
    );
    let Inbound::Subscribe { replies, .. } = r else {
        panic!("{r:?}")
    };
    for reply in replies {
        assert!(
            serde_json::from_str::<serde_json::Value>(&reply).is_ok(),
            "{reply}"
        );
    }
}

#[test]
fn pair_names_and_dark_pool() {
    let (k, market) = setup(Kraken::new());
    let doge = market.index_of("DOGE/USD").unwrap();
    let entry = k.listing.streamed(doge).unwrap();
    assert_eq!(
        (entry.key.as_str(), entry.wsname.as_deref()),
        ("XDGUSD", Some("XDG/USD"))
    );
    assert_eq!(market.specs()[doge].price_decimals, 7);
    assert!(market.index_of("XBT/USD").is_none(), "v2 names only");
    assert_eq!(
        market.specs().len() + 1,
        k.listing.entries().len(),
        "all but the dark pool stream"
    );
}
