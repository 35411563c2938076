"""What one safety alarm costs from the device's event to alarm + notification + linked work
order: outbox deliveries (hops, each a wake-up, a transaction and a commit) and SQL statements —
load-independent budgets for the alarm-latency benchmark's path (docs/benchmarks.md)."""

from __future__ import annotations

from sqlalchemy import select

from kernel.outbox import OutboxMessage
from plugins.safety.models import SafetyAlarm
from tests.fixtures.statements import counted, tally
from tests.safety.test_safety_one_hop import THROWN

#: Event deliveries until quiet: the telemetry event (alarm, escalation, notification and order
#: in one transaction), then the order's ``workorder.reported`` (its handlers; off the measured
#: path). Before the order was opened in the alarm's transaction: 5 deliveries, the order on the
#: second (``device.alarm_raised`` to workorders, devices and safety), 81 statements.
HOPS = 2
#: Statements over all of them, on PostgreSQL: 45 measured (38 on SQLite); 64 before the
#: express lane's one-statement claim, the per-transaction memo (community, enabled plugins,
#: audit head), the one-statement outbox insert and no tenant setting or savepoint per handler.
BUDGET = 50


async def test_an_alarm_reaches_its_work_order_in_one_hop_within_budget(safety):
    site = await safety.site()
    _, token = await safety.provision(site, "thrown_object_camera", "5幢南立面")
    await safety.post(token, THROWN)
    tid = site.tenant.tenant_id
    async with counted(safety.runtime) as seen:
        await safety.deliver(site, rounds=8)
    async with safety.runtime.db.tenant(tid) as s:
        [alarm] = list(await s.scalars(select(SafetyAlarm)))
        hops = [
            m.payload["type"]
            for m in await s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic.like("event:%"), OutboxMessage.status == "delivered")
                .order_by(OutboxMessage.created_at)
            )
        ]
    assert alarm.work_order_id is not None
    print("deliveries:", hops, "statements:", len(seen), dict(tally(seen)))
    assert hops[0] == "device.telemetry_event" and "device.alarm_raised" not in hops
    assert len(hops) <= HOPS and len(seen) <= BUDGET, (hops, tally(seen))
