//! The hot path's readers: a forward-only JSON scanner over one frame, exact decimals from
//! plain number text, and `…Z` timestamps, each several times cheaper than the general
//! route (serde_json with raw values, `Decimal::from_str_exact`, chrono's RFC 3339 parser).
//!
//! Every reader here either gives exactly the value the general route would give or
//! declines with `None`; it never guesses. A caller that is declined takes the general
//! route, which also produces the error message for malformed input. The tests check the
//! agreement on generated inputs.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Most significant digits a plain decimal may have to be read here: any 19 digits fit a
/// `u64`.
const MAX_DIGITS: usize = 19;

/// `-?digits(.digits)?` with at most 19 digits, as `Decimal::from_str_exact`
/// reads it (same mantissa, scale and sign). Anything else is `None`.
pub fn plain_decimal(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    let negative = bytes.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let (int_end, mut mantissa) = accumulate(bytes, i, 0);
    if int_end == i {
        return None;
    }
    i = int_end;
    let mut scale = 0;
    if i < bytes.len() {
        if bytes[i] != b'.' {
            return None;
        }
        let (end, m) = accumulate(bytes, i + 1, mantissa);
        if end == i + 1 || end != bytes.len() {
            return None;
        }
        scale = end - i - 1;
        mantissa = m;
    }
    if int_end - usize::from(negative) + scale > MAX_DIGITS {
        return None;
    }
    Some(from_mantissa(mantissa, scale, negative))
}

/// Reads the ASCII digits from `i` on into `mantissa` (wrapping: callers discard more than
/// [`MAX_DIGITS`]); gives the index after them.
#[inline]
fn accumulate(bytes: &[u8], mut i: usize, mut mantissa: u64) -> (usize, u64) {
    while let Some(d) = bytes
        .get(i)
        .map(|b| b.wrapping_sub(b'0'))
        .filter(|d| *d < 10)
    {
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (i, mantissa)
}

/// A `u64` and a scale of at most 19 always fit a `Decimal`.
#[inline]
fn from_mantissa(mantissa: u64, scale: usize, negative: bool) -> Decimal {
    let lo = mantissa as u32;
    let mid = (mantissa >> 32) as u32;
    Decimal::from_parts(lo, mid, 0, negative, scale as u32)
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, as `DateTime::parse_from_rfc3339` reads it. Other
/// offsets, separators, leap seconds and longer fractions are `None`.
pub fn utc_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    // Two digits at `i` as a number, or `None` if either is not a digit.
    let two = |i: usize| {
        let (hi, lo) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (hi < 10 && lo < 10).then(|| u32::from(hi) * 10 + u32::from(lo))
    };
    let year = two(0)? * 100 + two(2)?;
    let (month, day) = (two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            let (end, n) = accumulate(frac, 0, 0);
            if end != frac.len() {
                return None;
            }
            u32::try_from(n).ok()? * 10u32.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    DateTime::from_timestamp(secs, nanos)
}

/// Days from 1970-01-01 to a valid proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A forward-only reader over one JSON text. Each method reads one token (after any
/// whitespace) or declines with `None`, leaving the scanner in an unspecified place.
pub struct Json<'a> {
    text: &'a str,
    pos: usize,
}

/// A JSON number: its text and, when it is plain (`-?digits(.digits)?`, at most 19
/// digits), its exact value, read in the same pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    /// The number's text, as it stands in the frame.
    pub text: &'a str,
    /// Its exact value when plain; `None` for an exponent or more than 19 digits (then
    /// [`Number::decimal`] reads the text).
    pub plain: Option<Decimal>,
}

impl Number<'_> {
    /// The exact value, as [`super::parse_decimal`] reads the text.
    pub fn decimal(&self) -> Option<Decimal> {
        self.plain.or_else(|| super::parse_decimal(self.text))
    }
}

