//! The simulator speaks Kraken: WebSocket v2 (status, acks, errors, snapshots, updates,
//! ping/pong, unsubscribe, heartbeats) and REST (`AssetPairs`, `Ticker`), over TCP on
//! 127.0.0.1 and in memory.

mod sim_support;

use std::time::Duration;

use pricewire_sim::{Scenario, SimConfig, SimServer};
use serde_json::json;
use sim_support::*;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn status_frame_comes_first() {
    let sim = start(Scenario::Steady, 50).await;
    let mut ws = connect(&sim).await;
    let text = next_text(&mut ws).await;
    let v = json(&text);
    assert_eq!(v["channel"], "status");
    assert_eq!(v["type"], "update");
    let data = &v["data"][0];
    assert_eq!(data["system"], "online");
    assert_eq!(data["api_version"], "v2");
    assert!(data["version"].is_string());
    // Like the real one, the id does not fit in i64.
    let id = data["connection_id"].as_u64().expect("u64 connection_id");
    assert!(id > i64::MAX as u64, "{text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn subscribe_acks_errors_snapshots_then_exact_decimal_updates() {
    let sim = start(Scenario::Steady, 30).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    send_json(
        &mut ws,
        &json!({"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD","USDT/USD","NOPE/USD"]},"req_id":7}),
    )
    .await;
    let (mut acks, mut errors, mut snapshots, mut updates) = (vec![], vec![], vec![], vec![]);
    while updates.len() < 6 {
        let text = next_text(&mut ws).await;
        let v = json(&text);
        match (v["method"].as_str(), v["type"].as_str()) {
            (Some("subscribe"), _) if v["success"] == true => acks.push(v),
            (Some("subscribe"), _) => errors.push(v),
            (_, Some("snapshot")) => snapshots.push(text),
            (_, Some("update")) => {
                assert_eq!(snapshots.len(), 2, "snapshots precede updates");
                updates.push(text);
            }
            _ => {}
        }
    }
    assert_eq!(acks.len(), 2);
    for (ack, symbol) in acks.iter().zip(["BTC/USD", "USDT/USD"]) {
        assert_eq!(ack["result"]["symbol"], symbol);
        assert_eq!(ack["result"]["channel"], "ticker");
        assert_eq!(ack["result"]["event_trigger"], "trades");
        assert_eq!(ack["result"]["snapshot"], true);
        assert_eq!(ack["req_id"], 7);
        for key in ["time_in", "time_out"] {
            chrono::DateTime::parse_from_rfc3339(ack[key].as_str().unwrap()).unwrap();
        }
    }
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["error"], "Currency pair not supported NOPE/USD");
    assert_eq!(errors[0]["symbol"], "NOPE/USD");
    assert_eq!(errors[0]["success"], false);
    assert_eq!(errors[0]["req_id"], 7);

    for text in snapshots.iter().chain(&updates) {
        let f = raw_fields(text);
        let symbol = f["symbol"].trim_matches('"');
        let places = if symbol == "BTC/USD" { 1 } else { 5 };
        for key in ["bid", "ask", "last", "vwap", "low", "high", "change"] {
            assert_eq!(decimals(&f[key]), places, "{key} in {text}");
        }
        for key in ["bid_qty", "ask_qty", "volume"] {
            assert_eq!(decimals(&f[key]), 8, "{key} in {text}");
        }
        assert_eq!(decimals(&f["change_pct"]), 2, "{text}");
        assert!(dec(&f["bid"]) < dec(&f["ask"]), "{text}");
        assert!(dec(&f["low"]) <= dec(&f["bid"]) && dec(&f["ask"]) <= dec(&f["high"]));
        let ts = f["timestamp"].trim_matches('"');
        assert_eq!(ts.len(), "2026-09-24T03:54:18.054886Z".len(), "{ts}");
        chrono::DateTime::parse_from_rfc3339(ts).unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.subscribe_requests, 1);
    assert!(stats.ticker_frames >= 8);
    sim.shutdown().await;
}

