"""Property tests: the contracts against the independent reference model (reference.py).

Random communities with skewed areas, multi-unit owners, a developer holding many unsold units and co-owned
units (one designated address), random votes; plus communities built exactly on the 2/3, 3/4 and 1/2 bounds.
"""

from __future__ import annotations

import pytest
import pytest_asyncio
from contract_helpers import STATE_NAMES, World, deploy_world, events, register, rolled_back
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import Unit, allocation_floors, apportion, outcome, persons_and_area

from plugins.governance.ballots import sign_ballot

pytestmark = pytest.mark.asyncio(loop_scope="session")
KEYS = [Account.create() for _ in range(12)]
PROPERTY_SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True
)

areas = st.one_of(st.integers(1, 200), st.integers(5_000, 20_000), st.integers(100_000, 5_000_000))


@st.composite
def communities(draw):
    n_people = draw(st.integers(2, 10))
    units = []
    for person in range(n_people):
        if person == 0 and draw(st.booleans()):  # the developer: many unsold units, one person
            count = draw(st.integers(3, 8))
        else:
            count = draw(st.integers(1, 3))  # a buyer of several units, or a co-owned unit's designee
        for _ in range(count):
            units.append(Unit(KEYS[person].address, draw(areas), draw(st.integers(1, 3))))
    votes = {KEYS[p].address: draw(st.sampled_from([None, 0, 1, 2])) for p in range(n_people)}
    matter = draw(st.integers(1, 9))
    return units, {k: v for k, v in votes.items() if v is not None}, matter


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(chain):
    return await deploy_world(chain)


async def run_vote(w: World, units: list[Unit], votes: dict[str, int], matter: int) -> tuple[str, list[int]]:
    await register(w, [u.owner for u in units], [u.area for u in units], [u.building for u in units])
    pid = await w.propose(matter - 1)
    await w.open_voting()
    by_address = {k.address: k for k in KEYS}
    ballots = [sign_ballot(by_address[v].key, w.client.chain_id, w.governance.address, pid, s).as_tuple()
               for v, s in votes.items()]
    if ballots:
        await w.tx(w.governance.functions.castVotesBySig(ballots))
    await w.close_voting()
    await w.tx(w.governance.functions.publishResult(pid))
    return STATE_NAMES[await w.state(pid)], await w.call(w.governance.functions.proposal(pid))


@given(case=communities())
@PROPERTY_SETTINGS
async def test_outcome_matches_reference(world, case):
    units, votes, matter = case
    async with rolled_back(world.client):
        state, proposal = await run_vote(world, units, votes, matter)
    held, total_area = persons_and_area(units)
    assert proposal[8:10] == [total_area, len(held)]
    assert state == outcome(matter, held, votes)


def _equal(n: int, area: int = 1000) -> list[Unit]:
    return [Unit(KEYS[i].address, area, 1) for i in range(n)]


TIES = [
    # (name, units, votes, matter, expected)
    ("quorum exactly 2/3 persons and area", _equal(3), {KEYS[0].address: 1, KEYS[1].address: 1}, 4, "Succeeded"),
    ("quorum just under 2/3 area", [Unit(KEYS[0].address, 1000, 1), Unit(KEYS[1].address, 999, 1),
                                    Unit(KEYS[2].address, 1001, 1)], {KEYS[0].address: 1, KEYS[1].address: 1}, 4,
     "DefeatedNoQuorum"),
    ("exactly 3/4 for, item 6", _equal(4), {KEYS[i].address: (1 if i < 3 else 0) for i in range(4)}, 6, "Succeeded"),
    ("3/4 persons but area just under, item 7", _equal(3) + [Unit(KEYS[3].address, 1001, 1)],
     {KEYS[i].address: (1 if i < 3 else 0) for i in range(4)}, 7, "Defeated"),
    ("exactly 1/2 for is not more than half", _equal(4), {KEYS[i].address: (1 if i < 2 else 0) for i in range(4)}, 4,
     "Defeated"),
    ("abstain participates but does not agree", _equal(3), {KEYS[0].address: 1, KEYS[1].address: 2}, 1, "Defeated"),
    ("developer's many units: one person", [Unit(KEYS[0].address, 300, 1) for _ in range(5)] + _equal(3)[1:],
     {KEYS[0].address: 1, KEYS[1].address: 1}, 9, "Succeeded"),
    ("half plus one fen of area and persons > 1/2", [Unit(KEYS[0].address, 501, 1), Unit(KEYS[1].address, 500, 1),
                                                      Unit(KEYS[2].address, 1, 1)],
     {KEYS[0].address: 1, KEYS[1].address: 0, KEYS[2].address: 1}, 4, "Succeeded"),
]


