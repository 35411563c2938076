"""MaintenanceFund and PublicRevenueAccount: sub-ledgers, allocation, voted and emergency disbursements."""

from __future__ import annotations

import pytest
import pytest_asyncio
from contract_helpers import (
    EXECUTED,
    OTHER,
    PROPERTY_FIRM,
    USE_FUND,
    World,
    deploy_world,
    events,
    new_accounts,
    one_event,
    pass_proposal,
    register,
    reverts,
)
from eth_abi import encode
from reference import allocation_floors, apportion

from kernel.chain import ChainClient

pytestmark = pytest.mark.asyncio(loop_scope="session")
AREAS = [10000, 20000, 30000, 15000, 25000]
REF = [bytes([i]) * 32 for i in range(1, 6)]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(chain):
    w = await deploy_world(chain)
    w.owners = new_accounts(5)
    await register(w, [o.address for o in w.owners], AREAS, [1, 1, 2, 2, 3])
    await w.tx(w.fund.functions.deposit([1, 2, 3, 4, 5], [100_00, 200_00, 300_00, 150_00, 250_00], REF))
    return w


@pytest_asyncio.fixture(loop_scope="session")
async def w(world, isolated):
    return world


async def balances(w: World) -> list[int]:
    return await w.call(w.fund.functions.balancesOf([1, 2, 3, 4, 5]))


async def assert_invariant(w: World) -> None:
    total = await w.call(w.fund.functions.subLedgerTotal())
    n = await w.call(w.registry.functions.unitCount())
    assert sum(await w.call(w.fund.functions.balancesOf(list(range(1, n + 1))))) == total
    assert total + await w.call(w.fund.functions.unallocated()) == await w.call(w.fund.functions.fundBalance())
    assert await w.call(w.fund.functions.ledgerBalanced())


async def test_deposits(w: World):
    receipt = await w.tx(w.fund.functions.deposit([1, 1], [50_00, 1], [REF[0], REF[1]]))
    assert events(receipt, w.fund, "Deposited") == [
        {"unitId": 1, "bankRef": REF[0], "amount": 50_00, "balance": 150_00},
        {"unitId": 1, "bankRef": REF[1], "amount": 1, "balance": 150_01},
    ]
    assert events(receipt, w.fund, "FirstDepositRecorded") == []
    assert await w.call(w.fund.functions.subLedger(1)) == [w.owners[0].address, 150_01, 100_00]
    await w.tx(w.registry.functions.registerUnits([w.owners[0].address], [5000], [1]))
    receipt = await w.tx(w.fund.functions.deposit([6], [77], [REF[2]]))
    assert one_event(receipt, w.fund, "FirstDepositRecorded") == {"unitId": 6, "holder": w.owners[0].address, "amount": 77}
    with reverts("FundLengthMismatch", 1, 2):
        await w.tx(w.fund.functions.deposit([1], [1, 2], [REF[0]]))
    with reverts("FundLengthMismatch", 1, 0):
        await w.tx(w.fund.functions.deposit([1], [1], []))
    with reverts("FundZeroAmount"):
        await w.tx(w.fund.functions.deposit([1], [0], [REF[0]]))
    with reverts("RegistryUnknownUnit", 99):
        await w.tx(w.fund.functions.deposit([99], [1], [REF[0]]))
    await assert_invariant(w)


async def test_interest_allocation_by_area_in_chunks(w: World):
    receipt = await w.tx(w.fund.functions.recordInterest(1001, REF[3]))
    assert one_event(receipt, w.fund, "InterestRecorded") == {"bankRef": REF[3], "amount": 1001}
    with reverts("FundNoAllocationInProgress"):
        await w.tx(w.fund.functions.continueAllocation(2))
    receipt = await w.tx(w.fund.functions.startAllocation())
    assert one_event(receipt, w.fund, "AllocationStarted") == {
        "roundId": 1, "amount": 1001, "totalArea": 100000, "unitCount": 5}
    with reverts("FundAllocationInProgress", 1):
        await w.tx(w.fund.functions.startAllocation())
    with reverts("RegistryAreasLocked", 1):
        await w.tx(w.registry.functions.correctUnitArea(1, 1))
    await assert_invariant(w)
    before = await balances(w)
    credited = []
    for chunk in (2, 2, 9):
        receipt = await w.tx(w.fund.functions.continueAllocation(chunk))
        credited += [(e["unitId"], e["amount"]) for e in events(receipt, w.fund, "SubLedgerCredited")]
        await assert_invariant(w)
    expected, carried = allocation_floors(1001, AREAS)  # each unit the floor of its quota
    assert one_event(receipt, w.fund, "AllocationCompleted") == {"roundId": 1, "amount": 1001, "carried": carried}
    assert credited == [(i + 1, s) for i, s in enumerate(expected) if s]
    assert [b - a for a, b in zip(before, await balances(w))] == expected
    assert await w.call(w.fund.functions.unallocated()) == carried  # the left-over fen wait for the next round
    assert await w.call(w.registry.functions.areaLocks()) == 0
    # the carried fen join the next round: 999 + 1 = 1000 fen credit exactly, nothing left
    await w.tx(w.fund.functions.recordInterest(999, REF[3]))
    await w.tx(w.fund.functions.startAllocation())
    receipt = await w.tx(w.fund.functions.continueAllocation(9))
    assert one_event(receipt, w.fund, "AllocationCompleted") == {"roundId": 2, "amount": 999 + carried, "carried": 0}
    with reverts("FundNothingToAllocate"):
        await w.tx(w.fund.functions.startAllocation())
    await assert_invariant(w)
    with reverts("FundZeroAmount"):
        await w.tx(w.fund.functions.recordInterest(0, REF[0]))


