//! `--headless`: the store's events as JSON lines on stdout, one object per line. Decimals
//! are strings carrying the venue's exact digits; times are RFC 3339 UTC. Ends cleanly when
//! stdout is closed (`| head -5`) or on shutdown. Never draws anything.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::model::{Source, Ticker, Transition};
use crate::store::StoreEvent;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Serialize)]
struct TickerLine<'a> {
    r#type: &'static str,
    exchange: &'static str,
    symbol: &'a str,
    last: Option<String>,
    bid: Option<String>,
    ask: Option<String>,
    open_24h: Option<String>,
    change_24h: Option<String>,
    change_pct_24h: Option<String>,
    high_24h: Option<String>,
    low_24h: Option<String>,
    volume_24h: Option<String>,
    vwap_24h: Option<String>,
    source: Source,
    exchange_ts: Option<String>,
    received_ts: String,
}

#[derive(Serialize)]
struct StatusLine<'a> {
    r#type: &'static str,
    exchange: &'static str,
    from: &'static str,
    to: &'static str,
    reason: &'a str,
    attempt: u32,
    ts: String,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    r#type: &'static str,
    exchange: &'static str,
    symbol: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct GapLine {
    r#type: &'static str,
    skipped: u64,
}

fn dec(d: Option<Decimal>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// One JSON line for a ticker.
pub fn ticker_line(t: &Ticker) -> String {
    let line = TickerLine {
        r#type: "ticker",
        exchange: t.exchange.as_str(),
        symbol: t.symbol.as_str(),
        last: dec(t.last),
        bid: dec(t.bid),
        ask: dec(t.ask),
        open_24h: dec(t.open_24h),
        change_24h: dec(t.change_24h),
        change_pct_24h: dec(t.change_pct_24h),
        high_24h: dec(t.high_24h),
        low_24h: dec(t.low_24h),
        volume_24h: dec(t.volume_24h),
        vwap_24h: dec(t.vwap_24h),
        source: t.source,
        exchange_ts: t.exchange_ts.map(ts),
        received_ts: ts(t.received_ts),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// One JSON line for a state change.
pub fn status_line(t: &Transition) -> String {
    serde_json::to_string(&StatusLine {
        r#type: "status",
        exchange: t.exchange.as_str(),
        from: t.from.name(),
        to: t.to.name(),
        reason: &t.reason,
        attempt: t.to.attempt(),
        ts: ts(t.at),
    })
    .unwrap_or_default()
}

fn event_line(event: &StoreEvent) -> String {
    match event {
        StoreEvent::Ticker(t) => ticker_line(t),
        StoreEvent::Status(t) => status_line(t),
        StoreEvent::Error {
            exchange,
            symbol,
            message,
        } => serde_json::to_string(&ErrorLine {
            r#type: "error",
            exchange: exchange.as_str(),
            symbol,
            message,
        })
        .unwrap_or_default(),
    }
}

/// Print events until shutdown or until stdout is closed. A reader that falls behind is
/// told how many events it missed (`{"type":"gap","skipped":N}`) instead of blocking feeds.
/// Take `events` from [`crate::store::Store::events`] before the feeds start, so the first state
/// changes and symbol errors are printed too.
pub async fn run(
    mut events: broadcast::Receiver<StoreEvent>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    loop {
        let event = tokio::select! {
            () = shutdown.cancelled() => break,
            e = events.recv() => e,
        };
        let line = match event {
            Ok(e) => event_line(&e),
            Err(RecvError::Lagged(n)) => serde_json::to_string(&GapLine {
                r#type: "gap",
                skipped: n,
            })
            .unwrap_or_default(),
            Err(RecvError::Closed) => break,
        };
        let written = writeln!(out, "{line}").and_then(|()| {
            // Flush when nothing else is queued, so a quiet feed is not held back.
            if events.is_empty() {
                out.flush()
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExchangeId, FeedStatus};
    use crate::symbol::Symbol;

    #[test]
    fn ticker_lines_carry_exact_digits_and_nulls() {
        let mut t = Ticker::empty(
            ExchangeId::Kraken,
            Symbol::new("BTC", "USD"),
            Source::Stream,
            DateTime::from_timestamp(1_700_000_000, 5_000).unwrap(),
        );
        t.last = Some("65000.10".parse().unwrap());
        t.bid = Some("0.99980".parse().unwrap());
        let v: serde_json::Value = serde_json::from_str(&ticker_line(&t)).unwrap();
        assert_eq!(v["type"], "ticker");
        assert_eq!(v["exchange"], "kraken");
        assert_eq!(v["symbol"], "BTC/USD");
        assert_eq!(v["last"], "65000.10");
        assert_eq!(v["bid"], "0.99980");
        assert_eq!(v["ask"], serde_json::Value::Null);
        assert_eq!(v["source"], "stream");
        assert_eq!(v["exchange_ts"], serde_json::Value::Null);
        assert_eq!(v["received_ts"], "2023-11-14T22:13:20.000005Z");
    }

    #[test]
    fn status_lines() {
        let t = Transition {
            exchange: ExchangeId::Kraken,
            from: FeedStatus::Connected,
            to: FeedStatus::Reconnecting {
                attempt: 2,
                max_attempts: 5,
                next_try: DateTime::UNIX_EPOCH,
            },
            at: DateTime::UNIX_EPOCH,
            reason: "no data for 10 s".into(),
        };
        assert_eq!(
            status_line(&t),
            r#"{"type":"status","exchange":"kraken","from":"connected","to":"reconnecting","reason":"no data for 10 s","attempt":2,"ts":"1970-01-01T00:00:00.000000Z"}"#
        );
    }
}
