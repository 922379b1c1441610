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
py=${PYTHON:-}
if [ -z "$py" ]; then
    py=$(command -v python3.13 2>/dev/null || ls -d "$HOME"/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | tail -1 || true)
fi
if [ -z "$py" ] || ! "$py" -c 'import sys, ssl; assert sys.version_info >= (3, 13)' 2>/dev/null; then
    echo "need a Python >= 3.13 with ssl (set PYTHON=...); see benches/peers/README.md" >&2
    exit 2
fi
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet 'cryptofeed[redis]==3.0.1' psutil
"$venv/bin/pip" show cryptofeed | sed -n "1,2p"
