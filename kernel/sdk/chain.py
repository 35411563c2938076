"""What the kernel's chain client offers plugins: the per-tenant deployment record, the relayed
(outbox) contract call, custody accounts, Art. 278 ballot signing, and unit registration."""

from __future__ import annotations

from kernel.chain import (
    ContractRevert,
    SignedBallot,
    ballot_typed_data,
    recover_ballot_signer,
    sign_ballot,
)
from kernel.chain.custody import (
    holder_account,
    holder_address,
    register_self_custody,
    voter_account,
)
from kernel.chain.models import ChainDeployment, ChainEvent, ChainTransaction, ChainUnit
from kernel.chain.relay import (
    chain_client,
    deployment_for,
    enqueue_chain_call,
    ensure_community_contracts,
    transaction_for,
)
from kernel.chain.units import UnitToRegister, ensure_scope, sync_units

__all__ = [
    "ChainDeployment",
    "ChainEvent",
    "ChainTransaction",
    "ChainUnit",
    "ContractRevert",
    "SignedBallot",
    "UnitToRegister",
    "ballot_typed_data",
    "chain_client",
    "deployment_for",
    "enqueue_chain_call",
    "ensure_community_contracts",
    "ensure_scope",
    "holder_account",
    "holder_address",
    "recover_ballot_signer",
    "register_self_custody",
    "sign_ballot",
    "sync_units",
    "transaction_for",
    "voter_account",
]
