"""What the kernel's chain client offers plugins: the per-tenant deployment record, the relayed
(outbox) contract call, custody accounts, generic EIP-712 typed-data signing, unit registration,
and what a plugin needs to contribute contracts (``register_contracts``)."""

from __future__ import annotations

from kernel.chain import ContractRevert, TypedStruct
from kernel.chain.catalog import CallOutcome
from kernel.chain.custody import (
    holder_account,
    holder_address,
    register_self_custody,
    voter_account,
)
from kernel.chain.deploy import DeployContext
from kernel.chain.indexer import ProjectionContext, ReconcileContext
from kernel.chain.models import ChainDeployment, ChainEvent, ChainTransaction, ChainUnit
from kernel.chain.relay import (
    CommunityContracts,
    chain_client,
    deployment_for,
    enqueue_chain_call,
    ensure_community_contracts,
    transaction_for,
)
from kernel.chain.reset import chain_records_stale, forget_chain_state
from kernel.chain.units import UnitToRegister, ensure_scope, sync_units
from kernel.plugins.contributions import CallBatch, CallVerdict, ContractContribution

__all__ = [
    "CallBatch",
    "CallOutcome",
    "CallVerdict",
    "ChainDeployment",
    "ChainEvent",
    "ChainTransaction",
    "ChainUnit",
    "CommunityContracts",
    "ContractContribution",
    "ContractRevert",
    "DeployContext",
    "ProjectionContext",
    "ReconcileContext",
    "TypedStruct",
    "UnitToRegister",
    "chain_client",
    "chain_records_stale",
    "deployment_for",
    "enqueue_chain_call",
    "ensure_community_contracts",
    "ensure_scope",
    "forget_chain_state",
    "holder_account",
    "holder_address",
    "register_self_custody",
    "sync_units",
    "transaction_for",
    "voter_account",
]
