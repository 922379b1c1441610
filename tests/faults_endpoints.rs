//! The fault matrix over real sockets: what the venue's endpoint itself does wrong. A name
//! that does not resolve, a TLS certificate nobody vouches for, a clean 1000 close, and
//! venue text carrying terminal escape sequences. Real time, every wait bounded.

mod common;
mod faults_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{Rig, fast_config, has_reason, history, status, updates};
use faults_support::{Step, kraken_ticker, scripted_venue};
use pricewire_core::config::FeedConfig;
use pricewire_core::feed::net::{Resolver, TcpConnector};
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::{RowState, Snapshot};
use tokio::net::TcpListener;

/// A Kraken feed over real TCP to the given URLs. The simulator in the rig is idle: it
/// only satisfies the rig's shape.
fn feed_to(ws_url: &str, rest_url: &str, cfg: FeedConfig, symbols: &[&str]) -> Rig {
    common::kraken_over(TcpConnector::default(), ws_url, rest_url, cfg, symbols)
}

fn never_connected(snap: &Snapshot) -> bool {
    !history(snap).iter().any(|l| l.contains("→ connected"))
}

/// A resolver that answers every name as DNS answers an `.invalid` one (RFC 6761: never
/// resolves), without asking the network; it counts the questions.
fn nxdomain(asked: Arc<AtomicU64>) -> Resolver {
    Arc::new(move |_, _| {
        asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Err(std::io::Error::other(
                "failed to lookup address information: Name or service not known",
            ))
        })
    })
}

// Row 8: an unresolvable host is a DNS failure, told apart from a refusal. The real TCP
// dialler runs with a resolver that fails as DNS does, so no network is needed.
#[tokio::test]
async fn unresolvable_host_is_reported_as_dns() {
    let asked = Arc::new(AtomicU64::new(0));
    let rig = common::kraken_over(
        TcpConnector::with_resolver(nxdomain(Arc::clone(&asked))),
        "ws://nonexistent.invalid/v2",
        "http://nonexistent.invalid",
        fast_config(),
        &["BTC/USD"],
    );
    let snap = rig
        .until(30, "a DNS failure", |s| {
            s.feeds[0]
                .history
                .iter()
                .any(|t| t.reason.starts_with("DNS: nonexistent.invalid"))
        })
        .await;
    assert!(never_connected(&snap), "{:#?}", history(&snap));
    assert!(matches!(
        status(&snap),
        FeedStatus::Reconnecting { .. } | FeedStatus::Offline { .. }
    ));
    assert!(
        asked.load(Ordering::SeqCst) >= 1,
        "the resolver was never asked"
    );
    rig.stop().await;
}

