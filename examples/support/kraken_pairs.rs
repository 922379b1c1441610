//! The benchmarks' watchlist, and a bare client subscribed to it, shared by the examples
//! that `#[path]` this file in.

/// The 19 Kraken pairs the benchmarks watch (docs/BENCHMARKS.md counts on this list).
pub const SYMBOLS: &[&str] = &[
    "ADA/USD",
    "ATOM/USD",
    "AVAX/USD",
    "DOT/USD",
    "LINK/USD",
    "MATIC/USD",
    "SOL/EUR",
    "SOL/USD",
    "USDT/USD",
    "BTC/USDT",
    "DOGE/USD",
    "ETH/BTC",
    "ETH/EUR",
    "ETH/USD",
    "LTC/USD",
    "BTC/EUR",
    "BTC/GBP",
    "BTC/USD",
    "XRP/USD",
];

/// A bare WebSocket client at `url` (no feed, no store) subscribed to the ticker of every
/// pair in [`SYMBOLS`] on best bid/offer changes, as a Kraken v2 client subscribes.
pub async fn subscribed_client(
    url: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let subscribe = serde_json::json!({
        "method": "subscribe",
        "params": {"channel": "ticker", "symbol": SYMBOLS, "event_trigger": "bbo"},
        "req_id": 1
    });
    ws.send(Message::text(subscribe.to_string()))
        .await
        .expect("subscribe");
    ws
}