#[tokio::test]
async fn ping_gets_pong_with_req_id() {
    let sim = start(Scenario::Steady, 50).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    send_json(&mut ws, &json!({"method":"ping","req_id":101})).await;
    let v = json(&next_text(&mut ws).await);
    assert_eq!(v["method"], "pong");
    assert_eq!(v["req_id"], 101);
    assert!(v["time_in"].is_string() && v["time_out"].is_string());
    assert_eq!(sim.stats().pings_answered, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_get_errors_and_the_connection_stays() {
    let sim = start(Scenario::Steady, 50).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    for bad in [
        "not json",
        "{\"method\":\"fly\",\"req_id\":3}",
        "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\"}}",
        "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\",\"symbol\":\"BTC/USD\"}}",
        "[1,2,3]",
    ] {
        ws.send_text(bad).await;
        let v = json(&next_text(&mut ws).await);
        assert_eq!(v["success"], false, "{bad}");
        assert!(v["error"].is_string(), "{bad}");
    }
    send_json(&mut ws, &json!({"method":"ping","req_id":4})).await;
    assert_eq!(json(&next_text(&mut ws).await)["method"], "pong");
    sim.shutdown().await;
}

trait SendText {
    async fn send_text(&mut self, text: &str);
}

impl SendText for TcpWs {
    async fn send_text(&mut self, text: &str) {
        futures_util::SinkExt::send(self, Message::text(text))
            .await
            .unwrap();
    }
}

/// In memory on the paused clock, so the 200 ms of quiet at the end are ten ticks however
/// the machine is loaded.
#[tokio::test(start_paused = true)]
async fn unsubscribe_stops_data() {
    let sim = SimServer::in_memory(config(Scenario::Steady, 20));
    let mut ws = connect_mem(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["ETH/USD"]).await;
    tickers(&mut ws, 3).await;
    send_json(
        &mut ws,
        &json!({"method":"unsubscribe","params":{"channel":"ticker","symbol":["ETH/USD"]},"req_id":9}),
    )
    .await;
    loop {
        let text = next_text(&mut ws).await;
        if is_ticker(&text) {
            continue; // sent before the request was read
        }
        let v = json(&text);
        assert_eq!(v["method"], "unsubscribe", "{text}");
        assert_eq!(v["success"], true);
        assert_eq!(v["result"]["symbol"], "ETH/USD");
        assert_eq!(v["req_id"], 9);
        break;
    }
    // Ten ticks later: nothing at all (no data, and no heartbeat without a subscription).
    assert_eq!(next_within(&mut ws, Duration::from_millis(200)).await, None);
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn heartbeats_once_a_second_only_while_subscribed() {
    let sim = SimServer::in_memory(SimConfig {
        scenario: Scenario::AckedButSilent,
        ..SimConfig::default()
    });
    let mut ws = connect_mem(&sim).await;
    next_text(&mut ws).await;
    assert_eq!(
        next_within(&mut ws, Duration::from_secs(3)).await,
        None,
        "no heartbeat before subscribing"
    );
    subscribe(&mut ws, &["BTC/USD"]).await;
    assert_eq!(json(&next_text(&mut ws).await)["success"], true);
    let mut at = Vec::new();
    while at.len() < 4 {
        let text = next_text(&mut ws).await;
        assert_eq!(text, "{\"channel\":\"heartbeat\"}");
        at.push(Instant::now());
    }
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(990) && gap <= Duration::from_millis(1010),
            "{gap:?}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn in_memory_connection_speaks_the_same_protocol() {
    let sim = SimServer::in_memory(config(Scenario::Steady, 20));
    assert_eq!(sim.ws_url(), "ws://sim.invalid/v2");
    assert_eq!(sim.addr(), None);
    let mut ws = connect_mem(&sim).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");
    subscribe(&mut ws, &["DOGE/USD"]).await;
    let frames = tickers(&mut ws, 2).await;
    let f = raw_fields(&frames[0]);
    assert_eq!(f["symbol"], "\"DOGE/USD\"");
    assert_eq!(decimals(&f["bid"]), 7);
    let stats = sim.stats();
    assert_eq!((stats.connections_accepted, stats.ws_sessions), (1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn rest_asset_pairs_is_kraken_shaped() {
    let sim = start(Scenario::Steady, 50).await;
    let url = format!("{}/0/public/AssetPairs", sim.rest_url());
    let resp = get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("\"wsname\":\"XBT\\/USD\""),
        "slashes escaped like Kraken"
    );
    let v = json(&body);
    assert_eq!(v["error"], json!([]));
    let result = v["result"].as_object().unwrap();
    assert!(result.len() >= 20, "{}", result.len());
    assert_eq!(result["XDGUSD"]["wsname"], "XDG/USD");
    assert_eq!(result["XXBTZUSD"]["altname"], "XBTUSD");
    assert_eq!(result["XXBTZUSD"]["pair_decimals"], 1);
    // Dark-pool pairs (`XXBTZUSD.d`) are listed without a WebSocket name.
    let dark = &result["XXBTZUSD.d"];
    assert_eq!(dark["altname"], "XBTUSD.d");
    assert!(dark.get("wsname").is_none());

    let one = json(
        &get(format!("{url}?pair=XBTUSD"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(one["result"].as_object().unwrap().len(), 1);
    assert_eq!(one["result"]["XXBTZUSD"]["base"], "XXBT");
    assert_eq!(sim.stats().rest_requests, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn rest_ticker_is_v1_shaped_and_agrees_with_the_stream() {
    // A one-hour step: the market does not move during the test, so REST, the WebSocket
    // snapshot and price_of must agree exactly.
    let sim = start(Scenario::Steady, 3_600_000).await;
    let base = format!("{}/0/public/Ticker", sim.rest_url());
    let body = get(format!("{base}?pair=XBTUSD,ETHUSD"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = json(&body);
    assert_eq!(v["error"], json!([]));
    let r = &v["result"];
    assert_eq!(r.as_object().unwrap().len(), 2, "{body}");
    let btc = &r["XXBTZUSD"];
    for key in ["a", "b"] {
        let arr = btc[key].as_array().unwrap();
        assert_eq!(arr.len(), 3);
        assert!(arr.iter().all(serde_json::Value::is_string), "{body}");
    }
    assert!(btc["o"].is_string());
    assert!(btc["t"][0].is_u64() && btc["t"][1].is_u64());
    let (bid, ask) = (
        dec(btc["b"][0].as_str().unwrap()),
        dec(btc["a"][0].as_str().unwrap()),
    );
    assert!(bid < ask);
    assert_eq!(decimals(btc["c"][0].as_str().unwrap()), 1);
    let last = dec(btc["c"][0].as_str().unwrap());
    assert_eq!(Some(last), sim.price_of("BTC/USD"));
    assert!(r["XETHZUSD"]["c"][0].is_string());

    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD"]).await;
    let snap = tickers(&mut ws, 1).await;
    assert_eq!(dec(&raw_fields(&snap[0])["last"]), last);

    for name in ["BTC/USD", "XXBTZUSD", "BTC%2FUSD"] {
        let v = json(
            &get(format!("{base}?pair={name}"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(v["result"]["XXBTZUSD"].is_object(), "{name}: {v}");
    }
    let resp = get(format!("{base}?pair=NOPEUSD")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        json(&resp.text().await.unwrap()),
        json!({"error":["EQuery:Unknown asset pair"]})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_ends_everything_and_the_port_closes() {
    let sim = start(Scenario::Steady, 20).await;
    let addr = sim.addr().unwrap();
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD"]).await;
    tickers(&mut ws, 1).await;
    timeout(WAIT, sim.shutdown()).await.expect("shutdown hangs");
    let (_, _) = saw_close_before_end(&mut ws).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
