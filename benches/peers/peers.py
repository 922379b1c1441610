"""pricewire beside cryptofeed on one simulator: tickers per second and CPU per ticker.

Run through `benches/peers/run.sh` (which builds the release binary and picks the
cryptofeed venv's Python); see benches/peers/README.md. Not part of `cargo test` or CI.

Two parts, each against its own `pricewire sim --exchange kraken` process:

ticker   scenario `burst` (ticker frames as fast as each socket accepts). Per run, one
         phase each, alternating which goes first:
         * pricewire: `pricewire --headless --exchange kraken --ws-url ... --rest-url ...`
           with stdout on a pipe; this script reads the pipe and counts ticker lines (and
           the events that gap lines report skipped);
         * cryptofeed: `cryptofeed_kraken.py` (Kraken, WebSocket v2, TICKER callback that
           counts).
         The window starts `--warmup` seconds after the first ticker (start-up costs left
         out) and lasts `--secs`. CPU is user + system time of each process from /proc
         (psutil), read at the window's two ends; the simulator's and this reader's CPU
         are reported apart.

relay    scenario `burst:N` (N ticker frames per connection, snapshots included, then
         heartbeats only) and a real redis-server on 127.0.0.1 (temp dir, no
         persistence), flushed before each phase:
         * cryptofeed: the same script with its `TickerStream` backend (default settings:
           10,000-entry queue dropping the oldest, batches of up to 500);
         * pricewire: `pricewire relay` when the binary has that subcommand (else the row
           says it is not built); its command and stream key can be overridden with
           PEERS_RELAY_CMD / PEERS_RELAY_KEY.
         Landed = entries counted in Redis (XINFO STREAM entries-added, so trimming does
         not hide any; for pricewire, whose stream also carries symbol errors and gap
         lines, only ticker lines count); a phase ends when the count has not moved for
         `--settle` seconds.
         Drops = N - landed. CPU from the first landed entry (cryptofeed: first callback)
         to the last change.
"""

import argparse
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import psutil
import redis

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The 19 Kraken pairs of examples/bench_ingest.rs: under cryptofeed's 20-symbol limit per
# Kraken connection, so each client holds exactly one WebSocket.
SYMBOLS = [
    "ADA/USD", "ATOM/USD", "AVAX/USD", "DOT/USD", "LINK/USD", "MATIC/USD", "SOL/EUR",
    "SOL/USD", "USDT/USD", "BTC/USDT", "DOGE/USD", "ETH/BTC", "ETH/EUR", "ETH/USD",
    "LTC/USD", "BTC/EUR", "BTC/GBP", "BTC/USD", "XRP/USD",
]

DEFAULT_RELAY_CMD = "{bin} relay --exchange kraken --ws-url {ws} --rest-url {rest} {symbols}"
DEFAULT_RELAY_KEY = "pricewire:{kraken}:ticks"


def cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Sim:
    """`pricewire sim` as its own process; the port from its first stdout line."""

    def __init__(self, binary: str, scenario: str):
        self.p = subprocess.Popen(
            [binary, "sim", "--exchange", "kraken", "--scenario", scenario, "--seed", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.p.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.p.kill()
            raise SystemExit(f"pricewire sim did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.proc = psutil.Process(self.p.pid)
        self.ws = f"ws://127.0.0.1:{self.port}/v2"
        self.rest = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


class Lines:
    """Whole lines from a pipe as they arrive (no hidden buffering behind `select`)."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.tail = b""

    def poll(self, timeout: float):
        """Lines available within `timeout` seconds; None at end of file."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return []
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            return None
        *lines, self.tail = (self.tail + chunk).split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]


def errors(f) -> str:
    """What a child wrote to its stderr file (a file, not a pipe: a chatty child never blocks)."""
    f.seek(0)
    return f.read().decode(errors="replace")


def stop(p: subprocess.Popen, sig=signal.SIGINT, wait=15.0):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- ticker part


def pricewire_headless(binary: str, sim: Sim, secs: float, warmup: float) -> dict:
    p = subprocess.Popen(
        [binary, "--headless", "--exchange", "kraken", "--ws-url", sim.ws,
         "--rest-url", sim.rest, "--log-file", "/dev/null", *SYMBOLS],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    proc, me = psutil.Process(p.pid), psutil.Process()
    fd = p.stdout.fileno()
    # A 1 MiB pipe (Linux's default is 64 KiB): fewer reads for the same bytes.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    tickers = gap_lines = skipped = simulated = 0
    tail = b""
    first = start = None
    marks = {}
    deadline_first = time.monotonic() + 30
    try:
        while True:
            r, _, _ = select.select([fd], [], [], 1.0)
            now = time.monotonic()
            if not r:
                if first is None and now > deadline_first:
                    raise SystemExit("pricewire delivered no ticker within 30 s")
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise SystemExit("pricewire's stdout closed early")
            # Whole lines only (up to `cut`); the tail of a chunk waits for the next read.
            # Counted in place: no copy per line, gap lines alone are parsed.
            buf = tail + chunk
            cut = buf.rfind(b"\n") + 1
            tickers += buf.count(b'{"type":"ticker"', 0, cut)
            if first is None and tickers:
                first = now
                simulated = buf.count(b'"simulated":true', 0, cut)
            i = buf.find(b'{"type":"gap"', 0, cut)
            while i >= 0:
                j = buf.index(b"\n", i)
                gap_lines += 1
                skipped += json.loads(buf[i:j]).get("skipped", 0)
                i = buf.find(b'{"type":"gap"', j, cut)
            tail = buf[cut:]
            if first is not None and start is None and now >= first + warmup:
                start = now
                marks["a"] = (now, tickers, gap_lines, skipped, cpu(proc), cpu(sim.proc), cpu(me))
            if start is not None and now >= start + secs:
                marks["b"] = (now, tickers, gap_lines, skipped, cpu(proc), cpu(sim.proc), cpu(me))
                break
    finally:
        # Close the pipe first: a writer blocked on a full pipe gets EPIPE and ends.
        p.stdout.close()
        stop(p, signal.SIGTERM)
    (t0, n0, g0, s0, c0, sc0, r0), (t1, n1, g1, s1, c1, sc1, r1) = marks["a"], marks["b"]
    n, wall = n1 - n0, t1 - t0
    return {
        "tickers": n, "wall_s": wall, "rate": n / wall, "cpu_s": c1 - c0,
        "us_per_ticker": (c1 - c0) / n * 1e6, "core": (c1 - c0) / wall,
        "gap_lines": g1 - g0, "skipped": s1 - s0,
        "us_per_event": (c1 - c0) / (n + s1 - s0) * 1e6,
        "sim_cpu_s": sc1 - sc0, "reader_cpu_s": r1 - r0, "simulated_marked": simulated > 0,
    }


def cryptofeed_ticker(python: str, sim: Sim, secs: float, warmup: float) -> dict:
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(
        [python, os.path.join(HERE, "cryptofeed_kraken.py"), "--port", str(sim.port), *SYMBOLS],
        stdout=subprocess.PIPE, stderr=err, cwd=tempfile.gettempdir(),
    )
    proc = psutil.Process(p.pid)
    lines = Lines(p.stdout)
    first = start = None
    marks = {}
    deadline_first = time.monotonic() + 60
    try:
        while "b" not in marks:
            events = lines.poll(1.0)
            now = time.monotonic()
            if events is None:
                raise SystemExit("cryptofeed exited:\n" + errors(err))
            if not events and first is None and now > deadline_first:
                stop(p)
                raise SystemExit("cryptofeed delivered no ticker within 60 s:\n" + errors(err))
            for ev in events:
                if ev["event"] == "first":
                    first = now
                elif ev["event"] == "count":
                    if start is None and first is not None and now >= first + warmup:
                        start = now
                        marks["a"] = (now, ev["tickers"], cpu(proc), cpu(sim.proc))
                    elif start is not None and now >= start + secs:
                        marks["b"] = (now, ev["tickers"], cpu(proc), cpu(sim.proc))
                        break
    finally:
        stop(p)
    (t0, n0, c0, sc0), (t1, n1, c1, sc1) = marks["a"], marks["b"]
    n, wall = n1 - n0, t1 - t0
    return {
        "tickers": n, "wall_s": wall, "rate": n / wall, "cpu_s": c1 - c0,
        "us_per_ticker": (c1 - c0) / n * 1e6, "core": (c1 - c0) / wall,
        "sim_cpu_s": sc1 - sc0, "stderr": errors(err)[-2000:],
    }


# ---------------------------------------------------------------- relay part


class Redis:
    """A real redis-server on a free 127.0.0.1 port, in a temp dir, no persistence."""

    def __init__(self):
        exe = shutil.which("redis-server")
        if exe is None:
            raise SystemExit("redis-server not found: apt-get install -y redis-server")
        self.dir = tempfile.mkdtemp(prefix="peers-redis-")
        for _ in range(5):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            self.p = subprocess.Popen(
                [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.dir],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            self.client = redis.Redis(port=self.port)
            for _ in range(100):
                try:
                    self.client.ping()
                    self.proc = psutil.Process(self.p.pid)
                    return
                except redis.ConnectionError:
                    if self.p.poll() is not None:
                        break
                    time.sleep(0.05)
            stop(self.p, signal.SIGTERM)
        raise SystemExit("redis-server did not start")

    def entries(self, pattern: str) -> int:
        """Entries ever added to the streams matching `pattern` (trimming does not hide any)."""
        total = 0
        for key in self.client.scan_iter(match=pattern, count=1000):
            if self.client.type(key) == b"stream":
                total += self.client.xinfo_stream(key)["entries-added"]
        return total

    def stop(self):
        stop(self.p, signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)


def settle(rds: Redis, pattern: str, proc, sim: Sim, first_at, settle_s: float, limit_s: float):
    """Poll the landed count until it has not moved for `settle_s`; CPU at first and last change."""
    a = b = None
    last = -1
    t_end = time.monotonic() + limit_s
    while time.monotonic() < t_end:
        n = rds.entries(pattern)
        now = time.monotonic()
        if a is None and (n > 0 or (first_at is not None and first_at())):
            a = (now, cpu(proc), cpu(rds.proc), cpu(sim.proc))
        if n != last:
            last = n
            if a is not None:
                b = (now, n, cpu(proc), cpu(rds.proc), cpu(sim.proc))
        elif b is not None and now - b[0] >= settle_s:
            break
        time.sleep(0.01 if a is None else 0.1)
    if a is None or b is None:
        return None
    (t0, c0, r0, s0), (t1, n, c1, r1, s1) = a, b
    wall = max(t1 - t0, 1e-9)
    return {
        "landed": n, "wall_s": wall, "rate": n / wall, "cpu_s": c1 - c0,
        "us_per_landed": (c1 - c0) / n * 1e6 if n else None,
        "redis_cpu_s": r1 - r0, "redis_us_per_landed": (r1 - r0) / n * 1e6 if n else None,
        "sim_cpu_s": s1 - s0,
    }


def cryptofeed_relay(python, sim, rds, burst, settle_s, limit_s) -> dict:
    rds.client.flushall()
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(
        [python, os.path.join(HERE, "cryptofeed_kraken.py"), "--port", str(sim.port),
         "--redis-port", str(rds.port), *SYMBOLS],
        stdout=subprocess.PIPE, stderr=err, cwd=tempfile.gettempdir(),
    )
    proc = psutil.Process(p.pid)
    lines = Lines(p.stdout)
    seen = {"first": False, "done": {}}

    def first_at():
        if not seen["first"]:
            for ev in lines.poll(0) or []:
                seen["first"] |= ev["event"] == "first"
        return seen["first"]

    try:
        res = settle(rds, "ticker-*", proc, sim, first_at, settle_s, limit_s)
    finally:
        stop(p)
    out, _ = p.communicate()
    done = {}
    for line in (lines.tail + out).splitlines():
        ev = json.loads(line)
        if ev["event"] == "done":
            done = ev
    if res is None:
        raise SystemExit("cryptofeed landed nothing in Redis:\n" + errors(err))
    res["received"] = done.get("tickers")
    res["backend"] = {k: done.get(k) for k in ("written", "dropped_overflow", "dropped_failed", "last_error")}
    res["landed_after_stop"] = rds.entries("ticker-*")
    res["dropped"] = burst - res["landed_after_stop"]
    return res


def relay_available(binary: str) -> bool:
    """Whether `pricewire --help` lists a `relay` command (a bare `relay` would be a symbol)."""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    commands = out.split("Commands:", 1)[1].split("\n\n", 1)[0] if "Commands:" in out else ""
    return any(line.split()[:1] == ["relay"] for line in commands.splitlines())


def pricewire_relay(binary, sim, rds, burst, settle_s, limit_s) -> dict:
    rds.client.flushall()
    cmd = os.environ.get("PEERS_RELAY_CMD", DEFAULT_RELAY_CMD).format(
        bin=binary, ws=sim.ws, rest=sim.rest, redis=f"redis://127.0.0.1:{rds.port}",
        symbols=" ".join(SYMBOLS),
    )
    key = os.environ.get("PEERS_RELAY_KEY", DEFAULT_RELAY_KEY)
    env = dict(os.environ, PRICEWIRE_REDIS_URL=f"redis://127.0.0.1:{rds.port}")
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd.split(), env=env, stdout=subprocess.DEVNULL, stderr=err)
    proc = psutil.Process(p.pid)
    try:
        res = settle(rds, key.replace("{", "\\{").replace("}", "\\}"), proc, sim, None, settle_s, limit_s)
    finally:
        stop(p, signal.SIGTERM)
    err = errors(err)
    if res is None:
        raise SystemExit(f"pricewire relay landed nothing under {key}:\n{err[-2000:]}")
    # The stream also carries symbol errors and gap lines (`line` field): landed tickers
    # are the ticker lines; gap lines say how many the relay skipped.
    kinds = classify(rds, key)
    res["entries"] = res["landed"]
    if kinds["entries"]:
        res["landed"] = res["entries"] - kinds["entries"] + kinds["ticker"]
        res["us_per_landed"] = res["cpu_s"] / res["landed"] * 1e6 if res["landed"] else None
        res["redis_us_per_landed"] = res["redis_cpu_s"] / res["landed"] * 1e6 if res["landed"] else None
        res["rate"] = res["landed"] / res["wall_s"]
    res["gap_lines"], res["skipped"], res["trimmed"] = kinds["gap"], kinds["skipped"], kinds["trimmed"]
    res["dropped"] = burst - res["landed"]
    return res


def classify(rds: Redis, key: str) -> dict:
    """Entries of one stream by the type of their `line` (entries without one: not counted)."""
    out = {"entries": 0, "ticker": 0, "gap": 0, "skipped": 0, "trimmed": False}
    if rds.client.type(key) != b"stream":
        return out
    info = rds.client.xinfo_stream(key)
    out["trimmed"] = info["length"] < info["entries-added"]
    start = "-"
    while True:
        batch = rds.client.xrange(key, min=start, count=10_000)
        for entry_id, fields in batch:
            line = fields.get(b"line")
            if line is None:
                continue
            out["entries"] += 1
            if line.startswith(b'{"type":"ticker"'):
                out["ticker"] += 1
            elif line.startswith(b'{"type":"gap"'):
                out["gap"] += 1
                out["skipped"] += json.loads(line).get("skipped", 0)
        if len(batch) < 10_000:
            return out
        start = "(" + batch[-1][0].decode()


# ---------------------------------------------------------------- report


def spread(values, fmt="{:,.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    lo, mid, hi = min(values), statistics.median(values), max(values)
    return f"{fmt.format(mid)} ({fmt.format(lo)}-{fmt.format(hi)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "pricewire"))
    ap.add_argument("--python", default=sys.executable, help="Python of the cryptofeed venv")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--secs", type=float, default=10.0, help="measurement window (ticker part)")
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--burst", type=int, default=100_000, help="frames per connection (relay part)")
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--only", choices=["ticker", "relay"])
    ap.add_argument("--json", help="also write every run's figures to this file")
    args = ap.parse_args()

    load = os.getloadavg()
    log(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores")
    results = {"load_start": load, "ticker": [], "relay": []}

    if args.only in (None, "ticker"):
        sim = Sim(args.bin, "burst")
        try:
            for run in range(args.runs):
                order = ["pricewire", "cryptofeed"] if run % 2 == 0 else ["cryptofeed", "pricewire"]
                row = {"load": os.getloadavg()[0]}
                for side in order:
                    if side == "pricewire":
                        row[side] = pricewire_headless(args.bin, sim, args.secs, args.warmup)
                    else:
                        row[side] = cryptofeed_ticker(args.python, sim, args.secs, args.warmup)
                    r = row[side]
                    log(f"ticker run {run + 1} {side:10} {r['rate']:>11,.0f} tickers/s  "
                        f"{r['us_per_ticker']:7.2f} us CPU/ticker  {r['core'] * 100:5.1f} % core  "
                        f"sim {r['sim_cpu_s'] / r['wall_s'] * 100:5.1f} % core"
                        + (f"  gaps {r['gap_lines']} ({r['skipped']} skipped)  reader {r['reader_cpu_s'] / r['wall_s'] * 100:.1f} % core"
                           f"  {'simulated' if r['simulated_marked'] else 'NOT marked simulated'}"
                           if side == "pricewire" else ""))
                results["ticker"].append(row)
        finally:
            sim.stop()

    if args.only in (None, "relay"):
        rds = Redis()
        sim = Sim(args.bin, f"burst:{args.burst}")
        have_relay = relay_available(args.bin)
        if not have_relay:
            log("pricewire relay: not in this binary (`pricewire --help` lists no relay command); cryptofeed side only")
        try:
            for run in range(args.runs):
                row = {"load": os.getloadavg()[0]}
                sides = ["cryptofeed"] + (["pricewire"] if have_relay else [])
                if run % 2 == 1:
                    sides.reverse()
                for side in sides:
                    if side == "cryptofeed":
                        row[side] = cryptofeed_relay(args.python, sim, rds, args.burst, args.settle, 300)
                    else:
                        row[side] = pricewire_relay(args.bin, sim, rds, args.burst, args.settle, 300)
                    r = row[side]
                    log(f"relay run {run + 1} {side:10} landed {r['landed']:,} of {args.burst:,} "
                        f"(dropped {r['dropped']:,})  {r['rate']:>9,.0f} landed/s  "
                        f"{r['us_per_landed']:7.2f} us CPU/landed  redis {r['redis_us_per_landed']:.2f} us/landed"
                        + (f"  backend {r['backend']}" if side == "cryptofeed" else
                           f"  entries {r['entries']:,}, gap lines {r['gap_lines']} ({r['skipped']:,} skipped)"
                           + ("  TRIMMED: the stream lost entries" if r["trimmed"] else "")))
                results["relay"].append(row)
        finally:
            sim.stop()
            rds.stop()

    results["load_end"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)

    # Summary: median (min-max) over the runs.
    print(f"\nload average at start {load[0]:.2f}, at end {results['load_end'][0]:.2f}; "
          f"{args.runs} runs; median (min-max)")
    t = results["ticker"]
    if t:
        pw = [r["pricewire"] for r in t]
        cf = [r["cryptofeed"] for r in t]
        print(f"\nticker part: 19 Kraken pairs, scenario burst, {args.secs:.0f} s windows")

        def row(label, left, right=None, fmt="{:,.0f}"):
            r = spread(right, fmt) if isinstance(right, list) else (right or "-")
            print(f"{label:30}{spread(left, fmt):>28}{r:>30}")

        print(f"{'':30}{'pricewire --headless':>28}{'cryptofeed TICKER callback':>30}")
        row("tickers/s delivered", [r["rate"] for r in pw], [r["rate"] for r in cf])
        row("CPU us per ticker delivered", [r["us_per_ticker"] for r in pw], [r["us_per_ticker"] for r in cf], "{:.2f}")
        row("CPU us per ticker + skipped", [r["us_per_event"] for r in pw], None, "{:.2f}")
        row("client % of a core", [r["core"] * 100 for r in pw], [r["core"] * 100 for r in cf])
        row("simulator % of a core", [r["sim_cpu_s"] / r["wall_s"] * 100 for r in pw],
            [r["sim_cpu_s"] / r["wall_s"] * 100 for r in cf])
        row("reader % of a core", [r["reader_cpu_s"] / r["wall_s"] * 100 for r in pw], "(in the callback)")
        row("gap lines", [r["gap_lines"] for r in pw])
        row("events skipped (gap lines)", [r["skipped"] for r in pw])
        ratio_rate = [p["rate"] / c["rate"] for p, c in zip(pw, cf)]
        ratio_cpu = [c["us_per_ticker"] / p["us_per_ticker"] for p, c in zip(pw, cf)]
        print(f"pricewire/cryptofeed per run: throughput {spread(ratio_rate, '{:.1f}x')}, "
              f"CPU per ticker 1/{spread(ratio_cpu, '{:.1f}')}")
    rl = results["relay"]
    if rl:
        print(f"\nrelay part: burst of {args.burst:,} frames, landed in redis-server on 127.0.0.1")
        for side in ("pricewire", "cryptofeed"):
            rows = [r[side] for r in rl if side in r]
            if not rows:
                print(f"{side:12} not run (no `pricewire relay` in this binary)")
                continue
            print(f"{side:12} landed {spread([r['landed'] for r in rows])}, dropped {spread([r['dropped'] for r in rows])}, "
                  f"{spread([r['rate'] for r in rows])} landed/s, "
                  f"{spread([r['us_per_landed'] for r in rows], '{:.2f}')} us CPU/landed, "
                  f"redis-server {spread([r['redis_us_per_landed'] for r in rows], '{:.2f}')} us/landed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
