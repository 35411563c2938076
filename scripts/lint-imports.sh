#!/usr/bin/env bash
# The rooms' import rules (pyproject.toml [tool.importlinter], docs/architecture.md), checked by
# import-linter. The contracts have no ignore_imports: every violation fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v lint-imports >/dev/null 2>&1; then LINT=lint-imports; else LINT=.venv/bin/lint-imports; fi
exec "$LINT" "$@"
