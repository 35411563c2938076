"""Maintenance fund and public revenue operations.

Each operation validates everything before writing (bad input leaves nothing behind), updates the database
mirror with the contract's own arithmetic (:mod:`plugins.funds.apportionment`) and queues the matching
``MaintenanceFund`` transaction in the same database transaction, with an idempotency key (``intent``).
Functions flush, never commit: the request is the unit of work. Each operation audits itself
(``funds.<action>`` in the audit log, in the change's transaction), whoever calls it.

Rules mirrored from the contract (``contracts/src/fund``):

* a deposit credits the unit's sub-ledger; the first one is recorded, and a unit whose balance falls below
  30% of it must be topped up (``10*balance < 3*first_deposit``);
* interest and the fund's share of public revenue wait in the unallocated pool until an allocation round
  credits them to every unit of the community by registered area;
* a disbursement needs a Final proposal on matter USE_FUND; it is apportioned by area over the units
  concerned and no unit may go below zero; an emergency use by the committee needs a disclosure;
* each public revenue receipt is split by the owners' voted ratio (all to the fund until they vote).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk import BadUserInput, ChainUnit, Conflict, Event, NotFound, audit, utcnow
from kernel.sdk.estate import Building, Community, Unit
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.funds import chain
from plugins.funds.apportionment import BPS, allocate_by_area, apportion, revenue_split
from plugins.funds.inputs import (
    MAX_AMOUNT,
    Amount,
    DeedTransfer,
    Deposit,
    Disbursement,
    EmergencyDisbursement,
    RevenueReceipt,
)
from plugins.funds.models import (
    FundAccount,
    FundDisbursement,
    FundDisbursementShare,
    FundEntry,
    FundRevenueReceipt,
    FundSubLedger,
)

#: Units credited per ``continueAllocation`` transaction (5,000 units do not fit in one block).
ALLOCATION_CHUNK = 500

EVENT_DEPOSITED = "funds.deposited"
EVENT_DISBURSED = "funds.disbursed"
EVENT_EMERGENCY = "funds.emergency_disbursed"
EVENT_TOP_UP = "funds.top_up_required"
EVENT_REVENUE = "funds.revenue_received"
EVENT_MISMATCH = "funds.reconciliation_mismatch"


def _below_top_up_line(balance: int, first_deposit: int) -> bool:
    return 10 * balance < 3 * first_deposit


# -- lookups ------------------------------------------------------------------------------------------------


async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.id == unit_id))
    if unit is None:
        raise NotFound("no such unit", field="unitId")
    return unit


async def account_of(session: AsyncSession, community_id: uuid.UUID, *, create: bool = True) -> FundAccount:
    """The community's fund account (created on first use); NotFound for an unknown community."""
    row = await session.scalar(select(FundAccount).where(FundAccount.community_id == community_id))
    if row is not None:
        return row
    if await session.scalar(select(Community.id).where(Community.id == community_id)) is None:
        raise NotFound("no such community", field="communityId")
    if not create:
        raise NotFound("this community has no maintenance fund yet", field="communityId")
    row = FundAccount(community_id=community_id)
    session.add(row)
    await session.flush()
    return row


def _registered(unit: Unit, reg: dict[uuid.UUID, chain.RegisteredUnit]) -> chain.RegisteredUnit:
    found = reg.get(unit.id)
    if found is None:
        raise BadUserInput(f"unit {unit.number} has no registered area, so it is not in the owners' registry", field="unitId")
    return found


async def _ledger(session: AsyncSession, unit: Unit, reg: dict[uuid.UUID, chain.RegisteredUnit]) -> FundSubLedger:
    row = await session.scalar(select(FundSubLedger).where(FundSubLedger.unit_id == unit.id))
    if row is not None:
        return row
    row = FundSubLedger(community_id=unit.community_id, unit_id=unit.id, chain_unit_id=_registered(unit, reg).chain_unit_id)
    session.add(row)
    await session.flush()
    return row


async def _holder_key(session: AsyncSession, unit_id: uuid.UUID) -> str:
    return await session.scalar(select(ChainUnit.holder_key).where(ChainUnit.unit_id == unit_id)) or ""


def _entry(session: AsyncSession, **kw: Any) -> FundEntry:
    kw.setdefault("occurred_at", utcnow())
    row = FundEntry(**kw)
    session.add(row)
    return row


