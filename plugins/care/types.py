"""The care plugin's GraphQL types. Lists carry masked names and no health data; the full name and
the decrypted health notes are on :class:`CareRecipientDetail`, whose every read is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk.consent import personal_fields, personal_read
from kernel.sdk.privacy import mask_name
from plugins.care import models as m
from plugins.care.permissions import PLUGIN
from plugins.care.vocabulary import (
    AlertKind,
    AlertStatus,
    CheckInMethod,
    DeviceKind,
    RecipientStatus,
    ServiceKind,
    ServiceStatus,
)


def gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


@strawberry.type(
    description="A person under home care, as lists show them: masked name, no health data."
)
class CareRecipient(relay.Node):
    id: relay.NodeID[str]
    masked_name: str
    community_id: strawberry.ID
    unit_id: strawberry.ID | None
    lives_alone: bool
    status: RecipientStatus
    monitoring_since: datetime
    check_in_by_minute: int
    margin_percent: int
    fallback_hours: int
    ack_within_seconds: int
    last_check_in: date | None = None
    open_alerts: int = 0

    @classmethod
    def from_row(cls, r: m.CareRecipient, name: str | None = None, **extra: Any) -> CareRecipient:
        return cls(
            id=str(r.id),
            masked_name=mask_name(name) or "",
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            unit_id=gid("Unit", r.unit_id),
            lives_alone=r.lives_alone,
            status=RecipientStatus(r.status),
            monitoring_since=r.monitoring_since,
            check_in_by_minute=r.check_in_by_minute,
            margin_percent=r.margin_percent,
            fallback_hours=r.fallback_hours,
            ack_within_seconds=r.ack_within_seconds,
            **extra,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        from kernel.sdk.repository import Viewer
        from plugins.care.repository import RecipientRepository

        info.context.require_plugin(PLUGIN)
        ids = []
        for raw in node_ids:
            try:
                ids.append(uuid.UUID(str(raw)))
            except ValueError:
                ids.append(None)
        session = info.context.session
        rows = await RecipientRepository(session).get_many(ids, actor=Viewer.of(info.context))
        return await recipient_nodes(session, rows)


# health_notes is classified health data (derived from the catalogue), the name is marked: each
# read by someone else than the person is recorded for them (myDataReads)
@personal_fields(m.CareRecipient)
@strawberry.type(
    description="One recipient in full (audited read): the name and the decrypted health notes."
)
class CareRecipientDetail:
    recipient: CareRecipient
    name: str = strawberry.field(extensions=[personal_read("identity")])
    health_notes: str | None
    person_id: strawberry.Private[uuid.UUID | None] = None


@strawberry.type(description="An emergency contact: masked, in escalation order.")
class CareContact:
    id: strawberry.ID
    priority: int
    relation: str
    masked_name: str
    contact_masked: str
    has_login: bool
    invitation_pending: bool

    @classmethod
    def from_row(cls, r: m.CareContact, name: str) -> CareContact:
        return cls(
            id=gid("CareContact", r.id),  # type: ignore[arg-type]
            priority=r.priority,
            relation=r.relation,
            masked_name=mask_name(name) or "",
            contact_masked=r.contact_masked,
            has_login=r.account_id is not None,
            invitation_pending=r.account_id is None and r.invitation_id is not None,
        )


@strawberry.type
class CareContactAdded:
    contact: CareContact
    invitation_code: str | None = strawberry.field(
        description="Shown once: share it by hand if the message does not arrive."
    )


@strawberry.type
class CareDevice:
    id: strawberry.ID
    device_id: strawberry.ID
    kind: DeviceKind

    @classmethod
    def from_row(cls, r: m.CareDevice) -> CareDevice:
        return cls(
            id=gid("CareDevice", r.id),
            device_id=gid("Device", r.device_id),
            kind=DeviceKind(r.kind),
        )  # type: ignore[arg-type]


@strawberry.type
class CareCheckIn:
    id: strawberry.ID
    recipient_id: strawberry.ID
    day: date
    method: CheckInMethod
    checked_at: datetime

    @classmethod
    def from_row(cls, r: m.CareCheckIn) -> CareCheckIn:
        return cls(
            id=gid("CareCheckIn", r.id),  # type: ignore[arg-type]
            recipient_id=gid("CareRecipient", r.recipient_id),  # type: ignore[arg-type]
            day=r.day,
            method=CheckInMethod(r.method),
            checked_at=r.checked_at,
        )


@strawberry.type(
    description="A visit or service of the care plan; its note (health findings) is not listed."
)
class CareService:
    id: strawberry.ID
    recipient_id: strawberry.ID
    kind: ServiceKind
    scheduled_for: datetime
    provider_account_id: strawberry.ID | None
    status: ServiceStatus
    done_at: datetime | None
    has_note: bool

    @classmethod
    def from_row(cls, r: m.CareService) -> CareService:
        return cls(
            id=gid("CareService", r.id),  # type: ignore[arg-type]
            recipient_id=gid("CareRecipient", r.recipient_id),  # type: ignore[arg-type]
            kind=ServiceKind(r.kind),
            scheduled_for=r.scheduled_for,
            provider_account_id=strawberry.ID(str(r.provider_account_id))
            if r.provider_account_id
            else None,
            status=ServiceStatus(r.status),
            done_at=r.done_at,
            has_note=r.note_enc is not None,
        )


@strawberry.type
class CareAlert:
    id: strawberry.ID
    recipient_id: strawberry.ID
    community_id: strawberry.ID
    kind: AlertKind
    status: AlertStatus
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    escalation_id: strawberry.ID | None
    detail: strawberry.scalars.JSON

    @classmethod
    def from_row(cls, r: m.CareAlert) -> CareAlert:
        return cls(
            id=gid("CareAlert", r.id),  # type: ignore[arg-type]
            recipient_id=gid("CareRecipient", r.recipient_id),  # type: ignore[arg-type]
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            kind=AlertKind(r.kind),
            status=AlertStatus(r.status),
            raised_at=r.raised_at,
            acknowledged_at=r.acknowledged_at,
            acknowledged_by=r.acknowledged_by,
            arrived_at=r.arrived_at,
            resolved_at=r.resolved_at,
            escalation_id=strawberry.ID(str(r.escalation_id)) if r.escalation_id else None,
            detail=dict(r.detail or {}),
        )


@strawberry.type(description="Care figures of one community over a period: aggregates only.")
class CareCommunityStats:
    community_id: strawberry.ID
    community: str
    firm: str | None
    recipients: int
    living_alone: int
    check_ins_due: int
    check_ins_done: int
    check_in_adherence: float | None
    alerts: int
    alerts_by_kind: strawberry.scalars.JSON
    acknowledged: int
    acknowledged_within_target: int = strawberry.field(description="Acknowledged within 10 minutes")
    ack_within_target_share: float | None
    ack_p50_seconds: float | None
    ack_p90_seconds: float | None
    arrived: int
    arrive_p50_seconds: float | None
    arrive_p90_seconds: float | None

    @classmethod
    def of(cls, s: Any, firm: str | None = None) -> CareCommunityStats:
        return cls(
            community_id=gid("Community", s.community_id),  # type: ignore[arg-type]
            community=s.community,
            firm=firm,
            recipients=s.recipients,
            living_alone=s.living_alone,
            check_ins_due=s.check_ins_due,
            check_ins_done=s.check_ins_done,
            check_in_adherence=s.check_in_adherence,
            alerts=s.alerts,
            alerts_by_kind=s.alerts_by_kind,
            acknowledged=s.acknowledged,
            acknowledged_within_target=s.acknowledged_within_target,
            ack_within_target_share=s.ack_within_target_share,
            ack_p50_seconds=s.ack_p50_seconds,
            ack_p90_seconds=s.ack_p90_seconds,
            arrived=s.arrived,
            arrive_p50_seconds=s.arrive_p50_seconds,
            arrive_p90_seconds=s.arrive_p90_seconds,
        )


async def recipient_nodes(
    session: Any, rows: list[m.CareRecipient | None]
) -> list[CareRecipient | None]:
    """Rows as list items: masked names, last check-in and open alerts, in three queries."""
    from kernel.sdk.estate import person_names
    from plugins.care.repository import RecipientRepository

    ids = [r.id for r in rows if r is not None]
    if not ids:
        return [None for _ in rows]
    names = await person_names(session, [r.person_id for r in rows if r is not None])
    last, open_ = await RecipientRepository(session).summaries(ids)
    return [
        CareRecipient.from_row(
            r,
            names.get(r.person_id),
            last_check_in=last.get(r.id),
            open_alerts=int(open_.get(r.id, 0)),
        )
        if r is not None
        else None
        for r in rows
    ]
