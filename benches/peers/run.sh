#!/usr/bin/env bash
# pricewire beside cryptofeed 3.0.1 on one simulator. See benches/peers/README.md.
#
#   benches/peers/run.sh [--runs 3] [--secs 10] [--burst 100000] [--only ticker|relay]
#
# Builds the release binary, then runs peers.py with the cryptofeed venv's Python
# (PEERS_VENV, default /opt/cryptofeed-venv; make it with benches/peers/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${PEERS_VENV:-/opt/cryptofeed-venv}
if [ ! -x "$venv/bin/python" ]; then
    echo "no cryptofeed venv at $venv: run benches/peers/setup.sh (or set PEERS_VENV)" >&2
    exit 2
fi
nice cargo build --release --bin pricewire
exec "$venv/bin/python" benches/peers/peers.py --python "$venv/bin/python" "$@"
