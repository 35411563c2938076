"""Lock 1 of 3: the ORM tenant scope.

A session carries ``info["tenant_id"]``. Every ORM select/update/delete that touches a
:class:`TenantScoped` model gets ``tenant_id = <scope>`` added through ``with_loader_criteria``;
every insert is stamped; a row of another tenant can neither be added nor moved. A session with
no tenant refuses tenant queries unless it was opened explicitly unscoped (platform operations
such as provisioning, which are audited).

On PostgreSQL the same tenant id is set per transaction with ``SET LOCAL linli.tenant_id`` for
row-level security — lock 2, see :mod:`kernel.db.rls`. ``SET LOCAL``, not ``set_config(..., true)``:
on Citus only the former reaches the worker nodes (with ``citus.propagate_set_commands =
'local'`` on the application role), and under row-level security a shard that does not know the
tenant refuses every insert and returns no row. Row-level security trusts that setting, so it is
only ever made here, from a value :func:`tenant_uuid` has validated (``SET`` takes no bound
parameters: the validated UUID's canonical text is the only thing formatted into it).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.util import find_tables

from kernel.db.base import TenantScoped
from kernel.errors import LinliError


class TenancyError(LinliError):
    code = "FORBIDDEN"


TENANT_KEY = "tenant_id"
#: The per-transaction setting the row-level security policies read (:mod:`kernel.db.rls`).
RLS_SETTING = "linli.tenant_id"
UNSCOPED_KEY = "unscoped"


def tenant_uuid(value: object) -> uuid.UUID:
    """The tenant id as a :class:`uuid.UUID` (a UUID string is accepted and normalised); anything else is
    refused, so nothing but a canonical UUID ever reaches ``linli.tenant_id``."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise TenancyError("the tenant scope needs a tenant id (a UUID)")


def _touches_tenant_tables(state: ORMExecuteState) -> bool:
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return True
    # ``select(func.count()).select_from(Model)`` names no mapper among its columns: look at
    # every table the statement reads (joins, subqueries included) as well
    return _reads_tenant_table(state.statement)


def _core_statement_on_tenant_tables(state: ORMExecuteState) -> bool:
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return False
    statement = state.statement
    froms = statement.get_final_froms() if hasattr(statement, "get_final_froms") else [getattr(statement, "table", None)]
    if any("parententity" in getattr(f, "_annotations", {}) for f in froms if f is not None):
        return False  # e.g. select(func.count()).select_from(Model): the entity is scoped
    if not _reads_tenant_table(statement):
        return False
    return _reads_bare_tenant_table(statement)


def _reads_bare_tenant_table(statement: object) -> bool:
    """Whether some SELECT inside the statement (a UNION's parts, CTEs and subqueries included)
    reads a tenant table as a bare Core ``Table`` rather than through an ORM entity.
    ``with_loader_criteria`` reaches every ORM entity of every nested SELECT — e.g. the
    kernel's SQL aggregation of a plugin's KPI query (a UNION over a CTE of an ORM select) —
    but never a bare table."""
    from sqlalchemy.sql.selectable import FromGrouping, Join, Select, TableClause

    tenant_tables = _tenant_tables()
    if not isinstance(statement, Select) and not hasattr(statement, "selects"):
        return True  # not a SELECT we can look into: refuse, as before

    def tenant_table(f: object) -> bool:
        if isinstance(f, Join):
            return tenant_table(f.left) or tenant_table(f.right)
        if isinstance(f, FromGrouping):
            return tenant_table(f.element)
        return isinstance(f, TableClause) and getattr(f, "name", None) in tenant_tables

    for element in visitors.iterate(statement):  # type: ignore[arg-type]
        if not isinstance(element, Select) or element._propagate_attrs.get("compile_state_plugin") == "orm":
            continue  # an ORM select (of entities or their attributes) is scoped, nested or not
        if any(tenant_table(f) for f in element.get_final_froms()):  # subqueries and CTEs are visited on their own
            return True
    return False


_TENANT_TABLES: dict[int, frozenset[str]] = {}


def _tenant_tables() -> frozenset[str]:
    """Names of the mapped tenant tables (recomputed when plugins map more models)."""
    from kernel.db.base import Base

    mappers = Base.registry.mappers
    found = _TENANT_TABLES.get(len(mappers))
    if found is None:
        found = frozenset(str(getattr(m.local_table, "name", "")) for m in mappers if issubclass(m.class_, TenantScoped))
        _TENANT_TABLES.clear()
        _TENANT_TABLES[len(mappers)] = found
    return found


