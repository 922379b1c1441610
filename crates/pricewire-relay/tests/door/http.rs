//! The plain endpoints: /ready and /health through a simulator going away and coming
//! back and Redis going away, /metrics parsed and moving, /v1/tickers, /v1/status, and
//! the token-protected control endpoints.

use serde_json::{Value, json};

use crate::support::*;
use pricewire_core::ExchangeId;
use pricewire_relay::testkit::RedisServer;
use pricewire_sim::{SimConfig, SimServer};

async fn metrics(d: &Door) -> String {
    reqwest::get(d.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_venue_and_ready_follows_redis_and_metrics_move() {
    let _one = serial().await;
    let mut server = RedisServer::start();
    let sim = sim().await;
    let port = sim.addr().unwrap();
    let d = door("relay-a", &server, &sim, |_| {}).await;
    live(&d).await;
    let (code, ready) = get_json(&d.url("/ready")).await;
    assert_eq!((code, &ready["ok"]), (200, &json!(true)));
    let (code, health) = get_json(&d.url("/health")).await;
    assert_eq!(code, 200, "{health}");
    assert_eq!(health["venues"]["kraken"]["state"], "connected");

    // Metrics parse, and the counters move.
    let m1 = metrics(&d).await;
    for line in m1.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "a number: {line}");
        assert!(!line.contains("symbol="), "no symbol labels: {line}");
    }
    assert!(m1.ends_with("# EOF\n"));
    assert_eq!(
        metric(&m1, r#"pricewire_leader{venue="kraken"}"#),
        Some(1.0)
    );
    assert_eq!(
        metric(&m1, r#"pricewire_venue_state{venue="kraken"}"#),
        Some(2.0)
    );
    let mut ws = Ws::connect(&d).await;
    ws.send(&json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}))
        .await;
    for _ in 0..3 {
        ws.next_of("ticker").await;
    }
    let m2 = metrics(&d).await;
    for name in [
        r#"pricewire_tickers_in_total{venue="kraken"}"#,
        r#"pricewire_frames_in_total{venue="kraken"}"#,
        r#"pricewire_messages_out_total{transport="websocket"}"#,
        r#"pricewire_publish_latency_seconds_count{venue="kraken"}"#,
        "pricewire_published_total",
    ] {
        assert!(metric(&m2, name) > metric(&m1, name), "{name} moves");
    }
    assert_eq!(
        metric(&m2, r#"pricewire_clients{transport="websocket"}"#),
        Some(1.0)
    );

    // The simulator goes away: the venue is reconnecting, /health says 503 and why.
    sim.shutdown().await;
    let why = until(30, "/health 503", async || {
        let (code, h) = get_json(&d.url("/health")).await;
        (code == 503).then_some(h)
    })
    .await;
    assert!(
        why["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("kraken: reconnecting"),
        "{why}"
    );
    let st = ws.next_of("state").await;
    assert_ne!(st["state"], "connected");
    // It comes back on the same port: 200 again.
    let back = SimServer::start(
        port,
        SimConfig {
            exchange: ExchangeId::Kraken,
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    until(60, "/health 200 again", async || {
        (get_json(&d.url("/health")).await.0 == 200).then_some(())
    })
    .await;

    // Redis goes away: /ready 503 and clients are told the link is lost.
    server.kill();
    until(20, "/ready 503", async || {
        (get_json(&d.url("/ready")).await.0 == 503).then_some(())
    })
    .await;
    let lost = until(20, "link_lost to the client", async || {
        let m = ws.next().await?;
        (m["type"] == "state" && m["state"] == "link_lost").then_some(m)
    })
    .await;
    assert!(
        lost["reason"].as_str().unwrap().contains("relay link lost"),
        "{lost}"
    );
    server.restart();
    until(60, "/ready 200 after Redis is back", async || {
        (get_json(&d.url("/ready")).await.0 == 200).then_some(())
    })
    .await;
    drop(back);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_endpoints_need_the_token_and_report_per_symbol() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let off = door("relay-b", &server, &sim, |_| {}).await;
    let d = door("relay-a", &server, &sim, |h| {
        h.control_token = Some("ctl-token".into());
    })
    .await;
    live(&d).await;
    let client = reqwest::Client::new();
    let add = |token: Option<&str>, url: String, body: Value| {
        let mut r = client.post(url).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let body = json!({"symbols": ["kraken:eth/usd", "kraken:BTC/USDX", "mars:BTC/USD"]});
    assert_eq!(
        add(Some("ctl-token"), off.url("/v1/symbols"), body.clone())
            .await
            .unwrap()
            .status(),
        403,
        "no token configured: off"
    );
    assert_eq!(
        add(None, d.url("/v1/symbols"), body.clone())
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        add(Some("wrong"), d.url("/v1/symbols"), body.clone())
            .await
            .unwrap()
            .status(),
        401
    );
    let r = add(Some("ctl-token"), d.url("/v1/symbols"), body)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let res = v["results"].as_array().unwrap();
    assert_eq!(res[0]["pinned"], "kraken:ETH/USD", "{v}");
    assert_eq!(res[1]["ok"], false);
    assert!(
        res[1]["error"].as_str().unwrap().contains("did you mean"),
        "{v}"
    );
    assert!(
        res[2]["error"].as_str().unwrap().contains("unknown venue"),
        "{v}"
    );
    // A body that is not JSON is refused with the parser's reason; a JSON body is read
    // whatever its Content-Type (curl -d sends a form type).
    let raw = |body: &'static str| {
        client
            .post(d.url("/v1/symbols"))
            .bearer_auth("ctl-token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = raw("symbols=kraken:ETH/USD").await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "bad_json", "{v}");
    let r = raw(r#"{"symbols":["kraken:ETH/USD"]}"#).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"][0]["pinned"], "kraken:ETH/USD", "{v}");
    // Pinned: watched and carried; a client may now subscribe to it.
    until(20, "ETH/USD tickers", async || {
        let (_, t) = get_json(&d.url("/v1/tickers?symbols=kraken:ETH/USD")).await;
        (t["tickers"].as_array().is_some_and(|a| !a.is_empty())).then_some(())
    })
    .await;
    let r = client
        .delete(d.url("/v1/symbols/kraken/ETH/USD"))
        .bearer_auth("ctl-token")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["removed"], true, "{v}");
    assert_eq!(server.cli(&["SMEMBERS", "pricewire:{kraken}:pinned"]), "");
    // Reconnect: 202 with the request's id; the leader obeys.
    let r = client
        .post(d.url("/v1/venues/kraken/reconnect"))
        .bearer_auth("ctl-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let v: Value = r.json().await.unwrap();
    assert!(v["request_id"].as_str().unwrap().contains('-'), "{v}");
    until(20, "the reconnect in the venue's history", async || {
        let (_, s) = get_json(&d.url("/v1/status")).await;
        s["venues"][0]["history"]
            .as_array()?
            .iter()
            .any(|l| {
                l["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("manual reconnect"))
            })
            .then_some(())
    })
    .await;
    let r = client
        .post(d.url("/v1/venues/mars/reconnect"))
        .bearer_auth("ctl-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (code, v) = get_json(&d.url("/v1/nothing")).await;
    assert_eq!((code, v["code"].as_str()), (404, Some("not_found")));
}
