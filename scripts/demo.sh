#!/usr/bin/env bash
# Quick start: install, seed the demo tenant on the embedded default (SQLite, in-process EVM,
# no broker) and serve it. Prints the URL and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/linli demo "$@"
