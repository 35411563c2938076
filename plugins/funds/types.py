"""The funds plugin's GraphQL types: the ``Fen`` scalar, the enums, sub-ledgers and flows, unit and
community statements, disbursements with their apportionment, revenue receipts, allocation rounds,
reconciliation reports and the mutation inputs; and the audience rules the query and mutation roots
share (which community or unit an owner may read: their own units')."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NewType

import strawberry
from strawberry import relay
from strawberry.types.scalar import ScalarDefinition

from kernel.sdk.estate import Unit, units_owned_by_account
from kernel.sdk.graphql import decode_id, page_size, to_gid
from kernel.sdk.repository import Viewer
from plugins.funds import models as m
from plugins.funds import repository, service
from plugins.funds.reconcile import Report
from plugins.funds.vocabulary import (
    DisbursementKind,
    DisbursementStatus,
    FundFlowKind,
    RevenueSource,
)


def _parse_fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("an amount in fen is a whole number")
    return value


Fen = NewType("Fen", int)
#: Contributed through ``GraphQLContribution.scalar_map`` (see :mod:`plugins.funds`).
SCALARS: dict[object, ScalarDefinition] = {
    Fen: strawberry.scalar(
        name="Fen",
        description="An amount of money in integer fen (1/100 yuan); a JSON integer, may exceed 32 bits",
        serialize=int,
        parse_value=_parse_fen,
    )
}


def _mask(ref: str) -> str:
    return ("*" * max(0, len(ref) - 4) + ref[-4:]) if len(ref) > 4 else "****"


async def _unit_labels(
    info: strawberry.Info, unit_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Unit number and building name for a whole list in one query (no N+1)."""
    return await repository.unit_labels(info.context.session, unit_ids)


@strawberry.type(description="分户账: a unit's maintenance fund sub-ledger")
class FundSubLedger:
    unit_id: strawberry.ID
    unit_number: str
    building_name: str
    area: int = strawberry.field(description="Registered area, hundredths of m²")
    chain_unit_id: int = strawberry.field(
        description="The unit's id in the community's OwnersRegistry"
    )
    balance_fen: Fen
    first_deposit_fen: Fen
    top_up_required: bool = strawberry.field(
        description="Balance below 30% of the first deposit: top up (续交)"
    )


@strawberry.type(description="One flow of the fund, as disclosed (公示)")
class FundFlow:
    id: strawberry.ID
    kind: FundFlowKind
    amount_fen: Fen
    unit_id: strawberry.ID | None
    unit_number: str | None
    balance_after_fen: Fen | None
    reference: str = strawberry.field(description="Off-chain reference (masked for owners)")
    reference_hash: str = strawberry.field(
        description="0x sha256 of the reference, as written on chain"
    )
    disbursement_id: strawberry.ID | None
    chain_intent: str | None = strawberry.field(
        description="Idempotency key of the chain transaction"
    )
    occurred_at: datetime


def _flow(row: m.FundEntry, labels: dict[uuid.UUID, tuple[str, str]], *, full: bool) -> FundFlow:
    return FundFlow(
        id=strawberry.ID(str(to_gid("FundFlow", row.id))),
        kind=FundFlowKind(row.kind),
        amount_fen=row.amount,
        unit_id=strawberry.ID(str(to_gid("Unit", row.unit_id))) if row.unit_id else None,
        unit_number=labels.get(row.unit_id, ("", ""))[0] if row.unit_id else None,
        balance_after_fen=row.balance_after,
        reference=row.reference
        if full or row.kind in ("allocation", "ratio", "disbursement", "emergency")
        else _mask(row.reference),
        reference_hash=row.reference_hash,
        disbursement_id=strawberry.ID(str(to_gid("FundDisbursement", row.disbursement_id)))
        if row.disbursement_id
        else None,
        chain_intent=row.intent,
        occurred_at=row.occurred_at,
    )


