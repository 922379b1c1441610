//! Helpers shared by the simulator's integration tests: start a simulator, connect a plain
//! tokio-tungstenite client, read frames with a bound on waiting.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pricewire_sim::{Scenario, SimConfig, SimServer};
use rust_decimal::Decimal;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

pub const WAIT: Duration = Duration::from_secs(10);

/// The HTTP client of the simulator tests, which never goes through a proxy. Every request
/// here is to the simulator on 127.0.0.1, and reqwest would otherwise send it to the proxy
/// in `HTTP_PROXY`/`ALL_PROXY` when one is set, which cannot reach this machine's loopback.
/// The dashboard's own REST fallback is not reqwest: it dials through the feed's connector
/// (`feed/net.rs`) and reads no proxy variable, so the choice is needed here only.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// `GET url` with [`http_client`].
pub async fn get(url: impl reqwest::IntoUrl) -> reqwest::Result<reqwest::Response> {
    http_client().get(url).send().await
}

pub fn config(scenario: Scenario, tick_ms: u64) -> SimConfig {
    SimConfig {
        scenario,
        tick_interval: Duration::from_millis(tick_ms),
        ..SimConfig::default()
    }
}

pub async fn start(scenario: Scenario, tick_ms: u64) -> SimServer {
    timeout(
        WAIT,
        SimServer::start("127.0.0.1:0".parse().unwrap(), config(scenario, tick_ms)),
    )
    .await
    .expect("start timed out")
    .expect("start failed")
}

pub type TcpWs = WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(sim: &SimServer) -> TcpWs {
    let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(sim.ws_url()))
        .await
        .expect("connect timed out")
        .expect("connect failed");
    ws
}

pub async fn connect_mem(sim: &SimServer) -> WebSocketStream<tokio::io::DuplexStream> {
    let io = sim.connect_in_memory().expect("in-memory connect");
    let (ws, _) = tokio_tungstenite::client_async(sim.ws_url(), io)
        .await
        .expect("handshake");
    ws
}

/// The next message, `None` if nothing arrives within `wait`. Panics if the stream ends.
pub async fn next_within<S>(ws: &mut WebSocketStream<S>, wait: Duration) -> Option<Message>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match timeout(wait, ws.next()).await {
        Err(_) => None,
        Ok(Some(Ok(m))) => Some(m),
        Ok(other) => panic!("stream ended: {other:?}"),
    }
}

/// The next text frame as text (skips protocol pings).
pub async fn next_text<S>(ws: &mut WebSocketStream<S>) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match next_within(ws, WAIT).await.expect("no frame in time") {
            Message::Text(t) => return t.as_str().to_string(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
}

pub async fn send_json<S>(ws: &mut WebSocketStream<S>, v: &Value)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws.send(Message::text(v.to_string())).await.expect("send");
}

pub async fn subscribe<S>(ws: &mut WebSocketStream<S>, symbols: &[&str])
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    send_json(
        ws,
        &serde_json::json!({"method":"subscribe","params":{"channel":"ticker","symbol":symbols},"req_id":1}),
    )
    .await;
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub fn is_ticker(text: &str) -> bool {
    text.starts_with("{\"channel\":\"ticker\"")
}

/// The raw number texts of a ticker frame's first data element, by field name.
pub fn raw_fields(text: &str) -> HashMap<String, String> {
    #[derive(serde::Deserialize)]
    struct Frame {
        data: Vec<HashMap<String, Box<RawValue>>>,
    }
    let frame: Frame = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    frame.data[0]
        .iter()
        .map(|(k, v)| (k.clone(), v.get().to_string()))
        .collect()
}

pub fn decimals(raw: &str) -> usize {
    raw.split_once('.').map_or(0, |(_, frac)| frac.len())
}

pub fn dec(raw: &str) -> Decimal {
    raw.trim_matches('"')
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {raw}"))
}

/// Read text frames until `n` ticker frames arrived; returns them (other frames skipped).
pub async fn tickers<S>(ws: &mut WebSocketStream<S>, n: usize) -> Vec<String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut out = Vec::new();
    while out.len() < n {
        let t = next_text(ws).await;
        if is_ticker(&t) {
            out.push(t);
        }
    }
    out
}

/// Read until the stream ends; true if a close frame was seen first.
pub async fn saw_close_before_end<S>(ws: &mut WebSocketStream<S>) -> (bool, Vec<String>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut closed = false;
    let mut texts = Vec::new();
    loop {
        match timeout(WAIT, ws.next())
            .await
            .expect("stream did not end in time")
        {
            Some(Ok(Message::Close(_))) => closed = true,
            Some(Ok(Message::Text(t))) => texts.push(t.as_str().to_string()),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (closed, texts),
        }
    }
}
