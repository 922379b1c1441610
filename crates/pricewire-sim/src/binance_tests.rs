//! The simulator's Binance frames and REST bodies read back through the Binance adapter:
//! what the simulator sends must mean to the client what the real venue's frames mean.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::binance::Binance;
use super::testkit::{d, events, quote, setup, split};
use super::venue::{
    Conn, FrameKind, Inbound, KeepAlive, Maintenance, RestRoutes, Subscriptions, Venue,
};
use pricewire_core::exchange::binance::Binance as Adapter;
use pricewire_core::exchange::{Event, Exchange};
use pricewire_core::symbol::Symbol;

#[test]
fn ticker_frames_parse_to_the_exact_quote() {
    let (b, market) = setup(Binance::new());
    let btc = market.index_of("BTC/USDT").unwrap();
    let mut conn = Conn::default();
    let t = b.ticker(btc, &quote(), FrameKind::Snapshot);
    let frame = b.stamp(&t, "1580254809477", &mut conn);
    assert!(
        frame.starts_with(
            r#"{"e":"24hrTicker","E":1580254809477,"s":"BTCUSDT","p":"420.97000000","P":"4.720","#
        ),
        "{frame}"
    );
    assert!(
        frame.contains(
            r#""O":1580168409477,"C":1580254809477,"F":3000000001,"L":3000600436,"n":600436}"#
        ),
        "{frame}"
    );
    let Event::Ticker(w) = &events(&Adapter, &frame)[0] else {
        panic!("{frame}");
    };
    assert_eq!(w.symbol, "BTCUSDT");
    assert_eq!(w.last.unwrap().to_string(), "9338.96000000");
    assert_eq!(w.bid, Some(d("9338.03000000")));
    assert_eq!(w.ask.unwrap().to_string(), "9339.70000000");
    assert_eq!(w.change_pct_24h.unwrap().to_string(), "4.720");
    assert_eq!(w.volume_24h.unwrap().to_string(), "72229.53692000");
    assert_eq!(
        w.exchange_ts,
        DateTime::<Utc>::from_timestamp_millis(1_580_254_809_477)
    );
}

