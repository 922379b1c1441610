//! End to end over 127.0.0.1 for every venue but Kraken (whose own are `feed_kraken.rs`):
//! each feed against the simulator playing that venue. What every venue must do is one
//! check each, run per venue from one table (`check::venue`); what only one venue does is
//! in that venue's module. Real time, every wait bounded; the tests that count one session
//! run in memory on paused time.

#[path = "../common/mod.rs"]
mod common;

mod binance;
mod bybit;
mod coinbase;
mod kucoin;
mod okx;

use common::{fast_config, history, last_of, scenarios, status, tcp_for, updates as updates_of};
use pricewire_core::Decimal;
use pricewire_core::model::{ExchangeId, FeedStatus, Source, Ticker};
use pricewire_core::store::Snapshot;
use pricewire_sim::Scenario;

use ExchangeId::{Binance, Bybit, Coinbase, Kucoin, Okx};

/// The market each venue's feed watches in the shared checks.
fn main_symbol(venue: ExchangeId) -> &'static str {
    if venue == Coinbase {
        "BTC/USD"
    } else {
        "BTC/USDT"
    }
}

/// One `#[tokio::test]` per venue named, as `check::venue`, each running `check(venue)`.
macro_rules! per_venue {
    (#[$attr:meta] $check:ident: $($venue:ident = $id:ident),+ $(,)?) => {
        mod $check {
            $(
                #[$attr]
                async fn $venue() {
                    super::$check(pricewire_core::model::ExchangeId::$id).await;
                }
            )+
        }
    };
}

per_venue!(#[tokio::test] tickers_arrive_with_exact_decimals:
    binance = Binance, bybit = Bybit, coinbase = Coinbase, kucoin = Kucoin, okx = Okx);
per_venue!(#[tokio::test] drop_then_reconnect_and_resubscribe:
    binance = Binance, bybit = Bybit, coinbase = Coinbase, kucoin = Kucoin, okx = Okx);
per_venue!(#[tokio::test] silence_fires_the_watchdog:
    binance = Binance, bybit = Bybit, coinbase = Coinbase, kucoin = Kucoin, okx = Okx);
per_venue!(#[tokio::test] refused_websocket_falls_back_to_rest_and_returns:
    binance = Binance, bybit = Bybit, coinbase = Coinbase, kucoin = Kucoin, okx = Okx);
per_venue!(#[tokio::test] unknown_symbol_is_reported_and_others_stream:
    binance = Binance, bybit = Bybit, coinbase = Coinbase, kucoin = Kucoin, okx = Okx);
per_venue!(#[tokio::test(start_paused = true)] add_and_remove_on_the_live_connection:
    binance = Binance, bybit = Bybit, coinbase = Coinbase, okx = Okx);
per_venue!(#[tokio::test] maintenance_closes_with_going_away: bybit = Bybit, coinbase = Coinbase);
per_venue!(#[tokio::test(start_paused = true)] unanswered_ping_reconnects: kucoin = Kucoin, okx = Okx);
per_venue!(#[tokio::test] garbage_frames_are_counted_and_skipped: kucoin = Kucoin, okx = Okx);

/// How a venue writes a price of a market quoted to `decimals` places.
#[derive(Clone, Copy)]
enum Written {
    /// Always eight places (Binance); the value sits on the market's tick.
    EightPlaces,
    /// Trailing zeros dropped (Bybit, Coinbase); the value sits on the market's tick.
    Trimmed,
    /// Exactly the market's places (OKX, KuCoin).
    Exact,
}

impl Written {
    fn check(self, symbol: &str, price: Decimal, decimals: u32) {
        match self {
            Written::EightPlaces => {
                assert_eq!(price.scale(), 8, "{symbol}: {price}");
                assert!(price.normalize().scale() <= decimals, "{symbol}: {price}");
            }
            Written::Trimmed => {
                assert_eq!(price, price.normalize(), "{symbol}: {price}");
                assert!(price.scale() <= decimals, "{symbol}: {price}");
            }
            Written::Exact => assert_eq!(price.scale(), decimals, "{symbol} {price}"),
        }
    }
}

/// The tickers test's table: symbols as typed (two spellings of one market among them),
/// the rows they make with the decimals each venue's pair list gives, how prices are
/// written, and which prices each ticker carries.
fn quotes(
    venue: ExchangeId,
) -> (
    &'static [&'static str],
    &'static [(&'static str, u32)],
    Written,
) {
    match venue {
        Binance => (
            &["BTC/USDT", "btcusdt", "ETH/BTC"],
            &[("BTC/USDT", 2), ("ETH/BTC", 5)],
            Written::EightPlaces,
        ),
        Bybit => (
            &["BTC/USDT", "btcusdt", "ETH/USDC"],
            &[("BTC/USDT", 1), ("ETH/USDC", 2)],
            Written::Trimmed,
        ),
        Coinbase => (
            &["BTC/USD", "BTC-USDC", "ETH/BTC"],
            &[("BTC/USD", 2), ("ETH/BTC", 5)],
            Written::Trimmed,
        ),
        // BSV-USDT is the row of wire name BCHSV-USDT.
        Kucoin => (
            &["BTC/USDT", "eth-usdt", "BSV-USDT", "BTC/USDC"],
            &[
                ("BTC/USDT", 1),
                ("ETH/USDT", 2),
                ("BSV/USDT", 3),
                ("BTC/USDC", 1),
            ],
            Written::Exact,
        ),
        Okx => (
            &["BTC/USDT", "eth-usdt", "SOL/USDT", "BTC-USDT"],
            &[("BTC/USDT", 1), ("ETH/USDT", 2), ("SOL/USDT", 2)],
            Written::Exact,
        ),
        ExchangeId::Kraken => panic!("kraken has its own tests (feed_kraken.rs)"),
    }
}

