//! The alert webhook over the engine's connector, on tokio's paused clock: an in-memory
//! HTTP server answers as scripted (a status, or never), so timeouts and pauses between
//! retries are exact and instant. Delivered once; retried on 500 with doubling pauses;
//! a 4xx is not retried; a hung server costs one timeout per attempt and stalls nothing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pricewire::webhook::{self, WebhookSettings};
use pricewire_core::feed::net::{BoxFuture, BoxIo, Connector, NetError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    Hang,
}

/// One request as the server saw it: when (paused clock), the head and the body.
struct Seen {
    at: Duration,
    head: String,
    body: String,
}

#[derive(Clone)]
struct Hook {
    script: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    start: Instant,
}

impl Hook {
    fn new(script: &[Answer]) -> Self {
        Hook {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            seen: Arc::default(),
            start: Instant::now(),
        }
    }

    fn seen(&self) -> Vec<(Duration, String, String)> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| (s.at, s.head.clone(), s.body.clone()))
            .collect()
    }
}

async fn serve(hook: Hook, mut io: tokio::io::DuplexStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    hook.seen.lock().unwrap().push(Seen {
        at: hook.start.elapsed(),
        head,
        body,
    });
    let answer = hook
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Answer::Status(200));
    match answer {
        Answer::Status(code) => {
            let reply =
                format!("HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            let _ = io.write_all(reply.as_bytes()).await;
            let _ = io.shutdown().await;
        }
        Answer::Hang => std::future::pending::<()>().await,
    }
}

impl Connector for Hook {
    fn dial<'a>(&'a self, _: &'a str, _: u16) -> BoxFuture<'a, Result<BoxIo, NetError>> {
        let (client, server) = tokio::io::duplex(64 * 1024);
        tokio::spawn(serve(self.clone(), server));
        Box::pin(async move { Ok(Box::new(client) as BoxIo) })
    }
}

const URL: &str = "https://hooks.example.com/services/T000/B000/SECRETTOKEN";

fn settings() -> WebhookSettings {
    WebhookSettings {
        url: URL.into(),
        timeout: Duration::from_secs(5),
        retries: 3,
        backoff: Duration::from_secs(1),
    }
}

/// Plain HTTP so the in-memory server needs no TLS: the URL's scheme is what decides.
fn plain(mut s: WebhookSettings) -> WebhookSettings {
    s.url = "http://hooks.example.com/services/T000/B000/SECRETTOKEN".into();
    s
}

fn start_plain(hook: &Hook) -> (webhook::Webhook, CancellationToken) {
    let stop = CancellationToken::new();
    let (w, _task) = webhook::spawn(plain(settings()), Arc::new(hook.clone()), stop.clone());
    (w, stop)
}

#[tokio::test(start_paused = true)]
async fn an_alert_is_posted_once_as_json() {
    let hook = Hook::new(&[Answer::Status(204)]);
    let (w, stop) = start_plain(&hook);
    let body = r#"{"type":"alert","exchange":"kraken","symbol":"BTC/USD"}"#;
    assert!(w.send(body.into()));
    tokio::time::sleep(Duration::from_secs(60)).await;
    let seen = hook.seen();
    assert_eq!(seen.len(), 1, "delivered once");
    let (_, head, got) = &seen[0];
    assert!(
        head.starts_with("POST /services/T000/B000/SECRETTOKEN HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert_eq!(got, body);
    stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_500_is_retried_with_doubling_pauses() {
    let hook = Hook::new(&[
        Answer::Status(500),
        Answer::Status(503),
        Answer::Status(200),
    ]);
    let (w, stop) = start_plain(&hook);
    assert!(w.send("{}".into()));
    tokio::time::sleep(Duration::from_secs(60)).await;
    let at: Vec<u64> = hook.seen().iter().map(|s| s.0.as_secs()).collect();
    assert_eq!(
        at,
        [0, 1, 3],
        "three attempts, 1 s then 2 s apart, none after the 200"
    );
    stop.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_client_error_is_not_retried() {
    let hook = Hook::new(&[Answer::Status(404)]);
    let (w, stop) = start_plain(&hook);
    assert!(w.send("{}".into()));
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(hook.seen().len(), 1);
    stop.cancel();
}

/// A server that never answers: each attempt ends at its timeout, the retries follow, and
/// meanwhile sending never waits (a full queue drops, at once) and other tasks run on.
#[tokio::test(start_paused = true)]
async fn a_hung_webhook_stalls_nothing() {
    let hook = Hook::new(&[Answer::Hang; 8]);
    let (w, stop) = start_plain(&hook);
    let ticks = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&ticks);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            *counter.lock().unwrap() += 1;
        }
    });
    let before = Instant::now();
    let mut taken = 0;
    for _ in 0..200 {
        if w.send("{}".into()) {
            taken += 1;
        }
    }
    assert_eq!(before.elapsed(), Duration::ZERO, "sending never waits");
    assert!((64..200).contains(&taken), "the queue is bounded: {taken}");
    assert_eq!(w.dropped(), 200 - taken);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(*ticks.lock().unwrap() >= 29, "other tasks ran on");
    // Attempts at 0, 5+1, 11+2, 18+4: each a 5 s timeout, then the doubling pause.
    let at: Vec<u64> = hook.seen().iter().map(|s| s.0.as_secs()).collect();
    assert_eq!(&at[..4], [0, 6, 13, 22], "{at:?}");
    stop.cancel();
}

#[test]
fn logs_name_the_host_only() {
    assert_eq!(webhook::redact(URL), "https://hooks.example.com/…");
    assert!(!webhook::redact(URL).contains("SECRET"));
    assert_eq!(webhook::redact("not a url"), "(an unreadable URL)");
}
