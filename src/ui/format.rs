//! Text for numbers and times on the dashboard. Prices stay [`Decimal`] from the store to the
//! screen: rounding, padding and digit grouping are done on the decimal and its digits, never
//! through a float. Owns no state and draws nothing.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use rust_decimal::{Decimal, RoundingStrategy};

/// A price with the venue's precision when known, else the decimal's own scale, with the
/// integer part grouped in thousands: `97123.4` at 2 places → `97,123.40`.
pub fn price(value: Decimal, decimals: Option<u32>) -> String {
    let mut v = value;
    if let Some(dp) = decimals {
        v = v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
        v.rescale(dp);
    }
    group_thousands(&v.to_string())
}

/// An amount held, every digit the user wrote and no trailing zero: `0.00012345`,
/// `1,250.5`.
pub fn amount(value: Decimal) -> String {
    group_thousands(&value.normalize().to_string())
}

/// A price change with an explicit sign: `+420.97`, `-0.50`, `0.00`.
pub fn signed_price(value: Decimal, decimals: Option<u32>) -> String {
    let text = price(value, decimals);
    if value.is_sign_positive() && !is_zero_text(&text) {
        format!("+{text}")
    } else {
        text
    }
}

/// A percentage to two places with an explicit sign: `+4.72%`, `-0.10%`.
pub fn percent(value: Decimal) -> String {
    let mut v = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(2);
    let text = v.to_string();
    if v.is_sign_positive() && !is_zero_text(&text) {
        format!("+{text}%")
    } else if is_zero_text(&text) {
        // `-0.00` reads as a fall; a rounded zero has no direction.
        "0.00%".to_string()
    } else {
        format!("{text}%")
    }
}

/// Volume compacted to about four significant figures: `1.23K`, `45.6M`, `812.40`.
pub fn volume(value: Decimal) -> String {
    let thousand = Decimal::from(1000);
    let mut v = value.abs();
    let mut unit = "";
    for u in ["K", "M", "B", "T"] {
        if v < thousand {
            break;
        }
        v /= thousand;
        unit = u;
    }
    let dp = if v >= Decimal::from(100) { 1 } else { 2 };
    let mut r = v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    let sign = if value.is_sign_negative() { "-" } else { "" };
    format!("{sign}{r}{unit}")
}

/// Elapsed time between `since` and `now`, coarse: `0s`, `42s`, `3m05s`, `2h14m`, `3d04h`.
/// A time in the future (clock skew between hosts) counts as zero.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    duration(delta(since, now))
}

/// Time left until `at`: `4s`, `1m30s`, or `now` once it has passed.
pub fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = at - now;
    if left <= TimeDelta::zero() {
        return "now".to_string();
    }
    // Round up: "next 1s" until the moment it happens.
    let secs = (left.num_milliseconds() + 999) / 1000;
    duration(Duration::from_secs(secs.unsigned_abs()))
}

/// `now - since`, clamped at zero.
pub fn delta(since: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - since).to_std().unwrap_or(Duration::ZERO)
}

/// A duration, coarse as in [`age`].
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Round-trip time: `42ms`, `1.2s`.
pub fn rtt(d: Duration) -> String {
    let ms = d.as_millis();
    let us = d.as_micros();
    if us < 1000 {
        // A local or co-located venue answers in microseconds; "0ms" would hide that.
        format!("{us}µs")
    } else if ms < 10 {
        format!("{}.{}ms", ms, us % 1000 / 100)
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{}.{}s", ms / 1000, ms % 1000 / 100)
    }
}

