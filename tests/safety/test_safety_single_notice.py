"""One notification per alarm per recipient: a device alarm the safety plugin takes over (a smoke
detector's ``smoke``) is told by the safety escalation only — not also by the devices plugin's
generic "device alarm" notice — whichever handler the outbox runs first; with the safety rule
switched off for the community, the device alarm is still told once (a plain notice)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from kernel.notifications.models import Notification

TEMPLATES = ("devices.alarm_raised", "safety.alarm", "safety.device_alarm")


async def _told(safety: Any, site: Any) -> list[Any]:
    async with safety.runtime.db.tenant(site.tenant.tenant_id) as s:
        return list(
            await s.scalars(select(Notification).where(Notification.template.in_(TEMPLATES)))
        )


async def test_a_taken_over_device_alarm_is_told_once_per_recipient(safety):
    site = await safety.site()
    _, smoke = await safety.provision(site, "smoke_detector", "3幢12层烟感", place=site.unit)
    await safety.post(smoke, {"smoke": True})
    await safety.deliver(site)
    [alarm] = await safety.alarms(site)
    assert alarm["type"] == "smoke" and alarm["escalated"] is True
    told = await _told(safety, site)
    per_recipient = Counter(n.recipient for n in told)
    assert per_recipient and set(per_recipient.values()) == {1}, per_recipient
    # the one notice is the safety alarm's (with its escalation), urgent
    assert {n.template for n in told} == {"safety.alarm"}
    assert {n.account_id for n in told} == {site.staff.account_id}
    assert all(n.urgency == "urgent" for n in told)
    # a redelivered device alarm tells nobody again
    await safety.deliver(site)
    assert len(await _told(safety, site)) == len(told)


async def test_switched_off_safety_rule_leaves_the_generic_notice(safety):
    site = await safety.site()
    await safety.q(
        "mutation($c: ID!) { setSafetyRule(type: smoke, communityId: $c, enabled: false) { enabled } }",
        {"c": site.community},
        token=site.tenant.token,
    )
    _, smoke = await safety.provision(site, "smoke_detector", "3幢12层烟感", place=site.unit)
    await safety.post(smoke, {"smoke": True})
    await safety.deliver(site)
    assert await safety.alarms(site) == []  # no safety alarm: the rule is off here
    told = await _told(safety, site)
    assert [(n.template, n.account_id, n.urgency) for n in told] == [
        ("safety.device_alarm", site.staff.account_id, "urgent")
    ]
    assert len(await safety.work_orders(site)) == 1  # the device alarm still opens its order


async def test_without_the_safety_plugin_the_devices_plugin_tells_staff(safety):
    site = await safety.site(plugins=("workorders",))
    _, smoke = await safety.provision(site, "smoke_detector", "3幢12层烟感", place=site.unit)
    await safety.post(smoke, {"smoke": True})
    await safety.deliver(site)
    told = await _told(safety, site)
    assert [(n.template, n.account_id) for n in told] == [
        ("devices.alarm_raised", site.staff.account_id)
    ]


def test_hook_register_device_alarm_takeovers(runtime):
    """The safety plugin names the device alarm rules it takes over; the kernel collects them
    per rule (the payload's ``taken_over_by`` is checked end to end above)."""
    from kernel.devices.alarms import takeovers
    from plugins.safety.vocabulary import ADOPTED_DEVICE_RULES

    found = takeovers(runtime)
    assert {rule: found.get(rule) for rule in ADOPTED_DEVICE_RULES} == {
        rule: ("safety",) for rule in ADOPTED_DEVICE_RULES
    }
    assert "door_forced" not in found  # an access door's alarm stays the devices plugin's notice
    assert takeovers(runtime) is found  # collected once per runtime
