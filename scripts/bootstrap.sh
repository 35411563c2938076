#!/usr/bin/env bash
# Creates .venv (Python 3.11+) and installs Linli with its test tools; installs the contracts'
# npm toolchain (solc-js, OpenZeppelin, anvil) when npm is present. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e ".[dev]"
# A third-party plugin registered through the linli.plugins entry point, for tests/test_plugin_host.py.
python -m pip install -q -e tests/plugins/linli_test_plugin
# The external example plugin, installed from its own pyproject like any third party's.
python -m pip install -q -e examples/parcel_lockers
if [ -f contracts/package.json ] && command -v npm >/dev/null 2>&1; then
  (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
fi
