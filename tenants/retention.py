"""Retention per data category: rows of a table declared ``retained(category, after=..., action=...)``
in the data catalogue expire once the category's retention period has passed since their ``after``
timestamp; the scheduled job ``privacy.retention`` deletes them (``delete``: through
:func:`kernel.erasure.remove_rows`, so legal holds still apply) or strips their erasable columns
(``pseudonymise``), in every active firm, and writes one audit entry per firm with the counts —
never the data.

Periods: :data:`DEFAULT_DAYS`, overridden per firm (``setRetentionPeriod``; a row of
``retention_periods`` per category the firm set). ``None`` means "no age limit": such data is
kept while the relationship lasts and goes by erasure. Access records keep their own setting
(``access`` plugin, ``retentionDays``), which predates this mechanism.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

import kernel.models  # noqa: F401 - every kernel table is in the metadata the passes walk
from kernel import audit
from kernel.db.base import Base, TenantScoped, Timestamped, utcnow
from kernel.db.catalogue import CATEGORIES, Retained, retention_of
from kernel.erasure import ErasureStep, erasable_columns, pseudonymise_rows, remove_rows
from kernel.errors import BadUserInput

#: Days after which data of each category expires; ``None``: no age limit (kept while needed, erased on request).
DEFAULT_DAYS: dict[str, int | None] = {
    "identity": None,
    "contact": None,
    "property": None,
    "financial": None,
    "biometric_reference": None,
    "health": 730,
    "location": 180,
    "behaviour": 365,
}
MAX_DAYS = 3650
INTERVAL_SECONDS = 6 * 3600


class RetentionPeriod(TenantScoped, Timestamped, Base):
    """A firm's own retention period of a category (``days`` ``None``: no age limit)."""

    __tablename__ = "retention_periods"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int | None] = mapped_column(default=None)


@dataclass(frozen=True)
class RetainedTable:
    model: Any
    rule: Retained


def retained_tables() -> list[RetainedTable]:
    """Every mapped tenant table that declares a retention, in table-name order."""
    from tenants.export import tenant_mappers

    found = [RetainedTable(m.class_, rule) for m in tenant_mappers() if (rule := retention_of(m.local_table)) is not None]
    return sorted(found, key=lambda t: t.model.__tablename__)


async def periods(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int | None]:
    """The firm's period per category: its own over :data:`DEFAULT_DAYS`."""
    own = {r.category: r.days for r in await session.scalars(select(RetentionPeriod).where(RetentionPeriod.tenant_id == tenant_id))}
    return {c: own.get(c, DEFAULT_DAYS[c]) for c in CATEGORIES}


async def set_period(session: AsyncSession, tenant_id: uuid.UUID, category: str, days: int | None) -> dict[str, int | None]:
    """Set the firm's period of ``category`` (``None``: no age limit). BAD_USER_INPUT outside 1–3650 days."""
    if category not in CATEGORIES:
        raise BadUserInput(f"unknown category {category!r}; one of {', '.join(CATEGORIES)}", field="category")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise BadUserInput(f"a retention period is 1–{MAX_DAYS} days, or null for no age limit", field="days")
    row = await session.scalar(select(RetentionPeriod).where(RetentionPeriod.tenant_id == tenant_id, RetentionPeriod.category == category))
    if row is None:
        session.add(RetentionPeriod(tenant_id=tenant_id, category=category, days=days))
    else:
        row.days = days
    await session.flush()
    return await periods(session, tenant_id)


async def enforce(session: AsyncSession, tenant_id: uuid.UUID, *, now: datetime | None = None, actor: str = "system:retention") -> list[ErasureStep]:
    """Remove or strip the firm's expired rows; one audit entry ``privacy.retention`` with the counts."""
    now = now or utcnow()
    days = await periods(session, tenant_id)
    steps = []
    for table in retained_tables():
        period = days[table.rule.category]
        if period is None:
            continue
        model = table.model
        expired = and_(model.tenant_id == tenant_id, getattr(model, table.rule.after) < now - timedelta(days=period))
        reason = f"{table.rule.category} data older than {period} days"
        if table.rule.action == "delete":
            steps.extend(await remove_rows(session, model, expired, reason=reason))
            continue
        still = [c for c in erasable_columns(model.__table__) if c.nullable]
        if still:
            step = await pseudonymise_rows(session, model, and_(expired, or_(*[c.isnot(None) for c in still])), reason=reason)
            steps.extend([step] if step.rows else [])
    if steps:
        await audit.record(
            session, tenant_id=tenant_id, actor=actor, action="privacy.retention", target="",
            detail={s.table: {"action": s.action, "rows": s.rows, "reason": s.reason} for s in steps},
        )
    await session.flush()
    return steps


async def enforce_all(runtime: Any, *, now: datetime | None = None) -> int:
    """The scheduled job: :func:`enforce` in every active firm, each in its own transaction (a firm
    that fails is rolled back, logged and skipped); the number of rows touched."""
    import structlog

    from kernel.tenancy import all_tenants
    from tenants.erasure import load_models_once

    load_models_once(runtime)
    touched = 0
    for tenant in await all_tenants(runtime):
        if not tenant.is_active:
            continue
        try:
            async with runtime.db.tenant(tenant.id) as session:
                touched += sum(s.rows for s in await enforce(session, tenant.id, now=now))
        except Exception:
            structlog.get_logger("linli.privacy").exception("privacy_retention_failed", tenant=str(tenant.id))
    return touched
