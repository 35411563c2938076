"""Tables of owners' governance: proposals and their documents, votes (who voted for which person key, with
the relayed intent), objections during the objection period, and filings to the regulator.

The chain is the source of truth for votes and outcomes; these rows hold the off-chain text, the workflow
state and the links (intents, chain ids) to what is on chain.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk
from kernel.sdk.db import legal_hold, withheld
from plugins.governance.vocabulary import ProposalStatus, values

#: Art. 278 para. 1 items 1–9, in order (item n is chain matter n-1).
MATTERS = (
    "RULES_OF_PROCEDURE",
    "MANAGEMENT_COVENANT",
    "COMMITTEE_ELECTION",
    "PROPERTY_FIRM",
    "USE_FUND",
    "RAISE_FUND",
    "REBUILD",
    "COMMON_PARTS_CHANGE",
    "OTHER",
)
STATUSES = values(ProposalStatus)
#: States of a filing in the street office's inbox.
REVIEW_STATES = ("received", "acknowledged", "returned")
CHOICES = ("AGAINST", "FOR", "ABSTAIN")  # chain support values 0, 1, 2


class Proposal(TenantRecord, Base):
    __tablename__ = "gov_proposals"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name="status_known"),
        Index("ix_gov_proposals_tenant_community_created", "tenant_id", "community_id", "created_at"),
    )

    community_id: Mapped[uuid.UUID]
    matter: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: Building ids (strings) of the scope; empty = the whole community.
    building_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    voting_starts_at: Mapped[datetime | None] = mapped_column(default=None)
    voting_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    objection_days: Mapped[int] = mapped_column(Integer, default=7)
    objection_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    estimated_cost_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    total_persons: Mapped[int] = mapped_column(Integer, default=0)
    total_area: Mapped[int] = mapped_column(BigInteger, default=0)
    content_hash: Mapped[str] = mapped_column(String(66), default="")
    chain_scope: Mapped[int | None] = mapped_column(Integer, default=None)
    chain_proposal_id: Mapped[str | None] = mapped_column(String(78), default=None)
    #: The published outcome (DefeatedNoQuorum | Defeated | Succeeded) and the final tally, from the chain.
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    filed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class ProposalDocument(TenantRecord, Base):
    __tablename__ = "gov_documents"
    __table_args__ = (tenant_fk("proposal_id", "gov_proposals"),)

    proposal_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))


class Vote(TenantRecord, Base):
    """One person key's vote on one proposal (one row, ever: a second vote is a CONFLICT)."""

    __tablename__ = "gov_votes"
    __table_args__ = (
        tenant_fk("proposal_id", "gov_proposals"),
        UniqueConstraint("tenant_id", "proposal_id", "holder_key"),
        {"info": legal_hold("ballots counted in owners' decisions (Civil Code art. 278), filed and on chain")},
    )

    proposal_id: Mapped[uuid.UUID] = mapped_column(index=True)
    holder_key: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    voter_address: Mapped[str] = mapped_column(String(42), info=withheld("links an owner to their ballot on the public chain"))
    choice: Mapped[str] = mapped_column(String(8), info=withheld("how an owner voted: the owner and the chain hold it, staff never see it"))
    intent: Mapped[str] = mapped_column(String(200))
    self_signed: Mapped[bool] = mapped_column(default=False)


class Objection(TenantRecord, Base):
    __tablename__ = "gov_objections"
    __table_args__ = (
        tenant_fk("proposal_id", "gov_proposals"),
        {"info": legal_hold("objections to a decision's preliminary result are part of the filed decision")},
    )

    proposal_id: Mapped[uuid.UUID] = mapped_column(index=True)
    account_id: Mapped[uuid.UUID]
    text: Mapped[str] = mapped_column(Text)


class Filing(TenantRecord, Base):
    """The record filed to the street office (备案)."""

    __tablename__ = "gov_filings"
    __table_args__ = (tenant_fk("proposal_id", "gov_proposals"), UniqueConstraint("tenant_id", "proposal_id"))

    proposal_id: Mapped[uuid.UUID]
    street_code: Mapped[str] = mapped_column(String(32), default="")
    filed_by: Mapped[str] = mapped_column(String(100))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The street office's answer (filings inbox): received → acknowledged, or returned with a
    #: reason (the firm may file again, which makes it received once more).
    review_status: Mapped[str] = mapped_column(String(12), default="received", server_default="received")
    review_reason: Mapped[str | None] = mapped_column(Text, default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), default=None)
