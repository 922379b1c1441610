//! The config file's `[keys]` table: a command's name and its keys, one key in quotes or a
//! list of them (`chart = "C"`, `quit = ["q", "ctrl-q"]`), read into the dashboard's
//! [`Keymap`]. A key that is no key, or one key given to two commands, is an error naming
//! its line; a command this version does not know is a warning (see `keys.rs`), so a keymap
//! written for a newer version still starts this one.

use toml_edit::{Document, Item, Value};

use crate::keymap::{BINDINGS, KeyEntry, Keymap};

/// The keymap `text` sets, and its problems as (line, message).
pub fn read(text: &str) -> (Keymap, Vec<(usize, String)>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let doc = Document::parse(text).ok();
    let table = doc
        .as_ref()
        .and_then(|d| d.get("keys"))
        .and_then(Item::as_table_like);
    let Some(table) = table else {
        return (Keymap::default(), problems);
    };
    let line_of = |span: Option<std::ops::Range<usize>>| {
        span.and_then(|s| Some(text.get(..s.start)?.matches('\n').count() + 1))
    };
    for (name, item) in table.iter() {
        // Unknown commands are the unknown-key warning's business.
        if !BINDINGS.iter().any(|b| b.name == name) {
            continue;
        }
        let line = line_of(
            item.span()
                .or_else(|| table.key(name).and_then(toml_edit::Key::span)),
        );
        let keys: Option<Vec<String>> = match item.as_value() {
            Some(Value::String(s)) => Some(vec![s.value().clone()]),
            Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map(String::from)).collect(),
            _ => None,
        };
        let Some(keys) = keys else {
            let l = line.unwrap_or(0);
            problems.push((
                l,
                format!(
                    "line {l}, key `keys.{name}`: expected a key in quotes (\"c\") or a list of them ([\"c\", \"f2\"])"
                ),
            ));
            continue;
        };
        entries.push(KeyEntry {
            name: name.to_string(),
            keys,
            line,
        });
    }
    let (keymap, key_problems) = Keymap::from_entries(&entries);
    problems.extend(
        key_problems
            .into_iter()
            .map(|p| (p.line.unwrap_or(0), p.to_string())),
    );
    problems.sort_by_key(|p| p.0);
    (keymap, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{Cmd, Key};

    #[test]
    fn keys_are_read_with_their_lines() {
        let (map, problems) =
            read("[keys]\nchart = \"C\"\nquit = [\"q\", \"ctrl-q\"]\nalerts = \"A\"\n");
        assert_eq!(problems, []);
        assert_eq!(map.command("C".parse::<Key>().unwrap()), Some(Cmd::Chart));
        assert_eq!(
            map.command("ctrl-q".parse::<Key>().unwrap()),
            Some(Cmd::Quit)
        );
        let (_, problems) = read("\n[keys]\nholdings = \"q\"\nfilter = 3\n");
        let lines: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            lines,
            [
                "line 3, key `keys.holdings`: q is already bound to quit (its default); give one of them another key",
                "line 4, key `keys.filter`: expected a key in quotes (\"c\") or a list of them ([\"c\", \"f2\"])",
            ]
        );
    }
}