#[test]
fn requests_from_the_adapter_get_the_real_acks() {
    let (b, market) = setup(Binance::new());
    let none = Subscriptions::default();
    let handle = |text: &str, subs: &Subscriptions| b.handle(text, subs, &mut Conn::default(), "1");
    let btc = market.index_of("BTC/USDT").unwrap();
    let eth = market.index_of("ETH/USDT").unwrap();
    let req = &Adapter.subscribe(&["BTCUSDT", "ETHUSDT", "NOPEUSDT"], 7)[0];
    let Inbound::Subscribe { replies, add } = handle(req, &none) else {
        panic!("{req}");
    };
    assert_eq!(replies, [r#"{"result":null,"id":7}"#]);
    // The unknown market is accepted silently, as Binance does.
    assert_eq!(add, [(btc, true), (eth, true)]);
    assert_eq!(
        events(&Adapter, &replies[0]),
        [Event::Subscribed {
            symbol: None,
            req_id: Some(7),
        }]
    );
    let subs = Subscriptions {
        active: vec![btc, eth],
    };
    let req = &Adapter.unsubscribe(&["ETHUSDT"], 8)[0];
    assert_eq!(
        handle(req, &subs),
        Inbound::Unsubscribe {
            replies: vec![r#"{"result":null,"id":8}"#.into()],
            remove: vec![eth],
        }
    );
    let list = handle(r#"{"method":"LIST_SUBSCRIPTIONS","id":"a1"}"#, &subs);
    assert_eq!(
        list,
        Inbound::Invalid {
            reply: r#"{"result":["btcusdt@ticker","ethusdt@ticker"],"id":"a1"}"#.into()
        }
    );
    for (bad, code) in [
        (
            r#"{"method":"SUBSCRIBE","params":["BTCUSDT@ticker"],"id":1}"#,
            2,
        ),
        (
            r#"{"method":"SUBSCRIBE","params":["btcusdt@depth"],"id":1}"#,
            2,
        ),
        (
            r#"{"method":"SUBSCRIBE","params":"btcusdt@ticker","id":1}"#,
            1,
        ),
        (r#"{"method":"SUBSCRIBEX","params":[],"id":1}"#, 2),
        (r#"{"method":"SUBSCRIBE","params":[],"id":-1}"#, 2),
        (r#"{"params":[],"id":1}"#, 2),
        ("not json", 3),
    ] {
        let Inbound::Invalid { reply } = handle(bad, &none) else {
            panic!("{bad}");
        };
        assert!(
            reply.contains(&format!("\"code\":{code}")),
            "{bad}: {reply}"
        );
        let parsed = events(&Adapter, &reply);
        assert!(
            matches!(&parsed[..], [Event::SubscribeError { symbol: None, .. }]),
            "{reply}: {parsed:?}"
        );
    }
}

#[test]
fn notices_and_keep_alive() {
    let (b, market) = setup(Binance::new());
    assert_eq!(b.status(true, 1), None);
    assert_eq!(b.maintenance(), Maintenance::Restart);
    let notice = b.status(false, 1).unwrap();
    assert!(matches!(
        &events(&Adapter, &notice)[..],
        [Event::ReconnectSoon { .. }]
    ));
    assert_eq!(
        b.keep_alive_every(Duration::from_secs(1)),
        Duration::from_secs(20)
    );
    let now = DateTime::<Utc>::from_timestamp_millis(5).unwrap();
    let ka = b.keep_alive(&Subscriptions::default(), &mut Conn::default(), now);
    assert_eq!(ka, Some(KeepAlive::Ping(b"5".to_vec())));
    assert_eq!(b.ws_path(), "/ws");
    assert!(b.is_ws_path("/ws") && !b.is_ws_path("/v2"));
    let mut bad = Vec::new();
    assert!(Adapter.parse(&b.wrong_schema(), &mut bad).is_err());
    assert_eq!(market.specs().len(), 15, "BCCBTC is not trading");
}

#[test]
fn rest_bodies_parse_with_the_adapter() {
    let (b, market) = setup(Binance::new());
    let (path, query) = split(Adapter.pair_list_path());
    let body = b.rest(path, query, &market).unwrap();
    let pairs = Adapter.parse_pair_list(&body.body).unwrap();
    assert_eq!(pairs.len(), 15);
    let btc = pairs.get(&Symbol::new("BTC", "USDT")).unwrap();
    assert_eq!(
        (btc.wire.as_str(), btc.price_decimals),
        ("BTCUSDT", Some(2))
    );
    assert!(pairs.get(&Symbol::new("BCC", "BTC")).is_none());

    let paths = Adapter.rest_ticker_paths(&["BTCUSDT", "ETHBTC"]);
    let (path, query) = split(&paths[0]);
    let reply = b.rest(path, query, &market).unwrap();
    assert_eq!(reply.status, 200);
    let tickers = Adapter.parse_rest_ticker(&reply.body).unwrap();
    assert_eq!(tickers.len(), 2);
    let q = market.quote(market.index_of("ETH/BTC").unwrap()).unwrap();
    assert_eq!(tickers[1].symbol, "ETHBTC");
    assert_eq!(tickers[1].last.unwrap().normalize(), q.last.normalize());
    assert_eq!(tickers[1].last.unwrap().scale(), 8);
    assert!(tickers[1].bid < tickers[1].ask);

    let one = b
        .rest("/api/v3/ticker/24hr", Some("symbol=SOLUSDT"), &market)
        .unwrap();
    assert!(
        one.body.starts_with(r#"{"symbol":"SOLUSDT","#),
        "{}",
        one.body
    );
    for query in ["symbol=NOPE", "symbols=%5B%22NOPE%22%5D", "symbols=garbage"] {
        let reply = b.rest("/api/v3/ticker/24hr", Some(query), &market).unwrap();
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.body, r#"{"code":-1121,"msg":"Invalid symbol."}"#);
    }
    let info = b
        .rest("/api/v3/exchangeInfo", Some("symbol=ETHBTC"), &market)
        .unwrap();
    let pairs = Adapter.parse_pair_list(&info.body).unwrap();
    assert_eq!(pairs.len(), 1);
    assert!(b.rest("/api/v3/nothing", None, &market).is_none());
    assert!(Adapter.parse_pair_list(&b.rest_error(429)).is_err());
}
