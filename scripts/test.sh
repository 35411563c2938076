#!/usr/bin/env bash
# Install and run the whole test suite. PostgreSQL tests run when LINLI_TEST_POSTGRES_URL is set
# (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres); CI also sets
# LINLI_REQUIRE_POSTGRES=1 so that a missing server fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. .venv/bin/activate
exec python -m pytest -q "$@"
