"""Append-only, hash-chained audit log.

Each entry carries the hash of the previous entry of the same tenant:
``hash = sha256(prev_hash | seq | at | actor | action | target | canonical(detail))``.
The per-tenant head (``audit_heads``) is updated in the same transaction and serialises appends.
On PostgreSQL the application role may only INSERT and SELECT ``audit_entries``.
``linli audit verify`` recomputes the chain and names the first altered row.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantScoped, utcnow

GENESIS = "0" * 64


class AuditEntry(TenantScoped, Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(TenantScoped, Base):
    __tablename__ = "audit_heads"

    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def entry_hash(prev: str, seq: int, at: datetime, actor: str, action: str, target: str, detail: dict[str, Any]) -> str:
    body = json.dumps(
        [prev, seq, at.isoformat(timespec="microseconds"), actor, action, target, detail],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction. Never put personal data in ``detail``."""
    detail = json.loads(json.dumps(detail or {}, default=str))
    head = await session.get(AuditHead, tenant_id, with_for_update=True)
    if head is None:
        head = AuditHead(tenant_id=tenant_id, seq=0, hash=GENESIS)
        session.add(head)
        await session.flush()
    at = utcnow()
    seq = head.seq + 1
    digest = entry_hash(head.hash, seq, at, actor, action, target, detail)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, target=target, detail=detail, prev_hash=head.hash, hash=digest)
    session.add(entry)
    await session.execute(update(AuditHead).where(AuditHead.tenant_id == tenant_id).values(seq=seq, hash=digest))
    await session.flush()
    session.expire(head)
    return entry


@dataclass
class VerifyResult:
    entries: int
    head: str
    first_bad_seq: int | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


async def verify(session: AsyncSession) -> VerifyResult:
    prev = GENESIS
    count = 0
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.seq))
    async for e in result:
        count += 1
        expected = entry_hash(prev, e.seq, e.at, e.actor, e.action, e.target, e.detail)
        if e.seq != count or e.prev_hash != prev or e.hash != expected:
            return VerifyResult(count, prev, e.seq)
        prev = e.hash
    head = await session.scalar(select(AuditHead))
    if head is not None and (head.seq != count or head.hash != prev):
        return VerifyResult(count, prev, head.seq)
    return VerifyResult(count, prev, None)