def _reads_tenant_table(statement: object) -> bool:
    """Whether any table the statement names (joins and subqueries included) is a tenant table."""
    tables = find_tables(statement, include_joins=True, include_aliases=True, include_crud=True)  # type: ignore[arg-type]
    if not tables:
        return False
    tenant_tables = _tenant_tables()
    return any(getattr(t, "name", None) in tenant_tables for t in tables)


@event.listens_for(Session, "do_orm_execute")
def _scope_orm_execute(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent query was already scoped
    info = state.session.info
    tenant_id = info.get(TENANT_KEY)
    if tenant_id is None:
        if info.get(UNSCOPED_KEY) or not _touches_tenant_tables(state):
            return
        raise TenancyError("a tenant query was attempted with no tenant in scope")
    if _core_statement_on_tenant_tables(state):
        # with_loader_criteria only reaches ORM entities: a statement on bare Table objects
        # would run unscoped (on SQLite nothing else would stop it)
        raise TenancyError("a Core statement on a tenant table cannot be scoped; select ORM entities or attributes")
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
            track_closure_variables=False,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context, instances) -> None:  # type: ignore[no-untyped-def]
    tenant_id = session.info.get(TENANT_KEY)
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if tenant_id is None:
            raise TenancyError("a tenant row was written with no tenant in scope")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenancyError("a row of another tenant was written")


def set_local_tenant_sql(tenant_id: uuid.UUID | str | None) -> str:
    """The ``SET LOCAL linli.tenant_id = '…'`` statement for ``tenant_id`` (``''``: no tenant).

    ``SET`` takes no bind parameters, so the value is formatted into the SQL: it goes through
    ``uuid.UUID`` first, whose canonical form is 36 characters of hex digits and hyphens — nothing
    else can reach the statement (anything that is not a UUID raises :class:`TenancyError`).
    """
    if tenant_id is None or tenant_id == "":
        return f"SET LOCAL {RLS_SETTING} = ''"
    try:
        canonical = str(tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id)))
    except (ValueError, TypeError, AttributeError) as exc:
        raise TenancyError("the tenant id in scope is not a UUID") from exc
    return f"SET LOCAL {RLS_SETTING} = '{canonical}'"


@event.listens_for(Session, "after_begin")
def _set_rls_tenant(session: Session, transaction, connection) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name != "postgresql" or transaction.nested:
        # a savepoint is inside the transaction that set it: ``SET LOCAL`` holds until that
        # transaction ends (a savepoint rolled back undoes only what was set inside it)
        return
    # One statement text per tenant: SQLAlchemy's asyncpg adapter prepares it once per pooled
    # connection (its LRU of prepared statements keeps the recent tenants' and the hot queries,
    # which are used on every request); a tenant new to the connection costs one Parse more.
    connection.exec_driver_sql(set_local_tenant_sql(session.info.get(TENANT_KEY)))


async def take_write_lock(session: AsyncSession) -> None:
    """On SQLite, start the session's transaction with ``BEGIN IMMEDIATE``: it holds the
    database's write lock from its first statement (waiting for it up to the busy timeout).

    Without it a transaction is deferred and the driver begins it at the first write — unless
    something else began it first (a savepoint, which a handler opens): then it reads from a
    snapshot and its first write must upgrade the lock, which SQLite refuses at once ("database is
    locked", without waiting) if another connection has written meanwhile. For background writers
    (the outbox worker, scheduled jobs) only: a request's transaction keeps reading beside the
    writer. Nothing on PostgreSQL (row locks), nor when the transaction has begun already."""
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = await connection.get_raw_connection()
    if not getattr(raw.driver_connection, "in_transaction", False):
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


@asynccontextmanager
async def tenant_session(
    factory: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, *, immediate: bool = False
) -> AsyncIterator[AsyncSession]:
    """A unit of work inside one tenant: commits on success, rolls back on error.
    ``immediate``: take SQLite's write lock first (:func:`take_write_lock`)."""
    if tenant_id is None:
        raise TenancyError("tenant_session needs a tenant")
    async with factory(info={TENANT_KEY: tenant_uuid(tenant_id)}) as session:
        async with session.begin():
            if immediate:
                await take_write_lock(session)
            yield session


@asynccontextmanager
async def unscoped_session(
    factory: async_sessionmaker[AsyncSession], *, immediate: bool = False
) -> AsyncIterator[AsyncSession]:
    """A unit of work on global tables only (tenant tables refuse it unless rows carry their tenant).

    Used by platform operations (provisioning, login lookups). On PostgreSQL row-level security
    still hides every tenant row from it. ``immediate`` as for :func:`tenant_session`.
    """
    async with factory(info={UNSCOPED_KEY: True}) as session:
        async with session.begin():
            if immediate:
                await take_write_lock(session)
            yield session


__all__ = ["TenancyError", "set_local_tenant_sql", "take_write_lock", "tenant_session", "unscoped_session"]
