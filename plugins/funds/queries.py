"""The funds plugin's query root: unit and community statements, disclosures (公示), disbursements,
revenue, the apportionment preview, reconciliation runs. Audience rules: :mod:`plugins.funds.types`."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk.graphql import Allowed, Connection, decode_id, page_size, paginate, to_gid
from plugins.funds import models as m
from plugins.funds import repository, service
from plugins.funds.types import (
    ApportionmentPreview,
    CommunityFundStatement,
    Fen,
    FundDisbursement,
    FundFlow,
    FundRevenueReceipt,
    FundShare,
    UnitFundStatement,
    _community_statement,
    _disbursement,
    _disbursements,
    _flow,
    _ids,
    _may_read_community,
    _may_read_unit,
    _my_units,
    _repo,
    _unit_labels,
    _unit_statement,
    _viewer,
)
from plugins.funds.vocabulary import FundFlowKind


@strawberry.type
class FundsQuery:
    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="The community's fund statement (null outside the caller's audience).",
    )
    async def fund_community_statement(
        self, info: strawberry.Info, community_id: relay.GlobalID
    ) -> CommunityFundStatement | None:
        cid = decode_id(community_id, "Community")
        if not await _may_read_community(info, cid):
            return None
        return await _community_statement(info, cid)

    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="A unit's statement (owners: only their own units; else null).",
    )
    async def fund_unit_statement(
        self, info: strawberry.Info, unit_id: relay.GlobalID, first: int | None = None
    ) -> UnitFundStatement | None:
        uid = decode_id(unit_id, "Unit")
        if not await _may_read_unit(info, uid):
            return None
        return await _unit_statement(info, uid, first)

    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="Statements of the caller's own units.",
    )
    async def my_fund_statements(
        self, info: strawberry.Info, first: int | None = None
    ) -> list[UnitFundStatement]:
        out = []
        for u in await _my_units(info):
            s = await _unit_statement(info, u.id, first)
            if s is not None:
                out.append(s)
        return out

    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="公示: every flow of the community's fund, oldest first (empty outside the caller's audience).",
    )
    async def fund_disclosures(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        first: int | None = None,
        after: str | None = None,
        kind: FundFlowKind | None = None,
    ) -> Connection[FundFlow]:
        cid = decode_id(community_id, "Community")
        entries = await _repo(info, repository.EntryRepository)
        stmt = entries.disclosures(_viewer(info), cid, kind)
        full = info.context.allowed("funds", "read")
        label_cache: dict[uuid.UUID, tuple[str, str]] = {}
        conn = await paginate(
            info.context.session,
            stmt,
            order_by=[m.FundEntry.created_at, m.FundEntry.id],
            first=page_size(
                first,
                default=info.context.runtime.settings.default_page_size,
                maximum=info.context.runtime.settings.max_page_size,
            ),
            after=after,
            to_node=lambda r: r,
            key_types=[datetime.fromisoformat, uuid.UUID],
        )
        label_cache.update(
            await _unit_labels(info, {e.node.unit_id for e in conn.edges if e.node.unit_id})
        )
        for e in conn.edges:
            e.node = _flow(e.node, label_cache, full=full)
        return conn  # type: ignore[return-value]

    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="Uses of the fund of a community, newest first (公示).",
    )
    async def fund_disbursements(
        self, info: strawberry.Info, community_id: relay.GlobalID
    ) -> list[FundDisbursement]:
        cid = decode_id(community_id, "Community")
        repo = await _repo(info, repository.DisbursementRepository)
        return await _disbursements(info, await repo.newest(_viewer(info), cid))

    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="One use of the fund (null outside the caller's audience).",
    )
    async def fund_disbursement(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> FundDisbursement | None:
        repo = await _repo(info, repository.DisbursementRepository)
        d = await repo.get_by_id(decode_id(id, "FundDisbursement"), actor=_viewer(info))
        return None if d is None else await _disbursement(info, d)

    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="Preview how an amount would be shared by area over units or buildings — identical to the contract's debit.",
    )
    async def preview_fund_apportionment(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        amount_fen: Fen,
        unit_ids: list[relay.GlobalID] | None = None,
        building_ids: list[relay.GlobalID] | None = None,
    ) -> ApportionmentPreview | None:
        cid = decode_id(community_id, "Community")
        if not await _may_read_community(info, cid):
            return None
        session = info.context.session
        units = await service.concerned_units(
            session, cid, _ids(unit_ids, "Unit"), _ids(building_ids, "Building")
        )
        shares = await service.preview_apportionment(session, cid, amount_fen, units)
        return ApportionmentPreview(
            amount_fen=amount_fen,
            total_area=sum(s.area for s in shares),
            shares=[
                FundShare(
                    unit_id=strawberry.ID(str(to_gid("Unit", s.unit.id))),
                    unit_number=s.unit.number,
                    area=s.area,
                    share_fen=s.share,
                    balance_fen=s.balance,
                    shortfall_fen=s.shortfall,
                )
                for s in shares
            ],
        )

    @strawberry.field(
        permission_classes=[Allowed("funds", "read_own")],
        description="Public revenue receipts of a community, newest first (公示).",
    )
    async def fund_revenue_receipts(
        self, info: strawberry.Info, community_id: relay.GlobalID
    ) -> list[FundRevenueReceipt]:
        cid = decode_id(community_id, "Community")
        repo = await _repo(info, repository.RevenueReceiptRepository)
        return [FundRevenueReceipt.from_row(r) for r in await repo.newest(_viewer(info), cid)]
