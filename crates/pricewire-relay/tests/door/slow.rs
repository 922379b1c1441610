//! A client that never reads: its socket buffers are small (SO_SNDBUF on the relay's side,
//! SO_RCVBUF on its own), the feed runs fast on every pair, and the relay must neither
//! grow nor slow anyone else: its updates coalesce (counted), it is closed as slow, and a
//! reading client gets every update of its symbol in order, none coalesced.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;
use pricewire_core::ExchangeId;
use pricewire_relay::testkit::RedisServer;
use pricewire_sim::{SimConfig, SimServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_coalesces_then_goes_and_slows_nobody() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            exchange: ExchangeId::Kraken,
            tick_interval: Duration::from_millis(20),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    let mut settings = relay_settings("relay-a", target(&server), &sim);
    let mut carried: Vec<String> = sim
        .symbols()
        .into_iter()
        .filter(|s| s != "BTC/USD")
        .take(39)
        .collect();
    carried.push("BTC/USD".into());
    settings.venues[0].symbols.clone_from(&carried);
    let pairs: Vec<String> = carried.iter().map(|s| format!("kraken:{s}")).collect();
    let d = door_with(settings, |h| {
        h.limits.send_buffer = Some(4096);
        h.limits.queue = 64;
        h.limits.write_timeout = Duration::from_secs(2);
    })
    .await;
    live(&d).await;
    until(20, "every pair watched", async || {
        let (_, s) = get_json(&d.url("/v1/status")).await;
        (s["venues"][0]["watched"].as_array().map(Vec::len) == Some(pairs.len())).then_some(())
    })
    .await;

    let mut fast = Ws::connect(&d).await;
    fast.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}))
        .await;
    fast.next_of("snapshot").await;
    let rss_before = rss_kib();

    // The slow one: a small receive buffer, subscribes to everything, then reads nothing.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let stream = sock.connect(d.addr).await.unwrap();
    let (mut slow, _) = tokio_tungstenite::client_async(d.ws_url(), stream)
        .await
        .unwrap();
    slow.send(Message::text(
        json!({"op": "subscribe", "symbols": pairs}).to_string(),
    ))
    .await
    .unwrap();

    let metrics = async || {
        reqwest::get(d.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // Meanwhile the reading client gets BTC/USD in order, nothing coalesced.
    let mut last = 0u64;
    let mut got = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let dropped = loop {
        if tokio::time::Instant::now() > deadline {
            let (_, st) = get_json(&d.url("/v1/status")).await;
            panic!(
                "the slow client dropped within 60 s: {}\n{st}",
                metrics().await
            );
        }
        let m = fast.next().await.expect("the fast client stays connected");
        if m["type"] == "ticker" {
            let seq = m["seq"].as_u64().unwrap();
            assert!(seq > last, "in order: {seq} after {last}");
            assert!(
                m.get("coalesced").is_none(),
                "nothing coalesced for a reader: {m}"
            );
            last = seq;
            got += 1;
        }
        if got % 50 == 0 {
            let text = metrics().await;
            let d = metric(
                &text,
                r#"pricewire_clients_dropped_slow_total{transport="websocket"}"#,
            )
            .unwrap_or(0.0);
            if d >= 1.0 {
                break text;
            }
        }
    };
    let coalesced = metric(
        &dropped,
        r#"pricewire_messages_coalesced_total{transport="websocket"}"#,
    )
    .unwrap_or(0.0);
    assert!(
        coalesced >= 200.0,
        "the slow client's updates coalesced: {coalesced}"
    );
    let rss_after = rss_kib();
    assert!(
        rss_after < rss_before + 30 * 1024,
        "memory stays bounded: {rss_before} KiB → {rss_after} KiB"
    );
    // The reader is still served after the slow one went.
    let more = fast.next_of("ticker").await;
    assert!(more["seq"].as_u64().unwrap() > last);
    drop(slow);
}
