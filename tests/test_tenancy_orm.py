"""Lock 1: the ORM tenant scope, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from fixtures.estates import fast_passwords, shared_tenants  # noqa: F401 - fixture
from sqlalchemy import delete, func, select, update

from kernel.db.scope import TENANT_KEY, TenancyError
from tenants.estate import models as m


@pytest_asyncio.fixture(scope="module")
async def pair(linli_database):  # type: ignore[no-untyped-def]
    async with shared_tenants(linli_database, ("orma", "甲"), ("ormb", "乙")) as (runtime, tenants):
        yield runtime, tenants


async def test_unscoped_session_refuses_tenant_queries(pair):
    runtime, _ = pair
    async with runtime.db.sessions() as s:
        for stmt in (select(m.Unit), select(func.count()).select_from(m.Person), update(m.Unit).values(floor=3)):
            with pytest.raises(TenancyError, match="no tenant in scope"):
                await s.execute(stmt)
        with pytest.raises(TenancyError, match="no tenant in scope"):
            await s.get(m.Community, (uuid.uuid4(), uuid.uuid4()))


async def test_platform_session_cannot_write_tenant_rows(pair):
    runtime, (a, _b) = pair
    with pytest.raises(TenancyError, match="written with no tenant in scope"):
        async with runtime.db.platform() as s:
            s.add(m.Community(tenant_id=a.tenant_id, code="P1", name="platform write"))


async def test_scoped_queries_see_only_own_rows(pair):
    runtime, (a, b) = pair
    async with runtime.db.tenant(a.tenant_id) as s:
        names = list(await s.scalars(select(m.Community.name)))
        assert names == ["甲社区"]
        # asking for B's row by primary key, or by B's tenant id explicitly, finds nothing
        assert await s.scalar(select(m.Community).where(m.Community.id == b.estate.community)) is None
        assert await s.scalar(select(m.Unit).where(m.Unit.tenant_id == b.tenant_id)) is None
        assert await s.get(m.Community, (b.estate.community, b.tenant_id)) is None
        # joins are scoped on every side
        joined = await s.execute(select(m.Unit.number, m.Person.name).join(m.Ownership, m.Ownership.unit_id == m.Unit.id).join(m.Person, m.Person.id == m.Ownership.person_id))
        rows = joined.all()
        assert rows, "the join found none of A's own rows: the check below would pass vacuously"
        assert all("乙" not in str(row) for row in rows)
        r = await s.execute(update(m.Unit).where(m.Unit.id == b.estate.unit).values(floor=42))
        assert r.rowcount == 0
    async with runtime.db.tenant(b.tenant_id) as s:
        unit = await s.scalar(select(m.Unit))
        assert unit.floor == 1


async def test_rows_stamped_with_another_tenant_are_refused(pair):
    runtime, (a, b) = pair
    with pytest.raises(TenancyError, match="row of another tenant"):
        async with runtime.db.tenant(a.tenant_id) as s:
            s.add(m.Community(tenant_id=b.tenant_id, code="Z9", name="planted"))
    with pytest.raises(TenancyError, match="row of another tenant"):
        async with runtime.db.tenant(a.tenant_id) as s:
            row = await s.scalar(select(m.Community))
            row.tenant_id = b.tenant_id
    # an unstamped row gets the session's tenant
    async with runtime.db.tenant(a.tenant_id) as s:
        row = m.Community(code="Z8", name="甲二")
        s.add(row)
        await s.flush()
        assert row.tenant_id == a.tenant_id
        await s.delete(row)


async def test_reference_into_another_tenant_is_refused_by_the_database(pair):
    """Composite (tenant_id, id) foreign keys: a compound cannot hang under B's community."""
    from sqlalchemy.exc import IntegrityError

    runtime, (a, b) = pair
    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        async with runtime.db.tenant(a.tenant_id) as s:
            s.add(m.Compound(community_id=b.estate.community, name="parasite"))


async def test_tenant_session_requires_a_tenant(pair):
    runtime, _ = pair
    with pytest.raises(TenancyError, match="needs a tenant"):
        async with runtime.db.tenant(None):  # type: ignore[arg-type]
            pass
    async with runtime.db.sessions(info={TENANT_KEY: None}) as s:
        with pytest.raises(TenancyError, match="no tenant in scope"):
            await s.execute(select(m.Ownership))


async def test_core_statements_on_tenant_tables_are_refused(pair):
    """with_loader_criteria cannot scope bare Table statements: refuse them rather than run
    them unscoped (on SQLite nothing else would stop them)."""
    runtime, (a, b) = pair
    units = m.Unit.__table__
    for stmt in (select(units), select(func.count()).select_from(units), update(units).values(floor=7), delete(units)):
        with pytest.raises(TenancyError, match="Core statement"):
            async with runtime.db.tenant(a.tenant_id) as s:
                await s.execute(stmt)
    async with runtime.db.tenant(b.tenant_id) as s:
        assert (await s.scalar(select(m.Unit))).floor == 1
    # ORM forms of the same statements stay scoped and allowed
    async with runtime.db.tenant(a.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(m.Unit)) == 1
        assert (await s.execute(update(m.Unit).values(floor=1))).rowcount == 1


async def test_the_tenant_scope_takes_only_a_uuid(pair):
    """Row-level security trusts ``linli.tenant_id``: only a validated UUID is ever put there."""
    runtime, (a, _b) = pair
    for bad in ("x' OR true --", f"{a.tenant_id}' OR '1'='1", 42):
        with pytest.raises(TenancyError, match="needs a tenant id"):
            async with runtime.db.tenant(bad):  # type: ignore[arg-type]
                pass
    async with runtime.db.tenant(str(a.tenant_id)) as s:  # type: ignore[arg-type]
        assert s.info[TENANT_KEY] == a.tenant_id
        assert await s.scalar(select(func.count()).select_from(m.Community)) == 1