async def test_disbursement_against_final_use_fund_vote(w: World):
    pid = await pass_proposal(w, USE_FUND, w.owners)
    wrong = await pass_proposal(w, PROPERTY_FIRM, w.owners)
    pending = await pass_proposal(w, USE_FUND, w.owners, finalize=False)
    with reverts("FundWrongMatter", wrong, USE_FUND, PROPERTY_FIRM):
        await w.tx(w.fund.functions.disburse(wrong, [1, 2], 100, REF[0]))
    with reverts("FundProposalNotFinal", pending, 4):
        await w.tx(w.fund.functions.disburse(pending, [1, 2], 100, REF[0]))
    with reverts("FundUnitsNotAscending", 1, 1):
        await w.tx(w.fund.functions.disburse(pid, [2, 1], 100, REF[0]))
    with reverts("FundNoUnits"):
        await w.tx(w.fund.functions.disburse(pid, [], 100, REF[0]))
    with reverts("FundZeroAmount"):
        await w.tx(w.fund.functions.disburse(pid, [1], 0, REF[0]))
    with reverts("FundInsufficientUnitBalance", 1, 100_00, 100_01):
        await w.tx(w.fund.functions.disburse(pid, [1], 100_01, REF[0]))
    before = await balances(w)
    amount = 400_01  # over units 2, 3, 5 (areas 20000, 30000, 25000)
    receipt = await w.tx(w.fund.functions.disburse(pid, [2, 3, 5], amount, REF[4]))
    shares = apportion(amount, [20000, 30000, 25000])
    assert sum(shares) == amount
    assert [(e["unitId"], e["authority"], e["amount"]) for e in events(receipt, w.fund, "SubLedgerDebited")] == [
        (2, pid, shares[0]), (3, pid, shares[1]), (5, pid, shares[2])]
    assert one_event(receipt, w.fund, "FundDisbursed") == {
        "proposalId": pid, "amount": amount, "unitCount": 3, "payeeRef": REF[4]}
    assert one_event(receipt, w.governance, "ProposalExecuted") == {"proposalId": pid, "executor": w.fund.address}
    # 200_00 - 106_67 >= 30% of 200_00, but unit 3: 300_00 - 160_00 = 140_00 >= 90_00 — no top-up yet.
    assert events(receipt, w.fund, "TopUpRequired") == []
    after = await balances(w)
    assert [b - a for a, b in zip(after, before)] == [0, shares[0], shares[1], 0, shares[2]]
    assert await w.state(pid) == EXECUTED
    with reverts("FundProposalNotFinal", pid, EXECUTED):
        await w.tx(w.fund.functions.disburse(pid, [2], 1, REF[4]))
    await assert_invariant(w)


async def test_a_larger_unit_never_pays_less(w: World):
    """Units 3 (300 m²) and 4 (150 m²) share 1 fen: the larger one pays it (cumulative rounding charged
    the smaller one); equal remainders go to the lower unit id."""
    receipt = await w.tx(w.fund.functions.emergencyDisburse([3, 4], 1, REF[0], REF[1]))
    assert [(e["unitId"], e["amount"]) for e in events(receipt, w.fund, "SubLedgerDebited")] == [(3, 1), (4, 0)]
    assert apportion(1, [30000, 15000]) == [1, 0]
    receipt = await w.tx(w.fund.functions.emergencyDisburse([1, 2, 3], 7, REF[0], REF[1]))  # quotas 7/6, 14/6, 21/6
    debited = [e["amount"] for e in events(receipt, w.fund, "SubLedgerDebited")]
    assert debited == apportion(7, [10000, 20000, 30000]) == [1, 2, 4]
    await assert_invariant(w)


