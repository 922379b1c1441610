//! The simulator tests' HTTP client reaches 127.0.0.1 even when the environment names a
//! proxy. Proxy variables are process-wide, so the test runs itself again as a child
//! process with `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` (both cases) pointing at a
//! stand-in proxy of the parent's, and no other test shares that environment.

mod sim_support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pricewire_sim::Scenario;
use sim_support::{get, start};

const CHILD: &str = "PRICEWIRE_NO_PROXY_CHILD";
const TEST: &str = "loopback_requests_never_go_through_a_proxy";

#[test]
fn loopback_requests_never_go_through_a_proxy() {
    if std::env::var_os(CHILD).is_some() {
        return in_the_proxied_environment();
    }
    // The stand-in proxy: counts connections and answers each with 502.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    std::thread::spawn(move || {
        for conn in proxy.incoming() {
            let Ok(mut conn) = conn else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = conn.read(&mut [0; 4096]);
            let _ = conn.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args([TEST, "--exact", "--nocapture"]).env(CHILD, "1");
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        child
            .env(var, &proxy_url)
            .env(var.to_lowercase(), &proxy_url);
    }
    child.env_remove("NO_PROXY").env_remove("no_proxy");
    let out = child.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
    // Only the child's default client, the control, went to the proxy.
    assert_eq!(seen.load(Ordering::SeqCst), 1, "{text}");
}

/// In the child: the tests' client gets the simulator's answer; a default client in the
/// same environment goes to the proxy, which shows the variables are in force.
fn in_the_proxied_environment() {
    assert!(std::env::var_os("HTTP_PROXY").is_some());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let sim = start(Scenario::Steady, 50).await;
            let url = format!("{}/0/public/AssetPairs", sim.rest_url());
            assert!(url.starts_with("http://127.0.0.1:"), "{url}");
            let resp = get(&url).await.expect("the simulator answers");
            assert_eq!(resp.status(), 200);
            assert!(resp.text().await.unwrap().contains("XXBTZUSD"));
            let control = reqwest::get(&url).await.expect("the proxy answers");
            assert_eq!(
                control.status(),
                502,
                "the default client skipped the proxy"
            );
            sim.shutdown().await;
        });
}
