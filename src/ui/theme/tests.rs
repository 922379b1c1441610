use super::*;

fn map(pairs: &[(&str, ThemeValue)]) -> BTreeMap<String, ThemeValue> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn text(s: &str) -> ThemeValue {
    ThemeValue::Text(s.to_string())
}

fn preset(name: &str) -> Theme {
    Theme::new(&map(&[("preset", text(name))]), ColorMode::Color)
}

#[test]
fn names_indexes_and_hex_colours_are_read() {
    let t = Theme::new(
        &map(&[
            ("up", text("light-blue")),
            ("down", text("#ff8000")),
            ("live", ThemeValue::Index(208)),
            ("selected", text("dark-gray")),
            ("background", text("none")),
        ]),
        ColorMode::Color,
    );
    assert_eq!(t.up.fg, Some(Color::LightBlue));
    assert_eq!(t.down.fg, Some(Color::Rgb(0xff, 0x80, 0x00)));
    assert_eq!(t.live.fg, Some(Color::Indexed(208)));
    assert_eq!(t.selected.bg, Some(Color::DarkGray));
    // "none": the terminal's own background, the preset's text colour.
    assert_eq!(t.base.bg, None);
    assert_eq!(t.base.fg, Some(Color::Indexed(252)));
}

#[test]
fn bad_entries_are_refused_with_a_reason() {
    assert!(check("live", &ThemeValue::Index(208)).is_ok());
    assert!(check("live", &text("208")).is_ok());
    assert!(check("background", &text("none")).is_ok());
    for name in ["dark", "light", "high-contrast", "mono"] {
        assert!(check("preset", &text(name)).is_ok(), "{name}");
    }
    let grene = check("live", &text("grene")).unwrap_err();
    assert_eq!(
        grene,
        "\"grene\" is not a colour; use a name like green, an ANSI index 0-255, #rrggbb or \"none\""
    );
    assert!(check("up", &text("#zzzzzz")).is_err());
    assert!(
        check("up", &ThemeValue::Index(256))
            .unwrap_err()
            .contains("0-255")
    );
    assert!(check("up", &ThemeValue::Index(-1)).is_err());
    assert!(
        check("upp", &text("red"))
            .unwrap_err()
            .contains("unknown theme key")
    );
    assert_eq!(
        check("preset", &text("sepia")).unwrap_err(),
        "\"sepia\" is not a preset; use \"dark\", \"light\", \"high-contrast\" or \"mono\""
    );
}

#[test]
fn a_preset_is_a_base_the_keys_override() {
    let t = Theme::new(
        &map(&[("preset", text("light")), ("up", text("blue"))]),
        ColorMode::Color,
    );
    assert_eq!(t.up.fg, Some(Color::Blue));
    assert_eq!(t.live.fg, Some(Color::Indexed(22)));
    assert_eq!(t.base.bg, Some(Color::Indexed(231)));
    assert_eq!(Theme::default(), preset("dark"));
}

/// xterm's RGB for a palette index: the 16 ANSI colours, the 6x6x6 cube, the grey ramp.
fn xterm_rgb(n: u8) -> (u8, u8, u8) {
    const ANSI: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match n {
        0..=15 => ANSI[usize::from(n)],
        16..=231 => {
            let i = n - 16;
            (
                LEVELS[usize::from(i / 36)],
                LEVELS[usize::from(i / 6 % 6)],
                LEVELS[usize::from(i % 6)],
            )
        }
        _ => {
            let g = 8 + 10 * (n - 232);
            (g, g, g)
        }
    }
}

/// WCAG 2 relative luminance and contrast ratio.
fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let lum = |(r, g, b): (u8, u8, u8)| {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[test]
fn contrast_formula_matches_known_values() {
    assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
    assert!((contrast((118, 118, 118), (255, 255, 255)) - 4.54).abs() < 0.01);
    assert_eq!(xterm_rgb(16), (0, 0, 0));
    assert_eq!(xterm_rgb(231), (255, 255, 255));
    assert_eq!(xterm_rgb(78), (95, 215, 135));
    assert_eq!(xterm_rgb(234), (28, 28, 28));
}

/// Keys whose colour carries text a trader reads: every key but the preset, the two
/// grounds text is read on, and the border.
fn text_keys() -> impl Iterator<Item = &'static str> {
    THEME_KEYS
        .into_iter()
        .filter(|k| !["preset", "background", "selected", "border"].contains(k))
}

/// The styles every theme sets for a feed's state and a price's move, in either mode.
fn state_styles(t: &Theme) -> [Style; 8] {
    [
        t.base,
        t.up,
        t.down,
        t.live,
        t.connecting,
        t.fallback,
        t.offline,
        t.simulated,
    ]
}

#[test]
fn every_presets_text_reaches_4_5_to_1_on_its_background_and_on_the_selected_row() {
    for (name, p) in Preset::ALL {
        if p == Preset::Mono {
            continue;
        }
        let rgb = |key: &str| {
            let i = p
                .index(key)
                .unwrap_or_else(|| panic!("{name} sets no {key}"));
            // 256-colour values only: the 16 ANSI colours look different in every
            // terminal, so a contrast computed on them would prove nothing.
            assert!(i >= 16, "{name} {key} uses ANSI colour {i}");
            xterm_rgb(i)
        };
        for ground in ["background", "selected"] {
            for key in text_keys() {
                let ratio = contrast(rgb(key), rgb(ground));
                assert!(ratio >= 4.5, "{name}: {key} on {ground}: {ratio:.2}:1");
            }
        }
        // The selected row stands out from the rest.
        assert_ne!(p.index("selected"), p.index("background"), "{name}");
    }
}

#[test]
fn no_meaning_relies_on_dim_text() {
    for (name, _) in Preset::ALL {
        let t = preset(name);
        for style in state_styles(&t)
            .into_iter()
            .chain([t.stale, t.header, t.muted, t.key, t.selected])
        {
            assert!(
                !style.add_modifier.contains(Modifier::DIM),
                "{name}: {style:?}"
            );
        }
    }
}

#[test]
fn simulated_has_a_hue_of_its_own() {
    for (name, p) in Preset::ALL {
        if p == Preset::Mono {
            continue;
        }
        let t = preset(name);
        let simulated = t.simulated.fg.expect("a colour");
        for other in [t.up, t.down, t.live, t.connecting, t.fallback, t.offline] {
            assert_ne!(other.fg, Some(simulated), "{name}");
        }
    }
}

#[test]
fn mono_and_no_color_keep_modifiers_only() {
    for t in [
        Theme::new(&map(&[("up", text("#00ff00"))]), ColorMode::NoColor),
        preset("mono"),
    ] {
        for style in state_styles(&t)
            .into_iter()
            .chain([t.border, t.muted, t.stale])
        {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
        assert!(t.live.add_modifier.contains(Modifier::BOLD));
        assert!(t.flash.contains(Modifier::UNDERLINED));
    }
}

#[test]
fn no_color_means_any_non_empty_value() {
    assert_eq!(ColorMode::from_no_color(None), ColorMode::Color);
    assert_eq!(ColorMode::from_no_color(Some("")), ColorMode::Color);
    assert_eq!(ColorMode::from_no_color(Some("1")), ColorMode::NoColor);
    assert_eq!(ColorMode::from_no_color(Some("false")), ColorMode::NoColor);
}