async def test_emergency_use_discloses_and_flags_top_up(w: World):
    with reverts("FundDisclosureRequired"):
        await w.tx(w.fund.functions.emergencyDisburse([1], 1, REF[0], b"\x00" * 32))
    receipt = await w.tx(w.fund.functions.emergencyDisburse([1, 4], 200_00, REF[0], REF[1]))
    assert one_event(receipt, w.fund, "EmergencyDisbursed") == {
        "emergencyId": 1, "committee": w.client.address, "amount": 200_00, "unitCount": 2,
        "payeeRef": REF[0], "disclosureHash": REF[1]}
    # Unit 1 pays 80_00 (20_00 left < 30% of 100_00), unit 4 pays 120_00 (30_00 left >= 45_00? no: flagged).
    flags = events(receipt, w.fund, "TopUpRequired")
    assert flags == [
        {"unitId": 1, "holder": w.owners[0].address, "balance": 20_00, "firstDeposit": 100_00},
        {"unitId": 4, "holder": w.owners[3].address, "balance": 30_00, "firstDeposit": 150_00},
    ]
    assert await w.call(w.fund.functions.needsTopUp(1))
    assert not await w.call(w.fund.functions.needsTopUp(2))
    stranger = new_accounts(1)[0]
    await w.client.transfer_ether(stranger.address, 10**17)
    other = ChainClient(w.client.w3, stranger, w.client.chain_id, url=w.client.url)
    role = await w.call(w.fund.functions.COMMITTEE_ROLE())
    with reverts("AccessControlUnauthorizedAccount", stranger.address, role):
        await other.transact(w.fund.functions.emergencyDisburse([1], 1, REF[0], REF[1]))
    await assert_invariant(w)


async def test_sub_ledger_follows_unit_on_sale(w: World):
    buyer = new_accounts(1)[0]
    with reverts("FundSubLedgerHolderUnchanged", 2, w.owners[1].address):
        await w.tx(w.fund.functions.transferSubLedger(2, REF[0]))
    await w.tx(w.registry.functions.transferUnits([2], [buyer.address]))
    receipt = await w.tx(w.fund.functions.transferSubLedger(2, REF[2]))
    assert one_event(receipt, w.fund, "SubLedgerTransferred") == {
        "unitId": 2, "previousHolder": w.owners[1].address, "newHolder": buyer.address, "balance": 200_00,
        "deedRef": REF[2]}
    assert (await w.call(w.fund.functions.subLedger(2)))[0] == buyer.address


async def test_public_revenue_ratio_set_only_by_vote(w: World):
    receipt = await w.tx(w.fund.functions.receiveRevenue(1000, REF[0]))
    assert one_event(receipt, w.fund, "RevenueReceived") == {
        "sourceRef": REF[0], "amount": 1000, "toFund": 1000, "toWelfare": 0, "fundBps": 10000}
    ratio_hash = await w.call(w.fund.functions.revenueRatioHash(3000))
    assert ratio_hash == __import__("eth_utils").keccak(
        encode(["string", "uint256", "address", "uint16"], ["linli.revenue-ratio", w.client.chain_id, w.fund.address, 3000]))
    voted = await pass_proposal(w, OTHER, w.owners, content=ratio_hash)
    with reverts("FundRatioOutOfRange", 10001):
        await w.tx(w.fund.functions.setRevenueRatio(voted, 10001))
    with reverts("FundRatioNotVoted", voted, await w.call(w.fund.functions.revenueRatioHash(5000)), ratio_hash):
        await w.tx(w.fund.functions.setRevenueRatio(voted, 5000))
    receipt = await w.tx(w.fund.functions.setRevenueRatio(voted, 3000))
    assert one_event(receipt, w.fund, "RevenueRatioSet") == {"proposalId": voted, "fundBps": 3000, "welfareBps": 7000}
    receipt = await w.tx(w.fund.functions.receiveRevenue(1001, REF[1]))
    assert one_event(receipt, w.fund, "RevenueReceived") == {
        "sourceRef": REF[1], "amount": 1001, "toFund": 300, "toWelfare": 701, "fundBps": 3000}
    assert await w.call(w.fund.functions.welfareBalance()) == 701
    assert await w.call(w.fund.functions.revenueReceived()) == 2001
    assert await w.call(w.fund.functions.unallocated()) == 1300
    with reverts("FundInsufficientWelfare", 701, 702):
        await w.tx(w.fund.functions.spendWelfare(702, REF[2], REF[3]))
    with reverts("FundDisclosureRequired"):
        await w.tx(w.fund.functions.spendWelfare(1, REF[2], b"\x00" * 32))
    receipt = await w.tx(w.fund.functions.spendWelfare(700, REF[2], REF[3]))
    assert one_event(receipt, w.fund, "WelfareSpent") == {
        "committee": w.client.address, "amount": 700, "payeeRef": REF[2], "purposeHash": REF[3]}
    with reverts("FundProposalNotFinal", voted, EXECUTED):
        await w.tx(w.fund.functions.setRevenueRatio(voted, 3000))
    await assert_invariant(w)