async def _audit(session: AsyncSession, actor: str, action: str, target: uuid.UUID, **detail: object) -> None:
    """The service audits its own changes (``funds.<action>``), in the change's transaction."""
    await audit(session, tenant_id=session.info["tenant_id"], actor=actor, action=f"funds.{action}", target=str(target), detail=detail)


async def _publish(runtime: Runtime, session: AsyncSession, tenant_id: uuid.UUID, type_: str, payload: dict[str, Any], actor: str) -> None:
    if runtime is not None:
        await runtime.bus.publish(session, Event(type_, tenant_id, payload, actor=actor))


# -- deposits, interest, allocation ------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositLine:
    """One line of a bank statement: a deposit into a unit's sub-ledger."""

    unit_id: uuid.UUID
    amount: int
    bank_ref: str


#: Deposits per ``deposit`` transaction.
MAX_DEPOSITS = 200


async def deposit(
    session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, *, unit_id: uuid.UUID, amount: int, bank_ref: str, actor: str
) -> FundEntry:
    """Record an owner's deposit (缴存) into the unit's sub-ledger; the bank reference's sha256 goes on chain."""
    entry = (await _deposit_lines(session, runtime, tenant_id, [DepositLine(unit_id, amount, bank_ref)], actor=actor))[0]
    await _audit(session, actor, "deposited", entry.id, amount=entry.amount, unit=str(entry.unit_id))
    return entry


async def deposit_batch(session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, lines: Sequence[DepositLine], *, actor: str) -> list[FundEntry]:
    """Record deposits of one community (a bank statement) in one ``deposit`` transaction.

    Every line is validated before anything is written: a bad line refuses the whole batch."""
    entries = await _deposit_lines(session, runtime, tenant_id, lines, actor=actor)
    await _audit(session, actor, "deposited", entries[0].id, count=len(entries), amount=sum(e.amount for e in entries))
    return entries


async def _deposit_lines(session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, lines: Sequence[DepositLine], *, actor: str) -> list[FundEntry]:
    if not lines or len(lines) > MAX_DEPOSITS:
        raise BadUserInput(f"a batch holds 1 to {MAX_DEPOSITS} deposits", field="deposits")
    parsed = [parse_input(Deposit, amount_fen=x.amount, bank_ref=x.bank_ref) for x in lines]
    checked = [(d.amount_fen, d.bank_ref) for d in parsed]
    refs = [r for _, r in checked]
    if len(set(refs)) != len(refs):
        raise Conflict("a bank reference appears twice in the batch", field="bankRef", reason="duplicate_bank_ref")
    units = [await get_unit(session, x.unit_id) for x in lines]
    community_id = units[0].community_id
    if any(u.community_id != community_id for u in units):
        raise BadUserInput("a batch holds the deposits of one community", field="unitId", reason="mixed_communities")
    for u in units:
        if u.registered_area <= 0:
            raise BadUserInput(f"unit {u.number} has no registered area, so it is not in the owners' registry", field="unitId", reason="no_registered_area", unit=u.number)
    duplicate = await session.scalar(
        select(FundEntry.reference).where(FundEntry.community_id == community_id, FundEntry.kind == "deposit", FundEntry.reference.in_(refs))
    )
    if duplicate is not None:
        raise Conflict(f"the bank reference {duplicate} is already recorded", field="bankRef", reason="duplicate_bank_ref", bankRef=duplicate)
    account = await account_of(session, community_id)
    reg = await chain.ensure_registered(runtime, session, community_id)
    entries: list[FundEntry] = []
    for unit, (amount, bank_ref) in zip(units, checked, strict=True):
        ledger = await _ledger(session, unit, reg)
        if ledger.balance + amount > MAX_AMOUNT:
            raise BadUserInput("the sub-ledger would exceed its maximum balance", field="amountFen")
        first = ledger.first_deposit == 0
        if first:
            ledger.first_deposit = amount
            ledger.holder_key = await _holder_key(session, unit.id)
        ledger.balance += amount
        ledger.top_up_required = _below_top_up_line(ledger.balance, ledger.first_deposit)
        account.fund_balance += amount
        account.sub_ledger_total += amount
        entries.append(_entry(
            session, community_id=community_id, unit_id=unit.id, kind="deposit", amount=amount, balance_after=ledger.balance,
            reference=bank_ref, reference_hash=chain.sha256_hex(bank_ref), actor=actor,
        ))
        await session.flush()
        await _publish(runtime, session, tenant_id, EVENT_DEPOSITED, {"unit_id": str(unit.id), "amount": amount, "first": first}, actor)
    intent = f"fund:deposit:{entries[0].id}"
    ids = {u.id: reg[u.id].chain_unit_id for u in units}
    for e in entries:
        e.intent = intent
    await chain.queue_fund_call(
        session, community_id=community_id, function="deposit",
        args=[[ids[e.unit_id] for e in entries], [e.amount for e in entries], [e.reference_hash for e in entries]], intent=intent,  # type: ignore[index]
    )
    await session.flush()
    return entries