/// The prices a venue's stream sets on every ticker.
fn prices(venue: ExchangeId, t: &Ticker) -> Vec<Option<Decimal>> {
    match venue {
        // KuCoin's 24 h figures come from its snapshot topic, checked below.
        Kucoin => vec![t.last, t.bid, t.ask],
        // Coinbase's ticker has no 24 h open.
        Coinbase => vec![t.last, t.bid, t.ask, t.high_24h, t.low_24h],
        _ => vec![t.last, t.bid, t.ask, t.open_24h, t.high_24h, t.low_24h],
    }
}

fn has_24h(snap: &Snapshot, venue: ExchangeId, symbol: &str) -> bool {
    snap.row(venue, symbol)
        .and_then(|r| r.ticker.as_ref())
        .is_some_and(|t| t.high_24h.is_some() && t.change_pct_24h.is_some())
}

async fn tickers_arrive_with_exact_decimals(venue: ExchangeId) {
    let (typed, rows, written) = quotes(venue);
    let rig = tcp_for(venue, Scenario::Steady, fast_config(), typed).await;
    let ws_url = rig.sim.ws_url();
    match venue {
        Binance => assert!(ws_url.ends_with("/ws"), "{ws_url}"),
        Bybit => assert!(ws_url.ends_with("/v5/public/spot"), "{ws_url}"),
        Coinbase => assert_eq!(ws_url, format!("ws://{}/", rig.sim.addr().unwrap())),
        _ => {}
    }
    let snap = rig
        .until(8, "prices (and 24 h statistics) for every symbol", |s| {
            rows.iter().all(|(sym, _)| {
                updates_of(s, sym) > 2 && (venue != Kucoin || has_24h(s, venue, sym))
            })
        })
        .await;
    assert_eq!(status(&snap), FeedStatus::Connected);
    assert_eq!(
        snap.rows.len(),
        rows.len(),
        "two spellings of one market make one row"
    );
    for &(symbol, decimals) in rows {
        let row = snap.row(venue, symbol).unwrap();
        assert_eq!(
            row.price_decimals,
            Some(decimals),
            "{symbol}: from the pair list"
        );
        let t = row.ticker.as_ref().unwrap();
        for price in prices(venue, t) {
            written.check(symbol, price.unwrap(), decimals);
        }
        assert!(t.bid.unwrap() < t.ask.unwrap(), "{t:?}");
        assert_eq!(t.source, Source::Stream);
        match venue {
            Kucoin => {
                assert!(
                    t.low_24h.unwrap() <= t.bid.unwrap() && t.ask.unwrap() <= t.high_24h.unwrap()
                );
                assert!(t.exchange_ts.is_some() && t.volume_24h.is_some() && t.open_24h.is_some());
            }
            Okx => {
                assert!(t.exchange_ts.is_some() && t.volume_24h.is_some());
                assert!(t.change_pct_24h.is_some(), "derived from open24h");
            }
            // Binance's E, Bybit's ts, Coinbase's envelope timestamp.
            _ => {
                let age = t.received_ts - t.exchange_ts.expect("the venue's event time");
                assert!(age.num_seconds().abs() < 5, "{age:?}");
            }
        }
    }
    if venue == Okx {
        let btc = snap.row(venue, "BTC/USDT").unwrap().ticker.clone().unwrap();
        assert_eq!(
            btc.change_24h,
            Some(btc.last.unwrap() - btc.open_24h.unwrap())
        );
    }
    rig.stop().await;
}