/// Columns of a time window as bars `▁`..`█`, scaled between their own low and high; a
/// column without a price yet (before the first one known) is blank. The scaling is
/// decimal arithmetic too; a flat series draws a row of mid bars.
pub fn sparkline(columns: &[Option<Decimal>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (Some(lo), Some(hi)) = (
        columns.iter().flatten().min(),
        columns.iter().flatten().max(),
    ) else {
        return String::new();
    };
    let (lo, hi) = (*lo, *hi);
    let range = hi - lo;
    columns
        .iter()
        .map(|v| {
            let Some(v) = v else { return ' ' };
            if range.is_zero() {
                return BARS[3];
            }
            let level = ((*v - lo) * Decimal::from(7))
                .checked_div(range)
                .unwrap_or_default()
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            let i = usize::try_from(level.mantissa().clamp(0, 7)).unwrap_or(0);
            BARS[i]
        })
        .collect()
}

/// `line` cut to `width` columns, ending in `…` when something was cut, so a long reason
/// or error never wraps and never looks complete when it is not.
pub fn fit(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut used = 0;
    let mut spans = Vec::new();
    let room = width.saturating_sub(1);
    for span in line.spans {
        let w = span.width();
        if used + w <= room {
            used += w;
            spans.push(span);
            continue;
        }
        let mut text = String::new();
        for c in span.content.chars() {
            let cw = Span::raw(c.to_string()).width();
            if used + cw > room {
                break;
            }
            used += cw;
            text.push(c);
        }
        spans.push(Span::styled(text, span.style));
        break;
    }
    if width > 0 {
        spans.push(Span::raw("…"));
    }
    Line::from(spans).style(line.style)
}

/// A block title of at most `width` columns: `head` (padded by the caller, as
/// `" Prices "`), then each of `tail` as `"· {part} "` in `tail_style` while whole parts
/// fit. A title is cut between its parts, never inside one, so it ends in a space that the
/// border or a marker on it follows cleanly; only a head wider than `width` is cut, with
/// `…`.
pub fn title(
    head: Span<'static>,
    tail: &[String],
    tail_style: Style,
    width: usize,
) -> Line<'static> {
    if head.width() > width {
        let mut line = fit(Line::from(head), width.saturating_sub(1));
        if width > 0 {
            line.spans.push(Span::raw(" "));
        }
        return line;
    }
    let mut used = head.width();
    let mut rest = String::new();
    for part in tail {
        let piece = format!("· {part} ");
        let w = Span::raw(piece.as_str()).width();
        if used + w > width {
            break;
        }
        used += w;
        rest.push_str(&piece);
    }
    let mut spans = vec![head];
    if !rest.is_empty() {
        spans.push(Span::styled(rest, tail_style));
    }
    Line::from(spans)
}

/// `text` broken into lines of at most `width` columns, at spaces where a word fits and
/// inside a word only when it is wider than a line, so a long message reads in full.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let cols = |s: &str| Span::raw(s.to_string()).width();
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && cols(&line) + sep + cols(word) <= width {
            line.push(' ');
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            if cols(&line) + cols(&c.to_string()) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    lines.push(line);
    lines
}

fn is_zero_text(text: &str) -> bool {
    text.chars().all(|c| matches!(c, '0' | '.' | ',' | '-'))
}

