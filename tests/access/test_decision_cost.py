"""What one online QR decision costs in SQL statements (the gate-decision benchmark's path:
token, point, settings, blacklist, residence, the code remembered, the record, the commit) — a
budget that fails when a change adds round trips to the hot path (docs/benchmarks.md)."""

from __future__ import annotations

from tests.access.conftest import Reader
from tests.access.test_records_and_isolation import qr
from tests.fixtures.statements import counted, tally

#: Statements of one allowed QR decision at the gate on PostgreSQL (RLS on: 2 of them set the
#: tenant); 12 before the replay look-up and the separate settings read were folded in.
BUDGET = 10


async def test_a_qr_decision_stays_within_its_statement_budget(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    gate = Reader(gql, s.tokens["gate"])
    assert (await gate.ask("qr", qr(runtime, s, s.neighbour)))["allow"] is True  # warm caches
    async with counted(runtime) as seen:
        answer = await gate.ask("qr", qr(runtime, s, s.resident))
    assert answer["allow"] is True and answer["reason"] == "resident"
    print("statements per QR decision:", len(seen), dict(tally(seen)))
    assert len(seen) <= BUDGET, tally(seen)
