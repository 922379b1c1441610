//! Table tests of the simulator's `KuCoin` encoder and request handling: the frames it sends
//! are read back with the client's own `KuCoin` adapter, and compared with the shapes of
//! recorded frames (`tests/fixtures/recorded/kucoin/ws-spot.frames`, `ws-*-excerpt.frames`).

use std::time::Duration;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::kucoin::Kucoin;
use super::market::Quote;
use super::testkit::{self, d, setup};
use super::venue::{Conn, FrameKind, Inbound, Maintenance, RestRoutes, Subscriptions, Venue};
use pricewire_core::exchange::kucoin::Kucoin as KucoinAdapter;
use pricewire_core::exchange::{Event, Exchange, WireTicker};
use pricewire_core::symbol::Symbol;

fn events(frame: &str) -> Vec<Event<'static>> {
    testkit::events(&KucoinAdapter, frame)
}

fn quote() -> Quote {
    Quote {
        bid: d("37366.7"),
        bid_qty: d("0.68148185"),
        ask: d("37366.8"),
        ask_qty: d("4.51280965"),
        last: d("37366.8"),
        last_qty: d("0.08000012"),
        volume: d("2900.37846402"),
        vwap: d("37110.3"),
        low: d("36700.0"),
        high: d("37750.0"),
        open: d("37195.3"),
        change: d("171.5"),
        change_pct: d("0.46"),
        trades: 7,
    }
}

#[test]
fn symbol_list_reads_with_the_adapter() {
    let (k, market) = setup(Kucoin::new());
    let list = KucoinAdapter
        .parse_pair_list(super::kucoin::SYMBOLS)
        .unwrap();
    assert!(list.len() >= 10, "{}", list.len());
    let bsv = list.get(&Symbol::new("BSV", "USDT")).unwrap();
    assert_eq!(bsv.wire, "BCHSV-USDT");
    assert_eq!(bsv.aliases, vec!["BSV-USDT".to_string()]);
    let cases = [
        ("BTC/USDT", 1),
        ("ETH/USDT", 2),
        ("SOL/USDT", 3),
        ("BTC/USDC", 1),
        ("BSV/USDT", 3),
    ];
    testkit::assert_listed(&list, &market, |w| k.listing.index_of(w), &cases);
}

