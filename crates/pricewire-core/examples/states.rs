//! Follow a feed's states, with the reason for every change, and steer it from the
//! keyboard: `r` reconnects, `+SYMBOL` subscribes, `-SYMBOL` unsubscribes, `q` quits.
//!
//! `cargo run -p pricewire-core --example states` runs it against the built-in simulator
//! playing a connection that drops every few frames (`--scenario drop-every:N` style
//! faults are the simulator's; here: close after 40 ticker frames); `-- --live` connects
//! to Kraken itself. Once a second it prints a line per symbol with its age, so a feed that
//! goes quiet is seen going quiet.

use std::time::Duration;

use pricewire_core::{ExchangeId, FeedBuilder, FeedStatus, StoreEvent};
use pricewire_sim::{Scenario, SimConfig, SimServer};
use tokio::sync::mpsc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = std::env::args().any(|a| a == "--live");
    let mut builder = FeedBuilder::new(ExchangeId::Kraken).symbols(["BTC/USD"]);
    let sim = if live {
        None
    } else {
        let cfg = SimConfig {
            scenario: Scenario::CloseAfter(40),
            tick_interval: Duration::from_millis(250),
            ..SimConfig::default()
        };
        let sim = SimServer::start("127.0.0.1:0".parse()?, cfg).await?;
        builder = builder.ws_url(sim.ws_url()).rest_url(sim.rest_url());
        Some(sim)
    };
    let feed = builder.spawn()?;
    let mut events = feed.events();

    // Lines from the keyboard, read on a thread of their own.
    let (keys_tx, mut keys) = mpsc::channel::<String>(8);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if keys_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    println!("r: reconnect · +SYMBOL: subscribe · -SYMBOL: unsubscribe · q: quit");

    let mut ages = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(StoreEvent::Status(t)) => {
                    println!("{}: {} → {}: {}", t.exchange, t.from.name(), t.to.name(), t.reason);
                }
                Ok(StoreEvent::Error { symbol, message, .. }) => println!("{symbol}: {message}"),
                // Tickers are summed up once a second below; later versions may add kinds.
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    println!("({n} events skipped: reading too slowly)");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            line = keys.recv() => {
                let line = line.unwrap_or_else(|| "q".into());
                let line = line.trim();
                let done = match line.split_at(line.len().min(1)) {
                    ("q", _) => true,
                    ("r", _) => { report(feed.reconnect().map(|()| "reconnecting".to_string())); false }
                    ("+", s) => { report(feed.subscribe(s).map(|s| format!("subscribed {s}"))); false }
                    ("-", s) => { report(feed.unsubscribe(s).map(|s| format!("dropped {s}"))); false }
                    _ => { println!("r, +SYMBOL, -SYMBOL or q"); false }
                };
                if done {
                    break;
                }
            }
            _ = ages.tick() => {
                let snap = feed.snapshot();
                let Some(state) = snap.feed(feed.exchange()) else { continue };
                let live = state.status == FeedStatus::Connected;
                for row in snap.rows.iter().filter(|r| r.exchange == feed.exchange()) {
                    let now = chrono::Utc::now();
                    let age = row.updated_at().map_or("no data yet".into(), |at| {
                        format!("{} ms old", (now - at).num_milliseconds())
                    });
                    let last = row
                        .ticker
                        .as_ref()
                        .and_then(|t| t.last)
                        .map_or("—".into(), |d| d.to_string());
                    let mark = if state.simulated { " SIMULATED" } else if live { "" } else { " (not live)" };
                    println!("  {:<8} {last:>12} {age}{mark}", row.symbol.as_str());
                }
            }
        }
    }
    feed.shutdown().await;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    Ok(())
}

fn report<E: std::fmt::Display>(result: Result<String, E>) {
    match result {
        Ok(done) => println!("{done}"),
        Err(e) => println!("{e}"),
    }
}