/// A TLS server on 127.0.0.1 presenting a self-signed certificate for `localhost`.
/// Returns its port and counters of (handshakes attempted, handshakes completed).
async fn untrusted_tls_server() -> (u16, Arc<AtomicU64>, Arc<AtomicU64>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tried, done) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (t, d) = (Arc::clone(&tried), Arc::clone(&done));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            t.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let d = Arc::clone(&d);
            tokio::spawn(async move {
                if acceptor.accept(tcp).await.is_ok() {
                    d.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    (port, tried, done)
}

/// A resolver that sends every name to 127.0.0.1, so a URL can carry the host name a
/// certificate is checked against without a lookup.
fn loopback() -> Resolver {
    Arc::new(|_, port| Box::pin(async move { Ok(vec![([127, 0, 0, 1], port).into()]) }))
}

// Row 9: a certificate no trusted root signed is refused with a TLS reason, never accepted,
// for the WebSocket and for REST alike.
#[tokio::test]
async fn untrusted_certificate_is_refused() {
    let (port, tried, done) = untrusted_tls_server().await;
    let rig = common::kraken_over(
        TcpConnector::with_resolver(loopback()),
        &format!("wss://localhost:{port}/v2"),
        &format!("https://localhost:{port}"),
        fast_config(),
        &["BTC/USD"],
    );
    let snap = rig
        .until(30, "TLS refusals on both paths", |s| {
            let feed = &s.feeds[0];
            feed.history.iter().any(|t| t.reason.starts_with("TLS: "))
                && matches!(feed.status, FeedStatus::Offline { .. })
        })
        .await;
    assert!(
        has_reason(&snap, "invalid peer certificate"),
        "{:#?}",
        history(&snap)
    );
    assert!(has_reason(&snap, "REST: TLS: "), "{:#?}", history(&snap));
    assert!(never_connected(&snap), "{:#?}", history(&snap));
    assert!(tried.load(Ordering::SeqCst) >= 3);
    // The client aborts each handshake: the server never sees one complete.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(done.load(Ordering::SeqCst), 0);
    assert!(snap.rows.iter().all(|r| r.ticker.is_none()));
    rig.stop().await;
}

const NOW: &str = "2026-01-01T00:00:00.000000Z";

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

// Row 1 (code 1000) and row 23: a normal close is reported with its code and recovered
// from; venue texts full of escape sequences (status, a symbol's rejection, a request's
// rejection, the close reason) reach the store as plain text.
#[tokio::test]
async fn normal_close_and_hostile_venue_text() {
    let first = vec![
        Step::Send(
            r#"{"channel":"status","type":"update","data":[{"system":"\u001b[2J\u001b]0;pwned\u0007maint\u001b[31menance","api_version":"v2","connection_id":1,"version":"2.0.0"}]}"#
                .into(),
        ),
        Step::Send(format!(
            r#"{{"error":"\u001b]8;;http://x\u0007Currency pair\u001b[5m not\u009b2J supported\r\nETH/USD","method":"subscribe","success":false,"symbol":"ETH/USD","time_in":"{NOW}","time_out":"{NOW}"}}"#
        )),
        Step::Send(format!(
            r#"{{"error":"\u001bcRate\u202e limit","method":"subscribe","success":false,"time_in":"{NOW}","time_out":"{NOW}"}}"#
        )),
        Step::Send(kraken_ticker("BTC/USD", "100.0", NOW)),
        Step::Pause(Duration::from_millis(100)),
        Step::Close(1000, "\u{1b}[2Jrestart\u{7}".into()),
    ];
    let mut second = vec![];
    for i in 1..=40 {
        second.push(Step::Send(kraken_ticker(
            "BTC/USD",
            &format!("200.{i}"),
            &format!("2026-01-01T00:00:{i:02}.000000Z"),
        )));
        second.push(Step::Pause(Duration::from_millis(50)));
    }
    let venue = scripted_venue(vec![first, second]).await;
    let rest = venue.url.replace("ws://", "http://").replace("/v2", "");
    // The script answers no pings: keep them out of the way. Exactly two sessions are
    // expected over real sockets: watchdogs of 30 s leave no room for a stall to add one.
    let cfg = FeedConfig {
        ping_interval: Some(Duration::from_mins(1)),
        silence: Some(Duration::from_secs(30)),
        connect_timeout: Duration::from_secs(30),
        ..fast_config()
    };
    let rig = feed_to(&venue.url, &rest, cfg, &["BTC/USD", "ETH/USD"]);
    let snap = rig
        .until(20, "close, reconnect and new prices", |s| {
            has_reason(s, "closed by server (1000 normal: restart)")
                && status(s) == FeedStatus::Connected
                && updates(s, "BTC/USD") > 5
        })
        .await;
    assert_eq!(venue.connections.load(Ordering::SeqCst), 2);
    let row = snap.row(ExchangeId::Kraken, "BTC/USD").unwrap();
    assert!(
        row.ticker
            .as_ref()
            .unwrap()
            .last
            .unwrap()
            .to_string()
            .starts_with("200.")
    );
    assert!(
        has_reason(&snap, "exchange status: maintenance"),
        "{:#?}",
        history(&snap)
    );
    assert!(
        has_reason(&snap, "subscribe rejected: Rate limit"),
        "{:#?}",
        history(&snap)
    );
    let eth = snap.row(ExchangeId::Kraken, "ETH/USD").unwrap();
    assert_eq!(
        eth.state,
        RowState::Invalid("Currency pair not supported ETH/USD".into())
    );
    for feed in &snap.feeds {
        assert!(!has_control(&feed.reason), "{:?}", feed.reason);
        for t in &feed.history {
            assert!(!has_control(&t.reason), "{:?}", t.reason);
            assert!(!t.reason.contains('\u{202e}'), "{:?}", t.reason);
        }
    }
    rig.stop().await;
}
