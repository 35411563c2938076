#!/usr/bin/env bash
# Creates .venv (Python 3.11+) and installs Linli with its test tools from requirements.lock (every
# dependency pinned with its sha256: a fresh machine gets exactly what CI tested; refresh the lock with
# scripts/lock.sh); installs the contracts' npm toolchain (solc-js, OpenZeppelin, anvil; package-lock.json)
# when npm is present — required when LINLI_REQUIRE_ANVIL is set (CI) — and builds the web clients
# (web/: the staff console, GraphiQL; `npm ci` + `npm run build` into gateway/static/web) — required when
# LINLI_REQUIRE_BROWSER is set. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q --require-hashes -r requirements.lock
python -m pip install -q --no-deps --no-build-isolation -e .
# The third-party test plugin (tests/plugins/linli_test_plugin) is NOT installed here: the test
# session exposes it (tests/fixtures/third_party_plugin.py), so the product never serves it.
# Environments bootstrapped before that had it installed: remove it.
python -m pip uninstall -y -q linli-test-plugin >/dev/null 2>&1 || true
# The external example plugin, installed from its own pyproject like any third party's.
python -m pip install -q -e examples/parcel_lockers
if [ -f contracts/package.json ] && command -v npm >/dev/null 2>&1; then
  (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
elif [ -n "${LINLI_REQUIRE_ANVIL:-}" ]; then
  echo "LINLI_REQUIRE_ANVIL is set but npm is missing: anvil and solc-js come from \`npm ci\` in contracts/" >&2
  exit 1
fi
if [ -f web/package.json ] && command -v npm >/dev/null 2>&1; then
  # the web clients' sources → gateway/static/web (served at /console/, /graphql, /web/); no CDN
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent >/dev/null)
elif [ -n "${LINLI_REQUIRE_BROWSER:-}" ]; then
  echo "LINLI_REQUIRE_BROWSER is set but npm is missing: the web clients are built with \`npm ci && npm run build\` in web/" >&2
  exit 1
else
  echo "npm is missing: the web clients (console, GraphiQL) are not built; the gateway shows how to build them" >&2
fi
