"""Compile the Linli contracts into committed, deterministic artifacts.

Usage (from the repository root, after ``npm ci`` in ``contracts/``)::

    python -m contracts.build           # write contracts/artifacts/<Name>.json
    python -m contracts.build --check   # rebuild in memory; exit 1 naming any drifted artifact

All sources under ``manifest.toml``'s ``[sources].root`` are compiled in one solc call through the
``solc-cli.js`` shim (solc-js from npm), with the pinned settings. Artifacts carry the ABI, bytecode,
deployed bytecode, the compiler version and settings, and the sha256 of every source they depend on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent
MANIFEST_PATH = CONTRACTS_DIR / "manifest.toml"
ARTIFACTS_DIR = CONTRACTS_DIR / "artifacts"
NODE_MODULES = CONTRACTS_DIR / "node_modules"
SOLC_SHIM = CONTRACTS_DIR / "solc-cli.js"


class BuildError(RuntimeError):
    """The toolchain is missing or the sources do not compile."""


def load_manifest() -> dict[str, Any]:
    """The parsed ``manifest.toml``."""
    with MANIFEST_PATH.open("rb") as fh:
        return tomllib.load(fh)


def compiler_settings(manifest: dict[str, Any]) -> dict[str, Any]:
    """solc ``settings`` (without outputSelection) pinned by the manifest."""
    c = manifest["compiler"]
    return {
        "evmVersion": c["evm_version"],
        "optimizer": {"enabled": bool(c["optimizer"]), "runs": int(c["optimizer_runs"])},
        "viaIR": bool(c.get("via_ir", False)),
        "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    }


def _read_source(unit_name: str) -> str:
    for root in (CONTRACTS_DIR, NODE_MODULES):
        path = root / unit_name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise BuildError(f"source {unit_name!r} not found (did you run `npm ci` in contracts/?)")


def compile_sources(source_names: list[str], manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compile ``source_names`` (paths relative to ``contracts/``) in one solc call; return solc's output.

    Also used by the benchmarks to compile the OpenZeppelin reference contracts with the same settings.
    """
    import solcx  # imported here: loading artifacts at run time must not need the compiler

    manifest = manifest or load_manifest()
    if not (NODE_MODULES / "solc").is_dir():
        raise BuildError("contracts/node_modules/solc is missing: run `npm ci` in contracts/")
    settings = compiler_settings(manifest)
    settings["outputSelection"] = {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]}
    }
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": _read_source(name)} for name in sorted(source_names)},
        "settings": settings,
    }
    output = solcx.compile_standard(
        standard_input, base_path=str(CONTRACTS_DIR), solc_binary=str(SOLC_SHIM)
    )
    return output


def _source_files(manifest: dict[str, Any]) -> list[str]:
    root = CONTRACTS_DIR / manifest["sources"]["root"]
    return sorted(p.relative_to(CONTRACTS_DIR).as_posix() for p in root.rglob("*.sol"))


def _compiler_version(manifest: dict[str, Any]) -> str:
    import solcx

    version = solcx.wrapper.get_solc_version(str(SOLC_SHIM), with_commit_hash=True)
    expected = manifest["compiler"]["version"]
    if str(version).split("+")[0] != expected:
        raise BuildError(f"solc {version} installed, manifest pins {expected}: run `npm ci` in contracts/")
    return str(version)


def build_artifacts(manifest: dict[str, Any] | None = None) -> dict[str, str]:
    """Compile everything; return ``{artifact file name: serialized JSON text}``."""
    manifest = manifest or load_manifest()
    version = _compiler_version(manifest)
    output = compile_sources(_source_files(manifest), manifest)
    by_name: dict[str, tuple[str, dict[str, Any]]] = {}
    for source_name, contracts in output["contracts"].items():
        for contract_name, data in contracts.items():
            if contract_name in manifest["artifacts"]["contracts"]:
                if contract_name in by_name:
                    raise BuildError(f"contract name {contract_name} defined twice")
                by_name[contract_name] = (source_name, data)
    texts: dict[str, str] = {}
    for name in manifest["artifacts"]["contracts"]:
        if name not in by_name:
            raise BuildError(f"manifest lists {name} but no source defines it")
        source_name, data = by_name[name]
        metadata = json.loads(data["metadata"])
        sources = {
            unit: hashlib.sha256(_read_source(unit).encode("utf-8")).hexdigest()
            for unit in sorted(metadata["sources"])
        }
        artifact = {
            "contractName": name,
            "sourceName": source_name,
            "abi": data["abi"],
            "bytecode": "0x" + data["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
            "compiler": {"version": version, "settings": compiler_settings(manifest)},
            "sources": sources,
        }
        texts[f"{name}.json"] = json.dumps(artifact, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return texts


def write_artifacts(texts: dict[str, str]) -> None:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    for stale in ARTIFACTS_DIR.glob("*.json"):
        if stale.name not in texts:
            stale.unlink()
    for file_name, text in texts.items():
        (ARTIFACTS_DIR / file_name).write_text(text, encoding="utf-8")


def check_artifacts(texts: dict[str, str]) -> list[str]:
    """Names of artifacts that differ from (or are missing in, or extra to) ``contracts/artifacts``."""
    drifted = []
    committed = {p.name for p in ARTIFACTS_DIR.glob("*.json")} if ARTIFACTS_DIR.is_dir() else set()
    for file_name, text in sorted(texts.items()):
        path = ARTIFACTS_DIR / file_name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            drifted.append(file_name)
    drifted.extend(sorted(committed - set(texts)))
    return drifted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.build", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed artifacts drift from sources")
    args = parser.parse_args(argv)
    try:
        texts = build_artifacts()
    except BuildError as exc:
        print(f"contracts.build: {exc}", file=sys.stderr)
        return 2
    if args.check:
        drifted = check_artifacts(texts)
        if drifted:
            for name in drifted:
                print(f"contracts.build: artifact drifted from sources: contracts/artifacts/{name}", file=sys.stderr)
            print("contracts.build: run `python -m contracts.build` and commit the result", file=sys.stderr)
            return 1
        print(f"contracts.build: {len(texts)} artifacts up to date")
        return 0
    write_artifacts(texts)
    print(f"contracts.build: wrote {len(texts)} artifacts to {ARTIFACTS_DIR.relative_to(Path.cwd()) if ARTIFACTS_DIR.is_relative_to(Path.cwd()) else ARTIFACTS_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
