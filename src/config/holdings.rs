//! The config file's `[[holdings]]`: what the user holds, read into the engine's
//! [`Holding`]s. Amounts and prices are read from the number's text as written (`0.1`
//! stays exactly one tenth, never a binary float), whether written bare or in quotes.
//!
//! ```toml
//! [[holdings]]
//! symbol = "BTC/USD"          # the market it is valued in
//! venue = "kraken"            # optional: value it at this venue's price
//! amount = 0.5                # optional when lots are given: their sum
//! lots = [ { amount = 0.3, price = 30000 }, { amount = 0.2, price = 61250.5 } ]
//! ```

use std::path::Path;

use rust_decimal::Decimal;
use toml_edit::{Document, Item, TableLike, Value};

use super::ConfigWarning;
use pricewire_core::holdings::{Holding, Lot};
use pricewire_core::model::ExchangeId;
use pricewire_core::symbol::parse_without_list;

/// Keys a holding takes.
const HOLDING_KEYS: [&str; 4] = ["symbol", "venue", "amount", "lots"];
/// Keys a lot takes.
const LOT_KEYS: [&str; 2] = ["amount", "price"];

/// The holdings in `text`, with every problem (line, message) and every unknown key.
pub fn read(text: &str, file: &Path) -> (Vec<Holding>, Vec<(usize, String)>, Vec<ConfigWarning>) {
    let mut holdings = Vec::new();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let Ok(doc) = Document::parse(text) else {
        return (holdings, problems, warnings);
    };
    let line = |span: Option<std::ops::Range<usize>>| {
        span.and_then(|s| Some(text.get(..s.start)?.matches('\n').count() + 1))
            .unwrap_or(0)
    };
    let Some(item) = doc.get("holdings") else {
        return (holdings, problems, warnings);
    };
    let tables: Option<Vec<&dyn TableLike>> = match item {
        Item::ArrayOfTables(a) => Some(a.iter().map(|t| t as &dyn TableLike).collect()),
        Item::Value(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_inline_table().map(|t| t as &dyn TableLike))
            .collect(),
        _ => None,
    };
    let Some(tables) = tables else {
        let l = line(item.span());
        problems.push((
            l,
            format!(
                "line {l}, key `holdings`: expected [[holdings]] tables with a symbol and an amount"
            ),
        ));
        return (holdings, problems, warnings);
    };
    for (n, table) in tables.into_iter().enumerate() {
        let at = |key: &str| {
            table
                .get(key)
                .and_then(Item::span)
                .or_else(|| table.key(key).and_then(toml_edit::Key::span))
        };
        let first_line = table
            .iter()
            .filter_map(|(k, _)| at(k))
            .map(|s| line(Some(s)))
            .min()
            .unwrap_or(0);
        let mut bad = |key: &str, why: String| {
            let l = at(key).map_or(first_line, |s| line(Some(s)));
            let key = format!("holdings[{}].{key}", n + 1);
            problems.push((l, format!("line {l}, key `{key}`: {why}")));
        };
        for (key, _) in table.iter() {
            if !HOLDING_KEYS.contains(&key) {
                warnings.push(ConfigWarning {
                    path: file.to_path_buf(),
                    line: at(key).map(|s| line(Some(s))),
                    key: format!("holdings[{}].{key}", n + 1),
                    closest: None,
                });
            }
        }
        let symbol = table
            .get("symbol")
            .and_then(Item::as_str)
            .ok_or_else(|| "a holding needs a symbol in quotes, e.g. \"BTC/USD\"".to_string())
            .and_then(|s| {
                parse_without_list(s)
                    .map_err(|e| format!("{e}; write it as BASE/QUOTE, e.g. BTC/USD"))
            });
        let symbol = symbol.map_or_else(
            |why| {
                bad("symbol", why);
                None
            },
            Some,
        );
        let venue = match table.get("venue") {
            None => Ok(None),
            Some(v) => match v.as_str().map(str::parse::<ExchangeId>) {
                Some(Ok(id)) => Ok(Some(id)),
                Some(Err(e)) => Err(e),
                None => Err("expected a venue name in quotes, e.g. \"kraken\"".to_string()),
            },
        };
        let mut fields_ok = symbol.is_some();
        let venue = venue.unwrap_or_else(|e| {
            fields_ok = false;
            bad("venue", e);
            None
        });
        let amount = match table.get("amount") {
            None => Ok(None),
            Some(v) => v
                .as_value()
                .ok_or_else(|| "expected a number like 0.5 or \"0.5\"".to_string())
                .and_then(|v| decimal(v, text))
                .map(Some),
        };
        let amount = amount.unwrap_or_else(|e| {
            fields_ok = false;
            bad("amount", e);
            None
        });
        let mut lots = Vec::new();
        let mut lots_ok = true;
        if let Some(item) = table.get("lots") {
            let Some(arr) = item.as_array() else {
                bad(
                    "lots",
                    "expected a list like [ { amount = 0.1, price = 30000 } ]".into(),
                );
                continue;
            };
            for (i, lot) in arr.iter().enumerate() {
                match read_lot(lot, text) {
                    Ok(l) => lots.push(l),
                    Err(e) => {
                        lots_ok = false;
                        bad("lots", format!("lot {}: {e}", i + 1));
                    }
                }
            }
        }
        let Some(symbol) = symbol else { continue };
        if !lots_ok || !fields_ok {
            continue;
        }
        match Holding::new(symbol, venue, amount, lots) {
            Ok(h) => holdings.push(h),
            Err(e) => {
                let why = e.to_string();
                bad(
                    if why.starts_with("lot ") {
                        "lots"
                    } else {
                        "amount"
                    },
                    why,
                );
            }
        }
    }
    (holdings, problems, warnings)
}

