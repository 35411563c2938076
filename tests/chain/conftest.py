"""Fixtures of the chain-client tests: SQLite runs on the embedded EVM, PostgreSQL on a real anvil
(skipped only when the anvil binary is missing: `npm ci` in contracts/ installs it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import pytest_asyncio

from kernel.chain import Anvil, AnvilNotFound, anvil_binary
from kernel.testing import missing
from tests.fixtures.estates import fast_passwords  # noqa: F401


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[Anvil | None]:
    """A session-wide anvil (None when the binary is missing: the PostgreSQL+anvil tests then skip)."""
    try:
        anvil_binary()
    except AnvilNotFound:
        yield None
        return
    node = Anvil().start()
    yield node
    node.stop()


@pytest_asyncio.fixture
async def chain_runtime(make_runtime, linli_backend, anvil_node):  # type: ignore[no-untyped-def]
    """A runtime on the backend's database, with the embedded EVM (SQLite) or anvil (PostgreSQL)."""
    if linli_backend == "postgres":
        if anvil_node is None:
            missing("anvil", "the anvil binary is missing: run `npm ci` in contracts/")
        rt = make_runtime(chain_url=anvil_node.url)
    else:
        rt = make_runtime()
    yield rt
    client = rt.services.get("chain")
    if client is not None:
        await client.close()
