"""``gridMemberCandidates``: property staff (grid:manage, no members:read) find the logins they may
name grid members — the firm's active grid workers and committee members, masked — and nobody
else's: not another firm's, not a deactivated login, not a resident."""

from __future__ import annotations

from sqlalchemy import update

from kernel.testing import add_member
from tests.grid.conftest import GridKit, code_of, ok

CANDIDATES = "query($s: String) { gridMemberCandidates(search: $s) { accountId maskedName roles } }"
ADD = "mutation($g: ID!, $a: ID!, $r: GridMemberRole!) { addGridMember(gridId: $g, accountId: $a, role: $r) { members { accountId role } } }"


async def test_staff_list_the_firms_grid_role_holders_masked(kit: GridKit, runtime, actor) -> None:  # type: ignore[no-untyped-def]
    from kernel.identity.authz import Policies
    from kernel.identity.models import Account

    firm = await kit.firm()
    t = firm.tenant
    staff = await actor(t, "property_staff")
    resident = await actor(t, "resident")
    # the premise: property staff cannot read the firm's members
    assert code_of(await kit.q("{ invitations { id } }", token=staff.token)) == "FORBIDDEN"

    def new(tenant_id, name, role):  # type: ignore[no-untyped-def]
        return add_member(
            runtime, tenant_id, f"u-{name}-{role}-{t.slug}", "pw-123456789", role, name
        )

    zhang = await new(t.tenant_id, "张三丰", "grid_worker")
    li = await new(t.tenant_id, "李委员", "residents_committee")
    wang = await new(t.tenant_id, "王二", "grid_worker")
    gone = await new(t.tenant_id, "赵离职", "grid_worker")
    clerk = await new(t.tenant_id, "钱文员", "property_staff")
    async with runtime.db.tenant(t.tenant_id) as s:
        await Policies(s, t.tenant_id).assign_role(wang, "residents_committee")
        await s.execute(update(Account).where(Account.id == gone).values(disabled=True))
    other = await kit.firm("gridy")
    foreign = await new(other.tenant.tenant_id, "张外司", "grid_worker")

    listed = ok(await kit.q(CANDIDATES, token=staff.token))["gridMemberCandidates"]
    by_id = {c["accountId"]: c for c in listed}
    assert by_id[str(zhang)] == {
        "accountId": str(zhang),
        "maskedName": "张*丰",
        "roles": ["grid_worker"],
    }
    assert by_id[str(li)]["roles"] == ["residents_committee"]
    assert by_id[str(wang)] == {
        "accountId": str(wang),
        "maskedName": "王*",
        "roles": ["grid_worker", "residents_committee"],
    }
    for w in firm.workers:  # the fixture's grid workers
        assert by_id[str(w.account_id)]["roles"] == ["grid_worker"]
    assert str(gone) not in by_id and str(clerk) not in by_id
    assert str(resident.account_id) not in by_id and str(staff.account_id) not in by_id
    # another firm's accounts never appear, with or without a search
    assert str(foreign) not in by_id
    assert all(str(w.account_id) not in by_id for w in other.workers)
    found = ok(await kit.q(CANDIDATES, {"s": "张"}, token=staff.token))["gridMemberCandidates"]
    assert [c["accountId"] for c in found] == [str(zhang)]
    assert ok(await kit.q(CANDIDATES, {"s": "%"}, token=staff.token))["gridMemberCandidates"] == []
    assert ok(await kit.q(CANDIDATES, {"s": "委员"}, token=staff.token))[
        "gridMemberCandidates"
    ] == [by_id[str(li)]]
    # and the other firm's staff see theirs only
    theirs = ok(await kit.q(CANDIDATES, token=other.tenant.token))["gridMemberCandidates"]
    assert {c["accountId"] for c in theirs} == {str(foreign)} | {
        str(w.account_id) for w in other.workers
    }
    # the id found is the one addGridMember takes — property staff can now name members
    added = ok(
        await kit.q(
            ADD, {"g": firm.grids[0], "a": str(li), "r": "residents_committee"}, token=staff.token
        )
    )["addGridMember"]["members"]
    assert {"accountId": str(li), "role": "residents_committee"} in added
    # bad input is coded; a resident (no grid:manage) is refused
    long = await kit.q(CANDIDATES, {"s": "x" * 101}, token=staff.token)
    assert (
        code_of(long) == "BAD_USER_INPUT" and long["errors"][0]["extensions"]["field"] == "search"
    )
    assert code_of(await kit.q(CANDIDATES, token=resident.token)) == "FORBIDDEN"
    assert code_of(await kit.q(CANDIDATES, token=firm.workers[0].token)) == "FORBIDDEN"
