use super::*;

fn key(s: &str) -> Key {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

fn entry(name: &str, keys: &[&str], line: usize) -> KeyEntry {
    KeyEntry {
        name: name.into(),
        keys: keys.iter().map(ToString::to_string).collect(),
        line: Some(line),
    }
}

#[test]
fn keys_are_written_as_a_trader_reads_them() {
    let cases = [
        ("q", "q"),
        ("S", "S"),
        ("shift-s", "S"),
        ("?", "?"),
        ("/", "/"),
        ("$", "$"),
        ("ctrl-z", "Ctrl-Z"),
        ("Ctrl+Z", "Ctrl-Z"),
        ("alt-x", "Alt-X"),
        ("up", "↑"),
        ("PgDn", "PgDn"),
        ("pagedown", "PgDn"),
        ("esc", "Esc"),
        ("space", "Space"),
        ("shift-up", "Shift-↑"),
        ("shift-tab", "Shift-Tab"),
        ("f5", "F5"),
        ("delete", "Delete"),
    ];
    for (written, shown) in cases {
        assert_eq!(key(written).to_string(), shown, "{written}");
    }
    for bad in ["", "qq", "ctrl-", "f13", "hyper-x", "\u{7}"] {
        assert!(bad.parse::<Key>().is_err(), "{bad:?}");
    }
}

#[test]
fn events_match_the_keys_as_terminals_send_them() {
    assert_eq!(
        Key::from_event(&ev(KeyCode::Char('S'), KeyModifiers::SHIFT)),
        key("S")
    );
    assert_eq!(
        Key::from_event(&ev(KeyCode::Char('s'), KeyModifiers::SHIFT)),
        key("S")
    );
    assert_eq!(
        Key::from_event(&ev(KeyCode::Char('z'), KeyModifiers::CONTROL)),
        key("ctrl-z")
    );
    assert_eq!(
        Key::from_event(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT)),
        key("?")
    );
    assert_eq!(
        Key::from_event(&ev(KeyCode::Up, KeyModifiers::SHIFT)),
        key("shift-up")
    );
    assert_eq!(
        Key::from_event(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
        key("shift-tab")
    );
}

#[test]
fn the_defaults_bind_every_command_without_a_clash() {
    let (map, problems) = Keymap::from_entries(&[]);
    assert_eq!(problems, []);
    for b in BINDINGS {
        assert!(!map.keys_of(b.cmd).is_empty(), "{}", b.name);
        for k in map.keys_of(b.cmd) {
            assert_eq!(map.command(*k), Some(b.cmd), "{k} for {}", b.name);
        }
    }
    assert_eq!(map.command(key("c")), Some(Cmd::Chart));
    assert_eq!(map.command(key("x")), None);
    // Every command has a row, and only one.
    let mut names: Vec<&str> = BINDINGS.iter().map(|b| b.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), BINDINGS.len());
}

#[test]
fn the_config_replaces_a_commands_keys_and_the_footer_follows() {
    let (map, problems) = Keymap::from_entries(&[
        entry("chart", &["C", "f2"], 3),
        entry("quit", &["ctrl-q"], 4),
    ]);
    assert_eq!(problems, []);
    assert_eq!(map.command(key("C")), Some(Cmd::Chart));
    assert_eq!(map.command(key("f2")), Some(Cmd::Chart));
    // The old keys are free again.
    assert_eq!(map.command(key("c")), None);
    assert_eq!(map.command(key("q")), None);
    let footer = map.footer();
    assert_eq!(footer[0], ("Ctrl-Q".to_string(), "quit"));
    assert!(footer.contains(&("C".to_string(), "chart")), "{footer:?}");
    assert!(footer.contains(&("↑↓".to_string(), "select")), "{footer:?}");
    let help = map.help();
    assert!(help.contains(&("C  F2".to_string(), "chart the selected row")));
}

#[test]
fn clashes_and_mistakes_are_reported_with_their_line() {
    let (map, problems) = Keymap::from_entries(&[
        entry("chart", &["q"], 7),
        entry("chrat", &["x"], 8),
        entry("filter", &["ctrl-"], 9),
        entry("holdings", &[], 10),
        entry("undo", &["ctrl-c"], 11),
        entry("sort", &["p"], 12),
        entry("grouping", &["p"], 13),
    ]);
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "line 7, key `keys.chart`: q is already bound to quit (its default); give one of them another key",
            "line 8, key `keys.chrat`: no such command (known: up, down, first, last, filter, sort, reverse-sort, grouping, chart, chart-window, chart-style, holdings, hide-amounts, watchlist, reconnect, reconnect-all, add, drop, undo, history, history-page-up, history-page-down, history-up, history-down, details, alerts, alert-list, suspend, help, back, quit)",
            "line 9, key `keys.filter`: \"ctrl-\" is not a key; write a character (q, S, ?), a name (up, pgdn, esc, enter, space, f5) or a modifier before it (ctrl-z, alt-x, shift-up)",
            "line 10, key `keys.holdings`: give at least one key",
            "line 11, key `keys.undo`: Ctrl-C always quits; pick another key",
            "line 13, key `keys.grouping`: p is already bound to sort (line 12); give one of them another key",
        ]
    );
    // A command with a bad entry keeps its default.
    assert_eq!(map.command(key("/")), Some(Cmd::Filter));
}
