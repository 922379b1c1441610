//! The web page in a real headless Chromium: prices from the simulator appear and change,
//! the venue's state is shown as a word, and killing the simulator shows the venue as
//! reconnecting and the rows as stale. The time to the first price is printed (a
//! benchmark's figure, not asserted).

use std::time::Instant;

use serde_json::Value;

use crate::cdp::Browser;
use crate::support::*;
use pricewire_relay::testkit::RedisServer;

const LAST: &str =
    r#"(document.querySelector('tr[data-key="kraken:BTC/USD"] td.last') || {}).textContent || """#;
const STATE: &str =
    r#"(document.querySelector('li[data-venue="kraken"] .state') || {}).textContent || """#;

async fn wait(
    b: &mut Browser,
    secs: u64,
    what: &str,
    expr: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let v = b.eval(expr).await;
        if ok(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {secs} s; the page says {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_live_prices_and_a_reconnecting_venue() {
    let _one = serial().await;
    let server = RedisServer::start();
    let sim = sim().await;
    let d = door("relay-a", &server, &sim, |_| {}).await;
    live(&d).await;
    let mut b = Browser::launch(1200, 800).await;
    let loaded = Instant::now();
    b.open(&d.url("/")).await;
    let first = wait(&mut b, 30, "a BTC/USD price", LAST, |v| {
        v.as_str().is_some_and(|s| s.contains('.'))
    })
    .await;
    let to_first = loaded.elapsed();
    let changed = wait(&mut b, 30, "the price to change", LAST, |v| {
        *v != first && v.as_str().is_some_and(|s| s.contains('.'))
    })
    .await;
    eprintln!(
        "page: first price {first} after {to_first:?}, then {changed} after {:?}",
        loaded.elapsed()
    );
    assert_eq!(b.eval(STATE).await, "CONNECTED");
    assert_eq!(
        b.eval("document.getElementById('link').dataset.state")
            .await,
        "live"
    );
    assert_eq!(
        b.eval("document.getElementById('simulated').hidden").await,
        false,
        "simulated data is marked"
    );
    // The simulator goes away: the venue reconnects, the rows are stale.
    sim.shutdown().await;
    wait(&mut b, 30, "the venue shown as reconnecting", STATE, |v| {
        v.as_str().is_some_and(|s| s.starts_with("RECONNECTING"))
    })
    .await;
    let note = b
        .eval(r#"document.querySelector('tr[data-key="kraken:BTC/USD"] td.note').textContent"#)
        .await;
    assert!(note.as_str().unwrap().contains("STALE"), "{note}");
    assert_eq!(
        b.eval("document.getElementById('link').dataset.state")
            .await,
        "open",
        "not LIVE"
    );
    let history = b
        .eval("document.getElementById('history').textContent")
        .await;
    assert!(
        history.as_str().unwrap().contains("reconnecting"),
        "{history}"
    );
    // The relay goes away: the page says the link is lost.
    d.stop.cancel();
    wait(
        &mut b,
        30,
        "the link shown as lost",
        "document.getElementById('link').textContent",
        |v| v.as_str().is_some_and(|s| s.starts_with("RELAY LINK LOST")),
    )
    .await;
}
