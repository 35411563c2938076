"""GraphQL of the duty roster and escalation: the roster (``dutyShifts``, ``onDuty``,
``addDutyShift``, ``removeDutyShift``), the tenant's acknowledgement times
(``escalationPolicies``, ``setEscalationPolicy``) — permissions ``notifications:read_duty`` and
``notifications:manage_duty`` — and, for a street office, ``regulatorAlerts``: the open critical
escalations in its jurisdiction that nobody acknowledged in time (aggregated, no personal data,
audited in each firm)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import and_, select
from strawberry import relay

from kernel.errors import BadUserInput
from kernel.graphql.ids import decode_id, to_gid
from kernel.graphql.permissions import Allowed, IsRegulator
from kernel.notifications import duty
from kernel.notifications import escalation as esc
from kernel.notifications.models import DutyShift, EscalationRecord
from kernel.notifications.service import DEFAULT_TIMEZONE


def _gid(value: str, expected: str, argument: str) -> uuid.UUID:
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:  # strawberry's GlobalIDValueError and base64 errors
        raise BadUserInput("malformed id", argument=argument) from None
    return decode_id(gid, expected)


def _community(value: strawberry.ID | None) -> uuid.UUID | None:
    return None if value is None else _gid(str(value), "Community", "communityId")


def _account(value: strawberry.ID) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadUserInput("an account id is a UUID", field="accountId") from None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@strawberry.type(description="One line of the duty roster.")
class DutyShiftView:
    id: strawberry.ID
    account_id: strawberry.ID
    community_id: strawberry.ID | None = strawberry.field(
        description="null: every community of the firm"
    )
    level: int = strawberry.field(description="1 first responder, 2 supervisor, 3 manager…")
    start: str = strawberry.field(description="HH:MM local time")
    end: str = strawberry.field(
        description="HH:MM local time; before start: the shift crosses midnight; equal: all day"
    )
    weekdays: list[int] = strawberry.field(
        description="ISO weekdays the shift starts on, 1 Monday … 7 Sunday"
    )
    timezone: str
    note: str

    @classmethod
    def of(cls, s: DutyShift) -> DutyShiftView:
        return cls(
            id=strawberry.ID(str(to_gid("DutyShift", s.id))),
            account_id=strawberry.ID(str(s.account_id)),
            community_id=strawberry.ID(str(to_gid("Community", s.community_id)))
            if s.community_id
            else None,
            level=s.level,
            start=_hhmm(s.start_minute),
            end=_hhmm(s.end_minute),
            weekdays=duty.weekdays_of(s.weekdays),
            timezone=s.timezone,
            note=s.note,
        )


@strawberry.input(description="A shift for the duty roster.")
class DutyShiftInput:
    account_id: strawberry.ID
    start: str = strawberry.field(description="HH:MM local time")
    end: str = strawberry.field(
        description="HH:MM; before start crosses midnight; equal to start is all day"
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="null: every community"
    )
    level: int = 1
    weekdays: list[int] | None = strawberry.field(
        default=None, description="1 Monday … 7 Sunday; null: every day"
    )
    timezone: str = DEFAULT_TIMEZONE
    note: str = ""


@strawberry.type(description="Someone on duty now.")
class OnDutyPerson:
    account_id: strawberry.ID
    username: str
    from_roster: bool = strawberry.field(
        description="false: nobody is on the roster now, so the level's fallback role holders"
    )


@strawberry.type(
    description="How long an alert of a severity may wait for acknowledgement before it escalates."
)
class EscalationPolicyView:
    source: str = strawberry.field(description="a plugin's name, or * for every plugin")
    severity: str
    ack_within_seconds: int
    default: bool = strawberry.field(description="true: the kernel's default, the firm set none")


@strawberry.type(
    description="A critical alert nobody acknowledged in time, as the street office sees it: no personal data."
)
class RegulatorAlert:
    firm: str
    community: str
    source: str
    severity: str
    level: int
    opened_at: datetime
    alerted_at: datetime
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None


async def _policies(session: Any) -> list[EscalationPolicyView]:
    from kernel.notifications.models import EscalationPolicy

    rows = list(
        (
            await session.scalars(
                select(EscalationPolicy).order_by(
                    EscalationPolicy.source, EscalationPolicy.severity
                )
            )
        ).all()
    )
    chosen = {(p.source, p.severity) for p in rows}
    out = [
        EscalationPolicyView(
            source=esc.ANY_SOURCE,
            severity=sev,
            ack_within_seconds=int(esc.DEFAULT_ACK_WITHIN[sev].total_seconds()),
            default=True,
        )
        for sev in esc.SEVERITIES
        if (esc.ANY_SOURCE, sev) not in chosen
    ]
    out += [
        EscalationPolicyView(
            source=p.source,
            severity=p.severity,
            ack_within_seconds=p.ack_within_seconds,
            default=False,
        )
        for p in rows
    ]
    return out


async def _regulator_alerts(info: strawberry.Info, include_closed: bool) -> list[RegulatorAlert]:
    from kernel.regulator import read_across_tenants, regulator_streets
    from kernel.sdk.estate import Community

    actor = info.context.actor
    street = actor.regulator_street
    streets = await regulator_streets(info.context.runtime, street)

    async def read(session: Any, tenant: Any) -> list[RegulatorAlert]:
        stmt = (
            select(EscalationRecord, Community.name)
            .join(
                Community,
                and_(
                    Community.tenant_id == EscalationRecord.tenant_id,
                    Community.id == EscalationRecord.community_id,
                ),
            )
            .where(
                Community.street_code.in_(streets),
                EscalationRecord.severity == "critical",
                EscalationRecord.regulator_alerted_at.is_not(None),
            )
            .order_by(EscalationRecord.regulator_alerted_at)
        )
        if not include_closed:
            stmt = stmt.where(EscalationRecord.closed.is_(False))
        return [
            RegulatorAlert(
                firm=tenant.name,
                community=name,
                source=e.source,
                severity=e.severity,
                level=e.level,
                opened_at=e.opened_at,
                alerted_at=e.regulator_alerted_at,
                acknowledged_at=e.acknowledged_at,
                arrived_at=e.arrived_at,
                resolved_at=e.resolved_at,
            )
            for e, name in (await session.execute(stmt)).all()
        ]

    return await read_across_tenants(
        info.context.runtime,
        regulator=actor.label,
        street_code=street,
        action="regulator.read_alerts",
        read=read,
    )


@strawberry.type
class DutyQuery:
    @strawberry.field(
        permission_classes=[Allowed("notifications", "read_duty")],
        description="The duty roster: every shift, or a community's (its own and those for every community).",
    )
    async def duty_shifts(
        self, info: strawberry.Info, community_id: strawberry.ID | None = None
    ) -> list[DutyShiftView]:
        cid = _community(community_id)
        if cid is not None:
            await duty.require_community(info.context.db, cid)
        return [DutyShiftView.of(s) for s in await duty.shifts(info.context.db, cid)]

    @strawberry.field(
        permission_classes=[Allowed("notifications", "read_duty")],
        description="Who is on duty now at a level in a community (the fallback role holders when the roster has nobody).",
    )
    async def on_duty(
        self, info: strawberry.Info, community_id: strawberry.ID | None = None, level: int = 1
    ) -> list[OnDutyPerson]:
        from kernel.identity.models import Account

        session = info.context.db
        cid = _community(community_id)
        if cid is not None:
            await duty.require_community(session, cid)
        ids, from_roster = await duty.on_duty_accounts(
            session, tenant_id=info.context.tenant.id, community_id=cid, level=level
        )
        names = (
            dict(
                (
                    await session.execute(
                        select(Account.id, Account.username).where(Account.id.in_(ids))
                    )
                ).all()
            )
            if ids
            else {}
        )
        return [
            OnDutyPerson(
                account_id=strawberry.ID(str(a)), username=names.get(a, ""), from_roster=from_roster
            )
            for a in ids
        ]

    @strawberry.field(
        permission_classes=[Allowed("notifications", "read_duty")],
        description="The acknowledgement time per severity (the firm's, or the kernel's default).",
    )
    async def escalation_policies(self, info: strawberry.Info) -> list[EscalationPolicyView]:
        return await _policies(info.context.db)

    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: critical alerts in the jurisdiction nobody acknowledged in time (open ones; "
        "with includeClosed also the resolved), from every property firm (audited in each firm).",
    )
    async def regulator_alerts(
        self, info: strawberry.Info, include_closed: bool = False
    ) -> list[RegulatorAlert]:
        return await _regulator_alerts(info, include_closed)


@strawberry.type
class DutyMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("notifications", "manage_duty")],
        description="Put a login of the firm on the duty roster.",
    )
    async def add_duty_shift(self, info: strawberry.Info, input: DutyShiftInput) -> DutyShiftView:
        shift = await duty.add_shift(
            info.context.db,
            account_id=_account(input.account_id),
            community_id=_community(input.community_id),
            level=input.level,
            start=input.start,
            end=input.end,
            weekdays=duty.ALL_WEEKDAYS if input.weekdays is None else input.weekdays,
            timezone=input.timezone,
            note=input.note,
        )
        return DutyShiftView.of(shift)

    @strawberry.mutation(
        permission_classes=[Allowed("notifications", "manage_duty")],
        description="Take a shift off the duty roster; returns its id.",
    )
    async def remove_duty_shift(self, info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
        await duty.remove_shift(info.context.db, _gid(str(id), "DutyShift", "id"))
        return id

    @strawberry.mutation(
        permission_classes=[Allowed("notifications", "manage_duty")],
        description="Set how many seconds an alert of a severity may wait for acknowledgement (plugin: the alerts' "
        "plugin, or * for every plugin); null seconds restores the default.",
    )
    async def set_escalation_policy(
        self,
        info: strawberry.Info,
        severity: str,
        ack_within_seconds: int | None,
        plugin: str = esc.ANY_SOURCE,
    ) -> list[EscalationPolicyView]:
        await esc.set_ack_within(
            info.context.db, severity=severity, ack_within=ack_within_seconds, source=plugin
        )
        return await _policies(info.context.db)