async def record_interest(
    session: AsyncSession, runtime: Runtime, *, community_id: uuid.UUID, amount: int, bank_ref: str, actor: str
) -> FundEntry:
    """Record bank interest (利息) into the unallocated pool; :func:`allocate` credits it to the units."""
    spec = parse_input(Deposit, amount_fen=amount, bank_ref=bank_ref)
    amount, bank_ref = spec.amount_fen, spec.bank_ref
    account = await account_of(session, community_id)
    await chain.ensure_registered(runtime, session, community_id)
    account.fund_balance += amount
    account.unallocated += amount
    ref_hash = chain.sha256_hex(bank_ref)
    entry = _entry(session, community_id=community_id, kind="interest", amount=amount, reference=bank_ref, reference_hash=ref_hash, actor=actor)
    await session.flush()
    entry.intent = f"fund:interest:{entry.id}"
    await chain.queue_fund_call(session, community_id=community_id, function="recordInterest", args=[amount, ref_hash], intent=entry.intent)
    await session.flush()
    await _audit(session, actor, "interest_recorded", entry.id, amount=entry.amount)
    return entry


@dataclass(frozen=True)
class AllocationResult:
    round_no: int
    #: Taken from the pool by the round; ``carried`` of it went back (floors only, see apportionment).
    amount: int
    unit_count: int
    total_area: int
    carried: int = 0


async def allocate(session: AsyncSession, runtime: Runtime, *, community_id: uuid.UUID, actor: str) -> AllocationResult:
    """Credit the whole unallocated pool to every registered unit of the community by area (one round),
    in registry order, exactly as ``startAllocation`` / ``continueAllocation`` do: each unit the floor of
    its quota, the fen left over back to the pool."""
    account = await account_of(session, community_id)
    amount = account.unallocated
    if amount <= 0:
        raise BadUserInput("there is no interest or revenue waiting to be allocated", field="communityId")
    reg = await chain.ensure_registered(runtime, session, community_id)
    total_area = sum(r.area for r in reg.values())
    if total_area <= 0:
        raise BadUserInput("the community has no registered area to allocate by", field="communityId")
    units = (await session.scalars(select(Unit).where(Unit.id.in_(list(reg))))).all()
    by_id = {u.id: u for u in units}
    shares, carried = allocate_by_area(amount, [(uid, r.chain_unit_id, r.area) for uid, r in reg.items()])
    account.allocation_rounds += 1
    round_no = account.allocation_rounds
    for s in shares:
        ledger = await _ledger(session, by_id[s.key], reg)  # type: ignore[index]
        if s.share == 0:
            continue  # the contract emits nothing for a zero share either
        ledger.balance += s.share
        ledger.top_up_required = _below_top_up_line(ledger.balance, ledger.first_deposit)
        _entry(
            session, community_id=community_id, unit_id=ledger.unit_id, kind="allocation", amount=s.share, balance_after=ledger.balance,
            reference=f"round {round_no}", actor=actor,
        )
    account.unallocated = carried
    account.sub_ledger_total += amount - carried
    prefix = f"fund:alloc:{community_id}:{round_no}"
    await chain.queue_fund_call(session, community_id=community_id, function="startAllocation", args=[], intent=f"{prefix}:start")
    for k in range(0, max(len(units), 1), ALLOCATION_CHUNK):
        await chain.queue_fund_call(
            session, community_id=community_id, function="continueAllocation", args=[ALLOCATION_CHUNK], intent=f"{prefix}:continue:{k // ALLOCATION_CHUNK}"
        )
    await session.flush()
    await _audit(session, actor, "allocated", community_id, round=round_no, amount=amount)
    return AllocationResult(round_no, amount, len(units), total_area, carried)


# -- apportionment over the units concerned ------------------------------------------------------------------