@strawberry.type(description="A unit's statement: its sub-ledger and its flows, newest first")
class UnitFundStatement:
    sub_ledger: FundSubLedger | None
    flows: list[FundFlow]


@strawberry.type
class FundReconciliationRun:
    ran_at: datetime
    ok: bool
    mismatch_count: int


@strawberry.type(
    description="A community's fund statement (totals mirror the MaintenanceFund contract)"
)
class CommunityFundStatement:
    community_id: strawberry.ID
    fund_balance_fen: Fen
    sub_ledger_total_fen: Fen
    unallocated_fen: Fen = strawberry.field(
        description="Interest and revenue share not yet credited to units"
    )
    welfare_balance_fen: Fen
    revenue_received_fen: Fen
    revenue_fund_bps: int = strawberry.field(
        description="Share of each revenue receipt going to the fund (basis points)"
    )
    deposits_fen: Fen
    interest_fen: Fen
    disbursed_fen: Fen
    emergency_fen: Fen
    sub_ledger_count: int
    top_up_required_units: int
    last_reconciliation: FundReconciliationRun | None


@strawberry.type
class FundShare:
    unit_id: strawberry.ID
    unit_number: str
    area: int
    share_fen: Fen
    balance_fen: Fen | None = strawberry.field(description="The unit's balance now (previews only)")
    shortfall_fen: Fen | None = strawberry.field(description="Missing if paid now (previews only)")


@strawberry.type(
    description="How an amount would be shared by area, exactly as the contract will debit it"
)
class ApportionmentPreview:
    amount_fen: Fen
    total_area: int
    shares: list[FundShare]


@strawberry.type(
    description="A use of the maintenance fund (voted or emergency), with its apportionment"
)
class FundDisbursement:
    id: strawberry.ID
    community_id: strawberry.ID
    kind: DisbursementKind
    title: str
    amount_fen: Fen
    payee: str
    payee_hash: str
    proposal_id: strawberry.ID | None
    chain_proposal_id: str | None
    disclosure: str | None
    disclosure_hash: str | None
    emergency_no: int | None
    status: DisbursementStatus
    executed_at: datetime | None
    created_at: datetime
    shares: list[FundShare]


async def _disbursement(info: strawberry.Info, d: m.FundDisbursement) -> FundDisbursement:
    return (await _disbursements(info, [d]))[0]


async def _disbursements(
    info: strawberry.Info, ds: Sequence[m.FundDisbursement]
) -> list[FundDisbursement]:
    """The types of ``ds`` with their shares: one query for every share, one for the unit labels."""
    shares = await repository.DisbursementRepository(info.context.session).shares_of([d.id for d in ds])
    labels = await _unit_labels(info, {r.unit_id for rows in shares.values() for r in rows})
    return [_disbursement_of(d, shares.get(d.id, []), labels) for d in ds]


def _disbursement_of(
    d: m.FundDisbursement,
    rows: list[m.FundDisbursementShare],
    labels: dict[uuid.UUID, tuple[str, str]],
) -> FundDisbursement:
    return FundDisbursement(
        id=strawberry.ID(str(to_gid("FundDisbursement", d.id))),
        community_id=strawberry.ID(str(to_gid("Community", d.community_id))),
        kind=DisbursementKind(d.kind),
        title=d.title,
        amount_fen=d.amount,
        payee=d.payee,
        payee_hash=d.payee_hash,
        proposal_id=strawberry.ID(str(to_gid("Proposal", d.proposal_id)))
        if d.proposal_id
        else None,
        chain_proposal_id=d.chain_proposal_id,
        disclosure=d.disclosure,
        disclosure_hash=d.disclosure_hash,
        emergency_no=d.emergency_no,
        status=DisbursementStatus(d.status),
        executed_at=d.executed_at,
        created_at=d.created_at,
        shares=[
            FundShare(
                unit_id=strawberry.ID(str(to_gid("Unit", r.unit_id))),
                unit_number=labels.get(r.unit_id, ("", ""))[0],
                area=r.area,
                share_fen=r.share,
                balance_fen=None,
                shortfall_fen=None,
            )
            for r in rows
        ],
    )


