//! `pricewire relay --http` as a real process: the front door comes up on the port the
//! log names; tokens (the control bearer, the streaming token, an SSE ticket) are used and
//! never appear in the log, which does name the paths; pins made through the control
//! endpoint land in the state file and are written back after Redis lost its data.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pricewire_core::ExchangeId;
use pricewire_relay::testkit::RedisServer;
use pricewire_sim::{SimConfig, SimServer};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const CONTROL: &str = "ctl-7f3a9c1e-token";
const STREAM: &str = "stream-51b2d0e8-token";

/// A child process killed (SIGKILL) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn until<T>(secs: u64, what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_door_keeps_tokens_out_of_its_log_and_pins_in_its_state_file() {
    let mut server = RedisServer::start();
    let sim = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            exchange: ExchangeId::Kraken,
            tick_interval: Duration::from_millis(50),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    let dir = server.dir().join("relay");
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("pins.json");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("[http]\nstate_file = {:?}\n", state.display().to_string()),
    )
    .unwrap();
    let log = dir.join("relay.log");
    let _relay = Proc(
        Command::new(env!("CARGO_BIN_EXE_pricewire"))
            .args([
                "relay",
                "--id",
                "relay-a",
                "-e",
                "kraken",
                "--lease-secs",
                "1",
                "--http",
                "127.0.0.1:0",
            ])
            .args(["--ws-url", &sim.ws_url(), "--rest-url", &sim.rest_url()])
            .args(["--config", config.to_str().unwrap(), "BTC/USD"])
            .env("PRICEWIRE_REDIS_URL", server.url())
            .env("PRICEWIRE_HTTP_TOKEN", CONTROL)
            .env("PRICEWIRE_STREAM_TOKEN", STREAM)
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let addr = until(30, "the front door's address in the log", async || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines()
            .find_map(|l| l.split("front door listening on ").nth(1))
            .and_then(|rest| rest.split_whitespace().next().map(str::to_owned))
    })
    .await;
    let url = |p: &str| format!("http://{addr}{p}");
    let http = reqwest::Client::new();
    until(
        30,
        "a live venue and the relay's symbols watched",
        async || {
            let r = http.get(url("/health")).send().await.ok()?;
            let s: Value = http
                .get(url("/v1/status"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (r.status() == 200
                && s["venues"][0]["watched"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty()))
            .then_some(())
        },
    )
    .await;

    // Control with the bearer token; the pin lands in Redis and in the state file.
    let r = http
        .post(url("/v1/symbols"))
        .bearer_auth(CONTROL)
        .json(&json!({"symbols": ["kraken:ETH/USD"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"][0]["pinned"], "kraken:ETH/USD", "{v}");
    assert_eq!(v["results"][0]["state_file"], Value::Null, "{v}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["pinned"]["kraken"], json!(["ETH/USD"]));

    // A stream with the token as an op; an SSE stream with a ticket in its query.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/stream"))
        .await
        .unwrap();
    ws.send(Message::text(
        json!({"op": "auth", "token": STREAM}).to_string(),
    ))
    .await
    .unwrap();
    ws.send(Message::text(
        json!({"op": "subscribe", "symbols": ["kraken:BTC/USD"]}).to_string(),
    ))
    .await
    .unwrap();
    until(
        20,
        "a ticker over the authenticated stream",
        async || match ws.next().await {
            Some(Ok(Message::Text(t))) => t.contains(r#""type":"ticker""#).then_some(()),
            _ => None,
        },
    )
    .await;
    let t: Value = http
        .post(url("/v1/sse/ticket"))
        .bearer_auth(STREAM)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = t["ticket"].as_str().unwrap().to_string();
    let mut sse = http
        .get(url(&format!(
            "/v1/sse?symbols=kraken:BTC/USD&ticket={ticket}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let chunk = tokio::time::timeout(Duration::from_secs(20), sse.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&chunk).contains("hello"));
    drop(sse);

    // Redis loses its data: the pin comes back from the state file.
    server.restart();
    until(60, "the pin written back into the new Redis", async || {
        server
            .cli(&["SMEMBERS", "pricewire:{kraken}:pinned"])
            .contains("ETH/USD")
            .then_some(())
    })
    .await;

    // The log names the paths, never a token or the ticket.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("/v1/symbols") && text.contains("/v1/sse"),
        "requests are logged by path"
    );
    for secret in [CONTROL, STREAM, ticket.as_str()] {
        assert!(!text.contains(secret), "a secret in the log: {secret}");
    }
}
