//! OKX's public REST routes as the simulator serves them: `public/instruments` (the bundled
//! body, optionally one `instId`), `market/ticker`, `market/tickers` and `public/time`, in
//! the `{"code":"0","msg":"","data":[...]}` envelope, from the market the WebSocket side
//! streams. Also the query-string helper `KuCoin`'s routes share. Pure: no HTTP types.
//!
//! See docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-ticker>

use chrono::Utc;

use super::market::Market;
use super::okx::{INSTRUMENTS, Okx, ticker_fields};
use super::venue::RestReply;

pub(super) fn route(
    okx: &Okx,
    path: &str,
    query: Option<&str>,
    market: &Market,
) -> Option<RestReply> {
    let param = |name: &str| query.and_then(|q| query_param(q, name));
    let body = match path {
        "/api/v5/public/instruments" => instruments(
            okx,
            param("instType").as_deref(),
            param("instId").as_deref(),
        ),
        "/api/v5/market/ticker" => match param("instId") {
            None => error("50014", "Parameter instId can not be empty."),
            Some(id) => match okx.index_of(&id) {
                None => error("51001", "Instrument ID does not exist"),
                Some(i) => tickers(okx, market, &[i]),
            },
        },
        "/api/v5/market/tickers" => match param("instType").as_deref() {
            None => error("50014", "Parameter instType can not be empty."),
            Some("SPOT") => {
                let all: Vec<usize> = (0..okx.instruments.len()).collect();
                tickers(okx, market, &all)
            }
            Some(_) => ok_data(""),
        },
        "/api/v5/public/time" => ok_data(&format!("{{\"ts\":\"{}\"}}", now_ms())),
        _ => return None,
    };
    // OKX answers business errors with HTTP 200 and a non-"0" code.
    Some(RestReply { status: 200, body })
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn ok_data(rows: &str) -> String {
    format!("{{\"code\":\"0\",\"msg\":\"\",\"data\":[{rows}]}}")
}

fn error(code: &str, msg: &str) -> String {
    format!("{{\"code\":\"{code}\",\"data\":[],\"msg\":\"{msg}\"}}")
}

fn instruments(okx: &Okx, inst_type: Option<&str>, inst_id: Option<&str>) -> String {
    match (inst_type, inst_id) {
        (None, _) => error("50014", "Parameter instType can not be empty."),
        (Some("SPOT"), None) => INSTRUMENTS.trim_end().to_string(),
        (Some("SPOT"), Some(id)) => match okx.index_of(id) {
            Some(i) => ok_data(&okx.instruments[i].raw),
            None => error("51001", "Instrument ID does not exist"),
        },
        // Other instrument types exist on OKX but are not simulated: an empty list.
        (Some(_), _) => ok_data(""),
    }
}

fn tickers(okx: &Okx, market: &Market, indices: &[usize]) -> String {
    let ts = now_ms();
    let mut rows = String::new();
    for &i in indices {
        let (Some(inst), Some(q)) = (okx.instruments.get(i), market.quote(i)) else {
            continue;
        };
        if !rows.is_empty() {
            rows.push(',');
        }
        rows.push('{');
        ticker_fields(inst, &q, &mut rows);
        rows.push_str(&ts.to_string());
        rows.push_str("\"}");
    }
    ok_data(&rows)
}

/// The decoded value of `name` in a query string (`%XX` escapes and `+` decoded).
pub(super) fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| decode(v))
    })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_decode() {
        assert_eq!(
            query_param("instType=SPOT&instId=BTC%2DUSDT", "instId").as_deref(),
            Some("BTC-USDT")
        );
        assert_eq!(query_param("a=1+2%", "a").as_deref(), Some("1 2%"));
        assert_eq!(query_param("instIds=1", "instId"), None);
        assert_eq!(query_param("x", "x").as_deref(), Some(""));
    }
}
