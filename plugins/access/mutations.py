"""The access plugin's mutation root: decode ids, call the service (which audits and publishes
its own changes)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, NotFound, require_member, utcnow
from kernel.sdk.estate import person_of_account
from kernel.sdk.graphql import decode_id
from plugins.access import service
from plugins.access.permissions import MANAGE, USE, Allowed
from plugins.access.types import (
    AccessBlacklistEntry,
    AccessCredential,
    AccessGrant,
    AccessPoint,
    AccessRecord,
    AccessSettings,
    IssuedVisitorPass,
    RemoteOpening,
    VisitorPass,
)


async def _account(ctx, value: strawberry.ID | None, field: str = "accountId") -> uuid.UUID | None:  # type: ignore[no-untyped-def]
    if value is None:
        return None
    try:
        account_id = uuid.UUID(str(value))
    except ValueError:
        raise BadUserInput("malformed account id", field=field) from None
    await require_member(ctx.session, account_id, field=field)
    return account_id


@strawberry.input
class VisitorPassInput:
    visitor_name: str
    valid_from: datetime
    valid_until: datetime
    max_entries: int = 1
    plate: str | None = None
    point_ids: list[relay.GlobalID] | None = None
    kind: str = strawberry.field(
        default="visitor", description="visitor; staff also courier | service"
    )


def _spec(i: VisitorPassInput) -> service.PassSpec:
    return service.PassSpec(
        visitor_name=i.visitor_name,
        valid_from=i.valid_from,
        valid_until=i.valid_until,
        max_entries=i.max_entries,
        plate=i.plate,
        point_ids=[decode_id(p, "AccessPoint") for p in i.point_ids or []],
        kind=i.kind,
    )


def _issued(vp, code: str) -> IssuedVisitorPass:  # type: ignore[no-untyped-def]
    return IssuedVisitorPass(
        visitor_pass=VisitorPass.from_row(vp, utcnow()), code=code, qr_payload=f"LP1.{code}"
    )


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)], description="Place a gate, door or lift reader."
    )
    async def create_access_point(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        name: str,
        kind: str,
        building_id: relay.GlobalID | None = None,
        floor: int | None = None,
        device_id: relay.GlobalID | None = None,
        anti_passback: bool = False,
    ) -> AccessPoint:
        ctx = info.context
        point = await service.create_point(
            ctx.runtime,
            ctx.session,
            community_id=decode_id(community_id, "Community"),
            name=name,
            kind=kind,
            building_id=decode_id(building_id, "Building") if building_id is not None else None,
            floor=floor,
            device_id=decode_id(device_id, "Device") if device_id is not None else None,
            anti_passback=anti_passback,
            actor=ctx.actor.label,
        )
        return AccessPoint.from_row(point)

    @strawberry.mutation(permission_classes=[Allowed(MANAGE)])
    async def set_access_point_active(
        self, info: strawberry.Info, id: relay.GlobalID, active: bool
    ) -> AccessPoint:
        ctx = info.context
        point = await service.set_point_active(
            ctx.session, decode_id(id, "AccessPoint"), active, actor=ctx.actor.label
        )
        return AccessPoint.from_row(point)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Let a role or one account pass a point (or every point of a community) in a weekly window.",
    )
    async def create_access_grant(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        point_id: relay.GlobalID | None = None,
        role: str | None = None,
        account_id: strawberry.ID | None = None,
        weekdays: int = 0b1111111,
        start_minute: int = 0,
        end_minute: int = 1440,
        valid_until: datetime | None = None,
        note: str = "",
    ) -> AccessGrant:
        ctx = info.context
        grant = await service.create_grant(
            ctx.session,
            community_id=decode_id(community_id, "Community"),
            point_id=decode_id(point_id, "AccessPoint") if point_id is not None else None,
            role=role,
            account_id=await _account(ctx, account_id),
            window=service.Window(weekdays, start_minute, end_minute),
            valid_until=valid_until,
            note=note,
            actor=ctx.actor.label,
        )
        return AccessGrant.from_row(grant)

    @strawberry.mutation(permission_classes=[Allowed(MANAGE)])
    async def delete_access_grant(self, info: strawberry.Info, id: relay.GlobalID) -> bool:
        ctx = info.context
        await service.delete_grant(ctx.session, decode_id(id, "AccessGrant"), actor=ctx.actor.label)
        return True

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)], description="Issue an access card to a member."
    )
    async def issue_access_card(
        self, info: strawberry.Info, account_id: strawberry.ID, number: str
    ) -> AccessCredential:
        ctx = info.context
        account = await _account(ctx, account_id)
        assert account is not None
        cred = await service.issue_card(
            ctx.runtime,
            ctx.session,
            ctx.tenant.id,
            account_id=account,
            number=number,
            actor=ctx.actor.label,
        )
        return AccessCredential.from_row(cred)

    @strawberry.mutation(
        permission_classes=[Allowed(USE, MANAGE)],
        description="Register the face reference the reader vendor returned (never the template). Needs "
        "the person's consent to `access.face_recognition`. Without personId: the caller's own face.",
    )
    async def register_face_credential(
        self, info: strawberry.Info, reference: str, person_id: relay.GlobalID | None = None
    ) -> AccessCredential:
        ctx = info.context
        pid: uuid.UUID | None
        if person_id is not None:
            if not ctx.allowed("access", "manage"):
                raise NotFound("no such person")
            pid = decode_id(person_id, "Person")
        else:
            pid = await person_of_account(ctx.session, ctx.actor.account_id)
            if pid is None:
                raise NotFound("your login is not linked to a person in the owner register yet")
        cred = await service.register_face(
            ctx.runtime,
            ctx.session,
            ctx.tenant.id,
            person_id=pid,
            reference=reference,
            actor=ctx.actor.label,
        )
        return AccessCredential.from_row(cred)

    @strawberry.mutation(
        permission_classes=[Allowed(USE, MANAGE)],
        description="Revoke a card or face (one's own, or anyone's with access:manage); readers are told.",
    )
    async def revoke_access_credential(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> AccessCredential:
        ctx = info.context
        from kernel.sdk.repository import Viewer
        from plugins.access.repository import CredentialRepository

        cid = decode_id(id, "AccessCredential")
        viewer = Viewer.of(ctx)
        cred = await CredentialRepository(ctx.session).get_by_id(cid, actor=viewer)
        if cred is None or (
            not ctx.allowed("access", "manage") and cred.account_id != ctx.actor.account_id
        ):
            raise NotFound("no credential with this id")
        cred = await service.revoke_credential(
            ctx.runtime, ctx.session, ctx.tenant.id, cid, actor=ctx.actor.label
        )
        return AccessCredential.from_row(cred)

    @strawberry.mutation(
        permission_classes=[Allowed(USE)],
        description="A resident invites a visitor: the code (and its QR form) to send them.",
    )
    async def create_visitor_pass(
        self, info: strawberry.Info, input: VisitorPassInput
    ) -> IssuedVisitorPass:
        ctx = info.context
        if ctx.actor.account_id is None:
            raise NotFound("only a person's login invites visitors")
        spec = _spec(input)
        if spec.kind != "visitor":
            raise BadUserInput(
                "residents create visitor passes; couriers' passes come from staff", field="kind"
            )
        vp, code = await service.create_pass(
            ctx.runtime,
            ctx.session,
            ctx.tenant.id,
            spec,
            host_account_id=ctx.actor.account_id,
            staff=False,
            actor=ctx.actor.label,
        )
        return _issued(vp, code)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Staff: a time-boxed pass (≤ 24 h) for a courier or service worker at named points.",
    )
    async def create_service_pass(
        self, info: strawberry.Info, input: VisitorPassInput
    ) -> IssuedVisitorPass:
        ctx = info.context
        vp, code = await service.create_pass(
            ctx.runtime,
            ctx.session,
            ctx.tenant.id,
            _spec(input),
            host_account_id=ctx.actor.account_id,
            staff=True,
            actor=ctx.actor.label,
        )
        return _issued(vp, code)

    @strawberry.mutation(
        permission_classes=[Allowed(USE, MANAGE)], description="Revoke a pass (its host, or staff)."
    )
    async def revoke_visitor_pass(self, info: strawberry.Info, id: relay.GlobalID) -> VisitorPass:
        ctx = info.context
        vp = await service.revoke_pass(
            ctx.runtime,
            ctx.session,
            ctx.tenant.id,
            decode_id(id, "VisitorPass"),
            by_account=ctx.actor.account_id,
            staff=ctx.allowed("access", "manage"),
            actor=ctx.actor.label,
        )
        return VisitorPass.from_row(vp, utcnow())

    @strawberry.mutation(
        permission_classes=[Allowed(USE)],
        description="Open a point the caller may pass, from the app (远程开门); audited, sent to the reader.",
    )
    async def open_access_point(
        self, info: strawberry.Info, point_id: relay.GlobalID
    ) -> RemoteOpening:
        ctx = info.context
        if ctx.actor.account_id is None:
            raise NotFound("no access point with this id that you may pass")
        record = await service.open_remotely(
            ctx.runtime,
            ctx.session,
            ctx.tenant.id,
            decode_id(point_id, "AccessPoint"),
            account_id=ctx.actor.account_id,
            actor=ctx.actor.label,
        )
        return RemoteOpening(record=AccessRecord.from_row(record))

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Refuse one account, card or plate at a community's points (or all the firm's).",
    )
    async def add_to_access_blacklist(
        self,
        info: strawberry.Info,
        reason: str,
        community_id: relay.GlobalID | None = None,
        account_id: strawberry.ID | None = None,
        card_number: str | None = None,
        plate: str | None = None,
        expires_at: datetime | None = None,
    ) -> AccessBlacklistEntry:
        ctx = info.context
        entry = await service.add_to_blacklist(
            ctx.runtime,
            ctx.session,
            ctx.tenant.id,
            reason=reason,
            community_id=decode_id(community_id, "Community") if community_id is not None else None,
            account_id=await _account(ctx, account_id),
            card_number=card_number,
            plate=plate,
            expires_at=expires_at,
            actor=ctx.actor.label,
        )
        return AccessBlacklistEntry.from_row(entry)

    @strawberry.mutation(permission_classes=[Allowed(MANAGE)])
    async def remove_from_access_blacklist(self, info: strawberry.Info, id: relay.GlobalID) -> bool:
        ctx = info.context
        await service.remove_from_blacklist(
            ctx.session, decode_id(id, "AccessBlacklistEntry"), actor=ctx.actor.label
        )
        return True

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Retention of access records (days), the QR step, or a new QR key (every code in use dies).",
    )
    async def update_access_settings(
        self,
        info: strawberry.Info,
        retention_days: int | None = None,
        qr_step_seconds: int | None = None,
        rotate_qr_key: bool = False,
    ) -> AccessSettings:
        ctx = info.context
        s = await service.update_settings(
            ctx.session,
            retention_days=retention_days,
            qr_step_seconds=qr_step_seconds,
            rotate_qr_key=rotate_qr_key,
            actor=ctx.actor.label,
        )
        return AccessSettings(
            retention_days=s.retention_days,
            qr_step_seconds=s.qr_step_seconds,
            qr_key_version=s.qr_key_version,
        )
