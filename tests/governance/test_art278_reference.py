"""The outcome on chain equals an independent Art. 278 reference, on small random communities and on the
exact thresholds. Person keys come from ``tenants.estate.voting`` (the counting rules), each key is one
address in the registry, as the governance plugin registers them. Embedded EVM (the contract suite runs the
same properties on anvil)."""

from __future__ import annotations

import random
import time
import uuid
from fractions import Fraction

import pytest
import pytest_asyncio
from eth_account import Account

from kernel.chain import ChainClient, devchain
from plugins.governance import art278
from plugins.governance.ballots import sign_ballot
from plugins.governance.models import MATTERS
from tenants.estate.voting import VotingUnit, person_key_for, totals
from tests.contracts.contract_helpers import deploy_community

SUPER = {"RAISE_FUND", "REBUILD", "COMMON_PARTS_CHANGE"}


def reference(matter: str, units: list[VotingUnit], votes: dict[str, int]) -> str:
    """Art. 278 with fractions, written independently of the contract and of ``art278.py``."""
    area_of: dict[str, int] = {}
    for u in units:
        area_of[u.person_key] = area_of.get(u.person_key, 0) + u.area
    total_area, total_persons = sum(area_of.values()), len(area_of)
    part = [k for k in votes if k in area_of]
    part_area, part_persons = sum(area_of[k] for k in part), len(part)
    if Fraction(part_area, total_area) < Fraction(2, 3) or Fraction(part_persons, total_persons) < Fraction(2, 3):
        return "DefeatedNoQuorum"
    yes = [k for k in part if votes[k] == 1]
    yes_area, yes_persons = sum(area_of[k] for k in yes), len(yes)
    if matter in SUPER:
        ok = Fraction(yes_area, part_area) >= Fraction(3, 4) and Fraction(yes_persons, part_persons) >= Fraction(3, 4)
    else:
        ok = Fraction(yes_area, part_area) > Fraction(1, 2) and Fraction(yes_persons, part_persons) > Fraction(1, 2)
    return "Succeeded" if ok else "Defeated"


def random_community(rng: random.Random) -> tuple[str, list[VotingUnit], dict[str, int]]:
    buyers = [uuid.uuid4() for _ in range(rng.randint(2, 6))]
    units = []
    for _ in range(rng.randint(3, 9)):
        r = rng.random()
        if r < 0.15:
            key = person_key_for(False, [])  # unsold: the developer
        elif r < 0.3:
            key = person_key_for(True, rng.sample(buyers, 2))  # co-owned
        else:
            key = person_key_for(True, [rng.choice(buyers)])  # possibly a multi-unit buyer
        units.append(VotingUnit(uuid.uuid4(), rng.choice((1, 50, 4512, 8963, 14320, 90000)), key))
    keys = sorted({u.person_key for u in units})
    votes = {k: rng.choice((0, 1, 1, 2)) for k in keys if rng.random() < 0.85}
    return rng.choice(MATTERS), units, votes


def threshold_cases() -> list[tuple[str, list[VotingUnit], dict[str, int]]]:
    def community(areas: list[int]) -> list[VotingUnit]:
        return [VotingUnit(uuid.uuid4(), a, f"p{i}") for i, a in enumerate(areas)]

    three = community([100, 100, 100])
    four = community([100, 100, 100, 100])
    return [
        ("OTHER", three, {"p0": 1, "p1": 0}),  # exactly 2/3 participate; 1 of 2 for = not more than half
        ("OTHER", three, {"p0": 1, "p1": 1}),  # exactly 2/3 participate, all for
        ("OTHER", three, {"p0": 1}),  # 1/3 participate
        ("RAISE_FUND", four, {"p0": 1, "p1": 1, "p2": 1, "p3": 0}),  # exactly 3/4 for: passes items 6-8
        ("USE_FUND", four, {"p0": 1, "p1": 1, "p2": 0, "p3": 0}),  # exactly half: fails
        ("REBUILD", community([300, 100, 100, 100]), {"p0": 1, "p1": 1, "p2": 0, "p3": 2}),  # 3/4 area, 1/2 persons
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def embedded() -> ChainClient:
    client = await ChainClient.connect(None)
    community = await deploy_community(client, objection_period=60)
    snap = await devchain.snapshot(client)
    return client, community, snap  # type: ignore[return-value]


CASES = threshold_cases() + [random_community(random.Random(seed)) for seed in range(14)]


@pytest.mark.parametrize("case", range(len(CASES)))
async def test_chain_outcome_equals_reference(embedded, case: int) -> None:  # type: ignore[no-untyped-def]
    client, community, snap = embedded
    await devchain.revert(client, snap)  # eth-tester snapshots can be reverted to repeatedly
    matter, units, votes = CASES[case]
    expected = reference(matter, units, votes)
    # The plugin's integer rules agree with the fraction reference.
    t = totals(units)
    area_of: dict[str, int] = {}
    for u in units:
        area_of[u.person_key] = area_of.get(u.person_key, 0) + u.area
    sums = {s: (sum(area_of[k] for k, v in votes.items() if v == s), sum(1 for v in votes.values() if v == s)) for s in (0, 1, 2)}
    assert art278.outcome(matter, t.area, t.persons, sums[1][0], sums[0][0], sums[2][0], sums[1][1], sums[0][1], sums[2][1]) == expected

    keys = {k: Account.create() for k in sorted(area_of)}
    await client.transact(community.registry.functions.registerUnits([keys[u.person_key].address for u in units], [u.area for u in units], [1] * len(units)))
    now = max(await devchain.latest_timestamp(client), int(time.time()))
    await client.transact(community.governance.functions.propose(MATTERS.index(matter), 0, now + 2, now + 1000, b"\x01" * 32))
    pid = await client.call(community.governance.functions.proposalCount())
    assert list(await client.call(community.registry.functions.totals(0))) == [t.area, t.persons]
    await devchain.increase_time(client, 5)
    ballots = [sign_ballot(keys[k].key, client.chain_id, community.governance.address, pid, v).as_tuple() for k, v in votes.items()]
    if ballots:
        await client.transact(community.governance.functions.castVotesBySig(ballots))
    await devchain.increase_time(client, 2000)
    await client.transact(community.governance.functions.publishResult(pid))
    state = await client.call(community.governance.functions.state(pid))
    assert {2: "DefeatedNoQuorum", 3: "Defeated", 4: "Succeeded"}[state] == expected, (matter, units, votes)
