#!/usr/bin/env bash
# Refresh requirements.lock: every runtime, test and dev dependency of pyproject.toml (plus the build
# backend, so `pip install --no-build-isolation -e .` needs nothing unpinned), resolved for Python 3.11
# on every platform, pinned with sha256 hashes. Run it after changing dependencies in pyproject.toml and
# commit the result; scripts/bootstrap.sh and CI install from it with `pip install --require-hashes`.
# Needs uv (https://pypi.org/project/uv/): `pip install uv`, or set UV=/path/to/uv.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
printf 'setuptools>=69\nwheel\n' | "$UV" pip compile pyproject.toml - "$@" \
  --extra test --extra dev \
  --universal --python-version 3.11 \
  --generate-hashes --no-header --quiet \
  --index-url https://pypi.org/simple \
  --output-file requirements.lock
echo "requirements.lock: $(grep -c '==' requirements.lock) pinned packages"
