"""Event handlers: devices' happenings become safety alarms; the closed loop links back.

* ``device.telemetry_event`` of the plugin's profiles (:data:`plugins.safety.profiles.EVENT_TYPES`):
  the rule of the profile's alarm type judges the values with the firm's settings for the
  device's community; an e-bike in a lift also tells the lift controller to hold its doors
  (device RPC ``hold_doors``, queued in the alarm's transaction).
* ``device.alarm_raised`` from the kernel's alarm rules (``smoke``, ``shed_smoke``, ``leak``,
  ``ebike_in_elevator`` of any profile) is taken over as a safety alarm (declared through
  ``register_device_alarm_takeovers``, so the devices plugin sends no notice of its own: the
  escalation is the one notification; with the rule switched off in the device's community, a
  plain notice instead); the ones this plugin publishes itself (``raised_by = "safety"``) are
  skipped.
* ``workorder.reported`` links the order an alarm opened; ``escalation.escalated`` (source
  ``safety``) records the level reached and the regulator alert.

Payloads are read defensively: an unknown device or a malformed id raises nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from kernel.sdk import Event, HandlerContext, NotFound, devices
from plugins.safety import notifications, rules, service
from plugins.safety.profiles import EVENT_TYPES
from plugins.safety.vocabulary import ADOPTED_DEVICE_RULES

#: Readings the alarm does not copy (a licence plate identifies a person's car): they stay in the
#: device's telemetry under its retention, and staff see them there.
PERSONAL_KEYS = frozenset({"plate"})


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def _device(session: Any, device_id: Any) -> Any | None:
    did = _uuid(device_id)
    if did is None:
        return None
    try:
        return await devices.get_device(session, did)
    except NotFound:
        return None


async def _hold_lift(ctx: HandlerContext, device: Any, seconds: float | None) -> uuid.UUID | None:
    """Tell a lift controller to hold its doors: a device command (RPC ``hold_doors``) queued
    in the alarm's transaction, delivered to the lift once it commits. None when the device's
    profile takes no such command or its credential is revoked."""
    profile = devices.profiles(ctx.runtime).get(device.type)
    if profile is None or profile.command("hold_doors") is None or device.revoked_at is not None:
        return None
    call = await devices.queue_command(
        ctx.runtime,
        ctx.session,
        device.id,
        "hold_doors",
        {"seconds": int(seconds or 60), "reason": "ebike_in_lift"},
        actor="safety",
    )
    return call.id  # type: ignore[no-any-return]


async def on_telemetry_event(ctx: HandlerContext, event: Event) -> None:
    p = event.payload if isinstance(event.payload, dict) else {}
    mapping = EVENT_TYPES.get(str(p.get("device_type")))
    values = p.get("values")
    if mapping is None or not isinstance(values, dict):
        return
    device = await _device(ctx.session, p.get("device_id"))
    if device is None:
        return
    alarm_type = mapping[1]
    settings = await rules.effective(ctx.session, alarm_type, device.community_id)
    ts = p.get("ts") if isinstance(p.get("ts"), int) else 0
    verdict = rules.judge(alarm_type, values, settings, ts=ts, device_id=str(device.id))
    if verdict is None:
        return
    call_id = None
    if (
        alarm_type == "ebike_in_lift"
        and await service.open_alarm_of(ctx.session, device.id, alarm_type) is None
    ):
        call_id = await _hold_lift(ctx, device, settings.threshold)
    place = await service.place_of(ctx.session, device)
    await service.raise_alarm(
        ctx.session,
        ctx.runtime,
        place=place,
        verdict=verdict,
        details={"ts": ts, **{k: v for k, v in values.items() if k not in PERSONAL_KEYS}},
        settings=settings,
        command_call_id=call_id,
    )


async def on_device_alarm(ctx: HandlerContext, event: Event) -> None:
    p = event.payload if isinstance(event.payload, dict) else {}
    if p.get("raised_by"):
        return  # published by a plugin (this one) for the closed loop, not by a device rule
    alarm_type = ADOPTED_DEVICE_RULES.get(str(p.get("rule")))
    device_alarm_id = _uuid(p.get("alarm_id"))
    device = await _device(ctx.session, p.get("device_id"))
    if alarm_type is None or device_alarm_id is None or device is None:
        return
    settings = await rules.effective(ctx.session, alarm_type, device.community_id)
    if not settings.enabled:
        # taken over but switched off here: the devices plugin left it to us, so one plain notice
        await notifications.tell_on_duty(ctx.session, device, p)
        return
    call_id = None
    if alarm_type == "ebike_in_lift":
        call_id = await _hold_lift(ctx, device, settings.threshold)
    details = p.get("details") if isinstance(p.get("details"), dict) else {}
    verdict = rules.Verdict(alarm_type, settings.severity, f"device_alarm:{device_alarm_id}", False)
    await service.raise_alarm(
        ctx.session,
        ctx.runtime,
        place=await service.place_of(ctx.session, device),
        verdict=verdict,
        details={"rule": p.get("rule"), **details},
        settings=settings,
        device_alarm_id=device_alarm_id,
        command_call_id=call_id,
    )


async def on_workorder_reported(ctx: HandlerContext, event: Event) -> None:
    if isinstance(event.payload, dict):
        await service.link_work_order(ctx.session, event.payload)


async def on_escalated(ctx: HandlerContext, event: Event) -> None:
    if isinstance(event.payload, dict):
        await service.escalation_moved(ctx.session, event.payload)


HANDLERS = {
    "device.telemetry_event": on_telemetry_event,
    "device.alarm_raised": on_device_alarm,
    "workorder.reported": on_workorder_reported,
    "escalation.escalated": on_escalated,
}
