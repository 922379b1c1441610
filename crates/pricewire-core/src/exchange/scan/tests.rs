use super::*;
use proptest::prelude::*;
use serde_json::value::RawValue;

/// Same value, mantissa, scale and sign (`Decimal`'s `==` ignores scale).
fn same(a: Decimal, b: Decimal) -> bool {
    a.serialize() == b.serialize()
}

#[test]
fn plain_decimals_keep_scale_and_sign() {
    for (text, want) in [
        ("1.00000", "1.00000"),
        ("0.99980", "0.99980"),
        ("270638277.50461281", "270638277.50461281"),
        ("-0.5", "-0.5"),
        ("42", "42"),
        ("9999999999999999999", "9999999999999999999"),
        ("0.000000000000000001", "0.000000000000000001"),
    ] {
        let d = plain_decimal(text).unwrap_or_else(|| panic!("declined {text}"));
        assert_eq!(d.to_string(), want);
        assert!(same(d, Decimal::from_str_exact(text).unwrap()), "{text}");
    }
    for zero in ["-0", "-0.00", "0.000"] {
        let want = Decimal::from_str_exact(zero).unwrap();
        assert!(same(plain_decimal(zero).unwrap(), want), "{zero}");
    }
    for text in [
        "",
        "-",
        ".5",
        "5.",
        "1.2.3",
        "1e5",
        "+1",
        " 1",
        "1 ",
        "\"1\"",
        "0x10",
        // 20 digits: left to the general route.
        "12345678901234567890",
    ] {
        assert_eq!(plain_decimal(text), None, "{text:?}");
    }
}

#[test]
fn timestamps_in_the_z_form() {
    let t = utc_timestamp("2026-09-24T03:54:18.054886Z").unwrap();
    assert_eq!(t.to_rfc3339(), "2026-09-24T03:54:18.054886+00:00");
    assert_eq!(
        utc_timestamp("2026-09-24T03:54:18Z").unwrap().timestamp(),
        1_790_222_058
    );
    // Calendar edges agree with chrono, both ways.
    for text in [
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T12:00:00Z",
        "2000-02-29T23:59:59.999999999Z",
        "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59.5Z",
        "9999-12-31T23:59:59Z",
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-01T24:00:00Z",
    ] {
        let chrono = DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        assert_eq!(utc_timestamp(text), chrono, "{text}");
    }
    for text in [
        "2026-09-24T03:54:18.054886+00:00",
        "2026-09-24 03:54:18Z",
        "2026-09-24t03:54:18Z",
        "2026-02-30T00:00:00Z",
        "2026-09-24T23:59:60Z",
        "2026-09-24T03:54:18.Z",
        "2026-09-24T03:54:18.0548861234Z",
    ] {
        assert_eq!(utc_timestamp(text), None, "{text}");
    }
}

