"""Linli's chain client (standalone: no database).

- :class:`ChainClient` — connect to an embedded EVM (``url=None``) or JSON-RPC, deploy from the committed
  artifacts, sign and send transactions with explicit nonces, look up receipts, decode reverts.
- :class:`ContractRevert` — a revert with its custom error's name and arguments, on every backend.
- :func:`sign_ballot` — EIP-712 vote signatures that ``OwnersGovernance`` verifies.
- :class:`Anvil` — a local anvil process for tests and benchmarks.
- :func:`deploy_community` — one community's registry, governance, fund and audit anchor, wired.

The outbox relayer and the event indexer build on this package (see ``docs/contracts.md``).
"""

from .anvil import Anvil, AnvilNotFound, anvil_binary, free_port
from .client import ANVIL_DEFAULT_KEY, ChainClient, SignedTx
from .deploy import DEFAULT_OBJECTION_PERIOD, Community, deploy_community
from .errors import (
    ChainError,
    ChainUnavailable,
    ContractRevert,
    ErrorDecoder,
    decode_revert,
    revert_data,
)
from .nonces import NonceManager
from .signing import (
    ABSTAIN,
    AGAINST,
    FOR,
    SignedBallot,
    ballot_digest,
    ballot_typed_data,
    recover_ballot_signer,
    sign_ballot,
)

__all__ = [
    "ABSTAIN",
    "AGAINST",
    "ANVIL_DEFAULT_KEY",
    "DEFAULT_OBJECTION_PERIOD",
    "FOR",
    "Anvil",
    "AnvilNotFound",
    "ChainClient",
    "ChainError",
    "ChainUnavailable",
    "Community",
    "ContractRevert",
    "ErrorDecoder",
    "NonceManager",
    "SignedBallot",
    "SignedTx",
    "anvil_binary",
    "ballot_digest",
    "ballot_typed_data",
    "decode_revert",
    "deploy_community",
    "free_port",
    "recover_ballot_signer",
    "revert_data",
    "sign_ballot",
]
