#!/usr/bin/env bash
# The venv the peers benchmark runs in: cryptofeed 3.0.1 (needs Python >= 3.13) with its
# Redis extra, and psutil. Nothing here lands in the repository.
#
#   PYTHON=/path/to/python3.13 benches/peers/setup.sh [VENV]   (default /opt/cryptofeed-venv)
#
# PYTHON defaults to the first python3.13 found on PATH or under ~/.pyenv/versions.
# Redis for the relay part: apt-get install -y redis-server.
set -euo pipefail
venv=${1:-/opt/cryptofeed-venv}
ok() { [ -n "$1" ] && "$1" -c 'import sys, ssl; assert sys.version_info >= (3, 13)' 2>/dev/null; }
py=${PYTHON:-}
if [ -z "$py" ]; then
    # A pyenv shim on PATH may name a version that is not selected: try each candidate.
    for cand in $(command -v python3.13 2>/dev/null) "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
        if ok "$cand"; then py=$cand; break; fi
    done
fi
if ! ok "$py"; then
    echo "need a Python >= 3.13 with ssl (set PYTHON=...); see benches/peers/README.md" >&2
    exit 2
fi
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet 'cryptofeed[redis]==3.0.1' psutil
"$venv/bin/pip" show cryptofeed | sed -n "1,2p"
