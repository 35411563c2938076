"""The closed loop in one outbox hop: the safety plugin opens an alarm's work order in the
alarm's own transaction (the workorders plugin's service ``workorders.open_from_alarm``), so one
delivery of the device's event commits alarm, notification and order together, already linked;
when opening fails, the alarm still commits and the order comes through ``device.alarm_raised``."""

from __future__ import annotations

from sqlalchemy import select

from kernel.outbox import OutboxMessage
from plugins.safety.models import SafetyAlarm
from plugins.workorders.models import WorkOrder

THROWN = {"thrown_object": True, "floor_from": 9, "floor_to": 9, "clip_ref": "nvr-1/0001"}


async def _state(safety, site):  # type: ignore[no-untyped-def]
    async with safety.runtime.db.tenant(site.tenant.tenant_id) as s:
        alarms = list(await s.scalars(select(SafetyAlarm)))
        orders = list(await s.scalars(select(WorkOrder)))
        events = [
            m.payload.get("type")
            for m in await s.scalars(select(OutboxMessage).where(OutboxMessage.topic.like("event:%")))
        ]
    return alarms, orders, events


async def test_one_delivery_commits_the_alarm_its_notice_and_its_linked_work_order(safety):
    site = await safety.site()
    _, token = await safety.provision(site, "thrown_object_camera", "5幢南立面")
    await safety.post(token, THROWN)
    assert await safety.runtime.outbox.drain(site.tenant.tenant_id) >= 1  # one round: the event
    [alarm], [order], events = await _state(safety, site)
    assert order.source_ref == f"alarm:{alarm.id}" and alarm.work_order_id == order.id
    assert (order.source, order.category) == ("device_alarm", "security")
    assert len(await safety.notifications(site)) == 1  # committed with them
    assert "device.alarm_raised" not in events  # no second hop for the order


async def test_when_opening_fails_the_alarm_commits_and_the_order_comes_by_event(safety):
    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the workorders service is down")

    safety.runtime.services["workorders.open_from_alarm"] = broken
    try:
        site = await safety.site()
        _, token = await safety.provision(site, "thrown_object_camera", "5幢南立面")
        await safety.post(token, THROWN)
        await safety.deliver(site)
    finally:
        del safety.runtime.services["workorders.open_from_alarm"]
    [alarm], [order], events = await _state(safety, site)
    assert "device.alarm_raised" in events
    assert order.source_ref == f"alarm:{alarm.id}" and alarm.work_order_id == order.id  # linked back
    assert len(await safety.notifications(site)) == 1


async def test_without_work_orders_the_alarm_stands_alone(safety):
    site = await safety.site(plugins=("safety",))
    _, token = await safety.provision(site, "thrown_object_camera", "5幢南立面")
    await safety.post(token, THROWN)
    await safety.deliver(site)
    [alarm], orders, _ = await _state(safety, site)
    assert orders == [] and alarm.work_order_id is None
    assert len(await safety.notifications(site)) == 1
