//! Table tests of the simulator's OKX encoder and request handling: the frames it sends are
//! read back with the client's own OKX adapter, and compared with the shapes of recorded
//! frames (`tests/fixtures/recorded/okx/ws-v5-public.frames`, `ws-error-excerpt.frames`).

use chrono::{TimeZone, Utc};

use super::market::Quote;
use super::okx::Okx;
use super::testkit::{self, d, setup};
use super::venue::{Conn, FrameKind, Inbound, Maintenance, RestRoutes, Subscriptions, Venue};
use pricewire_core::exchange::okx::Okx as OkxAdapter;
use pricewire_core::exchange::{Event, Exchange, WireTicker};

fn events(frame: &str) -> Vec<Event<'static>> {
    testkit::events(&OkxAdapter, frame)
}

fn quote() -> Quote {
    Quote {
        bid: d("30228.6"),
        bid_qty: d("0.23393000"),
        ask: d("30228.7"),
        ask_qty: d("1.55896972"),
        last: d("30228.7"),
        last_qty: d("0.00020000"),
        volume: d("17602.13085371"),
        vwap: d("29871.2"),
        low: d("28020.3"),
        high: d("31073.0"),
        open: d("29700.4"),
        change: d("528.3"),
        change_pct: d("1.78"),
        trades: 12,
    }
}

#[test]
fn instrument_list_reads_with_the_adapter() {
    let (okx, market) = setup(Okx::new());
    let list = OkxAdapter.parse_pair_list(super::okx::INSTRUMENTS).unwrap();
    assert!(list.len() >= 10, "{}", list.len());
    let cases = [
        ("BTC/USDT", 1),
        ("ETH/USDT", 2),
        ("SOL/USDT", 2),
        ("BTC/USDC", 1),
    ];
    let listed = testkit::assert_listed(&list, &market, |w| okx.listing.index_of(w), &cases);
    for (inst, (name, _)) in listed.iter().zip(cases) {
        assert_eq!(inst.wire, name.replace('/', "-"));
    }
}

#[test]
fn ticker_push_has_the_recorded_shape_and_parses_exactly() {
    let (okx, _) = setup(Okx::new());
    let btc = okx.listing.index_of("BTC-USDT").unwrap();
    let ts = Utc.timestamp_millis_opt(1_652_459_224_956).unwrap();
    let frame = okx
        .ticker(btc, &quote(), FrameKind::Snapshot)
        .stamp(&okx.clock(ts));
    assert_eq!(
        frame,
        r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"30228.7","lastSz":"0.00020000","askPx":"30228.7","askSz":"1.55896972","bidPx":"30228.6","bidSz":"0.23393000","open24h":"29700.4","high24h":"31073.0","low24h":"28020.3","sodUtc0":"29700.4","sodUtc8":"29700.4","volCcy24h":"525796771.15734215","vol24h":"17602.13085371","ts":"1652459224956"}]}"#
    );
    let Event::Ticker(t) = &events(&frame)[0] else {
        panic!("{frame}");
    };
    let want = WireTicker {
        symbol: "BTC-USDT".into(),
        last: Some(d("30228.7")),
        bid: Some(d("30228.6")),
        ask: Some(d("30228.7")),
        open_24h: Some(d("29700.4")),
        high_24h: Some(d("31073.0")),
        low_24h: Some(d("28020.3")),
        volume_24h: Some(d("17602.13085371")),
        exchange_ts: Some(ts),
        ..WireTicker::default()
    };
    assert_eq!(t, &want);
    assert_eq!(t.high_24h.unwrap().scale(), 1);
    assert!(
        OkxAdapter
            .parse(&okx.wrong_schema(), &mut Vec::new())
            .is_err()
    );
}

