"""The funds plugin's mutation root: deposits, interest, allocation rounds, disbursements (voted and
emergency), sub-ledger transfers, public revenue and its voted ratio, reconciliation on demand. The
service writes (and queues the chain calls) and audits each change."""

from __future__ import annotations

import strawberry
from strawberry import relay

from kernel.sdk.graphql import Allowed, decode_id
from plugins.funds import service
from plugins.funds.reconcile import run_reconciliation
from plugins.funds.types import (
    CommunityFundStatement,
    EmergencyDisbursementInput,
    Fen,
    FundAllocation,
    FundDepositInput,
    FundDisbursement,
    FundDisbursementInput,
    FundFlow,
    FundReconciliationReport,
    FundRevenueReceipt,
    PublicRevenueInput,
    _community_statement,
    _disbursement,
    _flow,
    _ids,
    _unit_labels,
)


@strawberry.type
class FundsMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Record an owner's deposit (缴存) into the unit's sub-ledger.",
    )
    async def record_fund_deposit(self, info: strawberry.Info, input: FundDepositInput) -> FundFlow:
        ctx = info.context
        entry = await service.deposit(
            ctx.session,
            ctx.runtime,
            ctx.tenant.id,
            unit_id=decode_id(input.unit_id, "Unit"),
            amount=input.amount_fen,
            bank_ref=input.bank_ref,
            actor=ctx.actor.label,
        )
        return _flow(entry, await _unit_labels(info, {entry.unit_id}), full=True)  # type: ignore[arg-type]

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Record a bank statement's deposits of one community at once (one chain transaction); all or nothing.",
    )
    async def record_fund_deposits(
        self, info: strawberry.Info, deposits: list[FundDepositInput]
    ) -> list[FundFlow]:
        ctx = info.context
        lines = [
            service.DepositLine(decode_id(d.unit_id, "Unit"), d.amount_fen, d.bank_ref)
            for d in deposits
        ]
        entries = await service.deposit_batch(
            ctx.session, ctx.runtime, ctx.tenant.id, lines, actor=ctx.actor.label
        )
        labels = await _unit_labels(info, {e.unit_id for e in entries if e.unit_id})
        return [_flow(e, labels, full=True) for e in entries]

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Record bank interest; it waits for the next allocation round.",
    )
    async def record_fund_interest(
        self, info: strawberry.Info, community_id: relay.GlobalID, amount_fen: Fen, bank_ref: str
    ) -> FundFlow:
        ctx = info.context
        entry = await service.record_interest(
            ctx.session,
            ctx.runtime,
            community_id=decode_id(community_id, "Community"),
            amount=amount_fen,
            bank_ref=bank_ref,
            actor=ctx.actor.label,
        )
        return _flow(entry, {}, full=True)

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Credit interest and revenue waiting in the pool to every unit by area.",
    )
    async def allocate_fund_pool(
        self, info: strawberry.Info, community_id: relay.GlobalID
    ) -> FundAllocation:
        ctx = info.context
        cid = decode_id(community_id, "Community")
        r = await service.allocate(
            ctx.session, ctx.runtime, community_id=cid, actor=ctx.actor.label
        )
        return FundAllocation(
            round_no=r.round_no,
            amount_fen=r.amount,
            unit_count=r.unit_count,
            total_area=r.total_area,
            carried_fen=r.carried,
        )

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Request a use of the fund to put to the owners' vote, with its apportionment.",
    )
    async def request_fund_disbursement(
        self, info: strawberry.Info, input: FundDisbursementInput
    ) -> FundDisbursement:
        ctx = info.context
        d = await service.request_disbursement(
            ctx.session,
            ctx.runtime,
            community_id=decode_id(input.community_id, "Community"),
            title=input.title,
            amount=input.amount_fen,
            payee=input.payee,
            unit_ids=_ids(input.unit_ids, "Unit"),
            building_ids=_ids(input.building_ids, "Building"),
            proposal_id=decode_id(input.proposal_id, "Proposal") if input.proposal_id else None,
            actor=ctx.actor.label,
        )
        return await _disbursement(info, d)

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Tie a disbursement request to its USE_FUND proposal.",
    )
    async def attach_disbursement_proposal(
        self, info: strawberry.Info, id: relay.GlobalID, proposal_id: relay.GlobalID
    ) -> FundDisbursement:
        ctx = info.context
        d = await service.attach_proposal(
            ctx.session,
            ctx.runtime,
            disbursement_id=decode_id(id, "FundDisbursement"),
            proposal_id=decode_id(proposal_id, "Proposal"),
            actor=ctx.actor.label,
        )
        return await _disbursement(info, d)

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Pay a voted disbursement (only once its proposal is final).",
    )
    async def execute_fund_disbursement(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> FundDisbursement:
        ctx = info.context
        d = await service.execute_disbursement(
            ctx.session,
            ctx.runtime,
            ctx.tenant.id,
            disbursement_id=decode_id(id, "FundDisbursement"),
            actor=ctx.actor.label,
        )
        return await _disbursement(info, d)

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Withdraw a disbursement request that was not paid.",
    )
    async def cancel_fund_disbursement(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> FundDisbursement:
        ctx = info.context
        d = await service.cancel_disbursement(
            ctx.session, disbursement_id=decode_id(id, "FundDisbursement"), actor=ctx.actor.label
        )
        return await _disbursement(info, d)

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "emergency")],
        description="Emergency use by the owners' committee, with a mandatory disclosure.",
    )
    async def emergency_fund_disbursement(
        self, info: strawberry.Info, input: EmergencyDisbursementInput
    ) -> FundDisbursement:
        ctx = info.context
        d = await service.emergency_disbursement(
            ctx.session,
            ctx.runtime,
            ctx.tenant.id,
            community_id=decode_id(input.community_id, "Community"),
            title=input.title,
            amount=input.amount_fen,
            payee=input.payee,
            disclosure=input.disclosure,
            unit_ids=_ids(input.unit_ids, "Unit"),
            building_ids=_ids(input.building_ids, "Building"),
            actor=ctx.actor.label,
        )
        return await _disbursement(info, d)

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="After a sale, move the sub-ledger to the unit's new owner.",
    )
    async def transfer_fund_sub_ledger(
        self, info: strawberry.Info, unit_id: relay.GlobalID, deed_ref: str
    ) -> FundFlow:
        ctx = info.context
        entry = await service.transfer_sub_ledger(
            ctx.session,
            ctx.runtime,
            unit_id=decode_id(unit_id, "Unit"),
            deed_ref=deed_ref,
            actor=ctx.actor.label,
        )
        return _flow(entry, await _unit_labels(info, {entry.unit_id}), full=True)  # type: ignore[arg-type]

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Record public revenue (公共收益), split by the owners' voted ratio.",
    )
    async def record_public_revenue(
        self, info: strawberry.Info, input: PublicRevenueInput
    ) -> FundRevenueReceipt:
        ctx = info.context
        r = await service.receive_revenue(
            ctx.session,
            ctx.runtime,
            ctx.tenant.id,
            community_id=decode_id(input.community_id, "Community"),
            source=input.source.value,
            amount=input.amount_fen,
            source_ref=input.source_ref,
            actor=ctx.actor.label,
        )
        return FundRevenueReceipt.from_row(r)

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "manage")],
        description="Apply the revenue ratio voted in a final OTHER-matter proposal.",
    )
    async def apply_revenue_ratio(
        self, info: strawberry.Info, proposal_id: relay.GlobalID, fund_bps: int
    ) -> CommunityFundStatement:
        ctx = info.context
        account = await service.apply_revenue_ratio(
            ctx.session,
            ctx.runtime,
            proposal_id=decode_id(proposal_id, "Proposal"),
            fund_bps=fund_bps,
            actor=ctx.actor.label,
        )
        statement = await _community_statement(info, account.community_id)
        assert statement is not None
        return statement

    @strawberry.mutation(
        permission_classes=[Allowed("funds", "reconcile")],
        description="Reconcile the community's fund against the chain now.",
    )
    async def reconcile_funds(
        self, info: strawberry.Info, community_id: relay.GlobalID
    ) -> FundReconciliationReport:
        ctx = info.context
        cid = decode_id(community_id, "Community")
        await service.account_of(ctx.session, cid, create=False)
        report = await run_reconciliation(
            ctx.runtime, ctx.session, ctx.tenant.id, cid, actor=ctx.actor.label
        )
        return FundReconciliationReport.from_report(report)
