"""Shared fixtures: see kernel/testing.py (also usable by third-party plugin authors)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest_asyncio
from fixtures import third_party_plugin
from fixtures.estates import PASSWORD  # noqa: F401 - one definition (tests/fixtures), re-exported

from kernel.testing import *  # noqa: F403
from kernel.testing import GraphQLClient, unique_slug

_test_plugin_site = None


def pytest_configure(config):  # type: ignore[no-untyped-def]
    """The third-party test plugin is visible to the tests only (tests/fixtures/third_party_plugin.py)."""
    global _test_plugin_site
    _test_plugin_site = third_party_plugin.expose()


def pytest_unconfigure(config):  # type: ignore[no-untyped-def]
    third_party_plugin.remove(_test_plugin_site)


@dataclass
class TenantFixture:
    slug: str
    tenant_id: uuid.UUID
    admin: str
    token: str


@pytest_asyncio.fixture
async def runtime(make_runtime):  # type: ignore[no-untyped-def]
    return make_runtime()


@pytest_asyncio.fixture
async def gql(runtime, gql_factory) -> GraphQLClient:  # type: ignore[no-untyped-def]
    return gql_factory(runtime)


@pytest_asyncio.fixture
async def new_tenant(runtime, gql):  # type: ignore[no-untyped-def]
    from tenants.lifecycle import provision

    async def make(prefix: str = "firm") -> TenantFixture:
        slug = unique_slug(prefix)
        admin = f"{slug}-admin"
        p = await provision(runtime, slug=slug, name=f"{slug} 物业", admin_username=admin, admin_password=PASSWORD)
        token = await gql.login(admin, PASSWORD, slug)
        return TenantFixture(slug, p.tenant_id, admin, token)

    return make
