//! Saving into the user's config file: [`save_with`] reads it, lets an edit change the
//! parsed document (comments and layout kept), and writes it back through a temporary
//! file, fsync and rename; a symlinked dotfile stays a symlink, and the file keeps its mode
//! and owner. [`save_watchlist`] is the edit of the `symbols` array, item by item, so its
//! comments and layout survive; it never touches any other key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, RawString, Value};

use super::ConfigError;

/// Replace the `symbols` array in the config file, keeping every comment and the layout of
/// the rest; written as [`save_with`] writes.
pub fn save_watchlist(path: &Path, symbols: &[String]) -> Result<(), ConfigError> {
    save_with(path, |doc| {
        set_symbols(doc, symbols);
        Ok(())
    })
}

/// Put `symbols` in the document's `symbols` array, item by item.
pub(crate) fn set_symbols(doc: &mut DocumentMut, symbols: &[String]) {
    set_array(doc.as_table_mut(), symbols);
}

/// Put `symbols` in the `symbols` array of the watchlist named `name`: the top-level one
/// for `None`, `[watchlists.NAME]` otherwise (made if the file has none yet).
pub(crate) fn set_named_symbols(doc: &mut DocumentMut, name: Option<&str>, symbols: &[String]) {
    let Some(name) = name else {
        set_symbols(doc, symbols);
        return;
    };
    let lists = doc.entry("watchlists").or_insert_with(|| {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    if let Some(lists) = lists.as_table_like_mut() {
        let list = lists
            .entry(name)
            .or_insert_with(|| Item::Table(toml_edit::Table::new()));
        if let Some(list) = list.as_table_like_mut() {
            set_array(list, symbols);
        }
    }
}

/// Put `symbols` in `table`'s `symbols` array, item by item.
fn set_array(table: &mut dyn toml_edit::TableLike, symbols: &[String]) {
    if let Some(array) = table.get_mut("symbols").and_then(Item::as_array_mut) {
        edit_in_place(array, symbols);
    } else {
        let mut array = Array::new();
        for s in symbols {
            array.push(s.as_str());
        }
        match table.get_mut("symbols").and_then(Item::as_value_mut) {
            // Not an array (a config that never loaded): keep the comments around it.
            Some(value) => {
                let decor = value.decor().clone();
                *value = Value::Array(array);
                *value.decor_mut() = decor;
            }
            None => {
                table.insert("symbols", toml_edit::value(array));
            }
        }
    }
}

/// Read the config file (the symlink's final target; none yet is an empty file), let
/// `edit` change the parsed document, and write it to a temporary file beside it, synced,
/// renamed over it and the directory synced, so a full or read-only disk, or an edit that
/// fails, leaves the old file as it was.
pub fn save_with(
    path: &Path,
    edit: impl FnOnce(&mut DocumentMut) -> Result<(), String>,
) -> Result<(), ConfigError> {
    let fail = |message: String| ConfigError::Save {
        path: path.to_path_buf(),
        message,
    };
    let target = final_target(path).map_err(|e| fail(e.to_string()))?;
    let (text, old_meta) = match fs::read_to_string(&target) {
        Ok(t) => (t, fs::metadata(&target).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), None),
        Err(e) => return Err(fail(e.to_string())),
    };
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| fail(format!("the file is not valid TOML: {e}")))?;
    edit(&mut doc).map_err(fail)?;
    replace_file(&target, old_meta.as_ref(), &doc.to_string()).map_err(|e| fail(e.to_string()))
}

/// Write `text` to `path` whole or not at all, as [`save_with`] writes: a temporary file
/// beside the real file (the symlink's final target), synced, renamed over it, the
/// directory synced; the file keeps its mode and owner. Used for the relay's state file.
pub fn write_replacing(path: &Path, text: &str) -> std::io::Result<()> {
    let target = final_target(path)?;
    let old_meta = fs::metadata(&target).ok();
    replace_file(&target, old_meta.as_ref(), text)
}

fn replace_file(target: &Path, old_meta: Option<&fs::Metadata>, text: &str) -> std::io::Result<()> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    fs::create_dir_all(&dir)?;
    let mut tmp_name = target.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let write = || -> std::io::Result<()> {
        let mut f = open_tmp(&tmp, old_meta)?;
        f.write_all(text.as_bytes())?;
        keep_mode_and_owner(&f, old_meta)?;
        f.sync_all()?;
        fs::rename(&tmp, target)?;
        // The rename itself is durable only once the directory is synced.
        fs::File::open(&dir)?.sync_all()
    };
    write().inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Follow symlinks to the file that really holds the config (which may not exist yet).
fn final_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