#[test]
fn scanner_reads_a_ticker_object() {
    let mut j = Json::new(r#" {"a" : [1.50, -0, 2e3], "b":"x y", "c":null, "d":true} "#);
    j.expect(b'{').unwrap();
    assert_eq!(j.key(), Some("a"));
    j.expect(b'[').unwrap();
    let Some(Scalar::Number(n)) = j.scalar() else {
        panic!("a number")
    };
    assert_eq!(n.text, "1.50");
    assert_eq!(n.plain.unwrap().to_string(), "1.50");
    assert_eq!(j.more(b']'), Some(true));
    assert!(matches!(j.scalar(), Some(Scalar::Number(n)) if n.text == "-0"));
    assert_eq!(j.more(b']'), Some(true));
    match j.scalar() {
        Some(Scalar::Number(n)) => {
            assert_eq!((n.text, n.plain), ("2e3", None));
            assert_eq!(n.decimal().unwrap().to_string(), "2000");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(j.more(b']'), Some(false));
    assert_eq!(j.more(b'}'), Some(true));
    assert_eq!(j.key(), Some("b"));
    assert_eq!(j.scalar(), Some(Scalar::Str("x y")));
    j.more(b'}').unwrap();
    assert_eq!(j.key(), Some("c"));
    assert_eq!(j.scalar(), Some(Scalar::Null));
    j.more(b'}').unwrap();
    assert_eq!(j.key(), Some("d"));
    assert_eq!(j.scalar(), Some(Scalar::Bool(true)));
    assert_eq!(j.more(b'}'), Some(false));
    assert_eq!(j.end(), Some(()));
}

#[test]
fn scanner_declines_what_it_does_not_read() {
    for text in [
        r#""a\"b""#,
        "\"tab\there\"",
        "01",
        "1.",
        "-",
        "1e",
        "nul",
        "nullx",
        "truex",
        "{}",
        "[1]",
        "\"open",
    ] {
        let mut j = Json::new(text);
        assert!(j.scalar().and_then(|_| j.end()).is_none(), "{text:?}");
    }
}

proptest! {
    #[test]
    fn plain_decimal_agrees_with_from_str_exact(text in "-?[0-9]{0,21}(\\.[0-9]{0,21})?") {
        let exact = Decimal::from_str_exact(&text).ok();
        if let Some(d) = plain_decimal(&text) {
            prop_assert!(exact.is_some_and(|e| same(d, e)), "{text}: {d:?} vs {exact:?}");
        } else {
            // Declined only outside the plain form it promises to read.
            let digits = text.bytes().filter(u8::is_ascii_digit).count();
            let plain = !text.trim_start_matches('-').starts_with('.')
                && !text.ends_with('.')
                && digits > 0;
            prop_assert!(!plain || digits > MAX_DIGITS, "declined {text}");
        }
    }

    #[test]
    fn utc_timestamp_agrees_with_chrono(
        text in "[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,11})?(Z|z|\\+00:00|-01:30)"
    ) {
        let chrono = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc));
        if let Some(t) = utc_timestamp(&text) {
            prop_assert_eq!(Some(t), chrono, "{}", text);
        } else {
            let canonical = text.as_bytes()[10] == b'T'
                && text.ends_with('Z')
                && !text.contains(".Z")
                && text.len() <= 30
                && &text[17..19] < "60";
            prop_assert!(!canonical || chrono.is_none(), "declined {}", text);
        }
    }

    #[test]
    fn numbers_are_what_serde_json_reads(text in "[-+0-9.eE]{1,12}|-?[0-9]{1,12}(\\.[0-9]{1,12})?") {
        let mut j = Json::new(&text);
        let fast = match j.scalar() {
            Some(Scalar::Number(n)) if j.end().is_some() => Some(n),
            _ => None,
        };
        let serde = serde_json::from_str::<&RawValue>(&text).ok().map(RawValue::get);
        prop_assert_eq!(fast.map(|n| n.text), serde);
        if let Some(plain) = fast.and_then(|n| n.plain) {
            let exact = Decimal::from_str_exact(&text).unwrap();
            prop_assert!(same(plain, exact), "{}: {:?} vs {:?}", text, plain, exact);
        }
    }

    #[test]
    fn strings_are_what_serde_json_reads(text in "\"[a-z\\\\\"\t /é\u{1}\u{1f}\u{7f}]{0,24}\"?") {
        let mut j = Json::new(&text);
        if let Some(s) = j.string().filter(|_| j.end().is_some()) {
            prop_assert_eq!(Some(s.to_string()), serde_json::from_str::<String>(&text).ok());
        } else {
            // Declined: either not JSON or it has an escape.
            prop_assert!(serde_json::from_str::<String>(&text).is_err() || text.contains('\\'));
        }
    }

    /// Valid JSON strings: read when they have no escape, declined when they have one,
    /// wherever it sits (the first eight bytes are scanned as one word).
    #[test]
    fn escapes_are_always_declined(
        pieces in proptest::collection::vec(
            prop_oneof![
                4 => "[a-zA-Z0-9 :./é-]{1,5}",
                1 => prop_oneof![
                    Just("\\\\"), Just("\\\""), Just("\\/"), Just("\\n"), Just("\\u00e9")
                ].prop_map(str::to_string),
            ],
            0..8,
        ),
        after in prop_oneof![Just(""), Just(",\"k\":1}"), Just("   ")],
    ) {
        let body = pieces.concat();
        let text = format!("\"{body}\"{after}");
        let mut j = Json::new(&text);
        let read = j.string();
        if body.contains('\\') {
            prop_assert_eq!(read, None, "{}", text);
        } else {
            prop_assert_eq!(read, Some(body.as_str()));
        }
    }
}
