"""The ThingsBoard-compatible device HTTP API, so gateways and firmware in the field connect
unchanged::

    POST /api/v1/{token}/telemetry     {"temperature": 21.5} | {"ts": ..., "values": {...}} | [...]
    POST /api/v1/{token}/attributes    {"firmware": "1.2.0"}
    GET  /api/v1/{token}/rpc?timeout=20000      long-poll for the next command
    POST /api/v1/{token}/rpc/{request_id}       the device's response to a command

Errors are ``{"error": {"code": ..., "message": ...}}`` with the code's HTTP status: 401
UNAUTHENTICATED (unknown or revoked token), 400 BAD_USER_INPUT, 413 PAYLOAD_TOO_LARGE,
429 RATE_LIMITED, 403 TENANT_SUSPENDED. A message is stored whole or not at all.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from kernel.devices import rpc, service
from kernel.devices.ingest import PayloadTooLarge


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the message is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def router() -> APIRouter:
    """The device API router (mounted by ``gateway.app.create_app``)."""
    api = APIRouter(prefix="/api/v1", tags=["devices"])

    async def _ingest(token: str, kind: str, request: Request) -> Response:
        runtime = request.app.state.runtime
        identity = await service.authenticate(runtime, token, "http")
        raw = await _body(request, service.settings_of(runtime).max_payload_bytes)
        await service.ingest_message(runtime, identity, kind, raw, "http")
        return Response(status_code=200)

    @api.post("/{token}/telemetry")
    async def post_telemetry(token: str, request: Request) -> Response:
        return await _ingest(token, "telemetry", request)

    @api.post("/{token}/attributes")
    async def post_attributes(token: str, request: Request) -> Response:
        return await _ingest(token, "attributes", request)

    @api.get("/{token}/rpc")
    async def poll_rpc(token: str, request: Request, timeout_ms: int = Query(20_000, alias="timeout")) -> Response:
        runtime = request.app.state.runtime
        identity = await service.authenticate(runtime, token, "http")
        call: dict[str, Any] | None = await rpc.poll(runtime, identity, min(max(timeout_ms, 0), 60_000) / 1000)
        if call is None:
            return Response(status_code=408)
        return JSONResponse(call)

    @api.post("/{token}/rpc/{request_id}")
    async def answer_rpc(token: str, request_id: int, request: Request) -> Response:
        runtime = request.app.state.runtime
        identity = await service.authenticate(runtime, token, "http")
        raw = await _body(request, service.settings_of(runtime).max_payload_bytes)
        await rpc.answer(runtime, identity, request_id, raw)
        return Response(status_code=200)

    return api
