//! The simulator's Coinbase Advanced Trade frames and REST bodies read back through the
//! Coinbase adapter: envelopes, `subscriptions` listings, heartbeats, aliases, errors.

use chrono::DateTime;

use super::coinbase::Coinbase;
use super::testkit::{self, d, quote, setup, split};
use super::venue::{Conn, FrameKind, Inbound, KeepAlive, RestRoutes, Subscriptions, Venue};
use pricewire_core::exchange::coinbase::Coinbase as Adapter;
use pricewire_core::exchange::{Event, Exchange};
use pricewire_core::symbol::Symbol;

/// The events of a frame, without the message number every Coinbase frame carries (read
/// on its own in `ticker_envelopes_number_every_message_of_a_connection`).
fn events(adapter: &dyn Exchange, frame: &str) -> Vec<Event<'static>> {
    let mut all = testkit::events(adapter, frame);
    all.retain(|e| !matches!(e, Event::Sequence(_)));
    all
}

const NOW: &str = "2026-08-09T21:05:48.229198328Z";

#[test]
fn ticker_envelopes_number_every_message_of_a_connection() {
    let (c, market) = setup(Coinbase::new());
    let btc = market.index_of("BTC/USD").unwrap();
    let mut conn = Conn::default();
    let snap = c.ticker(btc, &quote(), FrameKind::Snapshot);
    let first = c.stamp(&snap, NOW, &mut conn);
    let update = c.ticker(btc, &quote(), FrameKind::Update);
    let second = c.stamp(&update, NOW, &mut conn);
    assert_eq!(
        first,
        format!(
            r#"{{"channel":"ticker","timestamp":"{NOW}","sequence_num":0,"events":[{{"type":"snapshot","tickers":[{{"type":"ticker","product_id":"BTC-USD","price":"9338.96","volume_24_h":"72229.53692","low_24_h":"8862.4","high_24_h":"9373.19","low_52_w":"7089.92","high_52_w":"17809.06","price_percent_chg_24_h":"4.72045830955182","best_bid":"9338.03","best_ask":"9339.7","best_bid_quantity":"0.182346","best_ask_quantity":"0.140976"}}]}}]}}"#
        )
    );
    assert!(second.contains(r#""sequence_num":1,"events":[{"type":"update""#));
    let numbers: Vec<Event> = [&first, &second]
        .iter()
        .flat_map(|f| testkit::events(&Adapter, f))
        .filter(|e| matches!(e, Event::Sequence(_)))
        .collect();
    assert_eq!(numbers, [Event::Sequence(0), Event::Sequence(1)]);
    let [Event::Ticker(t)] = &events(&Adapter, &first)[..] else {
        panic!("{first}");
    };
    assert_eq!(
        (t.symbol.as_ref(), t.last, t.ask),
        ("BTC-USD", Some(d("9338.96")), Some(d("9339.7")))
    );
    assert_eq!(t.change_pct_24h, Some(d("4.72045830955182")));
    assert_eq!(
        t.exchange_ts,
        DateTime::parse_from_rfc3339(NOW).ok().map(|t| t.to_utc())
    );
}

#[test]
fn subscriptions_listings_heartbeats_and_errors() {
    let (c, market) = setup(Coinbase::new());
    let mut conn = Conn::default();
    let btc = market.index_of("BTC/USD").unwrap();
    let none = Subscriptions::default();
    let reqs = Adapter.subscribe(&["BTC-USD", "BTC-USDC"], 1);
    let Inbound::Subscribe { replies, add } = c.handle(&reqs[0], &none, &mut conn, NOW) else {
        panic!("{}", reqs[0]);
    };
    assert_eq!(add, [(btc, true)], "the alias shares the BTC-USD book");
    assert_eq!(
        replies,
        [format!(
            r#"{{"channel":"subscriptions","timestamp":"{NOW}","sequence_num":0,"events":[{{"subscriptions":{{"ticker":["BTC-USD"]}}}}]}}"#
        )]
    );
    assert_eq!(
        events(&Adapter, &replies[0]),
        [Event::Subscribed {
            symbol: Some("BTC-USD".into()),
            req_id: None,
        }]
    );
    let subs = Subscriptions { active: vec![btc] };
    assert!(!conn.keep_alive_subscribed);
    let Inbound::Subscribe { replies, add } = c.handle(&reqs[1], &subs, &mut conn, NOW) else {
        panic!("{}", reqs[1]);
    };
    assert!(add.is_empty() && conn.keep_alive_subscribed);
    assert!(
        replies[0]
            .contains(r#"{"subscriptions":{"heartbeats":["heartbeats"],"ticker":["BTC-USD"]}}"#)
    );

    let now = DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let Some(KeepAlive::Text(hb)) = c.keep_alive(&subs, &mut conn, now) else {
        panic!("no heartbeat");
    };
    assert_eq!(
        hb,
        r#"{"channel":"heartbeats","timestamp":"2026-08-09T21:05:48.229198328Z","sequence_num":2,"events":[{"current_time":"2026-08-09 21:05:48.229198328 +0000 UTC m=+1.229198328","heartbeat_counter":1}]}"#
    );
    assert_eq!(events(&Adapter, &hb), [Event::Heartbeat]);

    let req = &Adapter.unsubscribe(&["BTC-USD"], 2)[0];
    let Inbound::Unsubscribe { replies, remove } = c.handle(req, &subs, &mut conn, NOW) else {
        panic!("{req}");
    };
    assert_eq!(remove, [btc]);
    assert!(replies[0].contains(r#"{"subscriptions":{"heartbeats":["heartbeats"]}}"#));
    assert_eq!(events(&Adapter, &replies[0]), [Event::Ignored]);

    for bad in [
        &Adapter.subscribe(&["BTC-USD", "NOPE-USD"], 3)[0],
        r#"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}"#,
        r#"{"type":"subscribe","product_ids":["DAI-USD"],"channel":"ticker"}"#,
        r#"{"type":"subscribe","product_ids":["BTC-USD"]}"#,
    ] {
        let Inbound::Invalid { reply } = c.handle(bad, &none, &mut conn, NOW) else {
            panic!("{bad}");
        };
        assert!(
            matches!(&events(&Adapter, &reply)[..], [Event::SubscribeError { message, .. }] if message.starts_with("Failed to subscribe")),
            "{reply}"
        );
    }
    let Inbound::Invalid { reply } = c.handle("{", &none, &mut conn, NOW) else {
        panic!("malformed");
    };
    assert!(matches!(
        &events(&Adapter, &reply)[..],
        [Event::SubscribeError { .. }]
    ));
}

#[test]
fn rest_bodies_parse_with_the_adapter() {
    let (c, market) = setup(Coinbase::new());
    let (path, query) = split(Adapter.pair_list_path());
    let body = c.rest(path, query, &market).unwrap().body;
    let pairs = Adapter.parse_pair_list(&body).unwrap();
    assert_eq!(
        pairs.len(),
        11,
        "aliases fold into their books, DAI-USD is delisted"
    );
    let btc = pairs.get(&Symbol::new("BTC", "USD")).unwrap();
    assert_eq!(
        (btc.wire.as_str(), btc.price_decimals),
        ("BTC-USD", Some(2))
    );
    assert_eq!(btc.aliases, ["BTC-USDC"]);

    let paths = Adapter.rest_ticker_paths(&["ETH-USD", "BTC-USDC", "NOPE-USD"]);
    let (path, query) = split(&paths[0]);
    let body = c.rest(path, query, &market).unwrap().body;
    let tickers = Adapter.parse_rest_ticker(&body).unwrap();
    let eth = market.quote(market.index_of("ETH/USD").unwrap()).unwrap();
    let btc = market.quote(market.index_of("BTC/USD").unwrap()).unwrap();
    assert_eq!(tickers.len(), 2, "unknown ids are left out");
    assert_eq!(
        (tickers[0].symbol.as_ref(), tickers[0].last),
        ("ETH-USD", Some(eth.last.normalize()))
    );
    assert_eq!(
        (tickers[1].symbol.as_ref(), tickers[1].last),
        ("BTC-USDC", Some(btc.last.normalize()))
    );
    let one = c
        .rest("/api/v3/brokerage/market/products/NOPE-USD", None, &market)
        .unwrap();
    assert_eq!(one.status, 404);
    assert_eq!(
        c.rest("/api/v3/brokerage/market/products/SOL-USD", None, &market)
            .unwrap()
            .status,
        200
    );
    assert_eq!(c.ws_path(), "/");
}
