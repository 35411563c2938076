"""The demo proposal's documents are served, and the fingerprint the demo seeds is that of the
served bytes (the old seed, "5" * 64, matched nothing)."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from fastapi import FastAPI

from kernel.sdk import NotFound
from plugins.governance.routes import PREFIX, demo_document, demo_document_ref, router


async def test_the_seeded_fingerprint_is_the_served_documents() -> None:
    app = FastAPI()
    app.include_router(router)
    ref = demo_document_ref("elevator-plan.txt")
    assert ref["url"] == f"{PREFIX}/elevator-plan.txt" and ref["sha256"] != "5" * 64
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://test"
    ) as client:
        served = await client.get(ref["url"])
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/plain")
    assert hashlib.sha256(served.content).hexdigest() == ref["sha256"]
    assert "98" in served.content.decode(
        "utf-8"
    )  # the budget the demo proposal's body names (98 万元)


def test_only_the_listed_documents_are_served() -> None:
    for name in ("README.md", "../routes.py", "nope.txt"):
        with pytest.raises(NotFound):
            demo_document(name)
