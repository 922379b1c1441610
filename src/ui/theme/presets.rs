//! The base palettes `[theme] preset` picks: three colour presets in 256-colour values, each
//! with its own background, and `mono`, with no colour. The contrast of every colour that
//! carries text is checked in `tests.rs` from the RGB values below.

use ratatui::style::Color;

use super::ThemeValue;

/// The base colours the per-key entries override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Light text on a near-black background (the default).
    Dark,
    /// Dark text on white.
    Light,
    /// Pure white and saturated colours on black, for low vision and bright rooms.
    HighContrast,
    /// No colour: the terminal's own text and background, with bold, reverse video and
    /// underline.
    Mono,
}

impl Preset {
    /// Every preset, as `[theme] preset` names them.
    pub const ALL: [(&'static str, Preset); 4] = [
        ("dark", Preset::Dark),
        ("light", Preset::Light),
        ("high-contrast", Preset::HighContrast),
        ("mono", Preset::Mono),
    ];

    pub(super) fn read(value: &ThemeValue) -> Result<Preset, String> {
        let names = "use \"dark\", \"light\", \"high-contrast\" or \"mono\"";
        match value {
            ThemeValue::Text(t) => Preset::ALL
                .iter()
                .find(|(name, _)| *name == t.trim())
                .map(|(_, p)| *p)
                .ok_or_else(|| format!("\"{t}\" is not a preset; {names}")),
            ThemeValue::Index(n) => Err(format!("{n} is not a preset; {names}")),
        }
    }

    /// The 256-colour index of each key; `None` for the terminal's own (all of `mono`).
    pub fn index(self, key: &str) -> Option<u8> {
        let palette: &[(&str, u8)] = match self {
            Preset::Dark => &[
                ("background", 234),
                ("text", 252),
                ("muted", 247),
                ("up", 78),
                ("down", 210),
                ("live", 78),
                ("connecting", 220),
                ("fallback", 80),
                ("offline", 210),
                ("simulated", 213),
                ("stale", 247),
                ("header", 117),
                ("border", 240),
                ("selected", 236),
            ],
            Preset::Light => &[
                ("background", 231),
                ("text", 235),
                ("muted", 241),
                ("up", 22),
                ("down", 124),
                ("live", 22),
                ("connecting", 94),
                ("fallback", 25),
                ("offline", 124),
                ("simulated", 90),
                ("stale", 241),
                ("header", 24),
                ("border", 250),
                ("selected", 255),
            ],
            Preset::HighContrast => &[
                ("background", 16),
                ("text", 231),
                ("muted", 250),
                ("up", 46),
                ("down", 210),
                ("live", 46),
                ("connecting", 226),
                ("fallback", 51),
                ("offline", 210),
                ("simulated", 213),
                ("stale", 250),
                ("header", 231),
                ("border", 244),
                ("selected", 237),
            ],
            Preset::Mono => &[],
        };
        palette.iter().find(|(k, _)| *k == key).map(|(_, i)| *i)
    }

    /// The colour of each key, `None` for the terminal's own.
    pub(super) fn colour(self, key: &str) -> Option<Color> {
        self.index(key).map(Color::Indexed)
    }
}
