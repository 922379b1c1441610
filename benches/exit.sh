#!/usr/bin/env bash
# Time from a signal to the exit of `pricewire --headless --demo`, release build:
#
#   cargo build --release && benches/exit.sh
#
# For each of SIGTERM, SIGINT and SIGHUP, RUNS times: start the binary with a scratch
# config and log, wait for its first 5 JSON lines, send the signal, and time until the
# process has exited (`wait`). Prints min / median / max in ms per signal, and fails if
# any run exits non-zero or changes the config. `tests/faults_process.rs` checks the
# clean exit itself (code 0, whole JSON lines, config untouched) with only a hang guard.
# Env: BIN (default target/release/pricewire), RUNS (default 10).
set -euo pipefail

BIN=${BIN:-target/release/pricewire}
RUNS=${RUNS:-10}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CONFIG='symbols = ["BTC/USD", "ETH/USD"]'

echo "binary $BIN, $RUNS runs per signal, load $(cut -d' ' -f1-3 /proc/loadavg)"
for sig in TERM INT HUP; do
    times=()
    for _ in $(seq "$RUNS"); do
        printf '%s\n' "$CONFIG" >"$WORK/config.toml"
        "$BIN" --headless --demo --config "$WORK/config.toml" --log-file "$WORK/log" \
            </dev/null >"$WORK/out" 2>/dev/null &
        pid=$!
        for _ in $(seq 1000); do
            [ "$(head -5 "$WORK/out" | wc -l)" -ge 5 ] && break
            sleep 0.01
        done
        start=$(date +%s%N)
        kill "-$sig" "$pid"
        rc=0
        wait "$pid" || rc=$?
        end=$(date +%s%N)
        if [ "$rc" -ne 0 ]; then echo "SIG$sig: exit code $rc" >&2; exit 1; fi
        if [ "$(cat "$WORK/config.toml")" != "$CONFIG" ]; then echo "SIG$sig: config changed" >&2; exit 1; fi
        times+=($(((end - start) / 1000000)))
    done
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    min=$(echo "$sorted" | head -1)
    max=$(echo "$sorted" | tail -1)
    median=$(echo "$sorted" | sed -n "$(((RUNS + 1) / 2))p")
    echo "SIG$sig: exit after min ${min} ms, median ${median} ms, max ${max} ms"
done
