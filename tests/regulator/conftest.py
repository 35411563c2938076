"""Fixtures of the street-office tests: jurisdictions, regulator accounts, firms with KPI data."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest_asyncio

from kernel.identity.platform import create_platform_account
from kernel.supervision.jurisdictions import create_jurisdiction
from tests.fixtures.estates import fast_passwords  # noqa: F401

PASSWORD = "street office 2026"


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest_asyncio.fixture
async def jurisdiction(runtime: Any) -> Callable[..., Awaitable[str]]:
    async def make(prefix: str, *, name: str = "", kind: str = "street", parent: str | None = None) -> str:
        c = code(prefix)
        async with runtime.db.platform() as s:
            await create_jurisdiction(s, code=c, name=name or c, kind=kind, parent_code=parent)
        return c

    return make


@pytest_asyncio.fixture
async def regulator(runtime: Any, gql: Any) -> Callable[[str], Awaitable[tuple[str, str]]]:
    """``await regulator(code)`` → (account label, access token) of a new regulator account."""

    async def make(jurisdiction_code: str) -> tuple[str, str]:
        username = f"reg-{uuid.uuid4().hex[:8]}"
        async with runtime.db.platform() as s:
            account = await create_platform_account(s, username, PASSWORD, "街道办", regulator_street_code=jurisdiction_code)
        return f"regulator:{account.id}", await gql.login(username, PASSWORD)

    return make
