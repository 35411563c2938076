#!/usr/bin/env bash
# The rooms' import rules (pyproject.toml [tool.importlinter], docs/architecture.md), checked by
# import-linter. The contracts have no ignore_imports.
#
# TEMPORARY (until the `chain` branch, issue #11 part 3, is merged): the violations listed in
# PENDING below — the governance demo's devchain/outbox/chain-model imports and funds → governance —
# are reported but do not fail the run; any other violation does. After the merge, delete
# PENDING (or run with LINLI_LINT_IMPORTS_STRICT=1) so that every violation fails.
set -uo pipefail
cd "$(dirname "$0")/.."
if command -v lint-imports >/dev/null 2>&1; then LINT=lint-imports; else LINT=.venv/bin/lint-imports; fi

PENDING=(
  "plugins.governance.demo -> kernel.chain.devchain"
  "plugins.governance.demo -> kernel.chain.models"
  "plugins.governance.demo -> kernel.outbox"
  "plugins.funds.chain -> plugins.governance.models"
)

out=$("$LINT" "$@" 2>&1)
status=$?
echo "$out"
[ $status -eq 0 ] && exit 0
if [ "${LINLI_LINT_IMPORTS_STRICT:-0}" = "1" ]; then exit $status; fi

# every violation line looks like "-   a.b -> c.d (l.12)"
violations=$(printf '%s\n' "$out" | sed -nE 's/^-[[:space:]]+([A-Za-z0-9_.]+ -> [A-Za-z0-9_.]+).*/\1/p' | sort -u)
if [ -z "$violations" ]; then
  echo "lint-imports failed without a listed violation (configuration error?)" >&2
  exit $status
fi
unexpected=0
while IFS= read -r v; do
  known=0
  for p in "${PENDING[@]}"; do [ "$v" = "$p" ] && known=1; done
  if [ $known -eq 0 ]; then echo "import rule broken: $v" >&2; unexpected=1; fi
done <<< "$violations"
if [ $unexpected -ne 0 ]; then exit 1; fi
echo "lint-imports: only the violations pending the chain branch remain (${#PENDING[@]} listed in scripts/lint-imports.sh)" >&2
exit 0