async fn drop_then_reconnect_and_resubscribe(venue: ExchangeId) {
    let rig = scenarios::drop_then_reconnect(venue, main_symbol(venue)).await;
    if venue == Kucoin {
        let stats = rig.sim.stats();
        // Two topics per connection; a token (REST POST) before each, plus the symbol list.
        assert!(stats.subscribe_requests >= 4, "{stats:?}");
        assert!(stats.rest_requests >= 3, "{stats:?}");
    }
    rig.stop().await;
}

async fn silence_fires_the_watchdog(venue: ExchangeId) {
    scenarios::silence_fires_the_watchdog(venue, main_symbol(venue)).await;
}

async fn refused_websocket_falls_back_to_rest_and_returns(venue: ExchangeId) {
    let symbols: &[&str] = match venue {
        Binance | Bybit => &["BTC/USDT", "SOL/USDT"],
        Coinbase => &["BTC/USD", "SOL/USD"],
        Kucoin => &["BSV/USDT"],
        _ => &["BTC/USDT"],
    };
    let (on_rest, rig) = scenarios::refused_websocket_falls_back_and_returns(venue, symbols).await;
    let t = on_rest
        .row(venue, symbols[0])
        .unwrap()
        .ticker
        .clone()
        .unwrap();
    match venue {
        // The venue's REST ticker carries the best bid and ask.
        Binance | Bybit => assert!(t.bid.unwrap() < t.ask.unwrap()),
        // The products list carries last and 24 h figures but empty best bid/ask.
        Coinbase => {
            assert!(t.last.is_some() && t.high_24h.is_some());
            assert_eq!((t.bid, t.ask), (None, None));
        }
        Kucoin => {
            assert_eq!(t.last.unwrap().scale(), 3);
            assert!(t.high_24h.is_some() && t.exchange_ts.is_some());
        }
        _ => {
            assert_eq!(t.last.unwrap().scale(), 1);
            assert!(t.exchange_ts.is_some());
        }
    }
    rig.stop().await;
}

async fn unknown_symbol_is_reported_and_others_stream(venue: ExchangeId) {
    let (unknown, asked, suggested) = match venue {
        // No USD book: not swapped for USDT, but named among the suggestions.
        Binance | Bybit => ("NOPE/USDT", "BTC/USD", Some("BTC/USDT")),
        Coinbase => ("NOPE/USD", "BTC/USX", Some("BTC/USD")),
        _ => ("NOPE/USDT", "BTC/USX", None),
    };
    let snap =
        scenarios::unknown_symbol_is_reported(venue, main_symbol(venue), unknown, &[asked]).await;
    scenarios::assert_suggests(&snap, venue, asked, suggested);
}

async fn add_and_remove_on_the_live_connection(venue: ExchangeId) {
    let (typed, added) = if venue == Coinbase {
        ("sol-usd", "SOL/USD")
    } else {
        ("sol-usdt", "SOL/USDT")
    };
    let rig = scenarios::add_and_remove(venue, main_symbol(venue), typed, added).await;
    if venue == Okx {
        assert!(last_of(&rig.store.snapshot(), "BTC/USDT").is_some());
        assert!(rig.handle.resolve("NOPE/USDT").is_err());
    }
    rig.stop().await;
}

async fn maintenance_closes_with_going_away(venue: ExchangeId) {
    scenarios::maintenance_closes_with_going_away(venue, main_symbol(venue)).await;
}

async fn unanswered_ping_reconnects(venue: ExchangeId) {
    scenarios::pong_timeout_reconnects(venue, main_symbol(venue)).await;
}

async fn garbage_frames_are_counted_and_skipped(venue: ExchangeId) {
    let rig = tcp_for(
        venue,
        Scenario::Garbage,
        fast_config(),
        &[main_symbol(venue)],
    )
    .await;
    let snap = rig
        .until(8, "prices despite garbage", |s| {
            updates_of(s, main_symbol(venue)) > 5 && s.feeds[0].counters.parse_errors > 0
        })
        .await;
    assert_eq!(
        status(&snap),
        FeedStatus::Connected,
        "{:#?}",
        history(&snap)
    );
    rig.stop().await;
}
