"""FastAPI app factory: ``/graphql`` (GraphiQL in development; subscriptions over
graphql-transport-ws), ``/healthz``, ``/readyz``, ``/metrics``, ``/-/plugins``, plugin routes."""

from __future__ import annotations

import time
import uuid
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.middleware.base import BaseHTTPMiddleware
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway.context import GatewayContext, context_dependency
from gateway.ratelimit import TokenBuckets
from gateway.schema import compose
from kernel.errors import LinliError
from kernel.metrics import http_requests, registry, request_seconds
from kernel.runtime import Runtime

log = structlog.get_logger("linli.gateway")


class RequestIdAndLimits(BaseHTTPMiddleware):
    """Binds a request id to the logs, refuses oversized bodies, records metrics."""

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        limit = request.app.state.runtime.settings.max_body_bytes
        length = request.headers.get("content-length")
        try:
            if length is not None and int(length) > limit:
                return _error(413, "PAYLOAD_TOO_LARGE", f"the request body is over {limit} bytes")
        except ValueError:
            return _error(400, "BAD_USER_INPUT", "invalid Content-Length")
        started = time.perf_counter()
        try:
            response: Response = await call_next(request)
        finally:
            structlog.contextvars.clear_contextvars()
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        request_seconds.labels(path).observe(time.perf_counter() - started)
        http_requests.labels(path, str(response.status_code)).inc()
        response.headers["x-request-id"] = request_id
        return response


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


def create_app(runtime: Runtime | None = None, *, workers: bool = False) -> FastAPI:
    runtime = runtime or Runtime.build()
    schema = compose(runtime.host)
    runtime.services.setdefault(
        "rate_limiter",
        TokenBuckets(runtime.settings.rate_limit_cost_per_minute, runtime.settings.rate_limit_cost_per_minute / 60),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        await runtime.startup()
        if workers:
            runtime.start_workers()
        yield
        await runtime.shutdown()

    app = FastAPI(title="Linli", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.state.schema = schema
    app.add_middleware(RequestIdAndLimits)

    async def get_context(ctx: GatewayContext = Depends(context_dependency)) -> GatewayContext:  # noqa: B008
        structlog.contextvars.bind_contextvars(
            tenant=ctx.tenant.slug if ctx.tenant else None, actor=ctx.actor.label if ctx.actor else None
        )
        return ctx

    graphql = GraphQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if runtime.settings.environment == "development" else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
    )
    app.include_router(graphql, prefix="/graphql")

    @app.exception_handler(LinliError)
    async def _linli_error(_request: Request, exc: LinliError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.http_status)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            async with runtime.db.sessions() as s:
                await s.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready", "database": runtime.db.dialect})

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/-/plugins")
    @app.get("/-/plugins.json")
    async def plugins() -> list[dict[str, Any]]:
        return runtime.host.describe()

    for _, routers in runtime.host.collect("register_routes"):
        for router in routers:
            app.include_router(router)
    return app