@strawberry.type(description="公共收益: a public revenue receipt and its split")
class FundRevenueReceipt:
    id: strawberry.ID
    source: RevenueSource
    amount_fen: Fen
    to_fund_fen: Fen
    to_welfare_fen: Fen
    fund_bps: int
    source_ref_hash: str
    received_at: datetime

    @classmethod
    def from_row(cls, r: m.FundRevenueReceipt) -> FundRevenueReceipt:
        return cls(
            id=strawberry.ID(str(to_gid("FundRevenueReceipt", r.id))),
            source=RevenueSource(r.source),
            amount_fen=r.amount,
            to_fund_fen=r.to_fund,
            to_welfare_fen=r.to_welfare,
            fund_bps=r.fund_bps,
            source_ref_hash=r.source_ref_hash,
            received_at=r.received_at,
        )


@strawberry.type
class FundAllocation:
    round_no: int
    amount_fen: Fen = strawberry.field(description="Taken from the pool by this round")
    unit_count: int
    total_area: int
    carried_fen: Fen = strawberry.field(
        description="Back to the pool for the next round: each unit gets the floor of its share, so a larger unit never gets less"
    )


@strawberry.type
class FundMismatch:
    what: str
    database: Fen
    expected: Fen
    source: str
    unit_id: strawberry.ID | None


@strawberry.type
class FundReconciliationReport:
    community_id: strawberry.ID
    ok: bool
    chain_checked: bool
    mismatches: list[FundMismatch]

    @classmethod
    def from_report(cls, r: Report) -> FundReconciliationReport:
        return cls(
            community_id=strawberry.ID(str(to_gid("Community", r.community_id))),
            ok=r.ok,
            chain_checked=r.chain_checked,
            mismatches=[
                FundMismatch(
                    what=x["what"],
                    database=x["database"],
                    expected=x["expected"],
                    source=x["source"],
                    unit_id=strawberry.ID(str(to_gid("Unit", x["unit_id"])))
                    if x["unit_id"]
                    else None,
                )
                for x in r.mismatches
            ],
        )


# -- audience --------------------------------------------------------------------------------------------------


async def _my_units(info: strawberry.Info) -> list[Unit]:
    ctx = info.context

    async def load() -> list[Unit]:
        if ctx.actor is None or ctx.actor.account_id is None:
            return []
        return list(await units_owned_by_account(ctx.session, ctx.actor.account_id))

    key = "funds.my_units"
    if key not in ctx.loaders:
        ctx.loaders[key] = await load()
    return ctx.loaders[key]  # type: ignore[no-any-return]


def _viewer(info: strawberry.Info) -> Viewer:
    return Viewer.of(info.context)


async def _audience(info: strawberry.Info) -> repository.Audience:
    """The caller's audience (:class:`plugins.funds.repository.Audience`): their own units."""
    return repository.Audience([] if info.context.allowed("funds", "read") else await _my_units(info))


async def _may_read_community(info: strawberry.Info, community_id: uuid.UUID) -> bool:
    """Staff, committee and auditors read every community; an owner reads the communities they own in."""
    return (await _audience(info)).may_read_community(_viewer(info), community_id)


async def _may_read_unit(info: strawberry.Info, unit_id: uuid.UUID) -> bool:
    return (await _audience(info)).may_read_unit(_viewer(info), unit_id)


async def _repo(info: strawberry.Info, cls: type[repository.R]) -> repository.R:
    """A funds repository for the caller (built with their own units)."""
    return cls(info.context.session, (await _audience(info)).own_units)


