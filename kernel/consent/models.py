"""Consent records: the current state per person and purpose, and the append-only history of
every grant and revocation (time, actor, version of the wording the person saw)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantRecord, TenantScoped, Timestamped


class Consent(TenantScoped, Timestamped, Base):
    """Whether ``person_id`` currently consents to ``purpose``."""

    __tablename__ = "consents"

    #: An estate person (``persons.id``); no foreign key: the kernel's migrations do not depend
    #: on the estate's.
    person_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(80), primary_key=True)
    granted: Mapped[bool] = mapped_column()
    wording_version: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ConsentRecord(TenantRecord, Base):
    """One grant or revocation, never changed afterwards."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_person", "tenant_id", "person_id", "created_at"),)

    person_id: Mapped[uuid.UUID] = mapped_column()
    purpose: Mapped[str] = mapped_column(String(80))
    #: granted | revoked
    action: Mapped[str] = mapped_column(String(8))
    wording_version: Mapped[str] = mapped_column(String(32))
    #: ``account:<id>`` of whoever recorded it (the person, or staff on paper consent).
    actor: Mapped[str] = mapped_column(String(100))
