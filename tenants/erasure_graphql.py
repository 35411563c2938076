"""GraphQL of erasure requests (:mod:`tenants.erasure_requests`): a person asks for their own data to
be erased; the firm's data protection officer (``privacy:manage``) lists, executes or rejects."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select

from kernel.errors import Forbidden, NotFound
from kernel.graphql.permissions import Allowed, Authenticated
from kernel.identity.models import Account
from tenants import erasure_requests as workflow


@strawberry.type(description="What erasure did to one table: removed, pseudonymised or kept, how many rows, which columns, why")
class ErasureStepInfo:
    table: str
    action: str = strawberry.field(description="removed | pseudonymised | kept")
    rows: int
    reason: str
    columns: list[str] = strawberry.field(description="The columns overwritten (pseudonymised rows)")


@strawberry.type(description="A person's request to erase their data")
class ErasureRequestInfo:
    id: strawberry.ID
    account_id: strawberry.ID | None = strawberry.field(description="The login; null for a register person without one (personId)")
    person_id: strawberry.ID | None = strawberry.field(description="The register person, for a request staff made on behalf of a person without a login")
    requester: str = strawberry.field(description="The login's display name (a pseudonym once executed)")
    status: str = strawberry.field(description="pending | executed | rejected")
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    reason: str = strawberry.field(description="Why it was rejected")
    report: list[ErasureStepInfo] = strawberry.field(description="What was removed, pseudonymised (legal holds) and kept; empty until executed")


def _info(row: workflow.ErasureRequest, names: dict[uuid.UUID, str]) -> ErasureRequestInfo:
    steps: list[dict[str, Any]] = (row.report or {}).get("steps", [])
    return ErasureRequestInfo(
        id=strawberry.ID(str(row.id)), account_id=strawberry.ID(str(row.account_id)) if row.account_id else None,
        person_id=strawberry.ID(str(row.person_id)) if row.person_id else None, requester=names.get(row.account_id or row.person_id, ""),  # type: ignore[arg-type]
        status=row.status, created_at=row.created_at, decided_at=row.decided_at, decided_by=row.decided_by, reason=row.reason,
        report=[ErasureStepInfo(table=s["table"], action=s["action"], rows=s["rows"], reason=s["reason"], columns=s["columns"]) for s in steps],
    )


async def _infos(session: Any, rows: list[workflow.ErasureRequest]) -> list[ErasureRequestInfo]:
    from tenants.estate.models import Person

    ids = {r.account_id for r in rows if r.account_id}
    found = (await session.execute(select(Account.id, Account.display_name).where(Account.id.in_(ids)))).all() if ids else []
    names = {account_id: name for account_id, name in found}
    persons = {r.person_id for r in rows if r.account_id is None and r.person_id}
    if persons:
        names |= {pid: name for pid, name in (await session.execute(select(Person.id, Person.name).where(Person.id.in_(persons)))).all()}
    return [_info(r, names) for r in rows]


def _own_login(info: strawberry.Info) -> uuid.UUID:
    ctx = info.context
    ctx.require_tenant()
    if ctx.actor is None or ctx.actor.account_id is None or ctx.actor.kind != "account":
        raise Forbidden("only a person's own login can ask for their data to be erased")
    return uuid.UUID(str(ctx.actor.account_id))


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("no such erasure request") from None


@strawberry.type
class ErasureQuery:
    @strawberry.field(permission_classes=[Allowed("privacy", "manage")], description="Data protection officer: erasure requests, newest first (at most 500), optionally of one status.")
    async def erasure_requests(self, info: strawberry.Info, status: str | None = None) -> list[ErasureRequestInfo]:
        session = info.context.db
        return await _infos(session, await workflow.listed(session, status))

    @strawberry.field(permission_classes=[Authenticated], description="My own erasure requests and their outcome.")
    async def my_erasure_requests(self, info: strawberry.Info) -> list[ErasureRequestInfo]:
        me = _own_login(info)
        session = info.context.db
        rows = await session.scalars(select(workflow.ErasureRequest).where(workflow.ErasureRequest.account_id == me).order_by(workflow.ErasureRequest.created_at.desc()))
        return await _infos(session, list(rows))


@strawberry.type
class ErasureMutation:
    @strawberry.mutation(permission_classes=[Authenticated], description="Ask the firm to erase everything it holds about me (PIPL art. 47). Staff review it; records the law keeps (owner register, fund sub-ledgers, ballots) are pseudonymised, not deleted. Audited.")
    async def request_erasure(self, info: strawberry.Info) -> ErasureRequestInfo:
        me = _own_login(info)
        ctx = info.context
        row = await workflow.request(ctx.db, ctx.tenant.id, me, actor=ctx.actor.label)
        return (await _infos(ctx.db, [row]))[0]

    @strawberry.mutation(permission_classes=[Allowed("privacy", "manage")], description="Data protection officer: ask, on behalf of a register person who cannot ask themselves (no login: an owner who never claimed), for their erasure; a person with a login gets a request for that login. Then executed or rejected as any request. Audited (on_behalf).")
    async def request_erasure_for(self, info: strawberry.Info, person_id: strawberry.ID) -> ErasureRequestInfo:
        ctx = info.context
        try:
            pid = uuid.UUID(str(person_id))
        except ValueError:
            raise NotFound("no such person") from None
        row = await workflow.request_for_person(ctx.db, ctx.tenant.id, pid, actor=ctx.actor.label)
        return (await _infos(ctx.db, [row]))[0]

    @strawberry.mutation(permission_classes=[Allowed("privacy", "manage")], description="Data protection officer: execute a pending erasure request — the login is closed, data erased, legal holds pseudonymised; returns the report. Audited.")
    async def execute_erasure(self, info: strawberry.Info, id: strawberry.ID) -> ErasureRequestInfo:
        ctx = info.context
        row = await workflow.execute(ctx.runtime, ctx.db, ctx.tenant.id, _uuid(id), actor=ctx.actor.label, by=ctx.actor.account_id)
        return (await _infos(ctx.db, [row]))[0]

    @strawberry.mutation(permission_classes=[Allowed("privacy", "manage")], description="Data protection officer: reject a pending erasure request, saying why (the person sees it). Audited.")
    async def reject_erasure(self, info: strawberry.Info, id: strawberry.ID, reason: str) -> ErasureRequestInfo:
        ctx = info.context
        row = await workflow.reject(ctx.db, ctx.tenant.id, _uuid(id), reason, actor=ctx.actor.label)
        return (await _infos(ctx.db, [row]))[0]
