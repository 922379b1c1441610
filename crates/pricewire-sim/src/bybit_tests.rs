//! The simulator's Bybit frames and REST bodies read back through the Bybit adapter: spot
//! tickers without bid/ask, the level-1 book with them, per-request acks and failures, pong.

use chrono::{DateTime, Utc};

use super::bybit::Bybit;
use super::testkit::{d, events, quote, setup, split};
use super::venue::{Conn, FrameKind, Inbound, Maintenance, RestRoutes, Subscriptions, Venue};
use pricewire_core::exchange::bybit::Bybit as Adapter;
use pricewire_core::exchange::{Event, Exchange};
use pricewire_core::symbol::Symbol;

#[test]
fn a_ticker_step_is_a_ticker_snapshot_then_the_level_one_book() {
    let (b, market) = setup(Bybit::new());
    let btc = market.index_of("BTC/USDT").unwrap();
    let mut conn = Conn::default();
    let frames: Vec<String> = b
        .tickers(btc, &quote(), FrameKind::Update)
        .iter()
        .map(|t| b.stamp(t, "1786310819126", &mut conn))
        .collect();
    assert_eq!(frames.len(), 2);
    assert!(
        frames[0].starts_with(
            r#"{"topic":"tickers.BTCUSDT","ts":1786310819126,"type":"snapshot","cs":"#
        ),
        "{}",
        frames[0]
    );
    assert!(
        frames[0].contains(r#""lastPrice":"9338.96","highPrice24h":"9373.19","lowPrice24h":"8862.4","prevPrice24h":"8917.99","volume24h":"72229.53692","#),
        "{}",
        frames[0]
    );
    assert!(
        frames[0].contains(r#""price24hPcnt":"0.0472""#),
        "{}",
        frames[0]
    );
    assert!(
        frames[1].starts_with(r#"{"topic":"orderbook.1.BTCUSDT","ts":1786310819126,"type":"snapshot","data":{"s":"BTCUSDT","b":[["9338.03","0.182346"]],"a":[["9339.7","0.140976"]],"#),
        "{}",
        frames[1]
    );
    assert!(
        frames[1].ends_with(r#","cts":1786310819126}"#),
        "{}",
        frames[1]
    );
    let ts = DateTime::<Utc>::from_timestamp_millis(1_786_310_819_126);
    let [Event::Ticker(t)] = &events(&Adapter, &frames[0])[..] else {
        panic!("{}", frames[0]);
    };
    assert_eq!(
        (t.symbol.as_ref(), t.last, t.bid),
        ("BTCUSDT", Some(d("9338.96")), None)
    );
    assert_eq!(t.change_pct_24h.unwrap().to_string(), "4.72");
    assert_eq!(t.exchange_ts, ts);
    let [Event::Ticker(book)] = &events(&Adapter, &frames[1])[..] else {
        panic!("{}", frames[1]);
    };
    assert_eq!(
        (book.bid, book.ask, book.last),
        (Some(d("9338.03")), Some(d("9339.7")), None)
    );
}

#[test]
fn requests_from_the_adapter_get_per_request_acks() {
    let (b, market) = setup(Bybit::new());
    let mut conn = Conn {
        id: 42,
        ..Conn::default()
    };
    let none = Subscriptions::default();
    let btc = market.index_of("BTC/USDT").unwrap();
    let eth = market.index_of("ETH/USDT").unwrap();
    let req = &Adapter.subscribe(&["BTCUSDT", "ETHUSDT"], 3)[0];
    let Inbound::Subscribe { replies, add } = b.handle(req, &none, &mut conn, "") else {
        panic!("{req}");
    };
    assert_eq!(add, [(btc, true), (eth, true)]);
    assert_eq!(replies.len(), 1, "one ack per request");
    assert!(replies[0].starts_with(r#"{"success":true,"ret_msg":"subscribe","conn_id":""#));
    assert!(
        replies[0].ends_with(r#"","req_id":"3","op":"subscribe"}"#),
        "{}",
        replies[0]
    );
    assert_eq!(
        events(&Adapter, &replies[0]),
        [Event::Subscribed {
            symbol: None,
            req_id: Some(3),
        }]
    );

    let req = &Adapter.subscribe(&["NOPE"], 4)[0];
    let Inbound::Subscribe { replies, add } = b.handle(req, &none, &mut conn, "") else {
        panic!("{req}");
    };
    assert!(add.is_empty());
    assert!(replies[0].contains(r#""success":false,"ret_msg":"Invalid symbol :[tickers.NOPE];Invalid symbol :[orderbook.1.NOPE]""#), "{}", replies[0]);
    assert!(matches!(
        &events(&Adapter, &replies[0])[..],
        [Event::SubscribeError { symbol: Some(s), .. }] if s == "NOPE"
    ));

    let subs = Subscriptions {
        active: vec![btc, eth],
    };
    let req = &Adapter.unsubscribe(&["ETHUSDT"], 5)[0];
    let Inbound::Unsubscribe { replies, remove } = b.handle(req, &subs, &mut conn, "") else {
        panic!("{req}");
    };
    assert_eq!(remove, [eth]);
    assert_eq!(
        events(&Adapter, &replies[0]),
        [Event::Unsubscribed {
            symbol: None,
            req_id: Some(5),
        }]
    );

    let ping = Adapter.ping(9).unwrap();
    let Inbound::Ping { reply } = b.handle(&ping, &subs, &mut conn, "") else {
        panic!("{ping}");
    };
    assert_eq!(events(&Adapter, &reply), [Event::Pong { req_id: Some(9) }]);
    for bad in [
        "{",
        r#"{"op":"fly"}"#,
        r#"{"op":"subscribe","args":["publicTrade.BTCUSDT"]}"#,
    ] {
        let reply = match b.handle(bad, &subs, &mut conn, "") {
            Inbound::Invalid { reply } => reply,
            Inbound::Subscribe { replies, add } if add.is_empty() => replies[0].clone(),
            other => panic!("{bad}: {other:?}"),
        };
        assert!(reply.contains(r#""success":false"#), "{bad}: {reply}");
        assert!(serde_json::from_str::<serde_json::Value>(&reply).is_ok());
    }
    assert_eq!(b.maintenance(), Maintenance::Close);
    assert_eq!(b.status(true, 1), None);
}

#[test]
fn rest_bodies_parse_with_the_adapter() {
    let (b, market) = setup(Bybit::new());
    let (path, query) = split(Adapter.pair_list_path());
    let body = b.rest(path, query, &market).unwrap().body;
    let pairs = Adapter.parse_pair_list(&body).unwrap();
    assert_eq!(pairs.len(), 14, "LUNAUSDT is closed");
    let btc = pairs.get(&Symbol::new("BTC", "USDC")).unwrap();
    assert_eq!(
        (btc.wire.as_str(), btc.price_decimals),
        ("BTCUSDC", Some(1))
    );
    assert_eq!(market.specs().len(), 14);

    let paths = Adapter.rest_ticker_paths(&["ETHUSDT"]);
    let (path, query) = split(&paths[0]);
    let body = b.rest(path, query, &market).unwrap().body;
    let tickers = Adapter.parse_rest_ticker(&body).unwrap();
    let q = market.quote(market.index_of("ETH/USDT").unwrap()).unwrap();
    assert_eq!(tickers.len(), 1);
    assert_eq!(
        (tickers[0].bid, tickers[0].ask),
        (Some(q.bid.normalize()), Some(q.ask.normalize()))
    );
    assert!(tickers[0].exchange_ts.is_some());
    for query in [
        "category=spot&symbol=NOPE",
        "category=linear&symbol=BTCUSDT",
        "symbol=BTCUSDT",
    ] {
        let body = b
            .rest("/v5/market/tickers", Some(query), &market)
            .unwrap()
            .body;
        assert!(Adapter.parse_rest_ticker(&body).is_err(), "{query}: {body}");
    }
    assert!(Adapter.parse_rest_ticker(&b.rest_error(429)).is_err());
    assert!(b.rest("/v5/market/orderbook", None, &market).is_none());
}