/// A scalar value read by [`Json::scalar`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, checked against JSON's grammar.
    Number(Number<'a>),
    /// A string's contents; only strings without escapes are read.
    Str(&'a str),
}

impl<'a> Json<'a> {
    /// A scanner at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Json { text, pos: 0 }
    }

    #[inline]
    fn skip_ws(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consumes `byte` (after whitespace) or declines.
    #[inline]
    pub fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// After a value inside an object or array: `true` if a `,` follows (consumed), `false`
    /// if `close` does (consumed).
    #[inline]
    pub fn more(&mut self, close: u8) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Some(true)
            }
            b if b == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// An object key and its `:`.
    #[inline]
    pub fn key(&mut self) -> Option<&'a str> {
        let key = self.string()?;
        self.expect(b':')?;
        Some(key)
    }

    /// A string without escapes or control characters, borrowed from the text.
    #[inline]
    pub fn string(&mut self) -> Option<&'a str> {
        self.skip_ws();
        self.string_here()
    }

    /// [`Self::string`] with no whitespace before it.
    #[inline]
    fn string_here(&mut self) -> Option<&'a str> {
        if self.text.as_bytes().get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        let start = self.pos;
        let rest = self.text.as_bytes().get(start..)?;
        let len = string_stop(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        // Both ends sit next to an ASCII quote, so they are character boundaries.
        self.text.get(start..start + len)
    }

    /// A number at the current position, checked against JSON's grammar:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    #[inline]
    fn number_here(&mut self) -> Option<Number<'a>> {
        let start = self.pos;
        let bytes = self.text.as_bytes().get(start..)?;
        let negative = bytes.first() == Some(&b'-');
        let first = usize::from(negative);
        let (mut i, mut mantissa) = match bytes.get(first)? {
            b'0' => (first + 1, 0),
            b'1'..=b'9' => accumulate(bytes, first, 0),
            _ => return None,
        };
        let mut digits = i - first;
        let mut scale = 0;
        if bytes.get(i) == Some(&b'.') {
            let (end, m) = accumulate(bytes, i + 1, mantissa);
            if end == i + 1 {
                return None;
            }
            scale = end - i - 1;
            digits += scale;
            mantissa = m;
            i = end;
        }
        let mut plain = digits <= MAX_DIGITS;
        if let Some(b'e' | b'E') = bytes.get(i) {
            plain = false;
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            let (end, _) = accumulate(bytes, i, 0);
            if end == i {
                return None;
            }
            i = end;
        }
        // A number runs up to a delimiter; `01` or `1x` is not one.
        if !bytes.get(i).is_none_or(|&b| is_delimiter(b)) {
            return None;
        }
        self.pos = start + i;
        Some(Number {
            text: self.text.get(start..start + i)?,
            plain: plain.then(|| from_mantissa(mantissa, scale, negative)),
        })
    }

    /// One scalar: `null`, `true`, `false`, a number or an escape-free string. Objects and
    /// arrays decline.
    #[inline]
    pub fn scalar(&mut self) -> Option<Scalar<'a>> {
        let word = |s: &mut Self, w: &str, v: Scalar<'a>| {
            let rest = s.text.get(s.pos..)?;
            let delimited = rest
                .as_bytes()
                .get(w.len())
                .is_none_or(|&b| is_delimiter(b));
            (rest.starts_with(w) && delimited).then(|| {
                s.pos += w.len();
                v
            })
        };
        match self.peek()? {
            b'"' => self.string_here().map(Scalar::Str),
            b'n' => word(self, "null", Scalar::Null),
            b't' => word(self, "true", Scalar::Bool(true)),
            b'f' => word(self, "false", Scalar::Bool(false)),
            _ => self.number_here().map(Scalar::Number),
        }
    }

    /// Only whitespace remains.
    pub fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }
}

/// Where the escape-free part of a string ends: the first `"`, `\\` or control character,
/// looked for eight bytes at a time.
#[inline]
fn string_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte below `n` (n ≤ 0x80); exact up to the lowest one flagged.
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let stop = below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20);
        if stop != 0 {
            return Some(i + stop.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    let tail = bytes.get(i..)?;
    tail.iter()
        .position(|&b| STRING_STOP[usize::from(b)])
        .map(|p| i + p)
}

/// Bytes that end the escape-free part of a string: `"`, `\\` and control characters.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// What may follow a number or a literal.
#[inline]
fn is_delimiter(b: u8) -> bool {
    matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
}

#[cfg(test)]
mod tests;
