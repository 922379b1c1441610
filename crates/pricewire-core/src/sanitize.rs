//! Makes text from the network safe to draw: escape sequences and control characters are
//! removed and the length is bounded. Applied once, where such text enters the store.

/// Longest text kept from the network (characters).
pub const MAX_LEN: usize = 240;

/// Strip ANSI/VT escape sequences (CSI, OSC, and two-byte escapes) and every other control
/// character; collapse line breaks and tabs to spaces; cap the length.
pub fn clean(input: &str) -> String {
    let mut out = String::with_capacity(input.len().min(MAX_LEN));
    let mut chars = input.chars().peekable();
    let mut count = 0;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI / OSC introducers.
            '\u{9b}' => skip_until_final(&mut chars),
            '\u{9d}' => skip_until_terminator(&mut chars),
            '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                    count += 1;
                }
            }
            c if c.is_control() => {}
            // Bidirectional overrides can reorder what is drawn around them.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => {
                out.push(c);
                count += 1;
            }
        }
        if count >= MAX_LEN {
            out.push('…');
            break;
        }
    }
    out.trim().to_string()
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_until_final(chars),
        Some(']' | 'P' | '_' | '^' | 'X') => skip_until_terminator(chars),
        // Two-byte escape (ESC c, ESC 7, ...): the second byte is gone already.
        _ => {}
    }
}

/// CSI: parameters and intermediates up to a final byte in `@`..=`~`.
fn skip_until_final(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/PM/APC: up to BEL or ESC \ (string terminator).
fn skip_until_terminator(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        if c == '\u{7}' || c == '\u{9c}' {
            break;
        }
        if c == '\u{1b}' {
            if chars.peek() == Some(&'\\') {
                chars.next();
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn strips_escapes_and_controls() {
        let cases = [
            ("plain text", "plain text"),
            ("\u{1b}[31mred\u{1b}[0m", "red"),
            ("\u{1b}]0;evil title\u{7}after", "after"),
            ("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link"),
            ("bell\u{7}\u{8}back", "bellback"),
            ("line\r\nbreak", "line break"),
            ("\u{1b}cclear", "clear"),
            ("\u{9b}2Jcsi", "csi"),
            ("a\u{202e}b", "ab"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }

    #[test]
    fn bounds_length() {
        let long = "x".repeat(10_000);
        assert!(clean(&long).chars().count() <= super::MAX_LEN + 1);
    }
}
