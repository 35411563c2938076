"""FastAPI app factory: ``/graphql`` (GraphiQL, bundled locally, in development or with
``LINLI_GRAPHIQL=true``; subscriptions over graphql-transport-ws), ``/healthz``, ``/readyz``,
``/metrics``, ``/-/plugins``, plugin routes, the voting client (``/vote/``) and the web clients
(``/``, ``/console/``, ``/web/``, ``/web-plugins/``: gateway/web.py)."""

from __future__ import annotations

import asyncio
import gc
import re
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import ClientDisconnect
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway import devices_api, personal_download, web
from gateway.context import GatewayContext, authenticate_connection, context_dependency
from gateway.ratelimit import TokenBuckets
from gateway.schema import compose
from gateway.ws_watch import watch_of
from kernel.db.outage import DATABASE_UNAVAILABLE_MESSAGE, is_database_outage
from kernel.errors import LinliError
from kernel.identity.passwords import prepare_dummy_hash
from kernel.metrics import http_requests, registry, request_seconds
from kernel.ratelimit import buckets_for
from kernel.runtime import Runtime

log = structlog.get_logger("linli.gateway")


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _client_went_away(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is Starlette's ``ClientDisconnect``."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ClientDisconnect):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class RequestIdAndLimits(BaseHTTPMiddleware):
    """Binds a request id to the logs (the client's ``x-request-id`` if it is a plain token of at
    most 64 characters, else a new one) and sends it back on every response; refuses oversized
    bodies; records metrics; writes the request's one log entry (docs/security.md: route, status,
    time, GraphQL operation and error codes with counts, the query's outline without literals
    when it failed, a traceback only for an unexpected error); answers an exception that escapes
    everything with a coded 500 rather than a bare one."""

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        presented = request.headers.get("x-request-id", "")
        request_id = presented if _REQUEST_ID.fullmatch(presented) else uuid.uuid4().hex
        request.state.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        unexpected: BaseException | None = None
        try:
            response = await self._answer(request, call_next)
        except Exception as exc:  # noqa: BLE001 - the one place an unexpected error is logged
            if _client_went_away(exc):
                # the client closed the connection before its request was read: nobody to answer,
                # nothing wrong here (nginx's 499); logged as info, without a traceback
                response = _error(499, "CLIENT_CLOSED_REQUEST", "the client closed the connection", request.url.path)
            elif is_database_outage(exc):
                request.state.database_outage = True
                response = _error(503, "DATABASE_UNAVAILABLE", DATABASE_UNAVAILABLE_MESSAGE, request.url.path)
            else:
                unexpected = exc
                response = _error(500, "INTERNAL_SERVER_ERROR", "internal error; it has been logged with the request id", request.url.path)
        route = request.scope.get("route")
        # the route's template (a device token in the path stays out of logs and labels); the
        # GraphQL router's own template is empty, its path is the fixed /graphql
        path = getattr(route, "path", "unmatched") or request.url.path
        seconds = time.perf_counter() - started
        request_seconds.labels(path).observe(seconds)
        http_requests.labels(path, str(response.status_code)).inc()
        response.headers["x-request-id"] = request_id
        unexpected = unexpected or getattr(request.state, "unexpected", None)
        graphql = getattr(request.state, "graphql", None) or {}
        level = log.error if unexpected is not None else (log.warning if getattr(request.state, "database_outage", False) else log.info)
        level(
            "request", method=request.method, route=path, status=response.status_code, ms=round(seconds * 1000, 1),
            **graphql, exc_info=unexpected,
        )
        structlog.contextvars.clear_contextvars()
        return response

    @staticmethod
    async def _answer(request: Request, call_next: Any) -> Response:
        limit = request.app.state.runtime.settings.max_body_bytes
        length = request.headers.get("content-length")
        try:
            if length is not None and int(length) > limit:
                return _error(413, "PAYLOAD_TOO_LARGE", f"the request body is over {limit} bytes", request.url.path)
        except ValueError:
            return _error(400, "BAD_USER_INPUT", "invalid Content-Length", request.url.path)
        response: Response = await call_next(request)
        return response


class StreamedBodyLimit:
    """Refuses a body over ``max_body_bytes`` that arrives without a Content-Length (chunked):
    buffers at most limit + 1 bytes, then answers 413 PAYLOAD_TOO_LARGE or replays the body.
    Coded 4xx answers that strawberry renders as plain text are wrapped into coded JSON."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        if b"content-length" not in headers and scope.get("method") in ("POST", "PUT", "PATCH"):
            limit = scope["app"].state.runtime.settings.max_body_bytes
            messages, size = [], 0
            while True:
                message = await receive()
                messages.append(message)
                size += len(message.get("body", b""))
                if size > limit:
                    await _error(413, "PAYLOAD_TOO_LARGE", f"the request body is over {limit} bytes", scope.get("path", ""))(scope, receive, send)
                    return
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
            pending = iter(messages)

            async def replay() -> Any:
                return next(pending, None) or await receive()

            receive = replay
        await self.app(scope, receive, self._coded(scope, send))

    @staticmethod
    def _coded(scope: Any, send: Any) -> Any:
        """strawberry answers some 400s (no query, GET mutation, subscription over POST) in plain
        text; clients get the usual ``{"errors": [{"extensions": {"code": ...}}]}`` instead."""
        if not scope.get("path", "").startswith("/graphql"):
            return send
        state: dict[str, Any] = {}

        async def wrapped(message: Any) -> None:
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers") or ()).get(b"content-type", b"")
                if 400 <= message["status"] < 500 and ctype.startswith(b"text/plain"):
                    state["start"], state["body"] = message, b""
                    return
            elif message["type"] == "http.response.body" and "start" in state:
                state["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                import json

                status = state["start"]["status"]
                body = json.dumps({"errors": [{"message": state["body"].decode(errors="replace"), "extensions": {"code": "BAD_USER_INPUT"}}]}).encode()
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        return wrapped


def _error(status: int, code: str, message: str, path: str = "/graphql") -> JSONResponse:
    """A coded error in the shape of the API asked: GraphQL's ``{"errors": [...]}`` under
    ``/graphql``, ``{"error": {"code", "message"}}`` everywhere else (the device API, plugin
    routes)."""
    if path.startswith("/graphql"):
        return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


#: FastAPI's and Starlette's own answers (unknown route, wrong method, a path or query parameter
#: of the wrong type) get the documented codes instead of ``{"detail": ...}``.
_HTTP_CODES = {400: "BAD_USER_INPUT", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "BAD_USER_INPUT",
               408: "BAD_USER_INPUT", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 422: "BAD_USER_INPUT", 429: "RATE_LIMITED"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LinliError)
    async def _linli_error(request: Request, exc: LinliError) -> JSONResponse:
        return _error(exc.http_status, exc.code, exc.message, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code < 400:
            return Response(status_code=exc.status_code, headers=exc.headers)
        code = _HTTP_CODES.get(exc.status_code, "BAD_USER_INPUT" if exc.status_code < 500 else "INTERNAL_SERVER_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else "the request was refused"
        response = _error(exc.status_code, code, message, request.url.path)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:5])
        return _error(400, "BAD_USER_INPUT", f"invalid request parameters: {where}", request.url.path)


class LinliGraphQLRouter(GraphQLRouter[GatewayContext, None]):
    """``/graphql`` over HTTP and WebSocket (graphql-transport-ws). A WebSocket authenticates in
    ``connection_init``: payload ``{"Authorization": "Bearer <access token>"}`` or
    ``{"token": "<access token>"}`` (or an ``Authorization`` header on the upgrade, for clients
    that can send one). No credential, an expired or invalid one: the connection is closed with
    4403 before any operation runs, and closed with 4403 later when the credential stops holding
    (:mod:`gateway.ws_watch`)."""

    async def on_ws_connect(self, context: GatewayContext) -> dict[str, object] | None:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("Authorization", params.get("authorization"))
        token = params.get("token")
        if isinstance(token, str) and token and authorization is None:
            authorization = f"Bearer {token}"
        if authorization is not None:
            if not isinstance(authorization, str):
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
            await authenticate_connection(context, authorization)
        if context.auth_error is not None or context.tenant is None:
            code = context.auth_error.code if context.auth_error is not None else "UNAUTHENTICATED"
            log.info("websocket_refused", code=code)
            raise ConnectionRejectionError({"code": code})
        # re-checked while open: a revoked session, a deactivated login or key, a suspended firm or
        # an expired token closes the connection (gateway.ws_watch)
        context.ws_watch = watch_of(context.runtime).watch(context)
        return None

    def encode_json(self, data: object) -> str | bytes:
        """The response body by orjson (about a third of :func:`json.dumps`'s time on a 50-row
        page; non-ASCII text as UTF-8 instead of ``\\u`` escapes, the same JSON); what orjson
        refuses (an integer beyond 64 bits in a JSON scalar, a non-string key) as before. A str,
        not bytes: the WebSocket protocols (graphql-transport-ws) send it as a text frame, and
        bytes there broke every subscription's messages."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return super().encode_json(data)

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        """GraphiQL bundled from npm (web/graphiql) and served locally, not strawberry's page
        that loads it from a CDN (which stays on "Loading…" offline and in much of China)."""
        return web.client_page("graphiql")


def graphiql_enabled(settings: Any) -> bool:
    """GraphiQL at ``GET /graphql``: ``LINLI_GRAPHIQL`` when set, else only in development."""
    return settings.graphiql if settings.graphiql is not None else settings.environment == "development"


def serve_process_app() -> FastAPI:
    """The app of one of ``linli serve --workers N``'s gateway processes (uvicorn's factory): the
    runtime from the environment, no background workers (``linli worker`` runs those once)."""
    from kernel.config import Settings
    from kernel.logging import configure_logging
    from kernel.process import freeze_startup_heap

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    app = create_app(Runtime.build(settings), workers=False)
    freeze_startup_heap()
    return app


def create_app(runtime: Runtime | None = None, *, workers: bool = False) -> FastAPI:
    runtime = runtime or Runtime.build()
    schema = compose(runtime.host)
    runtime.services.setdefault(
        "rate_limiter",
        TokenBuckets(
            runtime.settings.rate_limit_cost_per_minute, runtime.settings.rate_limit_cost_per_minute / 60, buckets_for(runtime)
        ),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        await runtime.startup()
        # What exists now (schema, mappers, plugins, settings) lives as long as the process: take
        # it out of the cyclic GC's reach, so that the full collections GraphQL list pages trigger
        # (graphql-core allocates many small objects) scan only request garbage —
        # bench/graphql_vs_handwritten.py: GC fell from ~15% to ~9% of the server's CPU.
        gc.collect()
        gc.freeze()
        if workers:
            runtime.start_workers()
        # the unknown-login timing equaliser (an argon2id hash) is made beside serving, not before it
        equaliser = asyncio.get_running_loop().run_in_executor(None, prepare_dummy_hash)
        yield
        await equaliser
        await watch_of(runtime).stop()
        await runtime.shutdown()

    app = FastAPI(title="Linli", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.state.schema = schema
    # the last added runs first: every answer, the streamed body limit's 413 included, passes
    # through RequestIdAndLimits (request id header, metrics, the one log entry)
    app.add_middleware(StreamedBodyLimit)
    app.add_middleware(RequestIdAndLimits)

    async def get_context(ctx: GatewayContext = Depends(context_dependency)) -> GatewayContext:  # noqa: B008
        structlog.contextvars.bind_contextvars(
            tenant=ctx.tenant.slug if ctx.tenant else None, actor=ctx.actor.label if ctx.actor else None
        )
        return ctx

    graphql = LinliGraphQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql_enabled(runtime.settings) else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
    )
    app.include_router(graphql, prefix="/graphql")

    _install_error_handlers(app)

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

    for router in runtime.host.routes():
        app.include_router(router)
    app.include_router(devices_api.router())  # ThingsBoard-compatible device API (kernel registry)
    app.include_router(personal_download.router())  # GET /me/export.zip: a person's own data
    _mount_voting_client(app)
    web.mount(app, runtime.host)  # /, the favicon, /console/, /web/, plugins' pages
    return app


VOTING_CLIENT = Path(__file__).resolve().parent / "static" / "vote"


def _mount_voting_client(app: FastAPI) -> None:
    """The residents' voting client (static pages calling ``/graphql``) at ``/vote/``."""

    @app.get("/vote", include_in_schema=False)
    async def vote_redirect() -> RedirectResponse:
        return RedirectResponse("/vote/", status_code=308)

    app.mount("/vote", StaticFiles(directory=VOTING_CLIENT, html=True), name="vote")
