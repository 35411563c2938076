"""Open WebSockets lose their credential the moment an HTTP request would.

A WebSocket authenticates once, in ``connection_init``; its subscriptions may then run for hours.
Without a re-check, a signed-out session, a deactivated login, a revoked API key, a suspended firm
or an expired token would keep receiving events. :class:`ConnectionWatch` (one per process, in
``runtime.services["gateway.ws_watch"]``) re-checks every open connection every
``settings.ws_recheck_seconds`` and closes the ones whose credential no longer holds with
**4403** and a reason (the code ``connection_init`` refusals use): the client logs in again.

The cost does not grow with connections per firm: one transaction per firm with open connections
per interval, reading the firm's row (its ``auth_version`` says whether the in-memory revocation
sets are current — :mod:`kernel.identity.revocation`) and, only for API-key connections, the keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select

from kernel.db.base import utcnow
from kernel.errors import LinliError
from kernel.identity.models import ApiKey
from kernel.identity.revocation import cache_of
from kernel.runtime import Runtime
from kernel.tenancy import Tenant

log = structlog.get_logger("linli.gateway.ws")

#: graphql-transport-ws leaves 4400–4499 to the server; 4403 is what a refused connection_init gets.
CLOSE_CODE = 4403


@dataclass(eq=False)
class Watched:
    websocket: Any
    tenant_id: uuid.UUID
    account_id: uuid.UUID | None
    session_id: uuid.UUID | None
    expires_at: Any
    api_key_id: uuid.UUID | None


class ConnectionWatch:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.connections: set[Watched] = set()
        self._task: asyncio.Task[None] | None = None

    def watch(self, ctx: Any) -> Watched | None:
        """Start watching the connection of an authenticated WebSocket context."""
        if ctx.tenant is None or ctx.request is None:
            return None
        actor = ctx.actor
        entry = Watched(
            ctx.request,
            ctx.tenant.id,
            getattr(actor, "account_id", None),
            ctx.session_id,
            ctx.credential_expires_at,
            ctx.api_key_id,
        )
        self.connections.add(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="linli-ws-watch")
        return entry

    def forget(self, entry: Watched | None) -> None:
        if entry is not None:
            self.connections.discard(entry)

    async def stop(self) -> None:
        """Stop re-checking (the app shuts down)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.connections.clear()

    async def _run(self) -> None:
        interval = float(self.runtime.settings.ws_recheck_seconds)
        while self.connections:
            await asyncio.sleep(interval)
            try:
                await self.check_once()
            except Exception:  # a database hiccup must not stop the watch; next round retries
                log.warning("ws_watch_failed", exc_info=True)

    async def check_once(self) -> int:
        """Close every watched connection whose credential no longer holds; returns how many."""
        now = utcnow()
        by_tenant: dict[uuid.UUID, list[Watched]] = defaultdict(list)
        closing: list[tuple[Watched, str]] = []
        for entry in list(self.connections):
            if entry.expires_at is not None and entry.expires_at <= now:
                closing.append((entry, "the access token has expired; log in again"))
            else:
                by_tenant[entry.tenant_id].append(entry)
        for tenant_id, entries in by_tenant.items():
            closing += await self._check_tenant(tenant_id, entries)
        for entry, reason in closing:
            self.forget(entry)
            log.info("websocket_closed", reason=reason)
            with contextlib.suppress(Exception):  # already gone
                await entry.websocket.close(code=CLOSE_CODE, reason=reason[:120])
        return len(closing)

    async def _check_tenant(self, tenant_id: uuid.UUID, entries: list[Watched]) -> list[tuple[Watched, str]]:
        closing: list[tuple[Watched, str]] = []
        async with self.runtime.db.tenant(tenant_id) as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None or not tenant.is_active:
                why = "the property firm no longer exists" if tenant is None else "the property firm is suspended"
                return [(entry, why) for entry in entries]
            keys = {e.api_key_id for e in entries if e.api_key_id is not None}
            revoked_keys: set[uuid.UUID] = set()
            if keys:
                rows = await session.execute(select(ApiKey.id).where(ApiKey.id.in_(keys), ApiKey.revoked_at.is_not(None)))
                revoked_keys = set(rows.scalars())
            cache = cache_of(self.runtime)
            for entry in entries:
                if entry.api_key_id is not None:
                    if entry.api_key_id in revoked_keys:
                        closing.append((entry, "the API key was revoked"))
                    continue
                try:
                    await cache.check(session, tenant, entry.account_id, entry.session_id)
                except LinliError as exc:
                    closing.append((entry, exc.message))
        return closing


def watch_of(runtime: Runtime) -> ConnectionWatch:
    watch = runtime.services.get("gateway.ws_watch")
    if not isinstance(watch, ConnectionWatch):
        watch = runtime.services["gateway.ws_watch"] = ConnectionWatch(runtime)
    return watch
