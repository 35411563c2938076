"""The Linli testing kit: a pytest plugin for Linli itself and for plugin authors.

Installed with Linli and registered under the ``pytest11`` entry-point group, so every pytest run
in an environment with Linli has these fixtures — a plugin's tests need no conftest. Tests run on
a fresh migrated SQLite database and, when ``LINLI_TEST_POSTGRES_URL`` is set, on PostgreSQL too
(a new database per session, used through an application role that cannot bypass row-level
security, as production runs).

Fixtures (function scope unless said otherwise):

``linli_plugins``
    Extra plugin modules the test runtimes load besides the built-ins and the installed
    (entry-point) ones. Empty; override it in a conftest to test a plugin you have not installed.
``linli_backend``, ``linli_database`` (session)
    The database backend (``sqlite``, ``postgres``) and the migrated database for it.
``make_runtime``
    ``make_runtime(**settings)`` builds another :class:`~kernel.sdk.runtime.Runtime` on that
    database; all are closed after the test.
``runtime``
    A runtime with the built-ins, the installed plugins and ``linli_plugins``.
``gql``
    A :class:`GraphQLClient` on the runtime's app: ``await gql(query, variables, token=...)``
    returns the JSON answer; ``await gql.login(username, password, tenant_slug)`` a token.
``new_tenant`` / ``tenant``
    ``await new_tenant("prefix")`` provisions a property firm with an admin and returns a
    :class:`TenantFixture` (``slug``, ``tenant_id``, ``admin``, ``token``); ``tenant`` is one.
``actor``
    ``await actor(tenant, "resident")`` creates an account holding that role in the tenant and
    returns a :class:`Member` (``account_id``, ``username``, ``token``) — an actor per role.
``enable_plugin``
    ``await enable_plugin(tenant, "parcel_lockers")`` enables a plugin for the tenant the way a
    tenant admin does (its default role grants applied), through GraphQL.
``deliver``
    ``await deliver(tenant)`` runs the outbox: event handlers and notifications of committed
    transactions are delivered, as the worker would.
``chain``
    The runtime's chain client (an embedded EVM unless ``LINLI_CHAIN_URL`` names a node).
``broker``
    A Mosquitto broker with Linli's device authentication on a free port (skips the test where
    mosquitto cannot run).

Helpers: :func:`unique_slug`, :func:`add_member`, :func:`access_token`, :data:`PASSWORD`.

Password hashing: for the whole session the kit hashes with argon2id at minimal cost
(``kernel.identity.passwords.TEST_PARAMETERS``: t=1, m=1 MiB, p=1) instead of the production
parameters (t=3, m=64 MiB, p=4, ~0.4 s a hash on a CI core): tests create and log in thousands of
accounts and are not about the hash's cost. ``LINLI_TEST_ARGON2=production`` keeps the production
cost; the production parameters have tests of their own (tests/test_identity.py).
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from kernel.testing import (
    GraphQLClient,
    TestDatabase,
    access_token,
    add_member,
    gql_factory,
    linli_backend,
    linli_database,
    linli_plugins,
    make_runtime,
    unique_slug,
)

#: The password of every account the kit creates (long enough for the password policy).
PASSWORD = "correct horse battery"  # noqa: S105 - a test password, by design


#: ``LINLI_TEST_ARGON2=production`` runs the tests at the production argon2id cost.
ARGON2_ENV = "LINLI_TEST_ARGON2"
_production_argon2: Any = None


def pytest_configure(config: pytest.Config) -> None:
    """argon2id at the test cost for the session (see the module's docstring)."""
    global _production_argon2
    if os.environ.get(ARGON2_ENV, "").strip().lower() == "production":
        return
    from kernel.identity import passwords

    _production_argon2 = passwords.use_parameters(passwords.TEST_PARAMETERS)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _production_argon2
    if _production_argon2 is not None:
        from kernel.identity import passwords

        passwords.use_parameters(_production_argon2)
        _production_argon2 = None


@dataclass
class TenantFixture:
    """A provisioned property firm and its first admin (username, access token)."""

    slug: str
    tenant_id: uuid.UUID
    admin: str
    token: str


@dataclass
class Member:
    """An account holding one role in a tenant, with an access token for it."""

    account_id: uuid.UUID
    username: str
    role: str
    token: str


@pytest_asyncio.fixture
async def runtime(make_runtime: Callable[..., Any], linli_plugins: list[Any]) -> Any:
    return make_runtime(extra_plugins=linli_plugins)


@pytest_asyncio.fixture
async def gql(runtime: Any, gql_factory: Callable[[Any], GraphQLClient]) -> GraphQLClient:
    return gql_factory(runtime)


PROVISIONING_ENTRY_POINT_GROUP = "linli.provisioning"


@functools.cache
def tenant_provisioner() -> Callable[..., Awaitable[Any]]:
    """``provision(runtime, *, slug, name, admin_username, admin_password)`` of the installed
    distribution, found through the ``linli.provisioning`` entry-point group (Linli's pyproject
    declares ``tenants = "tenants.lifecycle:provision"``): the kit is kernel code and imports no
    other room, as ``app_factory`` finds the gateway."""
    from importlib.metadata import entry_points

    found = sorted(entry_points(group=PROVISIONING_ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    if not found:
        raise RuntimeError("no `linli.provisioning` entry point is installed: reinstall Linli with `pip install -e .`")
    provision: Callable[..., Awaitable[Any]] = found[0].load()
    return provision


@pytest_asyncio.fixture
async def new_tenant(runtime: Any, gql: GraphQLClient) -> Callable[..., Awaitable[TenantFixture]]:
    provision = tenant_provisioner()

    async def make(prefix: str = "firm") -> TenantFixture:
        slug = unique_slug(prefix)
        admin = f"{slug}-admin"
        p = await provision(runtime, slug=slug, name=f"{slug} 物业", admin_username=admin, admin_password=PASSWORD)
        token = await gql.login(admin, PASSWORD, slug)
        return TenantFixture(slug, p.tenant_id, admin, token)

    return make


@pytest_asyncio.fixture
async def tenant(new_tenant: Callable[..., Awaitable[TenantFixture]]) -> TenantFixture:
    return await new_tenant()


@pytest_asyncio.fixture
async def actor(runtime: Any) -> Callable[..., Awaitable[Member]]:
    async def make(tenant: TenantFixture, role: str, username: str | None = None) -> Member:
        username = username or f"{tenant.slug}-{role}-{uuid.uuid4().hex[:6]}"
        account_id = await add_member(runtime, tenant.tenant_id, username, PASSWORD, role)
        return Member(account_id, username, role, await access_token(runtime, account_id, tenant.tenant_id))

    return make


@pytest_asyncio.fixture
async def enable_plugin(gql: GraphQLClient) -> Callable[[TenantFixture, str], Awaitable[None]]:
    async def enable(tenant: TenantFixture, name: str) -> None:
        result = await gql("mutation($n: String!) { enablePlugin(name: $n) { name } }", {"n": name}, token=tenant.token)
        assert not result.get("errors"), result

    return enable


@pytest_asyncio.fixture
async def deliver(runtime: Any) -> Callable[[TenantFixture | None], Awaitable[int]]:
    async def run(tenant: TenantFixture | None = None) -> int:
        return int(await runtime.outbox.drain(tenant.tenant_id if tenant else None))

    return run


@pytest_asyncio.fixture
async def chain(runtime: Any) -> Any:
    from kernel.sdk.chain import chain_client

    return await chain_client(runtime)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Any]:
    from kernel.devices.broker import BrokerUnavailable, LocalBroker

    b = LocalBroker(tmp_path / "mosquitto")
    try:
        b.start()
    except BrokerUnavailable as exc:
        from kernel.testing import missing

        missing("mqtt", str(exc))  # a failure, not a skip, when LINLI_REQUIRE_MQTT is set (CI)
    yield b
    b.stop()


__all__ = [
    "PASSWORD",
    "GraphQLClient",
    "Member",
    "TestDatabase",
    "TenantFixture",
    "access_token",
    "actor",
    "add_member",
    "broker",
    "chain",
    "deliver",
    "enable_plugin",
    "gql",
    "gql_factory",
    "linli_backend",
    "linli_database",
    "linli_plugins",
    "make_runtime",
    "new_tenant",
    "runtime",
    "tenant",
    "unique_slug",
]
