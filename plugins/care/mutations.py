"""The care plugin's mutation root: decode ids, find the row through the repository (what the
caller may not read answers NOT_FOUND), call the service (which audits and publishes)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, NotFound, require_member
from kernel.sdk.graphql import decode_id
from kernel.sdk.repository import Viewer
from plugins.care import alerts, service
from plugins.care.permissions import CHECK_IN, MANAGE, READ_OWN, RESPOND, Allowed
from plugins.care.repository import AlertRepository, RecipientRepository
from plugins.care.types import (
    CareAlert,
    CareCheckIn,
    CareContact,
    CareContactAdded,
    CareDevice,
    CareRecipient,
    CareService,
    recipient_nodes,
)
from plugins.care.vocabulary import CheckInMethod, DeviceKind, ServiceKind


async def _recipient(info: strawberry.Info, gid: relay.GlobalID) -> service.CareRecipient:
    ctx = info.context
    row = await RecipientRepository(ctx.session).get_by_id(
        decode_id(gid, "CareRecipient"), actor=Viewer.of(ctx)
    )
    if row is None:
        raise NotFound("no care recipient with this id", field="recipientId")
    return row


async def _alert(info: strawberry.Info, gid: relay.GlobalID) -> alerts.CareAlert:
    ctx = info.context
    row = await AlertRepository(ctx.session).get_by_id(
        decode_id(gid, "CareAlert"), actor=Viewer.of(ctx)
    )
    if row is None:
        raise NotFound("no care alert with this id", field="alertId")
    return row  # type: ignore[no-any-return]


def _person(value: strawberry.ID) -> uuid.UUID:
    """A register person's id, as the estate and consent APIs give it (a plain UUID)."""
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise BadUserInput("malformed person id", field="personId") from exc


async def _node(info: strawberry.Info, row: service.CareRecipient) -> CareRecipient:
    return (await recipient_nodes(info.context.session, [row]))[0]  # type: ignore[return-value]