fn read_lot(value: &Value, text: &str) -> Result<Lot, String> {
    let table = value
        .as_inline_table()
        .ok_or_else(|| "expected { amount = …, price = … }".to_string())?;
    if let Some((key, _)) = table.iter().find(|(k, _)| !LOT_KEYS.contains(k)) {
        return Err(format!(
            "unknown key `{key}` (a lot takes amount and price)"
        ));
    }
    let field = |name: &str| {
        table
            .get(name)
            .ok_or_else(|| format!("needs {name}"))
            .and_then(|v| decimal(v, text).map_err(|e| format!("{name}: {e}")))
    };
    Ok(Lot {
        amount: field("amount")?,
        price: field("price")?,
    })
}

/// A decimal from a bare number or a string, read from its text as written in `source`
/// (the file): a bare number's digits are taken from the file, never from a float.
fn decimal(value: &Value, source: &str) -> Result<Decimal, String> {
    let bad = || "expected a number like 0.5 or \"0.5\"".to_string();
    let written = || value.span().and_then(|s| source.get(s)).map(str::trim);
    let text = match value {
        Value::String(s) => s.value().trim().to_string(),
        Value::Integer(_) | Value::Float(_) => written().ok_or_else(bad)?.to_string(),
        _ => return Err(bad()),
    };
    let text = text.replace('_', "");
    pricewire_core::exchange::parse_decimal(&text).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (Vec<Holding>, Vec<String>) {
        let (h, p, _) = read(text, Path::new("c.toml"));
        (h, p.into_iter().map(|(_, m)| m).collect())
    }

    #[test]
    fn numbers_are_read_exactly_as_written() {
        let (h, problems) = read_text(
            "[[holdings]]\nsymbol = \"BTC/USD\"\nvenue = \"kraken\"\namount = 0.1\n\
             lots = [ { amount = 0.05, price = 30000.10 }, { amount = \"0.05\", price = 1_000 } ]\n\
             [[holdings]]\nsymbol = \"eth-usdt\"\namount = \"2.50\"\n",
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].amount.to_string(), "0.1");
        assert_eq!(h[0].venue, Some(ExchangeId::Kraken));
        assert_eq!(h[0].lots[0].price.to_string(), "30000.10");
        assert_eq!(h[0].lots[1].price.to_string(), "1000");
        assert_eq!(h[1].symbol.as_str(), "ETH/USDT");
        assert_eq!(h[1].amount.to_string(), "2.50");
        assert!(h[1].lots.is_empty());
    }

    #[test]
    fn mistakes_name_their_line_and_key() {
        let (h, problems) = read_text(
            "[[holdings]]\nsymbol = \"BTC/USD\"\n\
             [[holdings]]\nsymbol = \"ETH/USD\"\namount = \"lots\"\n\
             [[holdings]]\nsymbol = \"SOL/USD\"\nvenue = \"krakn\"\namount = 1\n\
             [[holdings]]\nsymbol = \"ADA/USD\"\namount = 1\nlots = [ { amount = 2, price = 1 } ]\n\
             [[holdings]]\namount = 3\n",
        );
        assert!(h.is_empty(), "{h:?}");
        assert_eq!(
            problems,
            [
                "line 2, key `holdings[1].amount`: needs an amount or at least one lot",
                "line 5, key `holdings[2].amount`: expected a number like 0.5 or \"0.5\"",
                "line 8, key `holdings[3].venue`: unknown exchange 'krakn' (known: kraken, binance, coinbase, bybit, okx, kucoin)",
                "line 12, key `holdings[4].amount`: its lots add up to 2, more than its amount 1; fix one of them",
                "line 15, key `holdings[5].symbol`: a holding needs a symbol in quotes, e.g. \"BTC/USD\"",
            ]
        );
    }
}
