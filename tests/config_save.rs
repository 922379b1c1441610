//! Row 22 of the fault matrix: saving the watchlist where the disk will not take it returns
//! an error naming the file, and the previous file stays byte-identical.
//!
//! A read-only directory only refuses writes to an unprivileged user: as root (CI
//! containers often are) permissions do not bite, so that case is checked only where a
//! probe shows they do. The other failures bite everyone: the temporary file's name taken by
//! a directory, the temporary file landing on a full device (`/dev/full` answers every write
//! with ENOSPC), and a parent that is a file.

use std::fs;
use std::path::{Path, PathBuf};

use pricewire::config::{ConfigError, save_watchlist};

const OLD: &str = "# my list\nsymbols = [\"BTC/USD\"] # keep\n\n[ui]\nfps = 20\n";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pricewire-save-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn new_list() -> Vec<String> {
    vec!["BTC/USD".into(), "SOL/USD".into()]
}

fn assert_refused(result: Result<(), ConfigError>, path: &Path) {
    let err = result.expect_err("the save must fail");
    let text = err.to_string();
    assert!(matches!(err, ConfigError::Save { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("the previous file is unchanged"), "{text}");
    assert_eq!(fs::read_to_string(path).unwrap(), OLD, "old file changed");
}

#[cfg(unix)]
#[test]
fn read_only_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("ro");
    let path = dir.join("config.toml");
    fs::write(&path, OLD).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join("probe");
    let bites = fs::write(&probe, "x").is_err();
    if bites {
        assert_refused(save_watchlist(&path, &new_list()), &path);
        assert!(!dir.join("config.toml.tmp").exists());
    } else {
        // Running as root: the directory is writable anyway. The cases below cover it.
        let _ = fs::remove_file(&probe);
        eprintln!("read-only directory not enforced for this user; case skipped");
    }
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn temporary_name_taken_by_a_directory() {
    let dir = scratch("tmpdir");
    let path = dir.join("config.toml");
    fs::write(&path, OLD).unwrap();
    fs::create_dir(dir.join("config.toml.tmp")).unwrap();
    assert_refused(save_watchlist(&path, &new_list()), &path);
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn full_disk() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        eprintln!("no /dev/full here; case skipped");
        return;
    }
    let dir = scratch("full");
    let path = dir.join("config.toml");
    fs::write(&path, OLD).unwrap();
    let tmp = dir.join("config.toml.tmp");
    std::os::unix::fs::symlink(full, &tmp).unwrap();
    let result = save_watchlist(&path, &new_list());
    let text = result.as_ref().map_err(ToString::to_string).err();
    assert!(
        text.as_deref()
            .is_some_and(|t| t.contains("No space left on device")),
        "{text:?}"
    );
    assert_refused(result, &path);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parent_is_a_file() {
    let dir = scratch("parentfile");
    let blocker = dir.join("not-a-dir");
    fs::write(&blocker, "x").unwrap();
    let path = blocker.join("config.toml");
    let err = save_watchlist(&path, &new_list()).expect_err("must fail");
    assert!(err.to_string().contains("cannot save watchlist"), "{err}");
    assert_eq!(fs::read_to_string(&blocker).unwrap(), "x");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_good_save_still_works_after_a_failed_one() {
    let dir = scratch("after");
    let path = dir.join("config.toml");
    fs::write(&path, OLD).unwrap();
    fs::create_dir(dir.join("config.toml.tmp")).unwrap();
    assert!(save_watchlist(&path, &new_list()).is_err());
    fs::remove_dir(dir.join("config.toml.tmp")).unwrap();
    save_watchlist(&path, &new_list()).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"SOL/USD\"") && text.contains("# keep"),
        "{text}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_stays_a_symlink() {
    let dir = scratch("symlink");
    fs::create_dir(dir.join("dotfiles")).unwrap();
    let target = dir.join("dotfiles/pricewire.toml");
    fs::write(&target, OLD).unwrap();
    let link = dir.join("config.toml");
    std::os::unix::fs::symlink("dotfiles/pricewire.toml", &link).unwrap();
    save_watchlist(&link, &new_list()).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a file"
    );
    let text = fs::read_to_string(&target).unwrap();
    assert!(
        text.contains("\"SOL/USD\"") && text.contains("# keep"),
        "{text}"
    );
    assert!(!dir.join("dotfiles/pricewire.toml.tmp").exists());
    assert!(!dir.join("config.toml.tmp").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn file_mode_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("mode");
    let path = dir.join("config.toml");
    fs::write(&path, OLD).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    save_watchlist(&path, &new_list()).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "mode became {mode:o}");
    assert!(fs::read_to_string(&path).unwrap().contains("\"SOL/USD\""));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn multi_line_array_keeps_item_comments_and_layout() {
    let dir = scratch("multiline");
    let path = dir.join("config.toml");
    let before = "symbols = [ # my list\n    # majors\n    \"BTC/USD\", # bitcoin\n    \"ETH/USD\", # ether\n    \"DOGE/USD\", # for fun\n    # end of list\n]\n\n[ui]\nfps = 20\n";
    fs::write(&path, before).unwrap();
    let list: Vec<String> = vec!["BTC/USD".into(), "DOGE/USD".into(), "SOL/USD".into()];
    save_watchlist(&path, &list).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let want = "symbols = [ # my list\n    # majors\n    \"BTC/USD\", # bitcoin\n    \"DOGE/USD\", # for fun\n    \"SOL/USD\",\n    # end of list\n]\n\n[ui]\nfps = 20\n";
    assert_eq!(text, want);
    let c = pricewire::config::Config::parse(&text, &path).unwrap();
    assert_eq!(c.symbols, list);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_line_array_stays_on_one_line() {
    let dir = scratch("oneline");
    let path = dir.join("config.toml");
    fs::write(&path, "symbols = [\"BTC/USD\", \"ETH/USD\"] # two\n").unwrap();
    save_watchlist(&path, &["ETH/USD".into(), "SOL/USD".into()]).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text, "symbols = [\"ETH/USD\", \"SOL/USD\"] # two\n");
    fs::remove_dir_all(&dir).unwrap();
}
