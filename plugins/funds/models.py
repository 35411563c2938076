"""Fund tables: the database mirror of each community's ``MaintenanceFund`` contract.

Every row is tenant-owned (primary key ``(tenant_id, id)``) and references to the estate carry ``tenant_id``.
Amounts are integer fen, areas integer hundredths of m², times aware UTC. The mirror is written in the same
transaction as the chain call is queued (outbox), with the contract's own arithmetic, and reconciled against
the contract's views by a scheduled job.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk
from kernel.sdk.db import legal_hold
from plugins.funds.vocabulary import DisbursementStatus, FundFlowKind, RevenueSource, values

#: Kinds of flows (资金流水) shown on the disclosure pages.
ENTRY_KINDS = values(FundFlowKind)
#: Sources of public revenue (公共收益).
REVENUE_SOURCES = values(RevenueSource)
#: awaiting_vote → executed; or cancelled. Emergency uses are executed at once.
DISBURSEMENT_STATUSES = values(DisbursementStatus)


class FundAccount(TenantRecord, Base):
    """The maintenance fund of one community (mirror of the contract's totals) and its public revenue account."""

    __tablename__ = "fund_accounts"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "community_id"),
        CheckConstraint("revenue_fund_bps BETWEEN 0 AND 10000", name="ratio_range"),
    )

    community_id: Mapped[uuid.UUID]
    #: Money the fund holds: deposits + interest + revenue share - disbursements (``fundBalance()``).
    fund_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Sum of the sub-ledgers (``subLedgerTotal()``).
    sub_ledger_total: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Interest and revenue share not yet credited to sub-ledgers (``unallocated()``).
    unallocated: Mapped[int] = mapped_column(BigInteger, default=0)
    welfare_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_received: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Share of each public revenue receipt going to the fund, in basis points (10000 until the owners vote).
    revenue_fund_bps: Mapped[int] = mapped_column(default=10000)
    #: Governance proposal that set the ratio (None: the default).
    ratio_proposal_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    allocation_rounds: Mapped[int] = mapped_column(default=0)
    emergency_count: Mapped[int] = mapped_column(default=0)


class FundSubLedger(TenantRecord, Base):
    """分户账: a unit's sub-ledger. It stays with the unit; a sale changes its holder."""

    __tablename__ = "fund_sub_ledgers"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        tenant_fk("unit_id", "units"),
        UniqueConstraint("tenant_id", "unit_id"),
        UniqueConstraint("tenant_id", "community_id", "chain_unit_id"),
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        {"info": legal_hold("the maintenance fund sub-ledger (分户账) stays with the unit (2007 national measures)")},
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID]
    #: The unit's id in the community's ``OwnersRegistry`` (the order of every split).
    chain_unit_id: Mapped[int]
    #: Who holds the sub-ledger: the Art. 278 holder key (owner person ids, or ``developer``) registered for the
    #: unit at the first deposit or the last transfer — the contract's ``holder`` is that key's address.
    holder_key: Mapped[str] = mapped_column(String(200), default="")
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    first_deposit: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Balance below 30% of the first deposit: the owner must top up (续交).
    top_up_required: Mapped[bool] = mapped_column(default=False)


class FundEntry(TenantRecord, Base):
    """One flow of money (or of a sub-ledger), as disclosed. Unit entries carry the unit's balance after it."""

    __tablename__ = "fund_entries"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        tenant_fk("unit_id", "units"),
        tenant_fk("disbursement_id", "fund_disbursements"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        Index("ix_fund_entries_tenant_community_created", "tenant_id", "community_id", "created_at"),
        Index("ix_fund_entries_tenant_unit_created", "tenant_id", "unit_id", "created_at"),
    )

    community_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(16))
    #: Amount moved, in fen (always >= 0; the kind says the direction).
    amount: Mapped[int] = mapped_column(BigInteger)
    #: The unit's sub-ledger balance after this entry (unit entries only).
    balance_after: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: Off-chain reference: bank reference, revenue source reference, payee, deed reference.
    reference: Mapped[str] = mapped_column(String(200), default="")
    #: 0x-prefixed sha256 of ``reference`` as written on chain.
    reference_hash: Mapped[str] = mapped_column(String(66), default="")
    disbursement_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: Idempotency key of the chain transaction carrying this flow.
    intent: Mapped[str | None] = mapped_column(String(200), default=None)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100), default="")


class FundDisbursement(TenantRecord, Base):
    """A use of the fund: voted (against a Final USE_FUND proposal) or emergency (committee, disclosed)."""

    __tablename__ = "fund_disbursements"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('voted', 'emergency')", name="kind_known"),
        Index("ix_fund_disbursements_tenant_community", "tenant_id", "community_id"),
        Index("ix_fund_disbursements_tenant_proposal", "tenant_id", "proposal_id"),
    )

    community_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    payee: Mapped[str] = mapped_column(String(200))
    payee_hash: Mapped[str] = mapped_column(String(66))
    #: The governance proposal (matter USE_FUND) authorising it; None for an emergency use.
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    chain_proposal_id: Mapped[str | None] = mapped_column(String(80), default=None)
    #: Mandatory disclosure of an emergency use (its sha256 goes on chain).
    disclosure: Mapped[str | None] = mapped_column(Text, default=None)
    disclosure_hash: Mapped[str | None] = mapped_column(String(66), default=None)
    emergency_no: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="awaiting_vote")
    executed_at: Mapped[datetime | None] = mapped_column(default=None)
    requested_by: Mapped[str] = mapped_column(String(100), default="")


class FundDisbursementShare(TenantRecord, Base):
    """A unit's apportioned share of a disbursement (previewed before the vote, debited on execution)."""

    __tablename__ = "fund_disbursement_shares"
    __table_args__ = (
        tenant_fk("disbursement_id", "fund_disbursements"),
        tenant_fk("unit_id", "units"),
        UniqueConstraint("tenant_id", "disbursement_id", "unit_id"),
    )

    disbursement_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID]
    chain_unit_id: Mapped[int]
    area: Mapped[int]
    share: Mapped[int] = mapped_column(BigInteger)


class FundRevenueReceipt(TenantRecord, Base):
    """公共收益: a receipt of public revenue, split by the ratio in force."""

    __tablename__ = "fund_revenue_receipts"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_fund_revenue_receipts_tenant_community", "tenant_id", "community_id"),
    )

    community_id: Mapped[uuid.UUID]
    source: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    to_fund: Mapped[int] = mapped_column(BigInteger)
    to_welfare: Mapped[int] = mapped_column(BigInteger)
    fund_bps: Mapped[int]
    source_ref: Mapped[str] = mapped_column(String(200))
    source_ref_hash: Mapped[str] = mapped_column(String(66))
    received_at: Mapped[datetime]


class FundReconciliation(TenantRecord, Base):
    """One run of the reconciliation of a community's mirror against the chain."""

    __tablename__ = "fund_reconciliations"
    __table_args__ = (tenant_fk("community_id", "communities"), Index("ix_fund_reconciliations_tenant_community", "tenant_id", "community_id"))

    community_id: Mapped[uuid.UUID]
    ran_at: Mapped[datetime]
    ok: Mapped[bool]
    mismatches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


MODELS = (FundAccount, FundSubLedger, FundDisbursement, FundEntry, FundDisbursementShare, FundRevenueReceipt, FundReconciliation)
