#!/usr/bin/env bash
# Replay speed against the live rate, on the release binary:
#
#   cargo build --release && benches/replay.sh
#
# 1. Live: `pricewire --demo --scenario burst --headless --record FILE` on Kraken's 19
#    simulated pairs for SECS seconds (default 3), stdout to /dev/null: frames received
#    per second, read back from the recording (every frame in is one `"dir":"in"` line).
#    A burst records about 120 MB/s: the run's config raises record.max_mb so the file
#    does not rotate (a rotated run would count, and replay, only its last part).
# 2. Replay: `pricewire replay --headless --speed max FILE`, stdout to /dev/null: frames
#    per second of wall time and CPU per frame (from /usr/bin/time), headless printing
#    included as in the live run.
# Set ZST=1 to record (and replay) a .zst file; PRICEWIRE_BIN picks another binary.
set -euo pipefail
BIN=${PRICEWIRE_BIN:-target/release/pricewire}
SECS=${SECS:-3}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
FILE="$DIR/burst.jsonl${ZST:+.zst}"
printf '[record]\nmax_mb = 100000\n' > "$DIR/config.toml"
PAIRS="ADA/USD ATOM/USD AVAX/USD DOT/USD LINK/USD MATIC/USD SOL/EUR SOL/USD USDT/USD BTC/USDT DOGE/USD ETH/BTC ETH/EUR ETH/USD LTC/USD BTC/EUR BTC/GBP BTC/USD XRP/USD"
echo "load average: $(cat /proc/loadavg)"
# shellcheck disable=SC2086
XDG_STATE_HOME="$DIR/state" timeout -s INT "$SECS" "$BIN" --config "$DIR/config.toml" \
    --demo --scenario burst --headless --record "$FILE" --log-file "$DIR/log" $PAIRS > /dev/null || true
if [ -n "${ZST:-}" ]; then READ=(zstd -dc "$FILE"); else READ=(cat "$FILE"); fi
FRAMES=$("${READ[@]}" | grep -c '"rec":"frame".*"dir":"in"' || true)
GAPS=$("${READ[@]}" | grep -o '"rec":"gap"[^}]*"lost":[0-9]*' | grep -o '[0-9]*$' | paste -sd+ | bc 2>/dev/null || echo 0)
SIZE=$(stat -c %s "$FILE")
echo "live:   $FRAMES frames recorded in $SECS s: $((FRAMES / SECS)) frames/s; file $((SIZE / 1024)) KiB; records lost to the queue: ${GAPS:-0}"
XDG_STATE_HOME="$DIR/state" /usr/bin/time -f '%e %U %S %M' -o "$DIR/time" \
    "$BIN" replay --config "$DIR/config.toml" --headless --speed max "$FILE" > /dev/null 2> "$DIR/err" || true
read -r WALL USR SYS RSS < "$DIR/time"
tail -1 "$DIR/err"
awk -v f="$FRAMES" -v w="$WALL" -v u="$USR" -v s="$SYS" -v r="$RSS" 'BEGIN {
    printf "replay: %.0f frames/s (%.2f s wall), %.2f µs CPU/frame, %d MB resident\n",
        f / w, w, (u + s) * 1e6 / f, r / 1024 }'
echo "load average after: $(cat /proc/loadavg)"
