"""GraphQL of retention periods (:mod:`tenants.retention`): the firm's data protection officer
(``privacy:manage``) reads and sets the period of each data category."""

from __future__ import annotations

import strawberry

from kernel.graphql.permissions import Allowed
from tenants import retention


@strawberry.type(description="How long data of one category is kept")
class RetentionPeriod:
    category: str
    days: int | None = strawberry.field(description="Days after which rows expire; null: no age limit (erased on request)")
    default_days: int | None
    tables: list[str] = strawberry.field(description="The tables declaring this category's retention")


async def _periods(info: strawberry.Info) -> list[RetentionPeriod]:
    ctx = info.context
    days = await retention.periods(ctx.db, ctx.tenant.id)
    tables = retention.retained_tables()
    return [
        RetentionPeriod(
            category=c, days=d, default_days=retention.DEFAULT_DAYS[c],
            tables=[t.model.__tablename__ for t in tables if t.rule.category == c],
        )
        for c, d in days.items()
    ]


@strawberry.type
class RetentionQuery:
    @strawberry.field(permission_classes=[Allowed("privacy", "manage")], description="Data protection officer: the retention period of each data category and the tables it applies to.")
    async def retention_periods(self, info: strawberry.Info) -> list[RetentionPeriod]:
        return await _periods(info)


@strawberry.type
class RetentionMutation:
    @strawberry.mutation(permission_classes=[Allowed("privacy", "manage")], description="Data protection officer: set how many days data of a category is kept (1–3650; null: no age limit). The retention job applies it. Audited.")
    async def set_retention_period(self, info: strawberry.Info, category: str, days: int | None = None) -> list[RetentionPeriod]:
        ctx = info.context
        await retention.set_period(ctx.db, ctx.tenant.id, category, days)
        await ctx.audit("privacy.retention_set", category, days=days)
        return await _periods(info)