#[test]
fn subscribe_acks_each_arg_and_rejects_unknown_instruments() {
    let (okx, _) = setup(Okx::new());
    let btc = okx.listing.index_of("BTC-USDT").unwrap();
    let eth = okx.listing.index_of("ETH-USDT").unwrap();
    let none = Subscriptions::default();
    let frames = OkxAdapter.subscribe(&["BTC-USDT", "NOPE-USDT", "ETH-USDT", "BTC-USDT"], 1);
    assert_eq!(frames.len(), 1);
    let Inbound::Subscribe { replies, add } =
        okx.handle(&frames[0], &none, &mut Conn::default(), "")
    else {
        panic!("not a subscribe");
    };
    assert_eq!(add, vec![(btc, true), (eth, true)]);
    assert_eq!(
        replies[0],
        r#"{"event":"subscribe","arg":{"channel":"tickers","instId":"BTC-USDT"}}"#
    );
    assert_eq!(
        replies[1],
        r#"{"event":"error","msg":"Wrong URL or channel:tickers,instId:NOPE-USDT doesn't exist. Please use the correct URL, channel and parameters referring to API document.","code":"60018"}"#
    );
    assert_eq!(replies.len(), 4, "a repeated arg is acked again");
    assert_eq!(
        events(&replies[0]),
        vec![Event::Subscribed {
            symbol: Some("BTC-USDT".into()),
            req_id: None,
        }]
    );
    let Event::SubscribeError {
        symbol, message, ..
    } = &events(&replies[1])[0]
    else {
        panic!("{}", replies[1]);
    };
    assert_eq!(symbol.as_deref(), Some("NOPE-USDT"));
    assert!(message.contains("60018"), "{message}");

    // Already subscribed: acked, nothing new streams. Unsubscribe acks and removes.
    let subs = Subscriptions { active: vec![btc] };
    let again = okx.handle(&frames[0], &subs, &mut Conn::default(), "");
    assert!(matches!(&again, Inbound::Subscribe { add, .. } if add == &vec![(eth, true)]));
    let un = OkxAdapter.unsubscribe(&["BTC-USDT", "ETH-USDT"], 2);
    let Inbound::Unsubscribe { replies, remove } =
        okx.handle(&un[0], &subs, &mut Conn::default(), "")
    else {
        panic!("not an unsubscribe");
    };
    assert_eq!(remove, vec![btc]);
    assert_eq!(replies.len(), 2);
    assert_eq!(
        events(&replies[0]),
        vec![Event::Unsubscribed {
            symbol: Some("BTC-USDT".into()),
            req_id: None,
        }]
    );
}

#[test]
fn keep_alive_and_bad_requests() {
    let (okx, _) = setup(Okx::new());
    let none = Subscriptions::default();
    let ping = OkxAdapter.ping(1).unwrap();
    let Inbound::Ping { reply } = okx.handle(&ping, &none, &mut Conn::default(), "") else {
        panic!("ping");
    };
    assert_eq!(reply, "pong");
    assert_eq!(events(&reply), vec![Event::Pong { req_id: None }]);
    for bad in [
        "pong",
        "{",
        r#"{"op":"login"}"#,
        r#"{"op":"subscribe"}"#,
        r#"{"op":"subscribe","args":"x"}"#,
    ] {
        let Inbound::Invalid { reply } = okx.handle(bad, &none, &mut Conn::default(), "") else {
            panic!("{bad}");
        };
        assert!(reply.starts_with(r#"{"event":"error""#), "{reply}");
        assert!(
            matches!(events(&reply)[0], Event::SubscribeError { .. }),
            "{reply}"
        );
    }
    let subscribed = Subscriptions { active: vec![0] };
    let server_keep_alive = okx.keep_alive(&subscribed, &mut Conn::default(), Utc::now());
    assert!(server_keep_alive.is_none());
    assert!(okx.status(true, 1).is_none());
    assert_eq!(okx.maintenance(), Maintenance::Restart);
    let notice = okx.status(false, 1).expect("OKX announces restarts");
    assert!(
        matches!(&events(&notice)[0], Event::ReconnectSoon { reason } if reason.contains("service upgrade"))
    );
}

#[test]
fn rest_routes_read_with_the_adapter() {
    let (okx, market) = setup(Okx::new());
    let get = |path: &str, query: &str| okx.rest(path, Some(query), &market).unwrap();
    let paths = OkxAdapter.rest_ticker_paths(&["SOL-USDT"]);
    let (path, query) = paths[0].split_once('?').unwrap();
    let r = get(path, query);
    assert_eq!(r.status, 200);
    let tickers = OkxAdapter.parse_rest_ticker(&r.body).unwrap();
    assert_eq!(tickers.len(), 1);
    assert_eq!(tickers[0].symbol, "SOL-USDT");
    let sol = market.index_of("SOL/USDT").unwrap();
    assert_eq!(tickers[0].last, Some(market.quote(sol).unwrap().last));
    assert_eq!(tickers[0].bid.unwrap().scale(), 2);
    assert!(tickers[0].exchange_ts.is_some());

    let unknown = get("/api/v5/market/ticker", "instId=NOPE-USDT");
    assert!(unknown.body.contains("\"code\":\"51001\""));
    assert!(OkxAdapter.parse_rest_ticker(&unknown.body).is_err());
    let all = get("/api/v5/market/tickers", "instType=SPOT");
    assert_eq!(
        OkxAdapter.parse_rest_ticker(&all.body).unwrap().len(),
        okx.listing.len()
    );
    let one = get("/api/v5/public/instruments", "instType=SPOT&instId=ETH-BTC");
    let list = OkxAdapter.parse_pair_list(&one.body).unwrap();
    assert_eq!(list.len(), 1);
    assert!(
        get("/api/v5/public/instruments", "instId=ETH-BTC")
            .body
            .contains("50014")
    );
    let (path, query) = OkxAdapter.pair_list_path().split_once('?').unwrap();
    assert_eq!(get(path, query).body, super::okx::INSTRUMENTS.trim_end());
    assert!(okx.rest("/0/public/Ticker", None, &market).is_none());
    for status in [429, 500] {
        assert!(
            OkxAdapter
                .parse_rest_ticker(&okx.rest_error(status))
                .is_err()
        );
    }
}
