"""The care plugin's query root; which rows a caller sees is decided in
:mod:`plugins.care.repository` (staff: all; an emergency contact: their relative only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, estate, utcnow
from kernel.sdk.graphql import IsRegulator, decode_id
from kernel.sdk.regulator import read_across_tenants, regulator_streets
from kernel.sdk.repository import Viewer
from plugins.care import models as m
from plugins.care.baseline import HISTORY_DAYS, assess
from plugins.care.permissions import MANAGE, READ, READ_OWN, Allowed
from plugins.care.repository import (
    AlertRepository,
    CheckInRepository,
    ContactRepository,
    RecipientRepository,
    ServiceRepository,
)
from plugins.care.service import health_notes
from plugins.care.stats import community_stats
from plugins.care.types import (
    CareAlert,
    CareCheckIn,
    CareCommunityStats,
    CareContact,
    CareDevice,
    CareRecipient,
    CareRecipientDetail,
    CareService,
    recipient_nodes,
)
from plugins.care.vocabulary import RecipientStatus

MAX_STATS_DAYS = 366


@strawberry.type(description="A recipient's no-activity verdict now, and the baseline it rests on.")
class CareActivityBaseline:
    rule: str = strawberry.field(description="baseline_gap, late_first_activity, fixed or none")
    alert: bool
    quiet_minutes: int
    threshold_minutes: int
    first_activity_deadline_minute: int | None
    learnt: bool = strawberry.field(
        description="false while the fixed rule applies (under 14 days of data)"
    )
    usual_first_activity_minute: int | None
    usual_gap_minutes_by_hour: list[int | None]


async def _recipient(info: strawberry.Info, id: relay.GlobalID) -> m.CareRecipient | None:
    ctx = info.context
    return await RecipientRepository(ctx.session).get_by_id(
        decode_id(id, "CareRecipient"), actor=Viewer.of(ctx)
    )


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = until or utcnow()
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise BadUserInput("give times with a time zone", field="since")
    if not since < until or until - since > timedelta(days=MAX_STATS_DAYS):
        raise BadUserInput(
            f"the period is up to {MAX_STATS_DAYS} days, since before until", field="since"
        )
    return since, until


@strawberry.type
class CareQuery:
    @strawberry.field(
        permission_classes=[Allowed(READ, READ_OWN)],
        description="Care recipients (masked names): all for staff, only their relative for an emergency contact.",
    )
    async def care_recipients(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        status: RecipientStatus | None = None,
    ) -> list[CareRecipient]:
        ctx = info.context
        rows = await RecipientRepository(ctx.session).listed(
            Viewer.of(ctx),
            community_id=decode_id(community_id, "Community") if community_id is not None else None,
            status=status.value if status is not None else None,
        )
        return [n for n in await recipient_nodes(ctx.session, rows) if n is not None]

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_OWN)],
        description="One recipient in full; health notes only for care managers (each such read is audited).",
    )
    async def care_recipient(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> CareRecipientDetail | None:
        ctx = info.context
        row = await _recipient(info, id)
        if row is None:
            return None
        names = await estate.person_names(ctx.session, [row.person_id])
        name = names.get(row.person_id) or ""
        notes = None
        if ctx.allowed(*MANAGE):
            notes = await health_notes(ctx.session, ctx.runtime.vault, row, actor=ctx.actor.label)
        node = (await recipient_nodes(ctx.session, [row]))[0]
        return CareRecipientDetail(recipient=node, name=name, health_notes=notes, person_id=row.person_id)  # type: ignore[arg-type]

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="A recipient's emergency contacts, in escalation order.",
    )
    async def care_contacts(
        self, info: strawberry.Info, recipient_id: relay.GlobalID
    ) -> list[CareContact]:
        ctx = info.context
        rows = await ContactRepository(ctx.session).of_recipient(
            Viewer.of(ctx),
            decode_id(recipient_id, "CareRecipient"),
            newest_first=m.CareContact.created_at,
        )
        rows.sort(key=lambda c: c.priority)
        return [
            CareContact.from_row(c, ctx.runtime.vault.decrypt(ctx.tenant.id, c.name_enc))
            for c in rows
        ]

    @strawberry.field(permission_classes=[Allowed(READ)])
    async def care_devices(
        self, info: strawberry.Info, recipient_id: relay.GlobalID
    ) -> list[CareDevice]:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        if row is None:
            return []
        links = await RecipientRepository(ctx.session).devices(row.id)
        return [CareDevice.from_row(d) for d in links]

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_OWN)],
        description="Care alerts, newest first (at most 100): staff see all, a contact only their relative's.",
    )
    async def care_alerts(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        recipient_id: relay.GlobalID | None = None,
        open_only: bool = False,
    ) -> list[CareAlert]:
        ctx = info.context
        rows = await AlertRepository(ctx.session).newest(
            Viewer.of(ctx),
            community_id=decode_id(community_id, "Community") if community_id is not None else None,
            recipient_id=decode_id(recipient_id, "CareRecipient")
            if recipient_id is not None
            else None,
            open_only=open_only,
        )
        return [CareAlert.from_row(a) for a in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_OWN)],
        description="A recipient's check-ins, newest first.",
    )
    async def care_check_ins(
        self, info: strawberry.Info, recipient_id: relay.GlobalID
    ) -> list[CareCheckIn]:
        ctx = info.context
        rows = await CheckInRepository(ctx.session).of_recipient(
            Viewer.of(ctx), decode_id(recipient_id, "CareRecipient"), newest_first=m.CareCheckIn.day
        )
        return [CareCheckIn.from_row(c) for c in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="A recipient's visits and services, newest first.",
    )
    async def care_services(
        self, info: strawberry.Info, recipient_id: relay.GlobalID
    ) -> list[CareService]:
        ctx = info.context
        rows = await ServiceRepository(ctx.session).of_recipient(
            Viewer.of(ctx),
            decode_id(recipient_id, "CareRecipient"),
            newest_first=m.CareService.scheduled_for,
        )
        return [CareService.from_row(s) for s in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="The no-activity verdict now and the learnt baseline.",
    )
    async def care_activity_baseline(
        self, info: strawberry.Info, recipient_id: relay.GlobalID
    ) -> CareActivityBaseline | None:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        if row is None:
            return None
        now = utcnow()
        trail = await RecipientRepository(ctx.session).activity_since(
            row.id, now - timedelta(days=HISTORY_DAYS + 1)
        )
        v = assess(
            trail,
            now=now,
            monitoring_since=row.monitoring_since,
            margin_percent=row.margin_percent,
            fallback_hours=row.fallback_hours,
        )
        b = v.baseline
        return CareActivityBaseline(
            rule=v.rule,
            alert=v.alert,
            quiet_minutes=v.quiet_minutes,
            threshold_minutes=v.threshold_minutes,
            first_activity_deadline_minute=v.first_activity_deadline,
            learnt=b is not None,
            usual_first_activity_minute=b.usual_first_minute if b else None,
            usual_gap_minutes_by_hour=list(b.usual_gap_minutes) if b else [],
        )

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="Care figures per community for a period (default the last 30 days): coverage, check-in adherence, alerts, response times.",
    )
    async def care_stats(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[CareCommunityStats]:
        ctx = info.context
        start, end = _period(since, until)
        ids = [decode_id(community_id, "Community")] if community_id is not None else None
        return [
            CareCommunityStats.of(s)
            for s in await community_stats(ctx.session, since=start, until=end, community_ids=ids)
        ]

    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: care figures of every community of the street, per firm (aggregates only; audited in each firm).",
    )
    async def care_street_stats(
        self, info: strawberry.Info, since: datetime | None = None, until: datetime | None = None
    ) -> list[CareCommunityStats]:
        actor = info.context.actor
        street = actor.regulator_street
        streets = await regulator_streets(info.context.runtime, street)
        start, end = _period(since, until)

        async def read(session: Any, tenant: Any) -> list[CareCommunityStats]:
            ids = list(await estate.community_names(session, street_codes=streets))
            if not ids:
                return []
            return [
                CareCommunityStats.of(s, tenant.name)
                for s in await community_stats(session, since=start, until=end, community_ids=ids)
            ]

        return await read_across_tenants(
            info.context.runtime,
            regulator=actor.label,
            street_code=street,
            action="regulator.read_care_stats",
            read=read,
            plugin="care",
        )
