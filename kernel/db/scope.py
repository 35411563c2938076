"""Lock 1 of 3: the ORM tenant scope.

A session carries ``info["tenant_id"]``. Every ORM select/update/delete that touches a
:class:`TenantScoped` model gets ``tenant_id = <scope>`` added through ``with_loader_criteria``;
every insert is stamped; a row of another tenant can neither be added nor moved. A session with
no tenant refuses tenant queries unless it was opened explicitly unscoped (platform operations
such as provisioning, which are audited).

On PostgreSQL the same tenant id is set per transaction (``set_config(..., true)`` = SET LOCAL)
for row-level security — lock 2, see :mod:`kernel.db.rls`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from kernel.db.base import TenantScoped
from kernel.errors import LinliError


class TenancyError(LinliError):
    code = "FORBIDDEN"


TENANT_KEY = "tenant_id"
UNSCOPED_KEY = "unscoped"


def _touches_tenant_tables(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


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


@event.listens_for(Session, "after_begin")
def _set_rls_tenant(session: Session, transaction, connection) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name != "postgresql":
        return
    tenant_id = session.info.get(TENANT_KEY)
    connection.execute(
        text("SELECT set_config('linli.tenant_id', :t, true)"),
        {"t": str(tenant_id) if tenant_id else ""},
    )


@asynccontextmanager
async def tenant_session(
    factory: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """A unit of work inside one tenant: commits on success, rolls back on error."""
    if tenant_id is None:
        raise TenancyError("tenant_session needs a tenant")
    async with factory(info={TENANT_KEY: tenant_id}) as session:
        async with session.begin():
            yield session


@asynccontextmanager
async def unscoped_session(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work on global tables only (tenant tables refuse it unless rows carry their tenant).

    Used by platform operations (provisioning, login lookups). On PostgreSQL row-level security
    still hides every tenant row from it.
    """
    async with factory(info={UNSCOPED_KEY: True}) as session:
        async with session.begin():
            yield session


__all__ = ["TenancyError", "tenant_session", "unscoped_session"]