@strawberry.type
class CareMutation:
    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Enrol a register person in home care; their consent to care.health_monitoring must be recorded first.",
    )
    async def enrol_care_recipient(
        self,
        info: strawberry.Info,
        person_id: strawberry.ID,
        community_id: relay.GlobalID,
        unit_id: relay.GlobalID | None = None,
        lives_alone: bool = True,
        health_notes: str = "",
        check_in_by_minute: int = 600,
        margin_percent: int = 50,
        fallback_hours: int = 12,
        ack_within_seconds: int = 180,
    ) -> CareRecipient:
        ctx = info.context
        row = await service.enrol(
            ctx.session,
            ctx.runtime.vault,
            person_id=_person(person_id),
            community_id=decode_id(community_id, "Community"),
            unit_id=decode_id(unit_id, "Unit") if unit_id is not None else None,
            lives_alone=lives_alone,
            health_notes=health_notes,
            check_in_by_minute=check_in_by_minute,
            margin_percent=margin_percent,
            fallback_hours=fallback_hours,
            ack_within_seconds=ack_within_seconds,
            actor=ctx.actor.label,
        )
        return await _node(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Change a recipient's plan settings or health notes.",
    )
    async def update_care_plan(
        self,
        info: strawberry.Info,
        recipient_id: relay.GlobalID,
        health_notes: str | None = None,
        lives_alone: bool | None = None,
        check_in_by_minute: int | None = None,
        margin_percent: int | None = None,
        fallback_hours: int | None = None,
        ack_within_seconds: int | None = None,
    ) -> CareRecipient:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        row = await service.update_plan(
            ctx.session,
            ctx.runtime.vault,
            recipient_id=row.id,
            health_notes=health_notes,
            lives_alone=lives_alone,
            check_in_by_minute=check_in_by_minute,
            margin_percent=margin_percent,
            fallback_hours=fallback_hours,
            ack_within_seconds=ack_within_seconds,
            actor=ctx.actor.label,
        )
        return await _node(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="End a recipient's care (the activity trail is erased).",
    )
    async def end_care(self, info: strawberry.Info, recipient_id: relay.GlobalID) -> CareRecipient:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        return await _node(
            info, await service.end_care(ctx.session, recipient_id=row.id, actor=ctx.actor.label)
        )

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Add an emergency contact (priority 1 is told first); with invite, they get a login that sees only this relative.",
    )
    async def add_care_contact(
        self,
        info: strawberry.Info,
        recipient_id: relay.GlobalID,
        name: str,
        relation: str,
        priority: int,
        phone: str | None = None,
        email: str | None = None,
        invite: bool = True,
        locale: str = "zh-CN",
    ) -> CareContactAdded:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        contact, code = await service.add_contact(
            ctx.session,
            ctx.runtime,
            ctx.tenant,
            recipient_id=row.id,
            name=name,
            relation=relation,
            priority=priority,
            phone=phone,
            email=email,
            invite=invite,
            locale=locale,
            created_by=ctx.actor.account_id,
            actor=ctx.actor.label,
        )
        return CareContactAdded(
            contact=CareContact.from_row(contact, name.strip()), invitation_code=code
        )

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)], description="Remove an emergency contact."
    )
    async def remove_care_contact(self, info: strawberry.Info, contact_id: relay.GlobalID) -> bool:
        ctx = info.context
        await service.remove_contact(
            ctx.session, contact_id=decode_id(contact_id, "CareContact"), actor=ctx.actor.label
        )
        return True

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Assign a registered device to a recipient.",
    )
    async def link_care_device(
        self,
        info: strawberry.Info,
        recipient_id: relay.GlobalID,
        device_id: relay.GlobalID,
        kind: DeviceKind,
    ) -> CareDevice:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        link = await service.link_device(
            ctx.session,
            recipient_id=row.id,
            device_id=decode_id(device_id, "Device"),
            kind=kind.value,
            actor=ctx.actor.label,
        )
        return CareDevice.from_row(link)

    @strawberry.mutation(
        permission_classes=[Allowed(CHECK_IN)],
        description="The recipient's one tap: \"I'm fine\" (报平安) for today.",
    )
    async def care_check_in(self, info: strawberry.Info) -> CareCheckIn:
        ctx = info.context
        recipient = await service.recipient_of_account(ctx.session, ctx.actor.account_id)
        row, _ = await service.check_in(
            ctx.session, recipient=recipient, method="self", actor=ctx.actor.label
        )
        return CareCheckIn.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND)],
        description="Log today's check-in made by a staff phone call or visit.",
    )
    async def log_care_check_in(
        self,
        info: strawberry.Info,
        recipient_id: relay.GlobalID,
        method: CheckInMethod = CheckInMethod.call,
    ) -> CareCheckIn:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        if method == CheckInMethod.self:
            raise BadUserInput(
                "staff log a call or a visit; the recipient checks in themselves", field="method"
            )
        check, _ = await service.check_in(
            ctx.session, recipient=row, method=method.value, actor=ctx.actor.label
        )
        return CareCheckIn.from_row(check)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)], description="Plan a visit or service (who and when)."
    )
    async def schedule_care_service(
        self,
        info: strawberry.Info,
        recipient_id: relay.GlobalID,
        kind: ServiceKind,
        scheduled_for: datetime,
        provider_account_id: strawberry.ID | None = None,
    ) -> CareService:
        ctx = info.context
        row = await _recipient(info, recipient_id)
        provider = None
        if provider_account_id is not None:
            try:
                provider = uuid.UUID(str(provider_account_id))
            except ValueError as exc:
                raise NotFound(
                    "no such account in this property firm", field="providerAccountId"
                ) from exc
            await require_member(ctx.session, provider, field="providerAccountId")
        svc = await service.schedule_service(
            ctx.session,
            recipient_id=row.id,
            kind=kind.value,
            scheduled_for=scheduled_for,
            provider_account_id=provider,
            actor=ctx.actor.label,
        )
        return CareService.from_row(svc)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND)],
        description="Record a planned service as done (with an encrypted note) or cancelled.",
    )
    async def complete_care_service(
        self, info: strawberry.Info, service_id: relay.GlobalID, note: str = "", done: bool = True
    ) -> CareService:
        ctx = info.context
        svc = await service.complete_service(
            ctx.session,
            ctx.runtime.vault,
            service_id=decode_id(service_id, "CareService"),
            note=note,
            done=done,
            actor=ctx.actor.label,
        )
        return CareService.from_row(svc)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND, READ_OWN)],
        description="Take an alert (staff, or the relative's own contact): escalation stops.",
    )
    async def acknowledge_care_alert(
        self, info: strawberry.Info, alert_id: relay.GlobalID
    ) -> CareAlert:
        ctx = info.context
        row = await alerts.acknowledge(
            ctx.session,
            ctx.runtime,
            alert=await _alert(info, alert_id),
            account_id=ctx.actor.account_id,
            actor=ctx.actor.label,
        )
        return CareAlert.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND)], description="Record arrival at the person's home."
    )
    async def mark_care_arrival(self, info: strawberry.Info, alert_id: relay.GlobalID) -> CareAlert:
        ctx = info.context
        row = await alerts.mark_arrived(
            ctx.session,
            ctx.runtime,
            alert=await _alert(info, alert_id),
            account_id=ctx.actor.account_id,
            actor=ctx.actor.label,
        )
        return CareAlert.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND)],
        description="Close an alert with what happened (encrypted).",
    )
    async def resolve_care_alert(
        self, info: strawberry.Info, alert_id: relay.GlobalID, resolution: str = ""
    ) -> CareAlert:
        ctx = info.context
        row = await alerts.resolve(
            ctx.session,
            ctx.runtime,
            alert=await _alert(info, alert_id),
            account_id=ctx.actor.account_id,
            actor=ctx.actor.label,
            resolution=resolution,
        )
        return CareAlert.from_row(row)
