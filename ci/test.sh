#!/usr/bin/env bash
# Runs the README's test command in a fresh virtual environment. Fails when no OpenCL
# device is found, so a run that silently tests nothing cannot pass.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CLGRAPH_CI_VENV:-$(mktemp -d)/venv}"
python3 -m venv "$VENV"
# shellcheck disable=SC1091
. "$VENV/bin/activate"
export CLGRAPH_CHECK=1
export CLGRAPH_CACHE_DIR="$(mktemp -d)"
# --- the README's test command ---
pip install -q -e '.[pocl,test]' && python -m clgraph.info && python -m pytest -q -n auto
