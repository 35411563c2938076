"""Builds the per-request :class:`RequestContext`: who calls, in which tenant, with which
policies; one session (one transaction) for the request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from kernel.db.scope import TENANT_KEY, UNSCOPED_KEY
from kernel.errors import LinliError, Unauthenticated
from kernel.graphql.context import Actor, RequestContext
from kernel.identity.revocation import cache_of
from kernel.identity.service import parse_api_key, verify_api_key
from kernel.identity.tokens import decode_access_token
from kernel.runtime import Runtime
from kernel.tenancy import Tenant


class GatewayContext(RequestContext, BaseContext):
    auth_error: LinliError | None = None
    #: The login session of a bearer token (``sid``), for "my sessions".
    session_id: uuid.UUID | None = None
    client_ip: str = ""
    query_cost: int = 0
    elapsed: float = 0.0
    #: Field tasks still running (gateway.schema.SettledExecution); set per connection.
    pending_fields: set[Any] | None = None
    #: When the bearer token expires, and the API key used: what a WebSocket's watch re-checks
    #: (gateway.ws_watch).
    credential_expires_at: datetime | None = None
    api_key_id: uuid.UUID | None = None
    #: The open WebSocket's entry in the connection watch (None for HTTP).
    ws_watch: Any = None

    def require_tenant(self) -> uuid.UUID:
        if self.auth_error is not None:
            raise self.auth_error
        return super().require_tenant()


async def open_context(runtime: Runtime, request: Request | Any, request_id: str, *, authorization: str | None = None) -> GatewayContext:
    """``authorization`` stands in for the request's header (a WebSocket's ``connection_init``)."""
    ctx = GatewayContext(runtime=runtime, request_id=request_id, request=request)
    client = getattr(request, "client", None)
    ctx.client_ip = client.host if client is not None else ""
    headers = request.headers
    tenant_id: uuid.UUID | None = None
    api_key: tuple[str, str] | None = None
    session_id: uuid.UUID | None = None
    try:
        auth = authorization if authorization is not None else headers.get("authorization", "")
        presented_key = headers.get("x-api-key")
        if auth and presented_key:
            # two credentials could name two tenants; refuse rather than pick one
            raise Unauthenticated("send either `Authorization: Bearer …` or `X-API-Key`, not both")
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("use `Authorization: Bearer <access token>`")
            claims = decode_access_token(runtime.settings.secret_key, token.strip())
            if claims.regulator_street:
                ctx.actor = Actor(claims.account_id, kind="regulator", regulator_street=claims.regulator_street)
            else:
                ctx.actor = Actor(claims.account_id, platform_admin=claims.platform_admin)
            tenant_id, session_id = claims.tenant_id, claims.session_id
            ctx.session_id = session_id
            ctx.credential_expires_at = claims.expires_at
        elif presented_key:
            tenant_id, prefix, secret = parse_api_key(presented_key)
            api_key = (prefix, secret)
    except LinliError as exc:
        ctx.auth_error = exc
    if tenant_id is not None:
        ctx.session = runtime.db.sessions(info={TENANT_KEY: tenant_id})
        tenant = await ctx.session.get(Tenant, tenant_id)
        if tenant is None:
            ctx.auth_error = Unauthenticated("the tenant of this credential no longer exists")
            return ctx
        ctx.tenant = tenant
        if api_key is not None:
            try:
                key = await verify_api_key(ctx.session, *api_key)
                ctx.actor = Actor(None, kind="api_key", api_key_role=key.role)
                ctx.api_key_id = key.id
            except LinliError as exc:
                ctx.auth_error = exc
                return ctx
        elif ctx.actor is not None and ctx.auth_error is None:
            try:
                # a revoked session or a deactivated person stops here at once (cached per tenant)
                await cache_of(runtime).check(ctx.session, tenant, ctx.actor.account_id, session_id)
            except LinliError as exc:
                ctx.auth_error = exc
                return ctx
        ctx.enforcer = await runtime.enforcers.get(ctx.session, tenant)
        ctx.enabled_plugins = ctx.enforcer.enabled_plugins
    else:
        ctx.session = runtime.db.sessions(info={UNSCOPED_KEY: True})
    return ctx


async def close_context(ctx: GatewayContext) -> None:
    if ctx.ws_watch is not None:
        from gateway.ws_watch import watch_of

        watch_of(ctx.runtime).forget(ctx.ws_watch)
        ctx.ws_watch = None
    if ctx.session is not None:
        await ctx.session.close()


async def authenticate_connection(ctx: GatewayContext, authorization: str) -> None:
    """A WebSocket's credential arrives in ``connection_init`` (browsers cannot set headers on
    the upgrade): rebuild the connection's context in place from it. The connection then holds
    no database connection between its operations."""
    await close_context(ctx)
    fresh = await open_context(ctx.runtime, ctx.request, ctx.request_id, authorization=authorization)
    for name in ("auth_error", "session", "tenant", "actor", "enforcer", "enabled_plugins", "session_id", "credential_expires_at", "api_key_id"):
        setattr(ctx, name, getattr(fresh, name))
    if ctx.session is not None:
        await ctx.session.close()


async def context_dependency(connection: HTTPConnection) -> AsyncIterator[GatewayContext]:
    """The context of an HTTP request or of a WebSocket connection (all its operations)."""
    runtime: Runtime = connection.app.state.runtime
    request_id = getattr(connection.state, "request_id", None) or uuid.uuid4().hex  # WebSockets skip the HTTP middleware
    ctx = await open_context(runtime, connection, request_id)
    try:
        yield ctx
    finally:
        await close_context(ctx)