@pytest.mark.parametrize("name,units,votes,matter,expected", TIES, ids=[t[0] for t in TIES])
async def test_threshold_ties(world, name, units, votes, matter, expected):
    held, _ = persons_and_area(units)
    assert outcome(matter, held, votes) == expected  # the reference agrees with the legal reading
    async with rolled_back(world.client):
        state, _ = await run_vote(world, units, votes, matter)
    assert state == expected


@given(weights=st.lists(st.one_of(st.integers(1, 50), st.integers(1_000, 3_000_000)), min_size=1, max_size=25),
       amount=st.integers(1, 10**9))
@PROPERTY_SETTINGS
async def test_apportionment_matches_reference(world, weights, amount):
    w = world
    n = len(weights)
    owner = KEYS[0].address
    async with rolled_back(w.client):
        await register(w, [owner] * n, weights, [1] * n)
        ids = list(range(1, n + 1))
        await w.tx(w.fund.functions.deposit(ids, [10**10] * n, [b"\x01" * 32] * n))
        receipt = await w.tx(w.fund.functions.emergencyDisburse(ids, amount, b"\x02" * 32, b"\x03" * 32))
        debited = [e["amount"] for e in events(receipt, w.fund, "SubLedgerDebited")]
        assert await w.call(w.fund.functions.ledgerBalanced())
    expected = apportion(amount, weights)
    assert debited == expected
    assert sum(debited) == amount  # no fen created or lost
    total = sum(weights)
    for share, weight in zip(debited, weights):  # quota rule: floor or ceiling of the exact quota
        assert amount * weight // total <= share <= -(-amount * weight // total)
    for (w1, s1), (w2, s2) in zip(sorted(zip(weights, debited)), sorted(zip(weights, debited))[1:]):
        assert w2 == w1 or s2 >= s1  # a larger unit never pays less


@given(weights=st.lists(st.integers(1, 2_000_000), min_size=1, max_size=20), amount=st.integers(1, 10**8),
       chunk=st.integers(3, 8))
@settings(max_examples=8, deadline=None, derandomize=True)
async def test_interest_allocation_matches_reference(world, weights, amount, chunk):
    w = world
    n = len(weights)
    async with rolled_back(w.client):
        await register(w, [KEYS[i % 5].address for i in range(n)], weights, [1] * n)
        await w.tx(w.fund.functions.recordInterest(amount, b"\x01" * 32))
        await w.tx(w.fund.functions.startAllocation())
        credited = [0] * n
        for _ in range(-(-n // chunk)):
            receipt = await w.tx(w.fund.functions.continueAllocation(chunk))
            for e in events(receipt, w.fund, "SubLedgerCredited"):
                credited[e["unitId"] - 1] += e["amount"]
        completed = events(receipt, w.fund, "AllocationCompleted")
        expected, carried = allocation_floors(amount, weights)
        assert [(e["amount"], e["carried"]) for e in completed] == [(amount, carried)]
        assert await w.call(w.fund.functions.unallocated()) == carried  # back in the pool
        assert await w.call(w.fund.functions.subLedgerTotal()) + carried == await w.call(w.fund.functions.fundBalance())
    assert credited == expected
