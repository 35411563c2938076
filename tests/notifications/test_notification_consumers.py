"""The consumers wired today: each plugin's event handler notifies the right people — a notice's
audience, a work order's reporter, a bill's payer, a proposal's eligible owners, on-duty staff
for an alarm — and a handler that runs twice notifies once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fixtures.notifications import PASSWORD
from sqlalchemy import select

from kernel.events import Event
from kernel.notifications import Notification
from kernel.sdk import utcnow
from kernel.testing import add_member, unique_slug


async def _inbox(runtime: Any, tenant_id: uuid.UUID) -> dict[uuid.UUID, list[tuple[str, str]]]:
    async with runtime.db.tenant(tenant_id) as s:
        rows = (await s.scalars(select(Notification).order_by(Notification.created_at))).all()
    out: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for n in rows:
        out.setdefault(n.account_id, []).append((n.template, n.subject))  # type: ignore[arg-type]
    return out


async def _publish(runtime: Any, tenant_id: uuid.UUID, event: Event) -> None:
    async with runtime.db.tenant(tenant_id) as s:
        await runtime.bus.publish(s, event)
    await runtime.outbox.drain(tenant_id)


@pytest.fixture
async def estate(runtime):  # type: ignore[no-untyped-def]
    """A firm with one community: building A (units 101 sold, 102 sold), building B (unit 201
    sold, 202 unsold); owners of 101 and 201, a renter of 102, staff and a technician."""
    from tenants.estate import service as est
    from tenants.lifecycle import provision

    slug = unique_slug("consumers")
    p = await provision(runtime, slug=slug, name="物业", admin_username=f"{slug}-admin", admin_password=PASSWORD)
    tid = p.tenant_id
    people = {role: await add_member(runtime, tid, unique_slug(role), PASSWORD, r) for role, r in (
        ("owner101", "owner"), ("renter102", "resident"), ("owner201", "owner"), ("staff", "property_staff"), ("tech", "technician"), ("auditor", "auditor"),
    )}
    async with runtime.db.tenant(tid) as s:
        c = await est.create_community(s, code="C1", name="幸福里")
        comp = await est.create_compound(s, community_id=c.id, name="一期")
        a = await est.create_building(s, compound_id=comp.id, name="A")
        b = await est.create_building(s, compound_id=comp.id, name="B")
        units = {n: (await est.create_unit(s, building_id=bld.id, number=n, registered_area=9000, sold=n != "202")).id for bld, n in ((a, "101"), (a, "102"), (b, "201"), (b, "202"))}
        for who, unit, how in (("owner101", "101", "own"), ("renter102", "102", "rent"), ("owner201", "201", "own")):
            person = await est.register_person(s, runtime.vault, tid, name=who, account_id=people[who])
            if how == "own":
                await est.add_ownership(s, unit_id=units[unit], person_id=person.id)
            else:
                await est.add_residency(s, unit_id=units[unit], person_id=person.id, kind="renter")
    return {"tenant_id": tid, "community_id": c.id, "building_a": a.id, "units": units, **people}


async def test_a_published_notice_reaches_the_owners_and_residents_in_its_scope(runtime, estate):
    from plugins.notices import service as notices

    tid = estate["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        notice = await notices.create_notice(s, scope="building", target_id=estate["building_a"], title="A栋停水", body="明日停水")
        await notices.publish(s, runtime.bus, tid, notice.id, actor="test")
    await runtime.outbox.drain(tid)
    await runtime.outbox.drain(tid)  # a second pass changes nothing
    inbox = await _inbox(runtime, tid)
    assert inbox == {
        estate["owner101"]: [("notices.published", "物业通知：A栋停水")],
        estate["renter102"]: [("notices.published", "物业通知：A栋停水")],
    }


async def test_work_order_changes_reach_the_reporter_unless_the_reporter_made_them(runtime, estate):
    from kernel.plugins import enablement
    from plugins.workorders import service as workorders

    tid = estate["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        await enablement.enable(runtime.host, s, tid, "workorders")
        order = await workorders.report(s, title="楼道灯不亮", reporter_account_id=estate["owner101"], actor=f"account:{estate['owner101']}")
        payload = workorders.payload(order)
    await _publish(runtime, tid, Event("workorder.dispatched", tid, payload, actor=f"account:{estate['staff']}"))
    await _publish(runtime, tid, Event("workorder.cancelled", tid, payload, actor=f"account:{estate['owner101']}"))
    assert (await _inbox(runtime, tid)) == {estate["owner101"]: [("workorders.changed", "工单进度：楼道灯不亮")]}


async def test_bills_issued_and_overdue_reach_the_owner_who_pays_not_the_renter(runtime, estate):
    from kernel.plugins import enablement
    from plugins.fees import service as fees

    tid = estate["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        await enablement.enable(runtime.host, s, tid, "fees")
        await fees.create_item(s, code="PM", name="物业费", kind="area", unit_price=250)
        run = await fees.run_billing(s, tid, "2026-11")
        completed = Event("fee.billing_completed", tid, {"run_id": str(run.id), "period": "2026-11", "bills_created": run.bills_created, "amount_total": run.amount_total})
        await runtime.bus.publish(s, completed)
    await runtime.outbox.drain(tid)
    async with runtime.db.tenant(tid) as s:
        assert await fees.remind_overdue(s, runtime.bus, tid, now=utcnow() + timedelta(days=90)) == 4
    await runtime.outbox.drain(tid)
    inbox = await _inbox(runtime, tid)
    assert set(inbox) == {estate["owner101"], estate["owner201"]}
    assert inbox[estate["owner101"]] == [("fees.bills_issued", "2026-11 账单已出"), ("fees.reminder", "缴费提醒：2026-11 账单逾期")]
    async with runtime.db.tenant(tid) as s:
        body = await s.scalar(select(Notification.body).where(Notification.template == "fees.reminder", Notification.account_id == estate["owner101"]))
    assert "¥225.00" in body  # 90.00 m² × ¥2.50


async def test_votes_reach_the_eligible_owners_once(runtime, estate):
    from plugins.governance import models as gm
    from plugins.governance import notifications as gn

    tid = estate["tenant_id"]
    ends = utcnow() + timedelta(hours=20)
    async with runtime.db.tenant(tid) as s:
        proposal = gm.Proposal(
            community_id=estate["community_id"], building_ids=[str(estate["building_a"])], title="更换A栋电梯", matter="repair",
            body="", status="voting", voting_starts_at=utcnow(), voting_ends_at=ends,
        )
        s.add(proposal)
        await s.flush()
        pid = str(proposal.id)
    await _publish(runtime, tid, Event("governance.voting_opened", tid, {"proposal_id": pid}))
    for _ in range(2):  # the job runs every 15 minutes: once per proposal
        async with runtime.db.tenant(tid) as s:
            assert await gn.remind_closing(s, tid) == 1
    await _publish(runtime, tid, Event("governance.result_published", tid, {"proposal_id": pid, "outcome": "Succeeded"}))
    inbox = await _inbox(runtime, tid)
    assert inbox == {
        estate["owner101"]: [
            ("governance.voting_opened", "业主表决开始：更换A栋电梯"),
            ("governance.voting_closing", "表决即将截止：更换A栋电梯"),
            ("governance.result", "表决结果：更换A栋电梯"),
        ]
    }


async def test_an_alarm_reaches_staff_and_technicians_urgently(runtime, estate):
    tid = estate["tenant_id"]
    payload = {"alarm_id": str(uuid.uuid4()), "device_id": str(uuid.uuid4()), "device_name": "3号楼烟感", "rule": "smoke", "severity": "critical"}
    await _publish(runtime, tid, Event("device.alarm_raised", tid, payload))
    await _publish(runtime, tid, Event("device.alarm_raised", tid, payload))  # the same alarm again
    async with runtime.db.tenant(tid) as s:
        rows = (await s.scalars(select(Notification))).all()
    assert sorted((n.account_id, n.urgency, n.subject) for n in rows) == sorted(
        (estate[who], "urgent", "设备告警：3号楼烟感") for who in ("staff", "tech")
    )


async def test_with_a_duty_roster_an_alarm_reaches_who_is_on_duty_in_its_community(runtime, estate):
    """The device's community picks the roster's level-1 shifts; off-roster staff are not told."""
    from kernel.devices.models import Device
    from kernel.notifications.duty import add_shift

    tid = estate["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        await add_shift(s, account_id=estate["tech"], community_id=estate["community_id"], level=1, start="00:00", end="00:00")
        device = Device(
            id=uuid.uuid4(), name="1号楼烟感", type="smoke_detector", place_kind="building", place_id=estate["building_a"],
            community_id=estate["community_id"], attributes={},
        )
        s.add(device)
    payload = {"alarm_id": str(uuid.uuid4()), "device_id": str(device.id), "device_name": "1号楼烟感", "rule": "smoke", "severity": "major"}
    await _publish(runtime, tid, Event("device.alarm_raised", tid, payload))
    async with runtime.db.tenant(tid) as s:
        rows = (await s.scalars(select(Notification))).all()
    assert [(n.account_id, n.urgency, n.subject) for n in rows] == [(estate["tech"], "urgent", "设备告警：1号楼烟感")]
