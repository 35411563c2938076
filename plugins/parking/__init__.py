"""Parking and EV charging (智慧停车、充电桩): lots, spaces and tariffs; household plates with a
limit per unit; monthly passes; visitor plates from visitor passes (``access.pass_created``);
sessions and fees from barrier-lane plate reads; live occupancy; shared spaces lent and booked
without double booking; charging sessions from chargers' telemetry. Fees are billed through the
fees plugin's ``fees_billing_lines`` hook. See docs/parking.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    hookimpl,
)

MANIFEST = PluginManifest(
    name="parking",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Parking lots, plates, passes, barrier sessions and fees, shared spaces, EV charging",
)


@hookimpl
def register_models() -> list[type]:
    from plugins.parking import models as m

    return [
        m.ParkingLot,
        m.ParkingSpace,
        m.ParkingGate,
        m.ParkingPolicy,
        m.Vehicle,
        m.MonthlyPass,
        m.VisitorPlate,
        m.ParkingSession,
        m.GateEvent,
        m.ShareWindow,
        m.SpaceBooking,
        m.ChargingPile,
        m.ChargingSession,
    ]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.parking.graphql import ParkingMutation, ParkingQuery, ParkingSubscription

    return GraphQLContribution(
        query=(ParkingQuery,), mutation=(ParkingMutation,), subscription=(ParkingSubscription,)
    )


PERMISSIONS = (
    Permission(
        "parking", "read", "See lots, lanes, plates (masked), passes, stays, bookings and charges"
    ),
    Permission(
        "parking",
        "manage",
        "Define lots, tariffs, spaces, lanes and piles; register plates; issue passes",
    ),
    Permission(
        "parking", "collect", "Record a temporary car's payment at the exit (raises the barrier)"
    ),
    Permission(
        "parking",
        "use",
        "Register one's household plates, lend one's space, book lent spaces, see one's stays",
    ),
)
GRANTS = (
    *(Grant(r, "parking", "read") for r in ("tenant_admin", "property_staff", "auditor")),
    *(Grant(r, "parking", "manage") for r in ("tenant_admin", "property_staff")),
    *(Grant(r, "parking", "collect") for r in ("tenant_admin", "property_staff")),
    *(Grant(r, "parking", "use") for r in ("owner", "resident")),
)


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_device_profiles() -> list[Any]:
    from plugins.parking.profiles import PROFILES

    return list(PROFILES)


async def on_telemetry_event(ctx: Any, event: Any) -> None:
    """A lane's plate read → a session decision; a charger's start/stop → a charging session."""
    from plugins.parking import charging, sessions

    device_type = event.payload.get("device_type") if isinstance(event.payload, dict) else None
    if device_type == "parking_barrier":
        await sessions.on_telemetry_event(ctx.runtime, ctx.session, ctx.tenant_id, event.payload)
    elif device_type == "ev_charger":
        await charging.on_telemetry_event(ctx.runtime, ctx.session, ctx.tenant_id, event.payload)


async def on_gate_decision(ctx: Any, event: Any) -> None:
    """After the decision is committed: raise the lane's barrier for a car that may pass."""
    import uuid

    import structlog

    from kernel.sdk import LinliError, devices

    p = event.payload if isinstance(event.payload, dict) else {}
    if not (p.get("allowed") and p.get("device_id")):
        return
    try:
        await devices.send_command(
            ctx.runtime, ctx.tenant_id, uuid.UUID(p["device_id"]), "raise", {}, actor="system"
        )
    except LinliError as exc:  # the lane was revoked since the read: nothing to raise, no retry
        structlog.get_logger("linli.plugins.parking").warning(
            "parking_barrier_command_refused", device=p["device_id"], reason=str(exc)
        )


async def on_visitor_pass_created(ctx: Any, event: Any) -> None:
    from plugins.parking.service import visitor_pass_created

    await visitor_pass_created(ctx.runtime.vault, ctx.session, ctx.tenant_id, event.payload)


async def on_visitor_pass_revoked(ctx: Any, event: Any) -> None:
    from plugins.parking.service import visitor_pass_revoked

    await visitor_pass_revoked(ctx.session, event.payload)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    return {
        "device.telemetry_event": on_telemetry_event,
        "parking.gate_decision": on_gate_decision,
        "access.pass_created": on_visitor_pass_created,
        "access.pass_revoked": on_visitor_pass_revoked,
    }


@hookimpl(optionalhook=True)
async def fees_billing_lines(
    session: Any, tenant_id: Any, period: str, community_id: Any
) -> list[dict[str, Any]]:
    """Parking fees, passes, bookings and charges of the period, as amounts in fen billed at the
    firm's 1-fen fee items (see :mod:`plugins.parking.billing`). Optional: loads without fees."""
    from kernel.sdk.jobs import enabled_plugins
    from plugins.parking.billing import billing_lines

    if MANIFEST.name not in await enabled_plugins(session):
        return []
    return [
        {"unit_id": line.unit_id, "item_code": line.item_code, "quantity": line.quantity}
        for line in await billing_lines(session, period)
    ]


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="parking", title={"zh-CN": "停车", "en": "Parking"}, permission="parking:read", order=56, icon="parking"),
    ]
