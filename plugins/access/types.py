"""The access plugin's GraphQL types. Ids are global ids (``AccessPoint:<uuid>``, …); points,
credentials and passes are Relay nodes (``node(id:)`` answers them under the same row rules as the
lists: :mod:`plugins.access.repository`). A visitor's name is masked everywhere except for the
pass's host and staff (``visitorName``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk import utcnow
from kernel.sdk.repository import Repository, Viewer
from plugins.access import models as m
from plugins.access.permissions import PLUGIN
from plugins.access.repository import CredentialRepository, PassRepository, PointRepository


def gid(type_name: str, value: uuid.UUID | str | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _nodes(
    info: strawberry.Info, repository: type[Repository[Any]], to_node: Any, node_ids: Iterable[str]
) -> list[Any]:
    """``resolve_nodes``: the plugin enabled, then the rows the caller may read (None for ids that
    are malformed, missing, another tenant's or not theirs)."""
    ctx = info.context
    ctx.require_plugin(PLUGIN)
    rows = await repository(ctx.session).get_many(
        [_uuid(n) for n in node_ids], actor=Viewer.of(ctx)
    )
    return [to_node(row) if row is not None else None for row in rows]


@strawberry.type
class AccessPoint(relay.Node):
    id: relay.NodeID[str]
    community_id: strawberry.ID
    building_id: strawberry.ID | None
    floor: int | None
    kind: str = strawberry.field(description="gate | door | lift")
    name: str
    device_id: strawberry.ID | None
    anti_passback: bool
    active: bool

    @classmethod
    def from_row(cls, r: m.AccessPoint) -> AccessPoint:
        return cls(
            id=str(r.id),
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            building_id=gid("Building", r.building_id),
            floor=r.floor,
            kind=r.kind,
            name=r.name,
            device_id=gid("Device", r.device_id),
            anti_passback=r.anti_passback,
            active=r.active,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await _nodes(info, PointRepository, cls.from_row, node_ids)


@strawberry.type
class AccessGrant:
    id: strawberry.ID
    community_id: strawberry.ID
    point_id: strawberry.ID | None
    role: str | None
    account_id: strawberry.ID | None
    weekdays: int = strawberry.field(description="bit 0 = Monday … bit 6 = Sunday")
    start_minute: int
    end_minute: int
    valid_until: datetime | None
    note: str

    @classmethod
    def from_row(cls, r: m.AccessGrant) -> AccessGrant:
        return cls(
            id=gid("AccessGrant", r.id),
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            point_id=gid("AccessPoint", r.point_id),
            role=r.role,
            account_id=strawberry.ID(str(r.account_id)) if r.account_id else None,
            weekdays=r.weekdays,
            start_minute=r.start_minute,
            end_minute=r.end_minute,
            valid_until=r.valid_until,
            note=r.note,
        )


@strawberry.type
class AccessCredential(relay.Node):
    id: relay.NodeID[str]
    account_id: strawberry.ID
    kind: str = strawberry.field(description="card | face")
    hint: str = strawberry.field(description="the last characters of the card number or reference")
    status: str = strawberry.field(description="active | disabled | revoked")
    status_reason: str
    created_at: datetime

    @classmethod
    def from_row(cls, r: m.AccessCredential) -> AccessCredential:
        return cls(
            id=str(r.id),
            account_id=strawberry.ID(str(r.account_id)),
            kind=r.kind,  # type: ignore[arg-type]
            hint=r.hint,
            status=r.status,
            status_reason=r.status_reason,
            created_at=r.created_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await _nodes(info, CredentialRepository, cls.from_row, node_ids)


@strawberry.type
class VisitorPass(relay.Node):
    id: relay.NodeID[str]
    community_id: strawberry.ID
    kind: str = strawberry.field(description="visitor | courier | service")
    visitor_name_masked: str
    plate_masked: str | None = strawberry.field(
        description="The visitor's plate, masked (沪A***45); stored encrypted"
    )
    valid_from: datetime
    valid_until: datetime
    max_entries: int
    entries_used: int
    point_ids: list[strawberry.ID]
    revoked_at: datetime | None
    status: str = strawberry.field(description="active | revoked | used_up | expired | upcoming")
    host_account_id: strawberry.ID | None

    @classmethod
    def from_row(cls, r: m.VisitorPass, now: datetime) -> VisitorPass:
        if r.revoked_at is not None:
            status = "revoked"
        elif r.entries_used >= r.max_entries:
            status = "used_up"
        elif now >= r.valid_until:
            status = "expired"
        elif now < r.valid_from:
            status = "upcoming"
        else:
            status = "active"
        return cls(
            id=str(r.id),
            community_id=gid("Community", r.community_id),
            kind=r.kind,  # type: ignore[arg-type]
            visitor_name_masked=r.visitor_name_masked,
            plate_masked=r.plate_masked,
            valid_from=r.valid_from,
            valid_until=r.valid_until,
            max_entries=r.max_entries,
            entries_used=r.entries_used,
            point_ids=[gid("AccessPoint", p) for p in r.point_ids],
            revoked_at=r.revoked_at,
            status=status,  # type: ignore[misc]
            host_account_id=strawberry.ID(str(r.host_account_id)) if r.host_account_id else None,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        now = utcnow()
        return await _nodes(info, PassRepository, lambda r: cls.from_row(r, now), node_ids)


@strawberry.type
class IssuedVisitorPass:
    """A new pass and its code (the QR form is ``LP1.<code>``); the host can read it again."""

    visitor_pass: VisitorPass = strawberry.field(name="pass")
    code: str
    qr_payload: str


@strawberry.type
class AccessRecord:
    id: strawberry.ID
    point_id: strawberry.ID
    community_id: strawberry.ID
    occurred_at: datetime
    method: str = strawberry.field(description="qr | card | face | pass | remote")
    direction: str
    allowed: bool
    reason: str
    account_id: strawberry.ID | None
    pass_id: strawberry.ID | None
    credential_hint: str
    offline: bool
    platform_reason: str | None

    @classmethod
    def from_row(cls, r: m.AccessRecord) -> AccessRecord:
        return cls(
            id=gid("AccessRecord", r.id),
            point_id=gid("AccessPoint", r.point_id),  # type: ignore[arg-type]
            community_id=gid("Community", r.community_id),
            occurred_at=r.occurred_at,
            method=r.method,  # type: ignore[arg-type]
            direction=r.direction,
            allowed=r.allowed,
            reason=r.reason,
            account_id=strawberry.ID(str(r.account_id)) if r.account_id else None,
            pass_id=gid("VisitorPass", r.pass_id),
            credential_hint=r.credential_hint,
            offline=r.offline,
            platform_reason=r.platform_reason,
        )


@strawberry.type
class AccessBlacklistEntry:
    id: strawberry.ID
    community_id: strawberry.ID | None
    account_id: strawberry.ID | None
    card: bool = strawberry.field(description="a card is blacklisted (its number is not shown)")
    plate_masked: str | None = strawberry.field(
        description="The refused plate, masked (沪A***45); matched by keyed digest"
    )
    reason: str
    expires_at: datetime | None

    @classmethod
    def from_row(cls, r: m.BlacklistEntry) -> AccessBlacklistEntry:
        return cls(
            id=gid("AccessBlacklistEntry", r.id),
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            account_id=strawberry.ID(str(r.account_id)) if r.account_id else None,
            card=r.card_digest is not None,
            plate_masked=r.plate_masked,
            reason=r.reason,
            expires_at=r.expires_at,
        )


@strawberry.type
class AccessSettings:
    retention_days: int
    qr_step_seconds: int
    qr_key_version: int


@strawberry.type
class AccessQrCode:
    code: str
    valid_until: datetime
    step_seconds: int = strawberry.field(description="fetch a new code every step")


@strawberry.type
class RemoteOpening:
    record: AccessRecord
