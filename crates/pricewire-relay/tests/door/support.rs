//! What the front door's tests share: a relay with its front door on 127.0.0.1:0 over a
//! real redis-server and the simulator, a WebSocket client, a raw SSE client, and waiting
//! with a deadline (a deadline is a bound on waiting, never a timing assertion).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use pricewire_relay::http::{self, HttpSettings, Limits};
use pricewire_relay::relay::{self, RelaySettings};
use pricewire_relay::testkit::RedisServer;
use pricewire_sim::SimServer;

pub use crate::common::{relay_settings, sim, target};

/// A relay (leader or standby) with its front door.
pub struct Door {
    pub addr: SocketAddr,
    pub stop: CancellationToken,
}

impl Door {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/v1/stream", self.addr)
    }
}

impl Drop for Door {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Limits for tests: quick heartbeats; everything else as shipped.
pub fn limits() -> Limits {
    Limits {
        heartbeat: Duration::from_millis(500),
        ..Limits::default()
    }
}

/// Start relay `id` on the simulator with a front door configured by `tune`.
pub async fn door(
    id: &str,
    server: &RedisServer,
    sim: &SimServer,
    tune: impl FnOnce(&mut HttpSettings),
) -> Door {
    door_with(relay_settings(id, target(server), sim), tune).await
}

/// Wait for `f` to hold, at most `secs`.
pub async fn until<T>(secs: u64, what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn get_json(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The front door reads its first snapshot, the leader's feed is live and the relay's
/// symbols are watched.
pub async fn live(d: &Door) {
    until(
        30,
        "a live venue, a ticker in /v1/tickers, watched symbols",
        async || {
            let (_, h) = get_json(&d.url("/health")).await;
            let (_, t) = get_json(&d.url("/v1/tickers")).await;
            let (_, s) = get_json(&d.url("/v1/status")).await;
            (h["ok"] == true
                && t["tickers"].as_array().is_some_and(|a| !a.is_empty())
                && s["venues"][0]["watched"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty()))
            .then_some(())
        },
    )
    .await;
}

/// One front-door test at a time: each runs a Redis, a simulator, relays and many
/// sockets, and together they would starve a two-core machine.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ONE.lock().await
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Ws {
    pub ws: Socket,
}

impl Ws {
    pub async fn connect(d: &Door) -> Ws {
        Ws::connect_with(d, &[]).await.unwrap()
    }

    /// Connect with extra headers; the HTTP status when refused.
    pub async fn connect_with(d: &Door, headers: &[(&str, &str)]) -> Result<Ws, u16> {
        let mut req = d.ws_url().into_client_request().unwrap();
        for (k, v) in headers {
            req.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((ws, _)) => Ok(Ws { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
            Err(e) => panic!("connect: {e}"),
        }
    }

    pub async fn send(&mut self, v: &Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    /// The next JSON message (pings and pongs skipped); `None` when closed.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("a message within 20 s")?;
            match m {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
                Ok(Message::Close(f)) => {
                    eprintln!("closed by the relay: {f:?}");
                    return None;
                }
                Err(e) => {
                    eprintln!("connection error: {e}");
                    return None;
                }
                Ok(_) => {}
            }
        }
    }

    /// The next message of `type`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let m = self
                .next()
                .await
                .unwrap_or_else(|| panic!("closed before a {kind}"));
            if m["type"] == kind {
                return m;
            }
        }
    }

    /// Read until the close frame; its code and reason.
    pub async fn close_code(&mut self) -> Option<(u16, String)> {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("closed within 20 s");
            match m {
                Some(Ok(Message::Close(Some(f)))) => {
                    return Some((f.code.into(), f.reason.to_string()));
                }
                Some(Ok(Message::Close(None)) | Err(_)) | None => return None,
                Some(Ok(_)) => {}
            }
        }
    }
}

/// A raw SSE client: the request line and headers written by hand, events read by line.
pub struct Sse {
    pub status: u16,
    lines: tokio::io::Lines<BufReader<TcpStream>>,
}

/// One event: its id (if any) and its data.
#[derive(Debug)]
pub struct Event {
    pub id: Option<String>,
    pub data: Value,
}

impl Sse {
    pub async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Sse {
        let mut s = TcpStream::connect(addr).await.unwrap();
        // HTTP/1.0: the body ends with the connection (no chunk framing between the lines).
        let mut req =
            format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
        for (k, v) in headers {
            req.push_str(k);
            req.push_str(": ");
            req.push_str(v);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut lines = BufReader::new(s).lines();
        let first = lines.next_line().await.unwrap().unwrap_or_default();
        let status = first
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        // Headers.
        while let Some(l) = lines.next_line().await.unwrap() {
            if l.is_empty() {
                break;
            }
        }
        Sse { status, lines }
    }

    /// The next event (comments skipped).
    pub async fn next(&mut self) -> Option<Event> {
        let mut id = None;
        loop {
            let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line())
                .await
                .expect("an SSE line within 20 s")
                .ok()??;
            if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.to_string());
            } else if let Some(d) = line.strip_prefix("data: ") {
                return Some(Event {
                    id,
                    data: serde_json::from_str(d).unwrap(),
                });
            }
        }
    }

    pub async fn next_of(&mut self, kind: &str) -> Event {
        loop {
            let e = self
                .next()
                .await
                .unwrap_or_else(|| panic!("ended before a {kind}"));
            if e.data["type"] == kind {
                return e;
            }
        }
    }
}

/// The value of a metric line `name{labels} value` in a /metrics text.
pub fn metric(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.split(' ').next() == Some(name_and_labels))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Start a relay with `settings` and a front door configured by `tune`.
pub async fn door_with(settings: RelaySettings, tune: impl FnOnce(&mut HttpSettings)) -> Door {
    let mut http = HttpSettings::new(http::listen_any());
    http.limits = limits();
    tune(&mut http);
    let stop = CancellationToken::new();
    let fd = http::start(http, &settings, stop.clone()).await.unwrap();
    tokio::spawn(relay::run(settings.clone(), stop.clone()));
    Door {
        addr: fd.addr(),
        stop,
    }
}

/// This process's resident memory, in KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
