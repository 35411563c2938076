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
