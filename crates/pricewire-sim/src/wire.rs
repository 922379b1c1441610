//! How the simulated venues write values on the wire, for every venue file alike: JSON
//! string literals for client text, decimals at a fixed scale or with trailing zeros
//! dropped, and step sizes (`"0.01000000"`) read as decimal places. Pure functions of
//! their arguments; venue-specific shapes stay in the venue files.

use rust_decimal::{Decimal, RoundingStrategy};

/// A JSON string literal (quotes and escapes) for text that came from a client.
pub fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// `value` rounded half-to-even to exactly `places` decimals, trailing zeros kept
/// (`fixed(9338.96, 8)` prints `9338.96000000`).
pub fn fixed(value: Decimal, places: u32) -> Decimal {
    let mut v = value.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
    v.rescale(places);
    v
}

/// A number printed with trailing zeros dropped (`1925.00` prints `1925`), as Bybit and
/// Coinbase print prices and sizes.
pub fn plain(d: Decimal) -> Decimal {
    d.normalize()
}

/// Decimal places of a step such as `"0.01000000"` (2); `None` when it is not a number.
pub fn step_decimals(step: &str) -> Option<u32> {
    let d: Decimal = step.parse().ok()?;
    Some(d.normalize().scale())
}

/// As [`step_decimals`], for listings whose every row must carry a positive step (OKX,
/// `KuCoin`): the reason otherwise, so that a bad listing fails to load.
pub fn positive_step_decimals(step: &str) -> Result<u32, String> {
    step.parse::<Decimal>()
        .ok()
        .filter(|d| *d > Decimal::ZERO)
        .map(|d| d.normalize().scale())
        .ok_or_else(|| format!("not a step size: {step}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_the_venues_print_them() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(fixed(d("9338.96"), 8).to_string(), "9338.96000000");
        assert_eq!(fixed(d("0.125"), 2).to_string(), "0.12");
        assert_eq!(fixed(d("0.135"), 2).to_string(), "0.14");
        assert_eq!(plain(d("1925.00")).to_string(), "1925");
        assert_eq!(step_decimals("0.01000000"), Some(2));
        assert_eq!(step_decimals("1"), Some(0));
        assert_eq!(step_decimals("x"), None);
        assert_eq!(positive_step_decimals("0.001"), Ok(3));
        assert!(positive_step_decimals("0").is_err());
        assert_eq!(js("a\"b"), r#""a\"b""#);
    }
}