@dataclass(frozen=True)
class UnitShare:
    """A unit's part of a disbursement, with the balance it has now (to show a shortfall before the vote)."""

    unit: Unit
    chain_unit_id: int
    area: int
    share: int
    balance: int

    @property
    def shortfall(self) -> int:
        return max(0, self.share - self.balance)


async def concerned_units(
    session: AsyncSession, community_id: uuid.UUID, unit_ids: Sequence[uuid.UUID] = (), building_ids: Sequence[uuid.UUID] = ()
) -> list[Unit]:
    """The units a cost is shared by: the given units plus every unit of the given buildings (of this community)."""
    if not unit_ids and not building_ids:
        raise BadUserInput("name the units or buildings that share the cost", field="unitIds")
    found: dict[uuid.UUID, Unit] = {}
    if unit_ids:
        rows = (await session.scalars(select(Unit).where(Unit.id.in_(list(unit_ids))))).all()
        if len(rows) != len(set(unit_ids)) or any(u.community_id != community_id for u in rows):
            raise NotFound("a unit is unknown or not in this community", field="unitIds")
        found.update((u.id, u) for u in rows)
    if building_ids:
        buildings = (await session.scalars(select(Building).where(Building.id.in_(list(building_ids))))).all()
        if len(buildings) != len(set(building_ids)) or any(b.community_id != community_id for b in buildings):
            raise NotFound("a building is unknown or not in this community", field="buildingIds")
        rows = (await session.scalars(select(Unit).where(Unit.building_id.in_(list(building_ids))))).all()
        found.update((u.id, u) for u in rows)
    if not found:
        raise BadUserInput("the buildings named have no units", field="buildingIds")
    return list(found.values())


async def preview_apportionment(
    session: AsyncSession, community_id: uuid.UUID, amount: int, units: Sequence[Unit], reg: dict[uuid.UUID, chain.RegisteredUnit] | None = None
) -> list[UnitShare]:
    """Each unit's share of ``amount`` by registered area, exactly as ``MaintenanceFund`` will debit it.

    ``reg`` is the registry (ids and areas); by default the planned one (:func:`chain.planned_units`), which
    writes nothing, so a preview can run in a query.
    """
    amount = parse_input(Amount, amount_fen=amount).amount_fen
    reg = reg if reg is not None else await chain.planned_units(session, community_id)
    units = [u for u in units if u.registered_area > 0 or u.id in reg]
    for u in units:
        _registered(u, reg)
    if not units or sum(reg[u.id].area for u in units) <= 0:
        raise BadUserInput("the units concerned have no registered area", field="unitIds")
    by_id = {u.id: u for u in units}
    balances = dict(
        (await session.execute(select(FundSubLedger.unit_id, FundSubLedger.balance).where(FundSubLedger.unit_id.in_(list(by_id))))).all()
    )
    return [
        UnitShare(unit=by_id[s.key], chain_unit_id=s.chain_unit_id, area=s.area, share=s.share, balance=balances.get(s.key, 0))  # type: ignore[index]
        for s in apportion(amount, [(u.id, reg[u.id].chain_unit_id, reg[u.id].area) for u in units])
    ]


