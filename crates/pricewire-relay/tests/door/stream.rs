//! Streaming: snapshots then updates over WebSocket and SSE, resume from the Redis stream
//! on the same relay or another one, and one Redis reader per venue however many clients.

use serde_json::{Value, json};

use crate::support::*;
use pricewire_relay::testkit::RedisServer;

/// Tickers of `symbol` until `n` arrived; their (epoch, seq).
async fn tickers(ws: &mut Ws, n: usize) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    while out.len() < n {
        let m = ws.next_of("ticker").await;
        out.push((
            m["epoch"].as_str().unwrap().to_string(),
            m["seq"].as_u64().unwrap(),
        ));
    }
    out
}

async fn seq_now(d: &Door) -> u64 {
    let (_, s) = get_json(&d.url("/v1/status")).await;
    s["venues"][0]["seq"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_gets_a_snapshot_then_updates_and_resumes_on_another_relay() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let a = door("relay-a", &server, &sim, |_| {}).await;
    let b = door("relay-b", &server, &sim, |_| {}).await;
    live(&a).await;
    live(&b).await;

    let mut ws = Ws::connect(&a).await;
    let hello = ws.next_of("hello").await;
    assert_eq!(hello["version"], 1);
    assert_eq!(hello["limits"]["max_message_bytes"], 4096);
    assert_eq!(hello["venues"][0]["exchange"], "kraken");
    ws.send(&json!({"op": "subscribe", "id": 7, "symbols": ["kraken:btc-usd"]}))
        .await;
    let ack = ws.next_of("ack").await;
    assert_eq!(ack["id"], 7);
    assert_eq!(
        ack["accepted"],
        json!(["kraken:BTC/USD"]),
        "resolved with the pair list: {ack}"
    );
    let snap = ws.next_of("snapshot").await;
    assert_eq!(snap["recovered"], false);
    assert_eq!(snap["symbols"], json!(["BTC/USD"]));
    // The snapshot's ticker, then updates, each with a higher seq, every price a string.
    let first = ws.next_of("ticker").await;
    assert!(
        first["last"].is_string() && first["symbol"] == "BTC/USD" && first["simulated"] == true
    );
    let seen = tickers(&mut ws, 3).await;
    assert!(seen.windows(2).all(|w| w[1].1 > w[0].1), "{seen:?}");
    let (epoch, cursor) = seen.last().unwrap().clone();
    drop(ws);

    // Updates go on while the client is away; it resumes on the *other* relay.
    until(20, "updates past the cursor", async || {
        (seq_now(&b).await > cursor + 5).then_some(())
    })
    .await;
    let mut ws = Ws::connect(&b).await;
    ws.next_of("hello").await;
    ws.send(
        &json!({"op": "subscribe", "id": 8, "symbols": ["kraken:BTC/USD"],
        "resume": {"kraken": {"epoch": epoch, "seq": cursor}}}),
    )
    .await;
    let snap = ws.next_of("snapshot").await;
    assert_eq!(snap["recovered"], true, "{snap}");
    assert!(snap["replayed"].as_u64().unwrap() >= 1, "{snap}");
    let after = tickers(&mut ws, 4).await;
    assert!(
        after[0].1 > cursor && after[0].0 == epoch,
        "{after:?} after {cursor}"
    );
    assert!(after.windows(2).all(|w| w[1].1 > w[0].1), "{after:?}");

    // A cursor from another dataset gets a fresh snapshot instead.
    let mut ws = Ws::connect(&a).await;
    ws.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"],
        "resume": {"kraken": {"epoch": "gone", "seq": 3}}}))
        .await;
    assert_eq!(ws.next_of("snapshot").await["recovered"], false);
    ws.send(&json!({"op": "ping", "id": 99})).await;
    assert_eq!(ws.next_of("pong").await["id"], 99);
    // Unsubscribed: after the ack and one heartbeat, no ticker comes any more.
    ws.send(&json!({"op": "unsubscribe", "id": 5, "symbols": ["kraken:BTC/USD"]}))
        .await;
    let ack = ws.next_of("ack").await;
    assert_eq!(ack["accepted"], json!(["kraken:BTC/USD"]));
    ws.next_of("heartbeat").await;
    let mut beats = 0;
    while beats < 3 {
        let m = ws.next().await.unwrap();
        assert_ne!(m["type"], "ticker", "a ticker after unsubscribing: {m}");
        beats += usize::from(m["type"] == "heartbeat");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_streams_and_last_event_id_resumes() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let d = door("relay-a", &server, &sim, |_| {}).await;
    live(&d).await;
    let mut sse = Sse::open(d.addr, "/v1/sse?symbols=kraken:BTC/USD", &[]).await;
    assert_eq!(sse.status, 200);
    assert_eq!(sse.next_of("hello").await.data["version"], 1);
    assert_eq!(sse.next_of("snapshot").await.data["recovered"], false);
    let mut last = None;
    for _ in 0..3 {
        let e = sse.next_of("ticker").await;
        if e.id.is_some() {
            last = Some((e.id.clone().unwrap(), e.data["seq"].as_u64().unwrap()));
        }
    }
    let (id, seq) = last.expect("ticker events carry ids");
    assert!(
        id.starts_with("kraken:") && id.ends_with(&format!(":{seq}")),
        "{id}"
    );
    drop(sse);
    until(20, "updates past the id", async || {
        (seq_now(&d).await > seq + 3).then_some(())
    })
    .await;
    let mut sse = Sse::open(
        d.addr,
        "/v1/sse?symbols=kraken:BTC/USD",
        &[("Last-Event-ID", &id)],
    )
    .await;
    let snap = sse.next_of("snapshot").await;
    assert_eq!(snap.data["recovered"], true, "{:?}", snap.data);
    let next = sse.next_of("ticker").await;
    assert_eq!(
        next.data["seq"].as_u64().unwrap(),
        seq + 1,
        "the very next update"
    );

    // Without symbols: everything watched (curl -N …/v1/sse).
    let mut all = Sse::open(d.addr, "/v1/sse", &[]).await;
    assert_eq!(all.status, 200);
    let ack = all.next_of("ack").await;
    assert!(
        ack.data["accepted"]
            .as_array()
            .unwrap()
            .contains(&Value::from("kraken:BTC/USD"))
    );
    // Nothing that can be subscribed: 400 with the reasons.
    let bad = Sse::open(d.addr, "/v1/sse?symbols=kraken:NOPE/USD,mars:BTC/USD", &[]).await;
    assert_eq!(bad.status, 400);
}

fn redis_clients(server: &RedisServer) -> usize {
    server
        .cli(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| !l.contains("cmd=client"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_web_clients_open_no_redis_connection() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let d = door("relay-a", &server, &sim, |_| {}).await;
    live(&d).await;
    let before = until(20, "a steady Redis client count", async || {
        let a = redis_clients(&server);
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        (redis_clients(&server) == a).then_some(a)
    })
    .await;
    let mut clients = Vec::new();
    for _ in 0..100 {
        let mut ws = Ws::connect(&d).await;
        ws.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}))
            .await;
        clients.push(ws);
    }
    for ws in &mut clients {
        ws.next_of("snapshot").await;
        ws.next_of("ticker").await;
    }
    let (_, status) = get_json(&d.url("/v1/status")).await;
    assert_eq!(status["clients"]["websocket"], 100);
    assert_eq!(
        redis_clients(&server),
        before,
        "web clients add no Redis connection"
    );
}
