"""Commands (RPC) to devices, ThingsBoard-shaped.

A call is stored (``device_rpc_calls``: queued → sent → answered | timed_out) with a request id
per device, committed, then delivered by whichever transport the device uses: an HTTP long-poll
(``GET /api/v1/{token}/rpc``) or the MQTT bridge (``v1/devices/me/rpc/request/{id}``). The
device answers on ``POST /api/v1/{token}/rpc/{id}`` or ``v1/devices/me/rpc/response/{id}``; the
response is correlated by (device, request id).

Wake-ups go through the runtime's notifier (:mod:`kernel.notify`, channel ``linli_device_rpc``),
sent in the transaction that queued, answered or expired a call, so they reach every process once
it commits: a command queued on a gateway reaches the MQTT bridge in ``linli worker`` (its
``command_listeners``), and an answer stored by the bridge wakes the gateway's long-polls and
``wait_answer``. A notification lost while a listener was disconnected costs at most a second
(waiters re-read the table every second); after the reconnection the waiters are woken and
the command listeners are offered every device with queued commands.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel import audit, notify
from kernel.db.base import utcnow
from kernel.devices import events, ingest, registry
from kernel.devices.models import RpcCall
from kernel.devices.profiles import catalog
from kernel.errors import BadUserInput, Conflict, NotFound
from kernel.tenancy import Tenant, TenantStatus

QUEUED, SENT, ANSWERED, TIMED_OUT = "queued", "sent", "answered", "timed_out"
MAX_PARAMS_BYTES = 8192
CHANNEL = "linli_device_rpc"
#: Request ids are stored as BIGINT: 2^63 and above name no command.
MAX_REQUEST_ID = 2**63


class Signals:
    """This process's wake-ups keyed by ``("device", device_id)`` or ``("call", call_id)``,
    fired by notifications from any process (:func:`listen`)."""

    def __init__(self) -> None:
        self._waiters: dict[Any, set[asyncio.Future[None]]] = defaultdict(set)
        #: ``listener(tenant_id, device_id)`` when a command is queued (the MQTT bridge).
        self.command_listeners: list[Any] = []

    async def wait(self, key: Any, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[key].add(fut)
        try:
            await asyncio.wait_for(fut, seconds)
        except TimeoutError:
            pass
        finally:
            self._waiters[key].discard(fut)
            if not self._waiters[key]:
                self._waiters.pop(key, None)

    def notify(self, key: Any) -> None:
        for fut in list(self._waiters.get(key, ())):
            if not fut.done():
                fut.set_result(None)

    def notify_all(self) -> None:
        for key in list(self._waiters):
            self.notify(key)


def signals(runtime: Any) -> Signals:
    found = runtime.services.get("device_rpc_signals")
    if found is None:
        found = runtime.services["device_rpc_signals"] = Signals()
    return found  # type: ignore[no-any-return]


async def listen(runtime: Any) -> None:
    """Hear command notifications in this process (once; every RPC entry point calls it, and so
    does the MQTT bridge's job)."""
    await notify.notifier(runtime).subscribe_once(
        "device_rpc", CHANNEL, lambda payload: _heard(runtime, payload), on_reconnect=lambda: _resync(runtime)
    )


def _heard(runtime: Any, payload: dict[str, Any]) -> None:
    sig = signals(runtime)
    if payload.get("kind") == "queued":
        tenant_id, device_id = uuid.UUID(payload["tenant_id"]), uuid.UUID(payload["device_id"])
        sig.notify(("device", device_id))
        for listener in list(sig.command_listeners):
            listener(tenant_id, device_id)
    elif payload.get("kind") == "closed":
        for call_id in payload.get("call_ids", []):
            sig.notify(("call", uuid.UUID(call_id)))


async def _resync(runtime: Any) -> None:
    """After notifications may have been lost: wake every waiter (they re-read the table) and
    offer the command listeners every device that has queued commands."""
    sig = signals(runtime)
    sig.notify_all()
    if not sig.command_listeners:
        return
    async with runtime.db.platform() as s:
        tenant_ids = list(await s.scalars(select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE)))
    for tenant_id in tenant_ids:
        async with runtime.db.tenant(tenant_id) as s:
            device_ids = list(await s.scalars(select(RpcCall.device_id).where(RpcCall.status == QUEUED).distinct()))
        for device_id in device_ids:
            for listener in list(sig.command_listeners):
                listener(tenant_id, device_id)


async def _announce_closed(runtime: Any, session: AsyncSession, call_ids: list[uuid.UUID]) -> None:
    await notify.notifier(runtime).publish_chunked(CHANNEL, "call_ids", [str(c) for c in call_ids], session, kind="closed")


