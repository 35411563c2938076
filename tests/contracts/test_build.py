"""The committed artifacts are exactly what the pinned compiler makes of the sources (CI runs this,
so an edited .sol without a rebuild — or a hand-edited artifact — fails the build)."""

from __future__ import annotations

import json
import shutil

from contracts import build
from kernel.testing import missing


def _toolchain_present() -> bool:
    return (build.NODE_MODULES / "solc").is_dir() and shutil.which("node") is not None


def test_rebuilding_reproduces_the_committed_artifacts():
    if not _toolchain_present():
        missing("anvil", "the contracts' npm toolchain is missing: run `npm ci` in contracts/")
    texts = build.build_artifacts()
    assert build.check_artifacts(texts) == []
    # and the check can fail: a drifted artifact is named
    name = sorted(texts)[0]
    drifted = dict(texts)
    data = json.loads(drifted[name])
    data["bytecode"] = data["bytecode"][:-2] + ("00" if not data["bytecode"].endswith("00") else "11")
    drifted[name] = json.dumps(data)
    assert build.check_artifacts(drifted) != []
