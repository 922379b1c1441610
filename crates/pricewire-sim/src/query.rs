//! URL query strings as every simulated venue's REST routes read them: `name=value` pairs
//! split on `&`, names and values percent-decoded (`%2F` → `/`, `+` → space), malformed
//! escapes kept as they are. Pure: no HTTP types.

/// Every `name=value` pair of a query string, decoded, in order (names may repeat).
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// The first value of `name`.
pub fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query_pairs(query)
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// `%2F` → `/`, `+` → space; malformed escapes stay as they are.
fn percent_decode(text: &str) -> String {
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
    fn query_decoding() {
        let q = Some("symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D&x=a+b&x=2&bad=%zz");
        assert_eq!(
            query_value(q, "symbols").as_deref(),
            Some(r#"["BTCUSDT","ETHUSDT"]"#)
        );
        assert_eq!(
            query_pairs(q)
                .into_iter()
                .filter(|(k, _)| k == "x")
                .map(|(_, v)| v)
                .collect::<Vec<_>>(),
            ["a b", "2"]
        );
        assert_eq!(query_value(q, "bad").as_deref(), Some("%zz"));
        assert_eq!(query_value(None, "x"), None);
        assert_eq!(query_value(Some("a%4"), "a%4").as_deref(), Some(""));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("BTC%2FUSD,ETH%2fUSD"), "BTC/USD,ETH/USD");
        assert_eq!(percent_decode("a+b%"), "a b%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(
            query_value(Some("x=1&pair=XBTUSD"), "pair").as_deref(),
            Some("XBTUSD")
        );
        assert_eq!(query_value(Some("pairs=1"), "pair"), None);
    }

    #[test]
    fn query_parameters_decode() {
        assert_eq!(
            query_value(Some("instType=SPOT&instId=BTC%2DUSDT"), "instId").as_deref(),
            Some("BTC-USDT")
        );
        assert_eq!(query_value(Some("a=1+2%"), "a").as_deref(), Some("1 2%"));
        assert_eq!(query_value(Some("instIds=1"), "instId"), None);
        assert_eq!(query_value(Some("x"), "x").as_deref(), Some(""));
    }
}
