//! Print the first tickers of a Kraken feed, with exact decimals, then stop.
//!
//! `cargo run -p pricewire-core --example tickers` runs it against the built-in simulator
//! on 127.0.0.1; `-- --live` connects to Kraken itself.

use std::time::Duration;

use pricewire_core::{Decimal, ExchangeId, FeedBuilder, StoreEvent};
use pricewire_sim::{SimConfig, SimServer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = std::env::args().any(|a| a == "--live");
    let mut builder = FeedBuilder::new(ExchangeId::Kraken).symbols(["BTC/USD", "ETH/USD"]);
    let sim = if live {
        None
    } else {
        let sim = SimServer::start("127.0.0.1:0".parse()?, SimConfig::default()).await?;
        builder = builder.ws_url(sim.ws_url()).rest_url(sim.rest_url());
        Some(sim)
    };
    let feed = builder.spawn()?;
    // The first receiver holds every event since `spawn`.
    let mut events = feed.events();

    let mut shown = 0;
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    while shown < 10 {
        let event = tokio::select! {
            e = events.recv() => e?,
            () = &mut deadline => break,
        };
        match event {
            StoreEvent::Ticker(t) => {
                let show = |d: Option<Decimal>| d.map_or("—".into(), |d| d.to_string());
                // The peer announces the simulator; its prices are never a real market's.
                let venue = if feed.store().is_simulated(t.exchange) {
                    format!("{} (SIMULATED)", t.exchange)
                } else {
                    t.exchange.to_string()
                };
                println!(
                    "{venue} {:<8} last {:>12} bid {:>12} ask {:>12} ({:?})",
                    t.symbol.as_str(),
                    show(t.last),
                    show(t.bid),
                    show(t.ask),
                    t.source
                );
                shown += 1;
            }
            StoreEvent::Status(tr) => {
                println!(
                    "{}: {} → {}: {}",
                    tr.exchange,
                    tr.from.name(),
                    tr.to.name(),
                    tr.reason
                );
            }
            StoreEvent::Error {
                symbol, message, ..
            } => println!("{symbol}: {message}"),
            // Events are `#[non_exhaustive]`: later versions may add kinds.
            _ => {}
        }
    }
    feed.shutdown().await;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    Ok(())
}
