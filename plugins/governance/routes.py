"""HTTP routes of the governance plugin: the demo proposal's documents, so that the fingerprints the
demo seeds are those of bytes anyone can download and check (``sha256sum``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from kernel.sdk import NotFound

DEMO_DOCUMENTS = Path(__file__).resolve().parent / "demo_documents"
#: Served names → (file, media type); nothing else under the folder is reachable.
SERVED = {"elevator-plan.txt": ("elevator-plan.txt", "text/plain; charset=utf-8")}
PREFIX = "/plugins/governance/demo-documents"

router = APIRouter(prefix=PREFIX, tags=["governance"])


def demo_document(name: str) -> tuple[bytes, str]:
    """The bytes and media type of a served demo document (NotFound for any other name)."""
    if name not in SERVED:
        raise NotFound("no such demo document")
    file, media_type = SERVED[name]
    return (DEMO_DOCUMENTS / file).read_bytes(), media_type


def demo_document_ref(name: str) -> dict[str, str]:
    """``{url, sha256}`` of a served demo document: its path on this server and its real fingerprint."""
    data, _ = demo_document(name)
    return {"url": f"{PREFIX}/{name}", "sha256": hashlib.sha256(data).hexdigest()}


@router.get("/{name}")
async def get_demo_document(name: str) -> Response:
    data, media_type = demo_document(name)
    return Response(
        content=data, media_type=media_type, headers={"cache-control": "public, max-age=3600"}
    )
