"""Photo uploads for work orders, with pre-signed URLs (the way object stores do it).

1. An actor who may report asks ``requestWorkOrderPhotoUpload(contentType, size)`` and gets an
   ``uploadUrl`` valid for 10 minutes, signed (HMAC-SHA256 with the deployment's secret key)
   over tenant, photo name, size and expiry;
2. the client ``PUT``s the bytes there — no token needed, the signature is the permission; the
   route checks signature, expiry, size and the image's magic bytes, and refuses overwrites;
3. the returned ``url`` goes into ``reportWorkOrder``/``resolveWorkOrder`` ``photos``;
4. ``PhotoRef.viewUrl`` gives a reader a signed ``GET`` URL valid for 10 minutes.

Files live under ``<data_dir>/workorder-photos/<tenant>/``; a deployment with object storage
would swap this module for pre-signed URLs of its bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from kernel.sdk import BadUserInput, Conflict, Forbidden, NotFound
from kernel.sdk.runtime import Runtime
from plugins.workorders.inputs import PHOTO_PREFIX as PREFIX

TTL_SECONDS = 600
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}
CONTENT_TYPES = {v: k for k, v in EXTENSIONS.items()}
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp|heic)$")
MAX_BYTES = 10 * 1024 * 1024

router = APIRouter(prefix=PREFIX, tags=["workorders"])


def _sign(secret: str, verb: str, tenant_id: str, name: str, size: int, expires: int) -> str:
    msg = f"{verb}:{tenant_id}:{name}:{size}:{expires}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def upload_url(
    secret: str, tenant_id: uuid.UUID, content_type: str, size: int, *, now: float | None = None
) -> tuple[str, str, int]:
    """(signed upload URL, the photo's URL to store, expiry as a Unix time)."""
    if content_type not in EXTENSIONS:
        raise BadUserInput(
            f"photo type must be one of {', '.join(EXTENSIONS)}", field="contentType"
        )
    if not (0 < size <= MAX_BYTES):
        raise BadUserInput(f"a photo has 1 byte to {MAX_BYTES} bytes", field="size")
    name = f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    expires = int((now or time.time()) + TTL_SECONDS)
    sig = _sign(secret, "put", str(tenant_id), name, size, expires)
    path = f"{PREFIX}/{tenant_id}/{name}"
    return f"{path}?size={size}&expires={expires}&sig={sig}", path, expires


def view_url(secret: str, path: str, *, now: float | None = None) -> str | None:
    """A signed GET URL for an uploaded photo's path; None for external (https) photos."""
    m = re.match(rf"^{PREFIX}/([0-9a-f-]{{36}})/([^/?]+)$", path)
    if not m:
        return None
    expires = int((now or time.time()) + TTL_SECONDS)
    return (
        f"{path}?expires={expires}&sig={_sign(secret, 'get', m.group(1), m.group(2), 0, expires)}"
    )


def _magic_ok(ext: str, head: bytes) -> bool:
    if ext == "jpg":
        return head.startswith(b"\xff\xd8\xff")
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return head[4:8] == b"ftyp"  # heic


def _file(runtime: Runtime, tenant_id: str, name: str) -> Path:
    try:
        tid = uuid.UUID(tenant_id)
    except ValueError:
        raise NotFound("no such photo") from None
    if not NAME.match(name):
        raise NotFound("no such photo")
    return Path(runtime.settings.data_dir) / "workorder-photos" / str(tid) / name


def _write_once(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as fh:  # "x": never overwrite an uploaded photo
        fh.write(body)


def _check(
    secret: str, verb: str, tenant_id: str, name: str, size: int, expires: str, sig: str
) -> None:
    try:
        exp = int(expires)
    except ValueError:
        raise Forbidden("this link is not valid") from None
    expected = _sign(secret, verb, tenant_id, name, size, exp)
    if not hmac.compare_digest(expected, sig or ""):
        raise Forbidden("this link is not valid")
    if exp < time.time():
        raise Forbidden("this link has expired; ask for a new one")


@router.put("/{tenant_id}/{name}")
async def upload(
    tenant_id: str, name: str, request: Request, size: int = 0, expires: str = "", sig: str = ""
) -> dict[str, Any]:
    runtime = request.app.state.runtime
    target = _file(runtime, tenant_id, name)
    _check(runtime.settings.secret_key, "put", tenant_id, name, size, expires, sig)
    body = await request.body()
    if len(body) != size:
        raise BadUserInput(f"the body has {len(body)} bytes, the link was issued for {size}")
    ext = name.rsplit(".", 1)[1]
    if not _magic_ok(ext, body[:16]):
        raise BadUserInput(f"the bytes are not a {CONTENT_TYPES[ext]} image")
    try:
        await asyncio.to_thread(_write_once, target, body)
    except FileExistsError:
        raise Conflict("this photo was uploaded already") from None
    return {"url": f"{PREFIX}/{tenant_id}/{name}", "content_type": CONTENT_TYPES[ext], "size": size}


@router.get("/{tenant_id}/{name}")
async def download(
    tenant_id: str, name: str, request: Request, expires: str = "", sig: str = ""
) -> FileResponse:
    runtime = request.app.state.runtime
    target = _file(runtime, tenant_id, name)
    _check(runtime.settings.secret_key, "get", tenant_id, name, 0, expires, sig)
    if not await asyncio.to_thread(target.exists):
        raise NotFound("no such photo")
    return FileResponse(target, media_type=CONTENT_TYPES[name.rsplit(".", 1)[1]])
