"""Fixtures of the contract tests: every module runs on the embedded EVM and on a real anvil.

A module deploys its community once per backend; each test runs between a snapshot and a revert, so tests
are independent without redeploying. anvil tests are skipped only when the anvil binary is missing
(``npm ci`` in ``contracts/`` installs it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from kernel.chain import Anvil, AnvilNotFound, ChainClient, anvil_binary, devchain
from kernel.testing import missing


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[Anvil]:
    try:
        anvil_binary()
    except AnvilNotFound:
        missing("anvil", "the anvil binary is missing: run `npm ci` in contracts/")
    node = Anvil().start()
    yield node
    node.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session", params=["embedded", "anvil"])
async def chain(request: pytest.FixtureRequest) -> AsyncIterator[ChainClient]:
    """A chain client on a fresh embedded EVM, or on the session's anvil."""
    url = None
    if request.param == "anvil":
        url = request.getfixturevalue("anvil_node").url
    client = await ChainClient.connect(url)
    yield client
    await client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def isolated(chain: ChainClient) -> AsyncIterator[ChainClient]:
    """The module's chain, rolled back after the test."""
    snap = await devchain.snapshot(chain)
    yield chain
    await devchain.revert(chain, snap)