#[cfg(unix)]
fn open_tmp(tmp: &Path, old: Option<&fs::Metadata>) -> std::io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // Created with the old mode (less the umask) so a private file is never readable by
    // others, not even for the moment before the exact mode is set.
    if let Some(m) = old {
        options.mode(m.permissions().mode() & 0o777);
    }
    options.open(tmp)
}

#[cfg(not(unix))]
fn open_tmp(tmp: &Path, _old: Option<&fs::Metadata>) -> std::io::Result<fs::File> {
    fs::File::create(tmp)
}

#[cfg(unix)]
fn keep_mode_and_owner(f: &fs::File, old: Option<&fs::Metadata>) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Some(old) = old else { return Ok(()) };
    f.set_permissions(old.permissions())?;
    let now = f.metadata()?;
    if (now.uid(), now.gid()) != (old.uid(), old.gid()) {
        // Only root can give a file away; anyone else keeps the file as their own, which is
        // what editing it with any other tool would do too.
        let _ = std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_mode_and_owner(f: &fs::File, old: Option<&fs::Metadata>) -> std::io::Result<()> {
    match old {
        Some(old) => f.set_permissions(old.permissions()),
        None => Ok(()),
    }
}

fn raw(s: Option<&RawString>) -> &str {
    s.and_then(RawString::as_str).unwrap_or("")
}

/// Up to and including the first newline, and the rest. An item's line comment (after its
/// comma) is parsed into the *next* item's prefix, so this is how it goes back to its own.
fn split_line(s: &str) -> (&str, &str) {
    match s.find('\n') {
        Some(n) => (&s[..=n], &s[n + 1..]),
        None => ("", s),
    }
}

/// One item with the text that belongs to it: comment lines and indentation before it,
/// the rest of its line after it.
struct Entry {
    text: String,
    value: Value,
    lead: String,
    tail: String,
}

/// Keep the items that stay (with their comments), drop the others, append new ones in the
/// array's own layout.
fn edit_in_place(array: &mut Array, symbols: &[String]) {
    let multiline = array.iter().any(|v| raw(v.decor().prefix()).contains('\n'))
        || raw(Some(array.trailing())).contains('\n');
    let mut head = String::new();
    let mut old: Vec<Entry> = Vec::new();
    for (i, v) in array.iter().enumerate() {
        let (line_end, lead) = split_line(raw(v.decor().prefix()));
        match old.last_mut() {
            Some(prev) => prev.tail = line_end.to_string(),
            None if i == 0 => head = line_end.to_string(),
            None => {}
        }
        let mut value = v.clone();
        value.decor_mut().set_prefix("");
        old.push(Entry {
            text: v.as_str().unwrap_or_default().to_string(),
            value,
            lead: lead.to_string(),
            tail: String::new(),
        });
    }
    let (last_end, footer) = split_line(raw(Some(array.trailing())));
    let footer = footer.to_string();
    if let Some(last) = old.last_mut() {
        last.tail = last_end.to_string();
    } else {
        head.push_str(last_end);
    }
    let indent = old
        .iter()
        .rev()
        .map(|e| e.lead.rsplit('\n').next().unwrap_or(""))
        .find(|s| !s.is_empty())
        .unwrap_or("    ")
        .to_string();
    // On one line, separators go by position, not by item.
    let first_lead = old.first().map(|e| e.lead.clone()).unwrap_or_default();
    let other_lead = old.get(1).map_or(" ".to_string(), |e| e.lead.clone());
    let mut new: Vec<Entry> = Vec::new();
    for s in symbols {
        if let Some(at) = old.iter().position(|e| &e.text == s) {
            new.push(old.remove(at));
            continue;
        }
        let prev_ends_line = new
            .last()
            .map_or(head.ends_with('\n'), |e| e.tail.ends_with('\n'));
        let (lead, tail) = match (multiline, prev_ends_line) {
            (true, true) => (indent.clone(), "\n".to_string()),
            (true, false) => (format!("\n{indent}"), "\n".to_string()),
            (false, _) => (String::new(), String::new()),
        };
        new.push(Entry {
            text: s.clone(),
            value: Value::from(s.as_str()),
            lead,
            tail,
        });
    }
    if !multiline {
        for (i, e) in new.iter_mut().enumerate() {
            e.lead
                .clone_from(if i == 0 { &first_lead } else { &other_lead });
        }
    }
    array.clear();
    let mut before = head;
    for mut e in new {
        before.push_str(&e.lead);
        e.value.decor_mut().set_prefix(std::mem::take(&mut before));
        array.push_formatted(e.value);
        before = e.tail;
    }
    before.push_str(&footer);
    array.set_trailing(before);
}