#[test]
fn token_reply_leads_back_to_the_simulator() {
    let (k, _) = setup(Kucoin::new());
    assert!(
        k.rest_post("/api/v1/bullet-private", "h:1", Duration::from_secs(18))
            .is_none()
    );
    let r = k
        .rest_post(
            "/api/v1/bullet-public",
            "127.0.0.1:9",
            Duration::from_secs(18),
        )
        .unwrap();
    let boot = KucoinAdapter.ws_url_from_bootstrap(&r.body, None).unwrap();
    let url = boot.url;
    assert!(url.starts_with("ws://127.0.0.1:9/?token="), "{url}");
    assert!(url.contains("&connectId="), "{url}");
    assert_eq!(boot.ping_interval, Some(Duration::from_secs(18)));
    assert_eq!(boot.pong_timeout, Some(Duration::from_secs(10)));
    let other = k
        .rest_post(
            "/api/v1/bullet-public",
            "127.0.0.1:9",
            Duration::from_secs(18),
        )
        .unwrap();
    assert_ne!(r.body, other.body, "a fresh token each time");

    let query = url.split_once('?').unwrap().1;
    let connect_id = query.split_once("connectId=").unwrap().1;
    let welcome = k.welcome(Some(query), true, 5).unwrap();
    assert_eq!(
        welcome,
        format!(r#"{{"id":"{connect_id}","type":"welcome"}}"#)
    );
    assert!(matches!(
        &events(&welcome)[0],
        Event::Status { healthy: true, .. }
    ));
    assert_eq!(
        k.welcome(None, true, 255).unwrap(),
        r#"{"id":"ff","type":"welcome"}"#
    );
    assert!(k.is_ws_path("/") && k.is_ws_path("/endpoint") && !k.is_ws_path("/v2"));
}

#[test]
fn subscribe_acks_per_request_and_rejects_unknown_topics() {
    let (k, _) = setup(Kucoin::new());
    let btc = k.listing.index_of("BTC-USDT").unwrap();
    let eth = k.listing.index_of("ETH-USDT").unwrap();
    let none = Subscriptions::default();
    let frames = KucoinAdapter.subscribe(&["BTC-USDT", "ETH-USDT"], 7);
    assert_eq!(frames.len(), 2, "ticker and snapshot topics");
    let Inbound::Subscribe { replies, add } = k.handle(&frames[0], &none, &mut Conn::default(), "")
    else {
        panic!("not a subscribe");
    };
    assert_eq!(replies, vec![r#"{"id":"7","type":"ack"}"#.to_string()]);
    assert_eq!(add, vec![(2 * btc, false), (2 * eth, false)]);
    assert_eq!(
        events(&replies[0]),
        vec![Event::Subscribed {
            symbol: None,
            req_id: Some(7),
        }]
    );
    let Inbound::Subscribe { replies, add } = k.handle(&frames[1], &none, &mut Conn::default(), "")
    else {
        panic!("not a subscribe");
    };
    assert_eq!(replies, vec![r#"{"id":"8","type":"ack"}"#.to_string()]);
    assert_eq!(add, vec![(2 * btc + 1, true), (2 * eth + 1, true)]);
    assert_eq!(k.market_of(2 * eth + 1), eth);
    assert_eq!(k.stream_period(2 * eth + 1), Some(Duration::from_secs(2)));
    assert_eq!(k.stream_period(2 * eth), None);

    let bad = r#"{"id":"x1","type":"subscribe","topic":"/market/ticker:BTC-USDT,NOPE-USDT","privateChannel":false,"response":true}"#;
    let subs = Subscriptions {
        active: vec![2 * btc],
    };
    let Inbound::Subscribe { replies, add } = k.handle(bad, &subs, &mut Conn::default(), "") else {
        panic!("not a subscribe");
    };
    assert!(add.is_empty(), "BTC-USDT is already streaming");
    assert_eq!(
        replies[0],
        r#"{"id":"x1","type":"error","code":404,"data":"topic /market/ticker:NOPE-USDT is not found"}"#
    );
    let Event::SubscribeError {
        symbol, message, ..
    } = &events(&replies[0])[0]
    else {
        panic!("{}", replies[0]);
    };
    assert_eq!(symbol.as_deref(), Some("NOPE-USDT"));
    assert!(message.contains("404"), "{message}");
    assert_eq!(replies[1], r#"{"id":"x1","type":"ack"}"#);

    let quiet = r#"{"id":3,"type":"subscribe","topic":"/market/ticker:ETH-USDT","response":false}"#;
    assert!(
        matches!(k.handle(quiet, &none, &mut Conn::default(), ""), Inbound::Subscribe { replies, .. } if replies.is_empty())
    );
    let other = r#"{"id":4,"type":"subscribe","topic":"/market/match:ETH-USDT","response":true}"#;
    let Inbound::Invalid { reply } = k.handle(other, &none, &mut Conn::default(), "") else {
        panic!("unknown topic");
    };
    assert!(
        reply.contains("topic /market/match:ETH-USDT is not found"),
        "{reply}"
    );

    let un = KucoinAdapter.unsubscribe(&["BTC-USDT"], 9);
    let Inbound::Unsubscribe { replies, remove } =
        k.handle(&un[0], &subs, &mut Conn::default(), "")
    else {
        panic!("not an unsubscribe");
    };
    assert_eq!(remove, vec![2 * btc]);
    assert_eq!(replies, vec![r#"{"id":"9","type":"ack"}"#.to_string()]);
}

#[test]
fn keep_alive_and_bad_requests() {
    let (k, _) = setup(Kucoin::new());
    let none = Subscriptions::default();
    let ping = KucoinAdapter.ping(42).unwrap();
    let Inbound::Ping { reply } = k.handle(&ping, &none, &mut Conn::default(), "") else {
        panic!("ping");
    };
    assert_eq!(reply, r#"{"id":"42","type":"pong"}"#);
    assert_eq!(events(&reply), vec![Event::Pong { req_id: Some(42) }]);
    for bad in ["{", "ping", r#"{"id":1,"type":"login"}"#] {
        let Inbound::Invalid { reply } = k.handle(bad, &none, &mut Conn::default(), "") else {
            panic!("{bad}");
        };
        assert!(
            matches!(events(&reply)[0], Event::SubscribeError { .. }),
            "{reply}"
        );
    }
    let subscribed = Subscriptions { active: vec![0] };
    let server_keep_alive = k.keep_alive(&subscribed, &mut Conn::default(), Utc::now());
    assert!(server_keep_alive.is_none() && k.status(false, 1).is_none());
    assert_eq!(k.maintenance(), Maintenance::Restart);
}

#[test]
fn ticker_and_snapshot_frames_parse_exactly() {
    let (k, _) = setup(Kucoin::new());
    let btc = k.listing.index_of("BTC-USDT").unwrap();
    let ts = Utc.timestamp_millis_opt(1_700_555_342_151).unwrap();
    let stamp = k.clock(ts);
    let ticker = k.ticker(2 * btc, &quote(), FrameKind::Update).stamp(&stamp);
    assert_eq!(
        ticker,
        r#"{"data":{"sequence":"1612844051660","bestAsk":"37366.8","size":"0.08000012","bestBidSize":"0.68148185","price":"37366.8","time":1700555342151,"bestAskSize":"4.51280965","bestBid":"37366.7"},"subject":"trade.ticker","topic":"/market/ticker:BTC-USDT","type":"message"}"#
    );
    let want = WireTicker {
        symbol: "BTC-USDT".into(),
        last: Some(d("37366.8")),
        bid: Some(d("37366.7")),
        ask: Some(d("37366.8")),
        exchange_ts: Some(ts),
        ..WireTicker::default()
    };
    assert_eq!(events(&ticker), vec![Event::Ticker(want)]);

    let snap = k
        .ticker(2 * btc + 1, &quote(), FrameKind::Snapshot)
        .stamp(&stamp);
    let v: Value = serde_json::from_str(&snap).unwrap();
    assert_eq!(v["topic"], "/market/snapshot:BTC-USDT");
    assert_eq!(v["subject"], "trade.snapshot");
    assert!(v["data"]["data"]["high"].is_number());
    assert!(
        snap.contains(r#""high":37750.00000000000000000000,"lastTradedPrice":37366.8,"#),
        "{snap}"
    );
    assert!(
        snap.contains(
            r#""buy":37366.7,"changePrice":171.50000000000000000000,"changeRate":0.0046,"#
        ),
        "{snap}"
    );
    let Event::Ticker(t) = &events(&snap)[0] else {
        panic!("{snap}");
    };
    assert_eq!(t.symbol, "BTC-USDT");
    assert_eq!(t.last, Some(d("37366.8")));
    assert_eq!((t.bid, t.ask), (Some(d("37366.7")), Some(d("37366.8"))));
    assert_eq!(t.open_24h.unwrap(), d("37195.3"));
    assert_eq!(t.change_24h.unwrap(), d("171.5"));
    assert_eq!(t.change_pct_24h, Some(d("0.46")));
    assert_eq!(t.high_24h.unwrap(), d("37750"));
    assert_eq!(t.volume_24h.unwrap(), d("2900.37846402"));
    assert_eq!(t.exchange_ts, Some(ts));
    assert!(
        KucoinAdapter
            .parse(&k.wrong_schema(), &mut Vec::new())
            .is_err()
    );
}

#[test]
fn rest_routes_read_with_the_adapter() {
    let (k, market) = setup(Kucoin::new());
    let paths = KucoinAdapter.rest_ticker_paths(&["BCHSV-USDT"]);
    let (path, query) = paths[0].split_once('?').unwrap();
    let r = k.rest(path, Some(query), &market).unwrap();
    let tickers = KucoinAdapter.parse_rest_ticker(&r.body).unwrap();
    assert_eq!(tickers.len(), 1);
    assert_eq!(tickers[0].symbol, "BCHSV-USDT");
    let bsv = market.index_of("BSV/USDT").unwrap();
    assert_eq!(tickers[0].last, Some(market.quote(bsv).unwrap().last));
    assert_eq!(tickers[0].bid.unwrap().scale(), 3);
    assert!(tickers[0].high_24h.is_some() && tickers[0].exchange_ts.is_some());

    let unknown = k
        .rest("/api/v1/market/stats", Some("symbol=NOPE-USDT"), &market)
        .unwrap();
    assert!(
        KucoinAdapter
            .parse_rest_ticker(&unknown.body)
            .unwrap()
            .is_empty()
    );
    let list = k
        .rest(KucoinAdapter.pair_list_path(), None, &market)
        .unwrap();
    assert_eq!(list.body, super::kucoin::SYMBOLS.trim_end());
    let l1 = k
        .rest(
            "/api/v1/market/orderbook/level1",
            Some("symbol=ETH-BTC"),
            &market,
        )
        .unwrap();
    let v: Value = serde_json::from_str(&l1.body).unwrap();
    assert_eq!(v["code"], "200000");
    assert!(
        v["data"]["bestBid"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .is_ok()
    );
    assert!(k.rest("/api/v5/market/ticker", None, &market).is_none());
    for status in [429, 500] {
        assert!(
            KucoinAdapter
                .parse_rest_ticker(&k.rest_error(status))
                .is_err()
        );
    }
}
