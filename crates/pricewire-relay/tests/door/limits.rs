//! Limits and security, each tested: origins, tokens, rate limit, message size, bad
//! input, subscription and client caps, idle and half-open clients.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;
use pricewire_relay::http::guard::Origin;
use pricewire_relay::testkit::RedisServer;

async fn metrics(d: &Door) -> String {
    reqwest::get(d.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_are_refused_on_websocket_and_sse_and_counted() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let d = door("relay-a", &server, &sim, |h| {
        h.allowed_origins = vec![Origin::parse("https://example.com").unwrap()];
    })
    .await;
    live(&d).await;
    let own = format!("http://{}", d.addr);
    let wrong_port = format!("http://127.0.0.1:{}", d.addr.port() + 1);
    let refused = [
        "https://evil.com",
        "null",
        "https://evil-example.com",
        "https://example.com.evil.net",
        "https://example.com:8443",
        wrong_port.as_str(),
    ];
    for o in refused {
        assert_eq!(
            Ws::connect_with(&d, &[("origin", o)]).await.err(),
            Some(403),
            "{o}"
        );
        let sse = Sse::open(d.addr, "/v1/sse?symbols=kraken:BTC/USD", &[("Origin", o)]).await;
        assert_eq!(sse.status, 403, "{o}");
    }
    for o in ["https://example.com", own.as_str()] {
        assert!(Ws::connect_with(&d, &[("origin", o)]).await.is_ok(), "{o}");
        assert_eq!(
            Sse::open(d.addr, "/v1/sse?symbols=kraken:BTC/USD", &[("Origin", o)])
                .await
                .status,
            200,
            "{o}"
        );
    }
    let m = metrics(&d).await;
    let n = refused.len() as f64;
    assert_eq!(
        metric(
            &m,
            r#"pricewire_origins_rejected_total{transport="websocket"}"#
        ),
        Some(n),
        "{m}"
    );
    assert_eq!(
        metric(&m, r#"pricewire_origins_rejected_total{transport="sse"}"#),
        Some(n)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_take_a_token_by_op_subprotocol_or_ticket() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let d = door("relay-a", &server, &sim, |h| {
        h.stream_token = Some("s3cret-stream".into());
    })
    .await;
    live(&d).await;
    let mut ws = Ws::connect(&d).await;
    assert_eq!(ws.next_of("hello").await["auth_required"], true);
    ws.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}))
        .await;
    assert_eq!(ws.next_of("error").await["code"], "auth_required");
    ws.send(&json!({"op": "auth", "id": 1, "token": "s3cret-stream"}))
        .await;
    assert_eq!(ws.next_of("ack").await["op"], "auth");
    ws.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}))
        .await;
    ws.next_of("ticker").await;
    let mut bad = Ws::connect(&d).await;
    bad.send(&json!({"op": "auth", "token": "guess"})).await;
    assert_eq!(bad.close_code().await.map(|c| c.0), Some(1008));
    // The subprotocol way (what a browser can do).
    let mut sp = Ws::connect_with(
        &d,
        &[(
            "sec-websocket-protocol",
            "pricewire.v1, bearer.s3cret-stream",
        )],
    )
    .await
    .unwrap();
    assert_eq!(sp.next_of("hello").await["auth_required"], false);
    assert_eq!(
        Ws::connect_with(
            &d,
            &[("sec-websocket-protocol", "pricewire.v1, bearer.nope")]
        )
        .await
        .err(),
        Some(401)
    );
    // SSE: a ticket from a POST, good once.
    assert_eq!(
        Sse::open(d.addr, "/v1/sse?symbols=kraken:BTC/USD", &[])
            .await
            .status,
        401
    );
    let c = reqwest::Client::new();
    let r = c.post(d.url("/v1/sse/ticket")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r: serde_json::Value = c
        .post(d.url("/v1/sse/ticket"))
        .bearer_auth("s3cret-stream")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t = r["ticket"].as_str().unwrap().to_string();
    let path = format!("/v1/sse?symbols=kraken:BTC/USD&ticket={t}");
    let mut sse = Sse::open(d.addr, &path, &[]).await;
    assert_eq!(sse.status, 200);
    sse.next_of("ticker").await;
    assert_eq!(
        Sse::open(d.addr, &path, &[]).await.status,
        401,
        "a ticket is good once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_gets_error_frames_then_a_close_and_everyone_else_is_served() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let d = door("relay-a", &server, &sim, |h| {
        h.allow_client_wants = true;
        h.limits.max_subscriptions = 2;
    })
    .await;
    live(&d).await;
    let mut good = Ws::connect(&d).await;
    good.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}))
        .await;
    good.next_of("ticker").await;

    let mut ws = Ws::connect(&d).await;
    ws.next_of("hello").await;
    ws.send_raw(Message::text("{not json")).await;
    assert_eq!(ws.next_of("error").await["code"], "bad_json");
    ws.send(&json!({"op": "dance", "id": 3})).await;
    let e = ws.next_of("error").await;
    assert_eq!(
        (e["code"].as_str(), e["id"].as_u64()),
        (Some("unknown_op"), Some(3))
    );
    ws.send_raw(Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(ws.next_of("error").await["code"], "binary");
    let many: Vec<String> = (0..150).map(|i| format!("kraken:A{i}/B")).collect();
    ws.send(&json!({"op": "subscribe", "symbols": many})).await;
    assert_eq!(ws.next_of("error").await["code"], "too_many_symbols");
    // Unknown symbols and venues, each with its reason; the cap of 2 per client.
    ws.send(&json!({"op": "subscribe", "id": 4, "symbols": ["kraken:BTC/USDX", "mars:BTC/USD", "BTC/USD", "kraken:BTC/USD", "kraken:ETH/USD", "kraken:SOL/USD"]})).await;
    let ack = ws.next_of("ack").await;
    assert_eq!(
        ack["accepted"],
        json!(["kraken:BTC/USD", "kraken:ETH/USD"]),
        "{ack}"
    );
    let why: Vec<String> = ack["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error"].as_str().unwrap().to_string())
        .collect();
    assert!(
        why[0].contains("does not list") && why[0].contains("BTC/USD"),
        "a suggestion: {why:?}"
    );
    assert!(why[1].contains("unknown venue"), "{why:?}");
    assert!(why[2].contains("names no venue"), "{why:?}");
    assert!(why[3].contains("at most 2"), "{why:?}");
    // ETH/USD was nobody's want: leased for this client, the leader carries it.
    until(
        20,
        "ETH/USD tickers for the client that added it",
        async || {
            let m = ws.next().await?;
            (m["type"] == "ticker" && m["symbol"] == "ETH/USD").then_some(())
        },
    )
    .await;
    // 4 KiB at most: 1009.
    ws.send_raw(Message::text("x".repeat(5000))).await;
    assert_eq!(ws.close_code().await.map(|c| c.0), Some(1009));
    // Ten thousand symbols in one subscribe is over the size cap as well.
    let mut huge = Ws::connect(&d).await;
    let all: Vec<String> = (0..10_000).map(|i| format!("kraken:S{i}/USD")).collect();
    huge.send_raw(Message::text(
        json!({"op": "subscribe", "symbols": all}).to_string(),
    ))
    .await;
    assert_eq!(huge.close_code().await.map(|c| c.0), Some(1009));

    // Over 50 messages/s (burst 100): error frames, then 1008 when it goes on.
    let mut flood = Ws::connect(&d).await;
    flood.next_of("hello").await;
    for i in 0..400u32 {
        if flood
            .ws
            .send(Message::text(json!({"op": "ping", "id": i}).to_string()))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut limited = 0;
    let code = loop {
        use futures_util::StreamExt;
        match tokio::time::timeout(Duration::from_secs(20), flood.ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Text(t))) => limited += usize::from(t.contains("rate_limited")),
            Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert!(limited >= 1, "rate-limited error frames");
    assert_eq!(code, Some(1008));
    let m = metrics(&d).await;
    assert!(
        metric(
            &m,
            r#"pricewire_clients_rate_limited_total{transport="websocket"}"#
        )
        .unwrap_or(0.0)
            >= 100.0,
        "{m}"
    );
    // The well-behaved client was served all along.
    good.send(&json!({"op": "ping", "id": 1})).await;
    good.next_of("pong").await;
    good.next_of("ticker").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_half_open_and_one_too_many_clients_are_closed_or_refused() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let d = door("relay-a", &server, &sim, |h| {
        h.limits.max_clients = 2;
        h.limits.idle_timeout = Duration::from_secs(1);
        h.limits.ping_timeout = Duration::from_millis(1500);
    })
    .await;
    live(&d).await;
    // Never subscribes: closed (1008).
    let mut idle = Ws::connect(&d).await;
    let (code, reason) = idle.close_code().await.unwrap();
    assert_eq!(code, 1008);
    assert!(reason.contains("idle"), "{reason}");
    until(10, "the idle client gone", async || {
        let (_, s) = get_json(&d.url("/v1/status")).await;
        (s["clients"]["websocket"] == 0).then_some(())
    })
    .await;
    // Half-open: upgrades, subscribes, then neither reads nor answers pings.
    let mut raw = tokio::net::TcpStream::connect(d.addr).await.unwrap();
    let req = format!(
        "GET /v1/stream HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        d.addr
    );
    raw.write_all(req.as_bytes()).await.unwrap();
    let payload = json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}).to_string();
    raw.write_all(&masked_text(payload.as_bytes()))
        .await
        .unwrap();
    let mut one = Ws::connect(&d).await;
    one.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}))
        .await;
    // Two clients now: the third is told 503, on both transports.
    assert_eq!(Ws::connect_with(&d, &[]).await.err(), Some(503));
    assert_eq!(
        Sse::open(d.addr, "/v1/sse?symbols=kraken:BTC/USD", &[])
            .await
            .status,
        503
    );
    until(
        20,
        "the half-open client closed within the ping timeout",
        async || {
            // `one` is not read here, so it answers no ping: it speaks instead, which
            // also tells the relay it is alive.
            one.send(&json!({"op": "ping"})).await;
            let (_, s) = get_json(&d.url("/v1/status")).await;
            (s["clients"]["websocket"] == 1).then_some(())
        },
    )
    .await;
    // Its socket was closed by the relay: reading drains what was sent, then ends.
    let mut buf = vec![0u8; 1 << 16];
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match raw.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the relay closed the half-open socket");
    one.next_of("ticker").await;
    let m = metrics(&d).await;
    assert!(
        metric(
            &m,
            r#"pricewire_clients_refused_full_total{transport="websocket"}"#
        ) >= Some(1.0),
        "{m}"
    );
}

/// A client's text frame, masked as RFC 6455 requires (mask 0: the payload as is).
fn masked_text(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x81u8];
    assert!(payload.len() < 126);
    f.push(0x80 | payload.len() as u8);
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

impl Ws {
    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.unwrap();
    }
}
