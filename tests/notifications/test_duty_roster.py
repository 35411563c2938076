"""The duty roster: shift windows (inside a day, across midnight, all day, weekdays, time
zones), who is on duty with the fallback to role holders, and its GraphQL with permissions,
coded errors for bad windows and NOT_FOUND for another firm's ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fixtures.estates import fast_passwords  # noqa: F401 - the fixture
from fixtures.notifications import code, ok

from kernel.notifications.duty import on_duty, shift_covers, weekday_mask
from kernel.testing import add_member, unique_slug

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.usefixtures("fast_passwords")
SH = "Asia/Shanghai"


def local(day: int, hh: int, mm: int = 0) -> datetime:
    """An instant in Shanghai time in the week of Monday 2026-12-07 (day 1 = Monday … 7)."""
    from zoneinfo import ZoneInfo

    return datetime(2026, 12, 6 + day, hh, mm, tzinfo=ZoneInfo(SH))


def test_a_day_window_covers_its_hours_on_its_weekdays():
    weekdays = weekday_mask([1, 2, 3, 4, 5])
    nine_to_six = (9 * 60, 18 * 60, weekdays)
    assert shift_covers(*nine_to_six, local(1, 9, 0), SH)
    assert shift_covers(*nine_to_six, local(5, 17, 59), SH)
    assert not shift_covers(*nine_to_six, local(1, 18, 0), SH)  # the end is exclusive
    assert not shift_covers(*nine_to_six, local(1, 8, 59), SH)
    assert not shift_covers(*nine_to_six, local(6, 12, 0), SH)  # Saturday


def test_a_night_window_crosses_midnight_and_belongs_to_the_day_it_starts():
    friday_night = (22 * 60, 6 * 60, weekday_mask([5]))
    assert shift_covers(*friday_night, local(5, 22, 0), SH)
    assert shift_covers(*friday_night, local(6, 2, 30), SH)  # Saturday 02:30 is Friday's night
    assert not shift_covers(*friday_night, local(6, 6, 0), SH)
    assert not shift_covers(*friday_night, local(5, 2, 30), SH)  # Friday 02:30 is Thursday's night
    assert not shift_covers(*friday_night, local(6, 22, 30), SH)
    assert not shift_covers(*friday_night, local(5, 12, 0), SH)
    sunday_night = (23 * 60, 7 * 60, weekday_mask([7]))
    assert shift_covers(*sunday_night, local(8, 1), SH)  # Monday 01:00, the end of Sunday's night


def test_an_equal_start_and_end_is_the_whole_day_and_time_zones_count():
    assert shift_covers(0, 0, weekday_mask([3]), local(3, 0, 0), SH)
    assert shift_covers(0, 0, weekday_mask([3]), local(3, 23, 59), SH)
    assert not shift_covers(0, 0, weekday_mask([3]), local(4, 0, 0), SH)
    # 09:00–10:00 in Shanghai is 01:00–02:00 UTC
    assert shift_covers(
        9 * 60, 10 * 60, weekday_mask(range(1, 8)), datetime(2026, 12, 7, 1, 30, tzinfo=UTC), SH
    )
    assert not shift_covers(
        9 * 60, 10 * 60, weekday_mask(range(1, 8)), datetime(2026, 12, 7, 1, 30, tzinfo=UTC), "UTC"
    )


@pytest.mark.parametrize("days", [[], [0], [8], [True]])
def test_weekdays_outside_monday_to_sunday_are_refused(days):
    from kernel.errors import BadUserInput

    with pytest.raises(BadUserInput):
        weekday_mask(days)


async def _firm(runtime):  # type: ignore[no-untyped-def]
    from tenants.estate import service as estate
    from tenants.lifecycle import provision

    slug = unique_slug("duty")
    p = await provision(
        runtime,
        slug=slug,
        name=f"{slug} 物业",
        admin_username=f"{slug}-admin",
        admin_password=PASSWORD,
    )
    people = {
        who: await add_member(runtime, p.tenant_id, unique_slug(who), PASSWORD, role)
        for who, role in (
            ("staff", "property_staff"),
            ("staff2", "property_staff"),
            ("guard", "technician"),
            ("boss", "tenant_admin"),
        )
    }
    async with runtime.db.tenant(p.tenant_id) as s:
        c1 = await estate.create_community(s, code="D1", name="东区")
        c2 = await estate.create_community(s, code="D2", name="西区")
    return p.tenant_id, people, c1.id, c2.id


async def test_on_duty_reads_the_roster_and_falls_back_to_role_holders(runtime):
    from kernel.identity.members import deactivate
    from kernel.identity.models import Account
    from kernel.notifications.duty import add_shift

    tid, people, east, west = await _firm(runtime)
    admin = None
    async with runtime.db.tenant(tid) as s:
        from sqlalchemy import select

        admin = await s.scalar(select(Account.id).where(Account.username.like("%-admin")))
        # empty roster: level 1 → property staff, level 2 → tenant admins
        lvl1 = [r.account_id for r in await on_duty(s, tenant_id=tid, community_id=east, level=1)]
        lvl2 = [r.account_id for r in await on_duty(s, tenant_id=tid, community_id=east, level=2)]
        assert sorted(lvl1, key=str) == sorted([people["staff"], people["staff2"]], key=str)
        assert sorted(lvl2, key=str) == sorted([people["boss"], admin], key=str)

        await add_shift(
            s, account_id=people["guard"], community_id=east, level=1, start="22:00", end="06:00"
        )
        await add_shift(
            s,
            account_id=people["staff"],
            community_id=None,
            level=1,
            start="08:00",
            end="18:00",
            weekdays=[1, 2, 3, 4, 5],
        )
        await add_shift(
            s, account_id=people["staff2"], community_id=None, level=2, start="00:00", end="00:00"
        )

        monday_night, monday_noon, saturday_noon = local(1, 23), local(1, 12), local(6, 12)
        assert [
            r.account_id
            for r in await on_duty(s, tenant_id=tid, community_id=east, at=monday_night)
        ] == [people["guard"]]
        # the east guard is not on duty in the west: nobody there at night → fallback staff
        west_night = [
            r.account_id
            for r in await on_duty(s, tenant_id=tid, community_id=west, at=monday_night)
        ]
        assert sorted(west_night, key=str) == sorted([people["staff"], people["staff2"]], key=str)
        assert [
            r.account_id for r in await on_duty(s, tenant_id=tid, community_id=west, at=monday_noon)
        ] == [people["staff"]]
        assert [
            r.account_id
            for r in await on_duty(s, tenant_id=tid, community_id=east, level=2, at=saturday_noon)
        ] == [people["staff2"]]
        # a plugin may name its own fallback roles
        techs = await on_duty(
            s, tenant_id=tid, community_id=west, at=saturday_noon, fallback_roles=("technician",)
        )
        assert [r.account_id for r in techs] == [people["guard"]]
        await deactivate(s, tid, people["guard"], by=None)
        # the deactivated guard is on the roster but off duty: fallback
        night = [
            r.account_id
            for r in await on_duty(s, tenant_id=tid, community_id=east, at=monday_night)
        ]
        assert people["guard"] not in night and people["staff"] in night


ADD = """mutation($i: DutyShiftInput!) { addDutyShift(input: $i) { id accountId communityId level start end weekdays timezone note } }"""
LIST = "query($c: ID) { dutyShifts(communityId: $c) { id accountId level start end weekdays } }"
ON_DUTY = "query($c: ID, $l: Int!) { onDuty(communityId: $c, level: $l) { accountId username fromRoster } }"
REMOVE = "mutation($id: ID!) { removeDutyShift(id: $id) }"
POLICIES = "{ escalationPolicies { source severity ackWithinSeconds default } }"
SET_POLICY = "mutation($s: String!, $n: Int, $src: String!) { setEscalationPolicy(severity: $s, ackWithinSeconds: $n, plugin: $src) { source severity ackWithinSeconds default } }"


async def test_the_roster_over_graphql_with_permissions_and_coded_errors(
    runtime, gql, new_tenant, actor
):
    from kernel.graphql.ids import to_gid
    from tenants.estate import service as estate

    a, b = await new_tenant("dutya"), await new_tenant("dutyb")
    staff, tech, resident = (
        await actor(a, "property_staff"),
        await actor(a, "technician"),
        await actor(a, "resident"),
    )
    foreign = await actor(b, "property_staff")
    async with runtime.db.tenant(a.tenant_id) as s:
        community = await estate.create_community(s, code="G1", name="花园")
    async with runtime.db.tenant(b.tenant_id) as s:
        foreign_community = await estate.create_community(s, code="G1", name="别家")
    cid, foreign_cid = (
        str(to_gid("Community", community.id)),
        str(to_gid("Community", foreign_community.id)),
    )

    shift = {
        "accountId": str(tech.account_id),
        "communityId": cid,
        "level": 1,
        "start": "22:00",
        "end": "06:00",
        "weekdays": [5, 6],
        "note": "夜班",
    }
    added = ok(await gql(ADD, {"i": shift}, token=staff.token))["addDutyShift"]
    assert added | {"id": None} == {
        "id": None,
        "accountId": str(tech.account_id),
        "communityId": cid,
        "level": 1,
        "start": "22:00",
        "end": "06:00",
        "weekdays": [5, 6],
        "timezone": "Asia/Shanghai",
        "note": "夜班",
    }
    everywhere = ok(
        await gql(
            ADD,
            {
                "i": {
                    "accountId": str(staff.account_id),
                    "start": "08:00",
                    "end": "08:00",
                    "level": 2,
                }
            },
            token=a.token,
        )
    )
    assert everywhere["addDutyShift"]["weekdays"] == [1, 2, 3, 4, 5, 6, 7]

    listed = ok(await gql(LIST, {"c": cid}, token=tech.token))["dutyShifts"]
    assert [(x["accountId"], x["level"]) for x in listed] == [
        (str(tech.account_id), 1),
        (str(staff.account_id), 2),
    ]
    who = ok(await gql(ON_DUTY, {"c": cid, "l": 2}, token=tech.token))["onDuty"]
    assert who == [
        {"accountId": str(staff.account_id), "username": staff.username, "fromRoster": True}
    ]

    # bad windows and values: coded errors, nothing written
    for bad, field in (
        ({**shift, "start": "25:00"}, "start"),
        ({**shift, "end": "7pm"}, "end"),
        ({**shift, "weekdays": [8]}, "weekdays"),
        ({**shift, "weekdays": []}, "weekdays"),
        ({**shift, "level": 0}, "level"),
        ({**shift, "timezone": "Mars/Olympus"}, "timezone"),
        ({**shift, "accountId": "not-a-uuid"}, "accountId"),
        ({**shift, "communityId": "xyz"}, None),
    ):
        r = await gql(ADD, {"i": bad}, token=staff.token)
        assert code(r) == "BAD_USER_INPUT", (bad, r)
        if field:
            assert r["errors"][0]["extensions"].get("field") == field, r
    # another firm's account, an unknown account, another firm's community: NOT_FOUND
    for bad in (
        {**shift, "accountId": str(foreign.account_id)},
        {**shift, "accountId": str(uuid.uuid4())},
        {**shift, "communityId": foreign_cid},
    ):
        assert code(await gql(ADD, {"i": bad}, token=staff.token)) == "NOT_FOUND"
    assert code(await gql(LIST, {"c": foreign_cid}, token=staff.token)) == "NOT_FOUND"
    assert len(ok(await gql(LIST, {"c": None}, token=staff.token))["dutyShifts"]) == 2

    # permissions: a technician reads but does not manage; a resident does neither
    assert code(await gql(ADD, {"i": shift}, token=tech.token)) == "FORBIDDEN"
    assert code(await gql(LIST, {"c": None}, token=resident.token)) == "FORBIDDEN"
    assert code(await gql(ON_DUTY, {"c": None, "l": 1}, token=resident.token)) == "FORBIDDEN"
    # the other firm neither sees nor removes a's shifts
    assert ok(await gql(LIST, {"c": None}, token=foreign.token))["dutyShifts"] == []
    assert code(await gql(REMOVE, {"id": added["id"]}, token=foreign.token)) == "NOT_FOUND"
    assert (
        code(await gql(REMOVE, {"id": cid}, token=staff.token)) == "BAD_USER_INPUT"
    )  # a community's id
    assert (
        ok(await gql(REMOVE, {"id": added["id"]}, token=staff.token))["removeDutyShift"]
        == added["id"]
    )
    assert code(await gql(REMOVE, {"id": added["id"]}, token=staff.token)) == "NOT_FOUND"
    # level 1 now has nobody on the roster: the fallback, said so
    fallback = ok(await gql(ON_DUTY, {"c": cid, "l": 1}, token=tech.token))["onDuty"]
    assert {p["accountId"] for p in fallback} == {str(staff.account_id)} and not fallback[0][
        "fromRoster"
    ]


async def test_the_firm_sets_its_escalation_times(gql, new_tenant, actor):
    t = await new_tenant("dutyp")
    tech = await actor(t, "technician")
    defaults = ok(await gql(POLICIES, token=tech.token))["escalationPolicies"]
    assert {(p["severity"], p["ackWithinSeconds"], p["default"]) for p in defaults} == {
        ("critical", 120, True),
        ("major", 600, True),
        ("minor", 1800, True),
    }
    changed = ok(await gql(SET_POLICY, {"s": "major", "n": 300, "src": "*"}, token=t.token))[
        "setEscalationPolicy"
    ]
    assert {
        "source": "*",
        "severity": "major",
        "ackWithinSeconds": 300,
        "default": False,
    } in changed
    care = ok(await gql(SET_POLICY, {"s": "critical", "n": 180, "src": "care"}, token=t.token))[
        "setEscalationPolicy"
    ]
    assert {
        "source": "care",
        "severity": "critical",
        "ackWithinSeconds": 180,
        "default": False,
    } in care
    assert (
        code(await gql(SET_POLICY, {"s": "apocalyptic", "n": 60, "src": "*"}, token=t.token))
        == "BAD_USER_INPUT"
    )
    assert (
        code(await gql(SET_POLICY, {"s": "major", "n": 0, "src": "*"}, token=t.token))
        == "BAD_USER_INPUT"
    )
    assert (
        code(await gql(SET_POLICY, {"s": "major", "n": 60, "src": "*"}, token=tech.token))
        == "FORBIDDEN"
    )
    restored = ok(await gql(SET_POLICY, {"s": "major", "n": None, "src": "*"}, token=t.token))[
        "setEscalationPolicy"
    ]
    assert {
        "source": "*",
        "severity": "major",
        "ackWithinSeconds": 600,
        "default": True,
    } in restored