def call_json(call: RpcCall) -> dict[str, Any]:
    """The request as the device sees it (ThingsBoard: ``{"id", "method", "params"}``)."""
    return {"id": call.request_id, "method": call.method, "params": call.params}


async def send(
    runtime: Any, tenant_id: uuid.UUID, device_id: uuid.UUID, method: str, params: dict[str, Any] | None, *,
    timeout_seconds: int | None = None, actor: str = "system",
) -> RpcCall:
    """Queue a command for a device in its own committed transaction (audited there) and wake
    its transports in every process. Runs outside the caller's transaction so the device can
    see it at once."""
    params = params or {}
    if signals(runtime).command_listeners:  # a bridge in this process hears its own commands too
        await listen(runtime)
    if len(json.dumps(params)) > MAX_PARAMS_BYTES:
        raise BadUserInput(f"command parameters are over {MAX_PARAMS_BYTES} bytes")
    for attempt in range(3):
        try:
            call = await _queue(runtime, tenant_id, device_id, method, params, timeout_seconds, actor)
            break
        except IntegrityError:  # another command took the same request id: take the next one
            if attempt == 2:
                raise Conflict("too many commands queued for this device at once; retry") from None
    return call


async def _queue(
    runtime: Any, tenant_id: uuid.UUID, device_id: uuid.UUID, method: str, params: dict[str, Any],
    timeout_seconds: int | None, actor: str,
) -> RpcCall:
    async with runtime.db.tenant(tenant_id) as s:
        return await _queue_in(runtime, s, tenant_id, device_id, method, params, timeout_seconds, actor)


async def _queue_in(
    runtime: Any, s: AsyncSession, tenant_id: uuid.UUID, device_id: uuid.UUID, method: str, params: dict[str, Any],
    timeout_seconds: int | None, actor: str,
) -> RpcCall:
    device = await registry.get_device(s, device_id)
    if device.revoked_at is not None:
        raise BadUserInput("the device's credential is revoked; it cannot take commands")
    profile = catalog(runtime).get(device.type)
    command = profile.command(method) if profile else None
    if command is None:
        known = ", ".join(c.method for c in profile.commands) if profile else ""
        raise BadUserInput(f"{device.type} devices take no command {method!r}; they take: {known or 'none'}")
    for p in command.params:
        if p.required and p.name not in params:
            raise BadUserInput(f"the command {method} needs the parameter {p.name!r}")
    timeout = timeout_seconds or command.timeout_seconds
    if not 1 <= timeout <= 3600:
        raise BadUserInput("a command timeout is 1 s to 1 h")
    last = await s.scalar(select(func.max(RpcCall.request_id)).where(RpcCall.device_id == device_id))
    call = RpcCall(
        id=uuid.uuid4(), tenant_id=tenant_id, device_id=device_id, request_id=(last or 0) + 1, method=method,
        params=params, status=QUEUED, expires_at=utcnow() + timedelta(seconds=timeout), requested_by=actor,
    )
    s.add(call)
    await s.flush()
    await audit.record(
        s, tenant_id=tenant_id, actor=actor, action="device.command_sent", target=str(call.id),
        detail={"method": method, "device_id": str(device_id)},
    )
    await notify.notifier(runtime).publish(
        CHANNEL, {"kind": "queued", "tenant_id": str(tenant_id), "device_id": str(device_id)}, s
    )
    return call


async def queue_in_transaction(
    runtime: Any, session: AsyncSession, device_id: uuid.UUID, method: str, params: dict[str, Any] | None, *,
    timeout_seconds: int | None = None, actor: str = "system",
) -> RpcCall:
    """Queue a command for a device in the caller's transaction (``session``, tenant-scoped;
    flushed, never committed), audited there: the device's transports are woken when that
    transaction commits, and nothing is sent if it rolls back — for an event handler or job
    whose command belongs with its other writes (a lift told to hold its doors together with
    the alarm that says why). Same checks and coded errors as :func:`send`."""
    params = params or {}
    if signals(runtime).command_listeners:  # a bridge in this process hears its own commands too
        await listen(runtime)
    if len(json.dumps(params)) > MAX_PARAMS_BYTES:
        raise BadUserInput(f"command parameters are over {MAX_PARAMS_BYTES} bytes")
    tenant_id = session.info["tenant_id"]
    for attempt in range(3):
        try:
            async with session.begin_nested():
                return await _queue_in(runtime, session, tenant_id, device_id, method, params, timeout_seconds, actor)
        except IntegrityError:  # another command took the same request id: take the next one
            if attempt == 2:
                raise Conflict("too many commands queued for this device at once; retry") from None
    raise AssertionError("unreachable")  # pragma: no cover