/// `-1234567.891` → `-1,234,567.891`.
fn group_thousands(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(
            wrap("cannot save watchlist", 10),
            ["cannot", "save", "watchlist"]
        );
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(
            wrap("/very/long/path/x ok", 8),
            ["/very/lo", "ng/path/", "x ok"]
        );
        assert_eq!(wrap("", 5), [""]);
        let text = "cannot save watchlist to /home/u/.config/pricewire/config.toml: \
                    permission denied (the previous file is unchanged)";
        let lines = wrap(text, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        let squeeze = |s: &str| s.replace(' ', "");
        assert_eq!(squeeze(&lines.concat()), squeeze(text), "nothing is lost");
        assert!(lines.len() >= 4);
    }

    #[test]
    fn prices_keep_exact_digits() {
        let cases = [
            ("97123.4", Some(2), "97,123.40"),
            ("97123.456", Some(1), "97,123.5"),
            ("0.00001234", None, "0.00001234"),
            ("1.00000", None, "1.00000"),
            ("1234567.891", None, "1,234,567.891"),
            ("999", None, "999"),
            ("-1000.5", None, "-1,000.5"),
            ("0.1", Some(8), "0.10000000"),
            // Past f64's 15-16 significant digits: still exact.
            (
                "12345678901234.123456789",
                None,
                "12,345,678,901,234.123456789",
            ),
        ];
        for (input, dp, want) in cases {
            assert_eq!(price(d(input), dp), want, "{input} at {dp:?}");
        }
    }

    #[test]
    fn changes_carry_a_sign() {
        assert_eq!(signed_price(d("420.97"), Some(2)), "+420.97");
        assert_eq!(signed_price(d("-0.5"), Some(2)), "-0.50");
        assert_eq!(signed_price(d("0"), Some(1)), "0.0");
        assert_eq!(percent(d("4.7249")), "+4.72%");
        assert_eq!(percent(d("-0.105")), "-0.11%");
        assert_eq!(percent(d("-0.001")), "0.00%");
        assert_eq!(percent(d("0")), "0.00%");
    }

    #[test]
    fn volumes_are_compact() {
        let cases = [
            ("812.4", "812.4"),
            ("12.345", "12.35"),
            ("1234.5", "1.23K"),
            ("45678901", "45.68M"),
            ("456789012", "456.8M"),
            ("2500000000", "2.50B"),
        ];
        for (input, want) in cases {
            assert_eq!(volume(d(input)), want, "{input}");
        }
    }

    #[test]
    fn ages_and_countdowns() {
        let t0 = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let at = |s: i64| t0 + TimeDelta::seconds(s);
        assert_eq!(age(t0, at(0)), "0s");
        assert_eq!(age(t0, at(42)), "42s");
        assert_eq!(age(t0, at(185)), "3m05s");
        assert_eq!(age(t0, at(2 * 3600 + 14 * 60)), "2h14m");
        assert_eq!(age(t0, at(3 * 86_400 + 4 * 3600)), "3d04h");
        assert_eq!(age(at(5), t0), "0s");
        assert_eq!(until(at(4), t0), "4s");
        assert_eq!(until(t0 + TimeDelta::milliseconds(3100), t0), "4s");
        assert_eq!(until(t0, at(1)), "now");
        assert_eq!(rtt(Duration::from_millis(42)), "42ms");
        assert_eq!(rtt(Duration::from_millis(1250)), "1.2s");
        assert_eq!(rtt(Duration::from_micros(180)), "180µs");
        assert_eq!(rtt(Duration::from_micros(2_450)), "2.4ms");
    }

    #[test]
    fn long_lines_end_in_an_ellipsis() {
        let text = |l: Line<'_>| {
            l.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        let line = || Line::from(vec![Span::raw("kraken "), Span::raw("connection reset")]);
        assert_eq!(text(fit(line(), 40)), "kraken connection reset");
        assert_eq!(text(fit(line(), 23)), "kraken connection reset");
        assert_eq!(text(fit(line(), 22)), "kraken connection res…");
        assert_eq!(text(fit(line(), 7)), "kraken…");
        assert_eq!(text(fit(Line::from("日本語テキスト"), 6)), "日本…");
        assert_eq!(fit(line(), 22).width(), 22);
    }

    #[test]
    fn titles_are_cut_between_their_parts() {
        let text = |l: Line<'_>| {
            l.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        let tail = ["6 symbols".to_string(), "sort: symbol A→Z".to_string()];
        let title = |w| text(title(Span::raw(" Prices "), &tail, Style::new(), w));
        assert_eq!(title(80), " Prices · 6 symbols · sort: symbol A→Z ");
        assert_eq!(title(39), " Prices · 6 symbols · sort: symbol A→Z ");
        assert_eq!(title(38), " Prices · 6 symbols ");
        assert_eq!(title(20), " Prices · 6 symbols ");
        assert_eq!(title(19), " Prices ");
        assert_eq!(title(8), " Prices ");
        assert_eq!(title(7), " Pric… ");
        assert_eq!(title(1), " ");
        assert_eq!(title(0), "");
    }

    #[test]
    fn sparkline_scales_to_own_range() {
        let v: Vec<Decimal> = ["1", "2", "3", "4", "5", "6", "7", "8"]
            .iter()
            .map(|s| d(s))
            .collect();
        let cols = |v: &[Decimal]| v.iter().copied().map(Some).collect::<Vec<_>>();
        assert_eq!(sparkline(&cols(&v)), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&cols(&v[5..])), "▁▅█");
        let mut gap = cols(&v[5..]);
        gap.insert(0, None);
        assert_eq!(sparkline(&gap), " ▁▅█");
        let flat = [d("5.0"), d("5.00")];
        assert_eq!(sparkline(&cols(&flat)), "▄▄");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[None, None]), "");
    }
}
