"""The erasure workflow: a person asks (``request``), the firm's data protection officer (permission
``privacy:manage``) reviews and ``execute``s — :func:`tenants.erasure.erase_person` — or
``reject``s with a reason. One open request per person (a partial unique index: requests sent
at once get CONFLICT but one); a request is decided once. Every step is
in the firm's audit log (``privacy.erasure_requested`` / ``_executed`` / ``_rejected``, with counts,
never data). The request rows are kept under a legal hold: they are the record that the person's
right was honoured (PIPL art. 47)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel import audit
from kernel.db.base import Base, TenantRecord, utcnow
from kernel.db.catalogue import legal_hold
from kernel.errors import BadUserInput, Conflict, NotFound
from kernel.runtime import Runtime

STATUSES = ("pending", "executed", "rejected")


class ErasureRequest(TenantRecord, Base):
    """A person's request to erase their data, and what the firm decided and did."""

    __tablename__ = "erasure_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'executed', 'rejected')", name="status_known"),
        Index("ix_erasure_requests_tenant_status_created", "tenant_id", "status", "created_at"),
        # at most one pending request per person, whatever the timing (five taps at once made five)
        Index("uq_erasure_requests_one_pending", "tenant_id", "account_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("uq_erasure_requests_one_pending_person", "tenant_id", "person_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        {"info": legal_hold("the record that a person's erasure request was honoured or why not (PIPL art. 47)")},
    )

    #: The login to erase; ``None`` for a register person without a login (``person_id``), whose
    #: request staff made on their behalf.
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Why staff rejected it ("" unless rejected).
    reason: Mapped[str] = mapped_column(String(500), default="")
    #: :meth:`tenants.erasure.ErasureReport.as_dict`: per table what was removed / pseudonymised / kept and why.
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


async def request(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, *, actor: str, on_behalf: bool = False) -> ErasureRequest:
    """Open a request for the login ``account_id`` (the caller's own); CONFLICT when one is open or done."""
    open_or_done = await session.scalar(
        select(ErasureRequest).where(ErasureRequest.account_id == account_id, ErasureRequest.status.in_(("pending", "executed")))
    )
    if open_or_done is not None:
        raise Conflict(f"an erasure request of yours is already {open_or_done.status}", reason=f"already_{open_or_done.status}")
    row = ErasureRequest(account_id=account_id, status="pending", decided_by="", reason="", report={})
    try:
        async with session.begin_nested():  # the partial unique index decides between requests sent at once
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise Conflict("an erasure request of yours is already pending", reason="already_pending") from None
    detail = {"request": str(row.id), **({"on_behalf": True} if on_behalf else {})}
    await audit.record(session, tenant_id=tenant_id, actor=actor, action="privacy.erasure_requested", target=str(account_id), detail=detail)
    await session.refresh(row)
    return row


async def request_for_person(session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID, *, actor: str) -> ErasureRequest:
    """Staff (``privacy:manage``) ask on behalf of a register person — typically one without a
    login (an owner who never claimed), who cannot ask themselves. A person with a login gets a
    request for that login. Audited with the staff member as actor and ``on_behalf``."""
    from tenants.estate.models import Person

    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise NotFound("no such person")
    if person.account_id is not None:
        row = await request(session, tenant_id, person.account_id, actor=actor, on_behalf=True)
        return row
    done = await session.scalar(
        select(ErasureRequest).where(ErasureRequest.person_id == person_id, ErasureRequest.status.in_(("pending", "executed")))
    )
    if done is not None:
        raise Conflict(f"an erasure request of this person is already {done.status}", reason=f"already_{done.status}")
    row = ErasureRequest(account_id=None, person_id=person_id, status="pending", decided_by="", reason="", report={})
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise Conflict("an erasure request of this person is already pending", reason="already_pending") from None
    await audit.record(session, tenant_id=tenant_id, actor=actor, action="privacy.erasure_requested", target=str(person_id),
                       detail={"request": str(row.id), "on_behalf": True})
    await session.refresh(row)
    return row


async def pending(session: AsyncSession, request_id: uuid.UUID) -> ErasureRequest:
    row = await session.scalar(select(ErasureRequest).where(ErasureRequest.id == request_id).with_for_update())
    if row is None:
        raise NotFound("no such erasure request")
    if row.status != "pending":
        raise Conflict(f"this erasure request was already {row.status}", reason=f"already_{row.status}")
    # claim it with one conditional update: SQLite ignores FOR UPDATE, and two officers (or a double
    # click) must not both execute it; the loser waits for the winner's commit and matches nothing
    won = await session.execute(
        update(ErasureRequest)
        .where(ErasureRequest.id == request_id, ErasureRequest.status == "pending", ErasureRequest.decided_at.is_(None))
        .values(decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not won.rowcount:  # type: ignore[attr-defined]
        raise Conflict("this erasure request was already decided", reason="already_decided")
    return row


async def execute(runtime: Runtime, session: AsyncSession, tenant_id: uuid.UUID, request_id: uuid.UUID, *, actor: str, by: uuid.UUID | None) -> ErasureRequest:
    """Erase the requester (``tenants.erasure.erase_person``) and record the report on the request."""
    from tenants.erasure import erase_person

    row = await pending(session, request_id)
    report = await erase_person(runtime, session, tenant_id, row.account_id, by=by, person_id=row.person_id)
    row.status, row.decided_by, row.decided_at, row.report = "executed", actor, utcnow(), report.as_dict()
    await session.flush()
    counts: dict[str, dict[str, int]] = {}
    for step in report.steps:
        counts.setdefault(step.action, {})[step.table] = counts.get(step.action, {}).get(step.table, 0) + step.rows
    await audit.record(session, tenant_id=tenant_id, actor=actor, action="privacy.erasure_executed", target=str(row.account_id or row.person_id), detail={"request": str(row.id), **counts})
    await session.refresh(row)
    return row


async def reject(session: AsyncSession, tenant_id: uuid.UUID, request_id: uuid.UUID, reason: str, *, actor: str) -> ErasureRequest:
    """Refuse the request with a reason the person sees (e.g. an unpaid fee under dispute)."""
    reason = reason.strip()
    if not reason:
        raise BadUserInput("say why the request is rejected", field="reason")
    if len(reason) > 500:
        raise BadUserInput("the reason is at most 500 characters", field="reason")
    row = await pending(session, request_id)
    row.status, row.decided_by, row.decided_at, row.reason = "rejected", actor, utcnow(), reason
    await session.flush()
    await audit.record(session, tenant_id=tenant_id, actor=actor, action="privacy.erasure_rejected", target=str(row.account_id or row.person_id), detail={"request": str(row.id)})
    await session.refresh(row)
    return row


async def listed(session: AsyncSession, status: str | None) -> list[ErasureRequest]:
    if status is not None and status not in STATUSES:
        raise BadUserInput(f"status is one of {', '.join(STATUSES)}", field="status")
    stmt = select(ErasureRequest).order_by(ErasureRequest.created_at.desc(), ErasureRequest.id)
    if status is not None:
        stmt = stmt.where(ErasureRequest.status == status)
    return list(await session.scalars(stmt.limit(500)))