async def _take_next(runtime: Any, identity: registry.DeviceIdentity) -> RpcCall | None:
    async with runtime.db.tenant(identity.tenant_id) as s:
        await expire(runtime, s)
        call = await s.scalar(
            select(RpcCall)
            .where(RpcCall.device_id == identity.device_id, RpcCall.status == QUEUED)
            .order_by(RpcCall.request_id)
            .limit(1)
        )
        if call is not None:
            call.status = SENT
        return call


async def poll(runtime: Any, identity: registry.DeviceIdentity, seconds: float) -> dict[str, Any] | None:
    """HTTP long-poll: the next queued command for the device, or None after ``seconds``."""
    await listen(runtime)
    deadline = time.monotonic() + seconds
    while True:
        call = await _take_next(runtime, identity)
        if call is not None:
            return call_json(call)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        await signals(runtime).wait(("device", identity.device_id), min(remaining, 1.0))


async def take_queued(runtime: Any, tenant_id: uuid.UUID, device_id: uuid.UUID) -> list[RpcCall]:
    """All queued commands for a device, marked sent (the MQTT bridge publishes them)."""
    async with runtime.db.tenant(tenant_id) as s:
        calls = list(
            await s.scalars(
                select(RpcCall).where(RpcCall.device_id == device_id, RpcCall.status == QUEUED).order_by(RpcCall.request_id)
            )
        )
        for c in calls:
            c.status = SENT
        return calls


async def answer(runtime: Any, identity: registry.DeviceIdentity, request_id: int, raw: bytes) -> RpcCall:
    """Record a device's response to its command ``request_id``. The response must be strict
    JSON a database stores (no NaN, Infinity, lone surrogate or NUL: BAD_USER_INPUT); an id
    outside the column's range names no command (NOT_FOUND)."""
    if not 0 < request_id < MAX_REQUEST_ID:
        raise NotFound("no open command with that id for this device")
    response = ingest.parse_json(raw) if raw else {}
    if not isinstance(response, dict):
        response = {"result": response}
    async with runtime.db.tenant(identity.tenant_id) as s:
        call = await s.scalar(
            select(RpcCall).where(RpcCall.device_id == identity.device_id, RpcCall.request_id == request_id)
        )
        if call is None or call.status not in (QUEUED, SENT):
            raise NotFound("no open command with that id for this device")
        call.status = ANSWERED
        call.response = response
        call.answered_at = utcnow()
        await events.publish(
            runtime, s, "device.rpc_answered", identity.tenant_id,
            {"call_id": str(call.id), "device_id": str(call.device_id), "method": call.method, "response": response},
        )
        await _announce_closed(runtime, s, [call.id])
    return call


async def wait_answer(runtime: Any, tenant_id: uuid.UUID, call_id: uuid.UUID, seconds: float) -> RpcCall:
    """Wait until the call is answered or expired (or ``seconds`` passed); the call as it is."""
    await listen(runtime)
    deadline = time.monotonic() + seconds
    while True:
        async with runtime.db.tenant(tenant_id) as s:
            call = await s.scalar(select(RpcCall).where(RpcCall.id == call_id))
            if call is None:
                raise NotFound("no such command")
            if call.status in (QUEUED, SENT) and call.expires_at <= utcnow():
                await expire(runtime, s)
                await s.refresh(call)  # another waiter may have expired it first
        assert call is not None
        remaining = deadline - time.monotonic()
        if call.status in (ANSWERED, TIMED_OUT) or remaining <= 0:
            return call
        await signals(runtime).wait(("call", call_id), min(remaining, 1.0))


async def expire(runtime: Any, session: AsyncSession) -> int:
    """Mark overdue calls of the session's tenant timed out (with ``device.rpc_timed_out``).

    One conditional UPDATE … RETURNING: when several waiters expire the same calls at once,
    each call is timed out (and announced) by exactly one of them."""
    rows = (
        await session.execute(
            update(RpcCall)
            .where(RpcCall.status.in_((QUEUED, SENT)), RpcCall.expires_at <= utcnow())
            .values(status=TIMED_OUT)
            .returning(RpcCall.id, RpcCall.tenant_id, RpcCall.device_id, RpcCall.method)
            .execution_options(synchronize_session="fetch")
        )
    ).all()
    for call_id, tenant_id, device_id, method in rows:
        await events.publish(
            runtime, session, "device.rpc_timed_out", tenant_id,
            {"call_id": str(call_id), "device_id": str(device_id), "method": method},
        )
    if rows:
        await _announce_closed(runtime, session, [r[0] for r in rows])
    return len(rows)
