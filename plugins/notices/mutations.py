"""The notice plugin's mutation root: decode ids, call the service (which validates the input,
audits and publishes the change), map the row."""

from __future__ import annotations

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput
from kernel.sdk.graphql import Allowed, decode_id
from plugins.notices import service
from plugins.notices.types import _SCOPE_TYPES, Notice, NoticeInput, _my_places


@strawberry.type
class NoticesMutation:
    @strawberry.mutation(permission_classes=[Allowed("notices", "publish")], description="Write a notice (a draft unless `publish` is true).")
    async def create_notice(self, info: strawberry.Info, input: NoticeInput, publish: bool = False) -> Notice:
        ctx = info.context
        if input.target_id.type_name not in _SCOPE_TYPES:
            raise BadUserInput("targetId must be the id of a Community, Building or Unit", field="targetId")
        target = decode_id(input.target_id, tuple(_SCOPE_TYPES))
        row = await service.create_notice(
            ctx.session, scope=_SCOPE_TYPES[input.target_id.type_name], target_id=target, title=input.title, body=input.body,
            category=input.category.value, public_disclosure=input.public_disclosure, display_days=input.display_days,
            created_by=ctx.actor.label,
        )
        if publish:
            row = await service.publish(ctx.session, ctx.runtime, ctx.tenant.id, row.id, actor=ctx.actor.label)
        return Notice.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("notices", "publish")], description="Publish a draft or withdrawn notice; emits notice.published.")
    async def publish_notice(self, info: strawberry.Info, id: relay.GlobalID) -> Notice:
        ctx = info.context
        row = await service.publish(ctx.session, ctx.runtime, ctx.tenant.id, decode_id(id, "Notice"), actor=ctx.actor.label)
        return Notice.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("notices", "publish")], description="Withdraw (撤回) a published notice.")
    async def withdraw_notice(self, info: strawberry.Info, id: relay.GlobalID) -> Notice:
        ctx = info.context
        row = await service.withdraw(ctx.session, decode_id(id, "Notice"), actor=ctx.actor.label)
        return Notice.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("notices", "read_own")], description="Mark a notice read for the caller's units it reaches.")
    async def mark_notice_read(self, info: strawberry.Info, id: relay.GlobalID) -> Notice:
        ctx = info.context
        if ctx.actor.account_id is None:
            raise BadUserInput("only an owner's or resident's account can mark a notice read")
        places = await _my_places(info)
        nid = decode_id(id, "Notice")
        await service.mark_read(ctx.session, nid, ctx.actor.account_id, places)
        return Notice.from_row(await service.get_notice(ctx.session, nid))
