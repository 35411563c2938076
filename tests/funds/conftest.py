"""Fixtures of the funds tests: SQLite runs on the embedded EVM (one per module, shared by the tests: each test
deploys its own community contracts on it), PostgreSQL on a real anvil when its binary is installed."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from kernel.chain import ChainClient
from tests.chain.conftest import anvil_node  # noqa: F401
from tests.fixtures.estates import fast_passwords  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_passwords")

_EMBEDDED: dict[str, ChainClient] = {}


@pytest.fixture(autouse=True)
def _fast(fast_passwords: None) -> None:  # noqa: F811
    """argon2id at minimal cost for every test of the package."""


@pytest_asyncio.fixture
async def runtime(make_runtime, linli_backend, anvil_node):  # type: ignore[no-untyped-def]  # noqa: F811
    if linli_backend == "postgres" and anvil_node is not None:
        rt: Any = make_runtime(chain_url=anvil_node.url)
        yield rt
        client = rt.services.get("chain")
        if client is not None:
            await client.close()
        return
    rt = make_runtime()
    if "client" not in _EMBEDDED:
        _EMBEDDED["client"] = await ChainClient.connect(None)
    rt.services["chain"] = _EMBEDDED["client"]
    yield rt
