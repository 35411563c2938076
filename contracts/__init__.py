"""Linli's Solidity contracts: committed build artifacts and their loader.

Running Linli needs neither a compiler nor node: :func:`load_artifact` reads the JSON written by
``python -m contracts.build`` (see ``contracts/README.md``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["ARTIFACTS_DIR", "Artifact", "artifact_names", "load_artifact"]

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: what deploying and calling it needs, and how it was built."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    source_name: str
    compiler_version: str
    settings: dict[str, Any] = field(repr=False)
    sources: dict[str, str] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        """Build from the artifact JSON layout written by ``contracts.build``."""
        return cls(
            name=data["contractName"],
            abi=data["abi"],
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            source_name=data["sourceName"],
            compiler_version=data["compiler"]["version"],
            settings=data["compiler"]["settings"],
            sources=data["sources"],
        )


@cache
def load_artifact(name: str) -> Artifact:
    """The committed artifact of contract ``name`` (e.g. ``"OwnersGovernance"``).

    Raises ``FileNotFoundError`` naming the known artifacts when there is none.
    """
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no artifact {name!r} in {ARTIFACTS_DIR}; known: {', '.join(artifact_names())}")
    return Artifact.from_json(json.loads(path.read_text(encoding="utf-8")))


def artifact_names() -> list[str]:
    """Names of the committed artifacts."""
    return sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json"))
