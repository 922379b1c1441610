//! Print the first tickers of a Kraken feed, with exact decimals, then stop.
//!
//! `cargo run -p pricewire-core --example tickers` runs it against the built-in simulator
//! on 127.0.0.1; `-- --live` connects to Kraken itself.

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::config::FeedConfig;
use pricewire_core::exchange;
use pricewire_core::feed::{self, FeedCtx};
use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Store, StoreEvent, StoreLimits};
use pricewire_sim::{SimConfig, SimServer};
use tokio_util::sync::CancellationToken;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = std::env::args().any(|a| a == "--live");
    let sim = if live {
        None
    } else {
        Some(SimServer::start("127.0.0.1:0".parse()?, SimConfig::default()).await?)
    };
    let store = Store::new(StoreLimits::default());
    // Subscribe before the feed starts, so no event is missed.
    let mut events = store.events();
    let cfg = FeedConfig::default();
    let adapter = exchange::adapter_with(ExchangeId::Kraken, &cfg)?;
    let ctx = FeedCtx::new(
        Arc::from(adapter),
        Arc::clone(&store),
        cfg,
        sim.as_ref().map(SimServer::ws_url),
        sim.as_ref().map(SimServer::rest_url),
    );
    let shutdown = CancellationToken::new();
    let symbols = vec!["BTC/USD".to_string(), "ETH/USD".to_string()];
    let (_handle, task) = feed::spawn(ctx, symbols, shutdown.clone());

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
                let show =
                    |d: Option<rust_decimal::Decimal>| d.map_or("—".into(), |d| d.to_string());
                // The peer announces the simulator; its prices are never a real market's.
                let venue = if store.is_simulated(t.exchange) {
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
    shutdown.cancel();
    task.await?;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    Ok(())
}
