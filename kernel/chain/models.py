"""Tables of the chain client: deployed contracts per community, relayed transactions (one per intent), indexed
contract events, custodial keys, and the mapping of estate units/buildings/scopes to their on-chain ids.

All are tenant tables (row-level security on PostgreSQL). ``community_id`` is a plain UUID column, not a
foreign key: the kernel's migrations do not depend on the estate's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantRecord
from kernel.db.catalogue import legal_hold, secret, withheld

__all__ = [
    "ChainDeployment",
    "ChainEvent",
    "ChainKey",
    "ChainScope",
    "ChainTransaction",
    "ChainUnit",
    "TX_STATUSES",
]

#: pending (queued) | sent (signed and sent, receipt not seen) | confirmed | reverted | skipped (already done).
TX_STATUSES = ("pending", "sent", "confirmed", "reverted", "skipped")


class ChainDeployment(TenantRecord, Base):
    """One contract of one community on one chain: its role (``registry``, or whatever role a plugin's
    ``register_contracts`` contribution names), the artifact it was built from, its address, and the
    indexer's cursor over its events."""

    __tablename__ = "chain_deployments"
    __table_args__ = (UniqueConstraint("tenant_id", "community_id", "contract"),)

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    contract: Mapped[str] = mapped_column(String(16))
    artifact: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(42))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    deployed_block: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Last block whose events the indexer has projected (``deployed_block - 1`` before the first run).
    indexed_block: Mapped[int] = mapped_column(BigInteger, default=-1)


class ChainTransaction(TenantRecord, Base):
    """One intended contract call; ``intent`` is its idempotency key."""

    __tablename__ = "chain_transactions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "intent"),
        Index("ix_chain_transactions_tenant_community_status", "tenant_id", "community_id", "status"),
    )

    intent: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[uuid.UUID]
    contract: Mapped[str] = mapped_column(String(16))
    function: Mapped[str] = mapped_column(String(64))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list, info=withheld("call data carries ballots; the chain holds it"))
    #: Optional "already done" probe: ``{"view": "unitCount", "args": [], "min": 12}`` — skip when the view
    #: (on the same contract) returns at least ``min`` (a re-delivery after a crash must not repeat the effect).
    guard: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    tx_hash: Mapped[str | None] = mapped_column(String(66), default=None, index=True)
    nonce: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    error_name: Mapped[str | None] = mapped_column(String(100), default=None)
    block_number: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: Decoded events of the receipt (``[{"event": ..., "args": {...}, "log_index": n}]``).
    result: Mapped[list[Any] | None] = mapped_column(JSON, default=None, info=withheld("decoded receipt events carry ballots; the chain holds them"))


class ChainEvent(TenantRecord, Base):
    """A contract event projected by the indexer."""

    __tablename__ = "chain_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "tx_hash", "log_index"),
        Index("ix_chain_events_tenant_community_event", "tenant_id", "community_id", "event"),
    )

    community_id: Mapped[uuid.UUID]
    contract: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, info=withheld("projected events carry ballots; the chain holds them"))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)


class ChainKey(TenantRecord, Base):
    """The chain account of a voting person (a person id, a co-owners' key ``a+b``, or ``developer``).

    ``key_enc`` is the custodial private key encrypted with the tenant's vault key; ``None`` when the owner
    registered their own address (self custody).
    """

    __tablename__ = "chain_keys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "holder_key"),
        {"info": legal_hold("the voting address of ballots on chain (the chain cannot forget them); the custodial key is destroyed")},
    )

    holder_key: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(42), index=True, info=withheld("links a person to their ballots on the public chain"))
    key_enc: Mapped[str | None] = mapped_column(Text, default=None, info=secret("custodial private key", encrypted=True))
    self_custody: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def self_custody_address(self) -> str | None:
        """The owner's own address when they registered one (no custodial key), else ``None``."""
        return self.address if self.self_custody else None


class ChainUnit(TenantRecord, Base):
    """An estate unit registered in its community's ``OwnersRegistry``."""

    __tablename__ = "chain_units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "unit_id"),
        UniqueConstraint("tenant_id", "community_id", "chain_unit_id"),
        {"info": legal_hold("the on-chain owner register: Art. 278 counting")},
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID]
    building_id: Mapped[uuid.UUID]
    chain_unit_id: Mapped[int] = mapped_column(Integer)
    building_no: Mapped[int] = mapped_column(Integer)
    holder_key: Mapped[str] = mapped_column(String(200))
    owner_address: Mapped[str] = mapped_column(String(42), info=withheld("links an owner to their ballots on the public chain"))
    area: Mapped[int] = mapped_column(BigInteger)


class ChainScope(TenantRecord, Base):
    """A building scope declared in the registry (``scope_no`` 0 is the whole community, never stored)."""

    __tablename__ = "chain_scopes"
    __table_args__ = (UniqueConstraint("tenant_id", "community_id", "buildings_key"),)

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    buildings_key: Mapped[str] = mapped_column(String(2000))
    scope_no: Mapped[int] = mapped_column(Integer)
