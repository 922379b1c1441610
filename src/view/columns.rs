//! The price table's columns as the config names them (`ui.columns`, `ui.sort`) and as the
//! sort sees them: which exist, their names, which order they come in, which drop first on
//! a narrow terminal, which belong to holdings. How wide they are and how they are drawn
//! is `ui::columns`' business.

/// A table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Symbol,
    /// Shown when rows of different venues are interleaved (no venue headings), or always
    /// when `ui.columns` names it.
    Venue,
    Last,
    Change,
    Pct,
    Bid,
    Ask,
    Spread,
    High,
    Low,
    Volume,
    /// Holdings: the amount held (base currency).
    Amount,
    /// Holdings: amount × mark price (quote currency).
    Value,
    /// Holdings: profit or loss of the lots at the mark.
    Pnl,
    /// Holdings: P&L as a percent of the lots' cost.
    PnlPct,
    Trend,
    Age,
}

impl Column {
    pub const COUNT: usize = 17;

    /// Every column in its default display order.
    pub const ALL: [Column; Column::COUNT] = [
        Column::Symbol,
        Column::Venue,
        Column::Last,
        Column::Change,
        Column::Pct,
        Column::Bid,
        Column::Ask,
        Column::Spread,
        Column::High,
        Column::Low,
        Column::Volume,
        Column::Amount,
        Column::Value,
        Column::Pnl,
        Column::PnlPct,
        Column::Trend,
        Column::Age,
    ];

    /// Most important first: the last ones drop out first on a narrow terminal.
    pub const PRIORITY: [Column; Column::COUNT] = [
        Column::Symbol,
        Column::Venue,
        Column::Last,
        Column::Pct,
        Column::Age,
        Column::Value,
        Column::PnlPct,
        Column::Pnl,
        Column::Amount,
        Column::Bid,
        Column::Ask,
        Column::Trend,
        Column::Volume,
        Column::Change,
        Column::Spread,
        Column::High,
        Column::Low,
    ];

    /// The name `ui.columns` and `ui.sort` use.
    pub fn name(self) -> &'static str {
        match self {
            Column::Symbol => "symbol",
            Column::Venue => "venue",
            Column::Last => "last",
            Column::Change => "change",
            Column::Pct => "pct",
            Column::Bid => "bid",
            Column::Ask => "ask",
            Column::Spread => "spread",
            Column::High => "high",
            Column::Low => "low",
            Column::Volume => "volume",
            Column::Amount => "amount",
            Column::Value => "value",
            Column::Pnl => "pnl",
            Column::PnlPct => "pnl_pct",
            Column::Trend => "trend",
            Column::Age => "age",
        }
    }

    /// The column `name` names.
    pub fn named(name: &str) -> Result<Column, String> {
        let name = name.trim().to_ascii_lowercase();
        Column::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
                format!("unknown column \"{name}\" (known: {})", names.join(", "))
            })
    }

    /// A `ui.columns` list: known names, each once, the symbol among them.
    pub fn list(names: &[String]) -> Result<Vec<Column>, String> {
        let mut out: Vec<Column> = Vec::new();
        for name in names {
            let c = Column::named(name)?;
            if out.contains(&c) {
                return Err(format!("\"{}\" is listed twice", c.name()));
            }
            out.push(c);
        }
        if !out.contains(&Column::Symbol) {
            return Err("the list must have \"symbol\": a row without it says nothing".into());
        }
        Ok(out)
    }

    /// A column the table can be sorted by (`ui.sort`): any but the trend. `change` sorts
    /// by the 24 h change in percent, as it always has (`s` reaches the absolute one).
    pub fn sort_key(name: &str) -> Result<Column, String> {
        if name.trim().eq_ignore_ascii_case("change") {
            return Ok(Column::Pct);
        }
        let c = Column::named(name)?;
        if c == Column::Trend {
            return Err("the trend column cannot be sorted by; pick another column".into());
        }
        Ok(c)
    }

    /// Whether the column is one of the holdings columns (shown with `H`).
    pub fn is_holding(self) -> bool {
        matches!(
            self,
            Column::Amount | Column::Value | Column::Pnl | Column::PnlPct
        )
    }

    /// Whether the column reads as text (sorted A→Z first) rather than a figure (highest
    /// first). The age sorts youngest first.
    pub fn ascending_first(self) -> bool {
        matches!(self, Column::Symbol | Column::Venue | Column::Age)
    }

    /// How the sort label names it.
    pub fn label(self) -> &'static str {
        match self {
            Column::Pct => "change %",
            Column::PnlPct => "P&L %",
            Column::Pnl => "P&L",
            other => other.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_sort_keys_are_checked() {
        let names = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            Column::list(&names(&["symbol", "Last", "pnl_pct", "age"])),
            Ok(vec![
                Column::Symbol,
                Column::Last,
                Column::PnlPct,
                Column::Age
            ])
        );
        assert!(
            Column::list(&names(&["symbol", "prce"]))
                .unwrap_err()
                .starts_with("unknown column \"prce\" (known: symbol, venue, last")
        );
        assert_eq!(
            Column::list(&names(&["symbol", "last", "last"])).unwrap_err(),
            "\"last\" is listed twice"
        );
        assert!(Column::list(&names(&["last"])).is_err());
        assert_eq!(Column::sort_key("change"), Ok(Column::Pct));
        assert_eq!(Column::sort_key("volume"), Ok(Column::Volume));
        assert!(Column::sort_key("trend").is_err());
        // Every column has a priority, once.
        let mut p = Column::PRIORITY.to_vec();
        p.sort();
        assert_eq!(p, Column::ALL.to_vec());
    }
}
