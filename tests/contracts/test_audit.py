"""AuditAnchor: append-only anchors of the hash-chained audit log."""

from __future__ import annotations

import pytest
import pytest_asyncio
from contract_helpers import one_event, reverts

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def anchor(chain):
    return await chain.deploy("AuditAnchor", chain.address)


async def test_anchors(chain, anchor, isolated):
    with reverts("AuditAnchorIndexOutOfRange", 0, 0):
        await chain.call(anchor.functions.latestAnchor())
    receipt = await chain.transact(anchor.functions.anchor(b"\x0a" * 32, 10))
    assert one_event(receipt, anchor, "Anchored") == {"index": 0, "head": b"\x0a" * 32, "entryCount": 10}
    receipt = await chain.transact(anchor.functions.anchor(b"\x0b" * 32, 25))
    assert one_event(receipt, anchor, "Anchored") == {"index": 1, "head": b"\x0b" * 32, "entryCount": 25}
    block = await chain.w3.eth.get_block(receipt["blockNumber"])
    assert tuple(await chain.call(anchor.functions.anchorAt(1))) == (
        b"\x0b" * 32, 25, block["timestamp"], receipt["blockNumber"])
    assert tuple(await chain.call(anchor.functions.latestAnchor()))[:2] == (b"\x0b" * 32, 25)
    assert await chain.call(anchor.functions.anchorCount()) == 2
    with reverts("AuditAnchorCountNotIncreasing", 25, 25):
        await chain.transact(anchor.functions.anchor(b"\x0c" * 32, 25))
    with reverts("AuditAnchorZeroHead"):
        await chain.transact(anchor.functions.anchor(b"\x00" * 32, 30))
    with reverts("AuditAnchorIndexOutOfRange", 2, 2):
        await chain.call(anchor.functions.anchorAt(2))