async def shares_for_proposal(session: AsyncSession, proposal_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Apportioned share per unit of the disbursement awaiting (or executed by) ``proposal_id``: for the
    governance plugin's ``myUnits.estimatedCostFen``. Empty when no disbursement names the proposal."""
    d = await session.scalar(
        select(FundDisbursement).where(FundDisbursement.proposal_id == proposal_id, FundDisbursement.status != "cancelled")
    )
    if d is None:
        return {}
    rows = await session.execute(
        select(FundDisbursementShare.unit_id, FundDisbursementShare.share).where(FundDisbursementShare.disbursement_id == d.id)
    )
    return dict(rows.all())  # type: ignore[arg-type]


# -- disbursements --------------------------------------------------------------------------------------------


async def _proposal_free(session: AsyncSession, proposal_id: uuid.UUID, disbursement_id: uuid.UUID | None = None) -> None:
    """A vote authorises one disbursement (the contract marks the proposal Executed when it pays)."""
    other = await session.scalar(
        select(FundDisbursement.id).where(
            FundDisbursement.proposal_id == proposal_id, FundDisbursement.status != "cancelled", FundDisbursement.id != disbursement_id
        )
    )
    if other is not None:
        raise Conflict("another disbursement request is already tied to this proposal", field="proposalId", reason="proposal_taken")


async def _check_proposal(runtime: Runtime, session: AsyncSession, proposal_id: uuid.UUID, community_id: uuid.UUID, matter: str) -> chain.ProposalFacts:
    facts = await chain.proposal_facts(runtime, session, proposal_id)
    if facts is None:
        raise NotFound("no such proposal", field="proposalId")
    if facts.community_id != community_id:
        raise BadUserInput("the proposal is about another community", field="proposalId", reason="other_community")
    if facts.matter != matter:
        raise BadUserInput(f"the proposal's matter must be {matter.upper()}", field="proposalId", reason="wrong_matter", matter=matter.upper())
    return facts


async def request_disbursement(
    session: AsyncSession, runtime: Runtime, *, community_id: uuid.UUID, title: str, amount: int, payee: str,
    unit_ids: Sequence[uuid.UUID] = (), building_ids: Sequence[uuid.UUID] = (), proposal_id: uuid.UUID | None = None, actor: str,
) -> FundDisbursement:
    """A use of the fund to put to the owners' vote, with its apportionment per unit fixed for the notice."""
    spec = parse_input(Disbursement, title=title, payee=payee, amount_fen=amount)
    title, payee, amount = spec.title, spec.payee, spec.amount_fen
    await account_of(session, community_id)
    units = await concerned_units(session, community_id, unit_ids, building_ids)
    await preview_apportionment(session, community_id, amount, units)  # validates before anything is written
    if proposal_id is not None:
        await _check_proposal(runtime, session, proposal_id, community_id, "use_fund")
        await _proposal_free(session, proposal_id)
    shares = await preview_apportionment(session, community_id, amount, units, await chain.ensure_registered(runtime, session, community_id))
    d = FundDisbursement(
        community_id=community_id, kind="voted", title=title, amount=amount, payee=payee, payee_hash=chain.sha256_hex(payee),
        proposal_id=proposal_id, status="awaiting_vote", requested_by=actor,
    )
    session.add(d)
    await session.flush()
    for s in shares:
        session.add(FundDisbursementShare(disbursement_id=d.id, unit_id=s.unit.id, chain_unit_id=s.chain_unit_id, area=s.area, share=s.share))
    await session.flush()
    await _audit(session, actor, "disbursement_requested", d.id, amount=d.amount)
    return d


async def get_disbursement(session: AsyncSession, disbursement_id: uuid.UUID) -> FundDisbursement:
    d = await session.scalar(select(FundDisbursement).where(FundDisbursement.id == disbursement_id))
    if d is None:
        raise NotFound("no such disbursement", field="id")
    return d


async def attach_proposal(
    session: AsyncSession, runtime: Runtime, *, disbursement_id: uuid.UUID, proposal_id: uuid.UUID, actor: str
) -> FundDisbursement:
    """Tie a disbursement request to the USE_FUND proposal that puts it to the vote."""
    d = await get_disbursement(session, disbursement_id)
    if d.status != "awaiting_vote":
        raise Conflict(f"the disbursement is {d.status}", reason="disbursement_closed", disbursementStatus=d.status)
    await _check_proposal(runtime, session, proposal_id, d.community_id, "use_fund")
    await _proposal_free(session, proposal_id, d.id)
    d.proposal_id = proposal_id
    await session.flush()
    await _audit(session, actor, "disbursement_proposal_attached", d.id, proposal=str(d.proposal_id))
    return d


async def _check_balances(
    session: AsyncSession, community_id: uuid.UUID, amount: int, units: Sequence[Unit], reg: dict[uuid.UUID, chain.RegisteredUnit]
) -> list[UnitShare]:
    """The shares, or a CONFLICT naming the first unit whose sub-ledger cannot pay its share (as the contract)."""
    shares = await preview_apportionment(session, community_id, amount, units, reg)
    short = [s for s in shares if s.shortfall]
    if short:
        s = short[0]
        raise Conflict(
            f"unit {s.unit.number}'s sub-ledger holds {s.balance} fen, less than its share of {s.share} fen; "
            "the owner must top up first", field="amountFen",
            reason="insufficient_balance", unit=s.unit.number, balanceFen=s.balance, shareFen=s.share,
        )
    return shares


async def _debit(
    session: AsyncSession, d: FundDisbursement, units: Sequence[Unit], reg: dict[uuid.UUID, chain.RegisteredUnit], *, kind: str, actor: str
) -> list[UnitShare]:
    """Apportion ``d.amount`` over ``units`` and debit their sub-ledgers; refuses (writing nothing) a shortfall."""
    shares = await _check_balances(session, d.community_id, d.amount, units, reg)
    account = await account_of(session, d.community_id)
    ledgers = {r.unit_id: r for r in await session.scalars(select(FundSubLedger).where(FundSubLedger.unit_id.in_([s.unit.id for s in shares])))}
    for s in shares:
        ledger = ledgers[s.unit.id]
        ledger.balance -= s.share
        ledger.top_up_required = _below_top_up_line(ledger.balance, ledger.first_deposit)
        _entry(
            session, community_id=d.community_id, unit_id=s.unit.id, kind=kind, amount=s.share, balance_after=ledger.balance,
            reference=d.payee, reference_hash=d.payee_hash, disbursement_id=d.id, actor=actor,
        )
    account.fund_balance -= d.amount
    account.sub_ledger_total -= d.amount
    return shares


async def execute_disbursement(session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, *, disbursement_id: uuid.UUID, actor: str) -> FundDisbursement:
    """Pay a voted disbursement once its proposal is final: debit the units and queue ``disburse``."""
    d = await get_disbursement(session, disbursement_id)
    if d.kind != "voted" or d.status != "awaiting_vote":
        raise Conflict(f"the disbursement is {d.status}", reason="disbursement_closed", disbursementStatus=d.status)
    if d.proposal_id is None:
        raise Conflict("the disbursement has no owners' proposal: attach the USE_FUND proposal first", field="proposalId", reason="no_proposal")
    facts = await _check_proposal(runtime, session, d.proposal_id, d.community_id, "use_fund")
    if facts.status != "final":
        raise Conflict(f"the proposal is {facts.status}, not final: the fund pays only after the objection period", field="proposalId", reason="proposal_not_final", proposalStatus=facts.status)
    if not facts.chain_proposal_id:
        raise Conflict("the proposal is not on chain", field="proposalId", reason="proposal_not_on_chain")
    rows = (await session.scalars(select(FundDisbursementShare).where(FundDisbursementShare.disbursement_id == d.id))).all()
    units = (await session.scalars(select(Unit).where(Unit.id.in_([r.unit_id for r in rows])))).all()
    shares = await _debit(session, d, units, await chain.ensure_registered(runtime, session, d.community_id), kind="disbursement", actor=actor)
    # Areas may have been corrected since the notice: the contract apportions with today's areas, so do we.
    by_unit = {r.unit_id: r for r in rows}
    for s in shares:
        by_unit[s.unit.id].share, by_unit[s.unit.id].area = s.share, s.area
    d.chain_proposal_id = facts.chain_proposal_id
    d.status = "executed"
    d.executed_at = utcnow()
    await chain.queue_fund_call(
        session, community_id=d.community_id, function="disburse",
        args=[facts.chain_proposal_id, [s.chain_unit_id for s in shares], d.amount, d.payee_hash], intent=f"fund:disburse:{d.id}",
    )
    await _publish(runtime, session, tenant_id, EVENT_DISBURSED, {"disbursement_id": str(d.id), "proposal_id": str(d.proposal_id), "amount": d.amount}, actor)
    await _top_up_events(session, runtime, tenant_id, shares, actor)
    await session.flush()
    await _audit(session, actor, "disbursed", d.id, amount=d.amount, proposal=str(d.proposal_id))
    return d


async def _top_up_events(session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, shares: list[UnitShare], actor: str) -> None:
    ledgers = (await session.scalars(select(FundSubLedger).where(FundSubLedger.unit_id.in_([s.unit.id for s in shares])))).all()
    for ledger in ledgers:
        if ledger.top_up_required:
            await _publish(runtime, session, tenant_id, EVENT_TOP_UP, {"unit_id": str(ledger.unit_id), "balance": ledger.balance}, actor)


async def emergency_disbursement(
    session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, *, community_id: uuid.UUID, title: str, amount: int, payee: str,
    disclosure: str, unit_ids: Sequence[uuid.UUID] = (), building_ids: Sequence[uuid.UUID] = (), actor: str,
) -> FundDisbursement:
    """Emergency use by the owners' committee (Art. 281 para. 2): paid at once, with a mandatory disclosure."""
    spec = parse_input(EmergencyDisbursement, title=title, payee=payee, amount_fen=amount, disclosure=disclosure)
    title, payee, amount, disclosure = spec.title, spec.payee, spec.amount_fen, spec.disclosure
    account = await account_of(session, community_id)
    units = await concerned_units(session, community_id, unit_ids, building_ids)
    reg = await chain.ensure_registered(runtime, session, community_id)
    await _check_balances(session, community_id, amount, units, reg)
    d = FundDisbursement(
        community_id=community_id, kind="emergency", title=title, amount=amount, payee=payee, payee_hash=chain.sha256_hex(payee),
        disclosure=disclosure, disclosure_hash=chain.sha256_hex(disclosure), status="executed", requested_by=actor,
    )
    session.add(d)
    await session.flush()
    shares = await _debit(session, d, units, reg, kind="emergency", actor=actor)
    account.emergency_count += 1
    d.emergency_no = account.emergency_count
    d.executed_at = utcnow()
    for s in shares:
        session.add(FundDisbursementShare(disbursement_id=d.id, unit_id=s.unit.id, chain_unit_id=s.chain_unit_id, area=s.area, share=s.share))
    await chain.queue_fund_call(
        session, community_id=community_id, function="emergencyDisburse",
        args=[[s.chain_unit_id for s in shares], amount, d.payee_hash, d.disclosure_hash], intent=f"fund:emergency:{d.id}",
    )
    await _publish(runtime, session, tenant_id, EVENT_EMERGENCY, {"disbursement_id": str(d.id), "amount": amount, "disclosure_hash": d.disclosure_hash}, actor)
    await _top_up_events(session, runtime, tenant_id, shares, actor)
    await session.flush()
    await _audit(session, actor, "emergency_disbursed", d.id, amount=d.amount, disclosure_hash=d.disclosure_hash)
    return d


async def cancel_disbursement(session: AsyncSession, *, disbursement_id: uuid.UUID, actor: str) -> FundDisbursement:
    """Withdraw a request that has not been paid (the vote failed or the works were dropped)."""
    d = await get_disbursement(session, disbursement_id)
    if d.status != "awaiting_vote":
        raise Conflict(f"the disbursement is {d.status}", reason="disbursement_closed", disbursementStatus=d.status)
    d.status = "cancelled"
    await session.flush()
    await _audit(session, actor, "disbursement_cancelled", d.id)
    return d


# -- sale ----------------------------------------------------------------------------------------------------


async def transfer_sub_ledger(session: AsyncSession, runtime: Runtime, *, unit_id: uuid.UUID, deed_ref: str, actor: str) -> FundEntry:
    """After a sale, the sub-ledger (and its balance) follows the unit to its new owner."""
    deed_ref = parse_input(DeedTransfer, deed_ref=deed_ref).deed_ref
    unit = await get_unit(session, unit_id)
    ledger = await session.scalar(select(FundSubLedger).where(FundSubLedger.unit_id == unit.id))
    if ledger is None:
        raise NotFound("this unit has no sub-ledger yet", field="unitId")
    # Mirrors the new owner into the registry first (``transferUnits`` is queued before ``transferSubLedger``).
    await chain.ensure_registered(runtime, session, unit.community_id)
    holder = await _holder_key(session, unit.id)
    if not holder or holder == ledger.holder_key:
        raise Conflict("the unit's owner has not changed: register the new ownership first", field="unitId")
    ledger.holder_key = holder
    ref_hash = chain.sha256_hex(deed_ref)
    entry = _entry(
        session, community_id=unit.community_id, unit_id=unit.id, kind="transfer", amount=ledger.balance, balance_after=ledger.balance,
        reference=deed_ref, reference_hash=ref_hash, actor=actor,
    )
    await session.flush()
    entry.intent = f"fund:transfer:{entry.id}"
    await chain.queue_fund_call(session, community_id=unit.community_id, function="transferSubLedger", args=[ledger.chain_unit_id, ref_hash], intent=entry.intent)
    await session.flush()
    await _audit(session, actor, "sub_ledger_transferred", entry.id, unit=str(entry.unit_id))
    return entry


# -- public revenue ------------------------------------------------------------------------------------------


async def receive_revenue(
    session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, *, community_id: uuid.UUID, source: str, amount: int, source_ref: str,
    actor: str, received_at: datetime | None = None,
) -> FundRevenueReceipt:
    """Record a public revenue receipt (elevator ads, parking, venue rental) split by the ratio in force."""
    spec = parse_input(RevenueReceipt, source=source, amount_fen=amount, source_ref=source_ref)
    source, amount, source_ref = spec.source, spec.amount_fen, spec.source_ref
    account = await account_of(session, community_id)
    await chain.ensure_registered(runtime, session, community_id)
    to_fund, to_welfare = revenue_split(amount, account.revenue_fund_bps)
    ref_hash = chain.sha256_hex(source_ref)
    receipt = FundRevenueReceipt(
        community_id=community_id, source=source, amount=amount, to_fund=to_fund, to_welfare=to_welfare, fund_bps=account.revenue_fund_bps,
        source_ref=source_ref, source_ref_hash=ref_hash, received_at=received_at or utcnow(),
    )
    session.add(receipt)
    account.revenue_received += amount
    account.welfare_balance += to_welfare
    account.fund_balance += to_fund
    account.unallocated += to_fund
    await session.flush()
    _entry(
        session, community_id=community_id, kind="revenue", amount=amount, reference=f"{source}: {source_ref}", reference_hash=ref_hash,
        intent=f"fund:revenue:{receipt.id}", actor=actor,
    )
    await chain.queue_fund_call(session, community_id=community_id, function="receiveRevenue", args=[amount, ref_hash], intent=f"fund:revenue:{receipt.id}")
    await _publish(runtime, session, tenant_id, EVENT_REVENUE, {"receipt_id": str(receipt.id), "amount": amount, "to_fund": to_fund, "to_welfare": to_welfare}, actor)
    await session.flush()
    await _audit(
        session, actor, "revenue_received", receipt.id,
        amount=receipt.amount, to_fund=receipt.to_fund, to_welfare=receipt.to_welfare, fund_bps=receipt.fund_bps,
    )
    return receipt


async def apply_revenue_ratio(session: AsyncSession, runtime: Runtime, *, proposal_id: uuid.UUID, fund_bps: int, actor: str) -> FundAccount:
    """Apply the revenue split the owners voted (a Final matter-9 proposal binding that exact figure)."""
    if isinstance(fund_bps, bool) or not isinstance(fund_bps, int) or not 0 <= fund_bps <= BPS:
        raise BadUserInput("the fund's share is 0–10000 basis points", field="fundBps")
    facts = await chain.proposal_facts(runtime, session, proposal_id)
    if facts is None:
        raise NotFound("no such proposal", field="proposalId")
    if facts.matter != "other":
        raise BadUserInput("a revenue ratio is voted as an OTHER matter (Art. 278 item 9)", field="proposalId")
    if facts.status != "final":
        raise Conflict(f"the proposal is {facts.status}, not final", field="proposalId")
    if not facts.chain_proposal_id:
        raise Conflict("the proposal is not on chain", field="proposalId")
    account = await account_of(session, facts.community_id)
    await chain.ensure_registered(runtime, session, facts.community_id)
    if account.ratio_proposal_id == proposal_id:
        raise Conflict("this proposal's ratio is already applied", field="proposalId")
    account.revenue_fund_bps = fund_bps
    account.ratio_proposal_id = proposal_id
    _entry(session, community_id=facts.community_id, kind="ratio", amount=0, reference=f"fund {fund_bps} bp, welfare {BPS - fund_bps} bp", actor=actor,
           intent=f"fund:ratio:{proposal_id}")
    await chain.queue_fund_call(
        session, community_id=facts.community_id, function="setRevenueRatio", args=[facts.chain_proposal_id, fund_bps], intent=f"fund:ratio:{proposal_id}"
    )
    await session.flush()
    await _audit(session, actor, "revenue_ratio_applied", account.community_id, fund_bps=fund_bps, proposal=str(account.ratio_proposal_id))
    return account


# -- statements ----------------------------------------------------------------------------------------------


async def sub_ledger_of(session: AsyncSession, unit_id: uuid.UUID) -> FundSubLedger | None:
    return await session.scalar(select(FundSubLedger).where(FundSubLedger.unit_id == unit_id))


async def entry_totals(session: AsyncSession, community_id: uuid.UUID) -> dict[str, int]:
    """Sum of the amounts per kind of flow (for the community statement)."""
    rows = await session.execute(
        select(FundEntry.kind, func.coalesce(func.sum(FundEntry.amount), 0)).where(FundEntry.community_id == community_id).group_by(FundEntry.kind)
    )
    return {k: int(v) for k, v in rows.all()}
