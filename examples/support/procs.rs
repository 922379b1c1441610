//! What the process benchmarks share: the pricewire binary beside them, child processes
//! that stop with the benchmark, a process's CPU time and RSS from /proc, a numeric flag,
//! and a ticker line's exchange time. Included with `#[path]` by bench_relay and bench_door.

use std::process::Child;

/// Clock ticks per second of /proc/PID/stat's times (Linux's USER_HZ).
const CLK_TCK: f64 = 100.0;

/// A child process killed and reaped when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU seconds (user + system) process `pid` has used.
pub fn cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / CLK_TCK
}

/// Resident memory of process `pid` in KiB.
pub fn rss_kib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// The pricewire binary built beside this example, or `PRICEWIRE_BIN`.
pub fn bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap()
        .to_path_buf();
    let bin = std::env::var_os("PRICEWIRE_BIN").map_or_else(|| dir.join("pricewire"), Into::into);
    assert!(
        bin.exists(),
        "{} missing: cargo build --release --bins --examples",
        bin.display()
    );
    bin
}

/// The number after flag `name` on the command line, or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `exchange_ts` of a ticker line, as µs since 1970.
pub fn exchange_us(text: &str) -> Option<i64> {
    let at = text.find("\"exchange_ts\":\"")? + 15;
    let end = text[at..].find('"')? + at;
    chrono::DateTime::parse_from_rfc3339(&text[at..end])
        .ok()
        .map(|t| t.timestamp_micros())
}
