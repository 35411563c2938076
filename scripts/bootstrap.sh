#!/usr/bin/env bash
# Creates .venv (Python 3.11+) and installs Linli with its test tools from requirements.lock (every
# dependency pinned with its sha256: a fresh machine gets exactly what CI tested; refresh the lock with
# scripts/lock.sh); installs the contracts' npm toolchain (solc-js, OpenZeppelin, anvil; package-lock.json)
# when npm is present — required when LINLI_REQUIRE_ANVIL is set (CI) — and builds the web clients
# (web/: the staff console, GraphiQL; `npm ci` + `npm run build` into gateway/static/web) — required when
# LINLI_REQUIRE_BROWSER is set. Idempotent, and quick when nothing changed: each step records the digest
# of the files it installed from (.venv/.linli-stamps/, node_modules/.linli-stamp, the web build's stamp)
# and is skipped while they match. LINLI_BOOTSTRAP_FORCE=1 redoes every step.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate

# digest FILE...: one sha256 over the named files (missing ones count as empty)
digest() { cat "$@" 2>/dev/null | sha256sum | cut -c1-64; }
# current STAMPFILE FILE...: true when STAMPFILE holds the digest of FILE... (the step is done)
current() {
  local stamp=$1; shift
  [ -z "${LINLI_BOOTSTRAP_FORCE:-}" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(digest "$@")" ]
}
record() { local stamp=$1; shift; mkdir -p "$(dirname "$stamp")"; digest "$@" > "$stamp"; }

STAMPS=.venv/.linli-stamps
PYTHON_INPUTS=(requirements.lock pyproject.toml examples/parcel_lockers/pyproject.toml)
if ! current "$STAMPS/python" "${PYTHON_INPUTS[@]}"; then
  python -m pip install -q --upgrade pip >/dev/null
  python -m pip install -q --require-hashes -r requirements.lock
  python -m pip install -q --no-deps --no-build-isolation -e .
  # The third-party test plugin (tests/plugins/linli_test_plugin) is NOT installed here: the test
  # session exposes it (tests/fixtures/third_party_plugin.py), so the product never serves it.
  # Environments bootstrapped before that had it installed: remove it.
  python -m pip uninstall -y -q linli-test-plugin >/dev/null 2>&1 || true
  # The external example plugin, installed from its own pyproject like any third party's.
  python -m pip install -q -e examples/parcel_lockers
  record "$STAMPS/python" "${PYTHON_INPUTS[@]}"
fi

if [ -f contracts/package.json ] && command -v npm >/dev/null 2>&1; then
  if ! current contracts/node_modules/.linli-stamp contracts/package-lock.json; then
    (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
    record contracts/node_modules/.linli-stamp contracts/package-lock.json
  fi
elif [ -n "${LINLI_REQUIRE_ANVIL:-}" ]; then
  echo "LINLI_REQUIRE_ANVIL is set but npm is missing: anvil and solc-js come from \`npm ci\` in contracts/" >&2
  exit 1
fi
if [ -f web/package.json ] && command -v npm >/dev/null 2>&1; then
  # the web clients' sources → gateway/static/web (served at /console/, /graphql, /web/); no CDN
  if ! current web/node_modules/.linli-stamp web/package-lock.json; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    record web/node_modules/.linli-stamp web/package-lock.json
  fi
  mapfile -t WEB_SOURCES < <(find web -path web/node_modules -prune -o -type f -print | LC_ALL=C sort)
  if [ ! -d gateway/static/web ] || ! current gateway/static/web/.linli-stamp "${WEB_SOURCES[@]}"; then
    (cd web && npm run build --silent >/dev/null)
    record gateway/static/web/.linli-stamp "${WEB_SOURCES[@]}"
  fi
elif [ -n "${LINLI_REQUIRE_BROWSER:-}" ]; then
  echo "LINLI_REQUIRE_BROWSER is set but npm is missing: the web clients are built with \`npm ci && npm run build\` in web/" >&2
  exit 1
else
  echo "npm is missing: the web clients (console, GraphiQL) are not built; the gateway shows how to build them" >&2
fi