async def _unit_statement(
    info: strawberry.Info, unit_id: uuid.UUID, first: int | None
) -> UnitFundStatement | None:
    session = info.context.session
    unit = await repository.unit(session, unit_id)
    if unit is None:
        return None
    n = page_size(first, default=50, maximum=info.context.runtime.settings.max_page_size)
    ledger = await service.sub_ledger_of(session, unit_id)
    rows = await repository.EntryRepository(session).newest_of_unit(unit_id, n)
    labels = await _unit_labels(info, {unit_id})
    number, building = labels.get(unit_id, (unit.number, ""))
    sub = (
        FundSubLedger(
            unit_id=strawberry.ID(str(to_gid("Unit", unit_id))),
            unit_number=number,
            building_name=building,
            area=unit.registered_area,
            chain_unit_id=ledger.chain_unit_id,
            balance_fen=ledger.balance,
            first_deposit_fen=ledger.first_deposit,
            top_up_required=ledger.top_up_required,
        )
        if ledger
        else None
    )
    # Staff and the unit's own owner (the only other reader) see the references in full.
    return UnitFundStatement(sub_ledger=sub, flows=[_flow(r, labels, full=True) for r in rows])


async def _community_statement(
    info: strawberry.Info, community_id: uuid.UUID
) -> CommunityFundStatement | None:
    session = info.context.session
    accounts = repository.AccountRepository(session)
    account = await accounts.of(community_id)
    if account is None:
        return None
    totals = await service.entry_totals(session, community_id)
    ledgers = await accounts.sub_ledgers(community_id)
    last = await accounts.last_reconciliation(community_id)
    return CommunityFundStatement(
        community_id=strawberry.ID(str(to_gid("Community", community_id))),
        fund_balance_fen=account.fund_balance,
        sub_ledger_total_fen=account.sub_ledger_total,
        unallocated_fen=account.unallocated,
        welfare_balance_fen=account.welfare_balance,
        revenue_received_fen=account.revenue_received,
        revenue_fund_bps=account.revenue_fund_bps,
        deposits_fen=totals.get("deposit", 0),
        interest_fen=totals.get("interest", 0),
        disbursed_fen=totals.get("disbursement", 0),
        emergency_fen=totals.get("emergency", 0),
        sub_ledger_count=len(ledgers),
        top_up_required_units=sum(1 for r in ledgers if r.top_up_required),
        last_reconciliation=FundReconciliationRun(
            ran_at=last.ran_at, ok=last.ok, mismatch_count=len(last.mismatches)
        )
        if last
        else None,
    )


def _ids(values: list[relay.GlobalID] | None, type_name: str) -> list[uuid.UUID]:
    return [decode_id(v, type_name) for v in values or []]


@strawberry.input
class FundDepositInput:
    unit_id: relay.GlobalID
    amount_fen: Fen
    bank_ref: str = strawberry.field(
        description="The bank's transaction reference (kept off chain; its sha256 goes on chain)"
    )


@strawberry.input
class FundDisbursementInput:
    community_id: relay.GlobalID
    title: str
    amount_fen: Fen
    payee: str
    unit_ids: list[relay.GlobalID] | None = None
    building_ids: list[relay.GlobalID] | None = None
    proposal_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The USE_FUND proposal putting it to the vote"
    )


@strawberry.input
class EmergencyDisbursementInput:
    community_id: relay.GlobalID
    title: str
    amount_fen: Fen
    payee: str
    disclosure: str = strawberry.field(
        description="Mandatory disclosure: what endangered safety, what was done, who was paid"
    )
    unit_ids: list[relay.GlobalID] | None = None
    building_ids: list[relay.GlobalID] | None = None


@strawberry.input
class PublicRevenueInput:
    community_id: relay.GlobalID
    source: RevenueSource
    amount_fen: Fen
    source_ref: str


TYPES = (
    FundSubLedger,
    FundFlow,
    UnitFundStatement,
    CommunityFundStatement,
    FundDisbursement,
    ApportionmentPreview,
    FundRevenueReceipt,
    FundReconciliationReport,
)
