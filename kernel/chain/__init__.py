"""Linli's chain client (standalone: no database), knowing no scenario.

- :class:`ChainClient` — connect to an embedded EVM (``url=None``) or JSON-RPC, deploy from artifacts, sign
  and send transactions with explicit nonces, look up receipts, decode reverts.
- :class:`ContractRevert` — a revert with its custom error's name and arguments, on every backend.
- :class:`TypedStruct` — EIP-712 typed-data signing of one struct type (a plugin defines its own, e.g. ballots).
- :class:`Anvil` — a local anvil process for tests and benchmarks.
- :class:`ContractCatalog` and :func:`deploy_contracts` — the contracts contributed through
  ``register_contracts`` (the kernel's registry and audit anchor among them) and one community's deployment.

The outbox relayer and the event indexer build on this package (see ``docs/contracts.md``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# The names below are loaded on first use (PEP 562): importing a submodule such as
# ``kernel.chain.models`` (every command that touches the database does, through ``kernel.models``)
# runs this package first, and the client's libraries (web3, eth-account, py_ecc: ~3 s of CPU at
# import) belong to the first chain operation, not to start-up (docs/benchmarks.md, "Start-up").
_WHERE = {
    "Anvil": "anvil", "AnvilNotFound": "anvil", "anvil_binary": "anvil", "free_port": "anvil",
    "CallOutcome": "catalog", "ContractCatalog": "catalog", "ContractConflict": "catalog",
    "ANVIL_DEFAULT_KEY": "client", "ChainClient": "client", "SignedTx": "client",
    "DeployContext": "deploy", "DeployedContracts": "deploy", "deploy_contracts": "deploy",
    "ChainError": "errors", "ChainUnavailable": "errors", "ContractRevert": "errors", "ErrorDecoder": "errors",
    "decode_revert": "errors", "revert_data": "errors",
    "NonceManager": "nonces",
    "TypedStruct": "signing",
}

if TYPE_CHECKING:
    from .anvil import Anvil, AnvilNotFound, anvil_binary, free_port
    from .catalog import CallOutcome, ContractCatalog, ContractConflict
    from .client import ANVIL_DEFAULT_KEY, ChainClient, SignedTx
    from .deploy import DeployContext, DeployedContracts, deploy_contracts
    from .errors import (
        ChainError,
        ChainUnavailable,
        ContractRevert,
        ErrorDecoder,
        decode_revert,
        revert_data,
    )
    from .nonces import NonceManager
    from .signing import TypedStruct


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

__all__ = [
    "ANVIL_DEFAULT_KEY",
    "Anvil",
    "AnvilNotFound",
    "CallOutcome",
    "ChainClient",
    "ChainError",
    "ChainUnavailable",
    "ContractCatalog",
    "ContractConflict",
    "ContractRevert",
    "DeployContext",
    "DeployedContracts",
    "ErrorDecoder",
    "NonceManager",
    "SignedTx",
    "TypedStruct",
    "anvil_binary",
    "decode_revert",
    "deploy_contracts",
    "free_port",
    "revert_data",
]
