"""Repositories: one class per model where a plugin's reads and its row-level access rules live.

A resolver asks the repository for rows instead of writing ``select(...)`` itself, so the rule
"who may see which row" is written once, in :meth:`Repository.readable_statement`, and every
read path (a list, ``node(id:)``, a single lookup, a mutation's target) goes through it::

    class ParcelRepository(Repository[Parcel]):
        model = Parcel

        def readable_statement(self, actor: Viewer) -> Select[tuple[Parcel]]:
            stmt = self.base_statement()
            if actor.allowed("parcels", "read"):
                return stmt                                  # staff: every parcel
            return stmt.where(Parcel.recipient_account_id == actor.account_id)

    parcel = await ParcelRepository(ctx.session).get_by_id(pid, actor=Viewer.of(ctx))

Tenant isolation is not a repository rule: the session a plugin gets is already scoped to one
tenant (the ORM adds ``tenant_id = …`` to every statement and PostgreSQL's row-level security
backs it), so :meth:`Repository.base_statement` only adds the model's soft-delete rule, when it
declares one. Access rules are data rules: a caller without the permission to see a row gets
``None`` — the same answer as for an unknown or foreign id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

M = TypeVar("M")

__all__ = ["Repository", "Viewer"]


@dataclass(frozen=True)
class Viewer:
    """Who reads: the account (None for an API key or the system), its label for audit, and
    ``allowed(obj, act)`` — the caller's permissions. Built from a request with
    :meth:`Viewer.of`; :meth:`Viewer.system` is a scheduled job's (every permission)."""

    account_id: uuid.UUID | None
    label: str
    kind: str = "account"
    _allowed: Callable[[str, str], bool] = field(default=lambda obj, act: False, repr=False, compare=False)

    def allowed(self, obj: str, act: str) -> bool:
        return self._allowed(obj, act)

    @classmethod
    def of(cls, ctx: Any) -> Viewer:
        """The caller of a GraphQL request (``info.context``)."""
        actor = ctx.actor
        return cls(account_id=actor.account_id, label=actor.label, kind=actor.kind, _allowed=ctx.allowed)

    @classmethod
    def system(cls, label: str = "system") -> Viewer:
        """The platform itself (jobs, event handlers): may read every row of the tenant."""
        return cls(account_id=None, label=label, kind="system", _allowed=lambda obj, act: True)


class Repository(Generic[M]):
    """Reads of one model in one tenant-scoped session.

    Subclasses set :attr:`model` (a mapped class with an ``id`` column), optionally
    :attr:`soft_delete` (the name of a nullable "deleted at" column: rows with a value are
    hidden from every read), and override :meth:`readable_statement` with the access rules.
    """

    model: ClassVar[type[Any]]
    soft_delete: ClassVar[str | None] = None

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def base_statement(self) -> Select[Any]:
        """``select(model)`` with the rules every read obeys (soft delete); the session adds the
        tenant's."""
        stmt = select(self.model)
        if self.soft_delete is not None:
            stmt = stmt.where(getattr(self.model, self.soft_delete).is_(None))
        return stmt

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        """The rows ``actor`` may read: the base statement narrowed by the model's access rules.
        Every subclass states its rules here (there is no permissive default)."""
        raise NotImplementedError(f"{type(self).__name__} must define readable_statement(actor)")

    def _statement(self, actor: Viewer | None) -> Select[Any]:
        return self.base_statement() if actor is None else self.readable_statement(actor)

    async def get_by_id(self, row_id: uuid.UUID, *, actor: Viewer | None = None) -> M | None:
        """The row with ``row_id`` — if ``actor`` is given, only when they may read it."""
        stmt = self._statement(actor).where(self.model.id == row_id)
        result: M | None = await self.session.scalar(stmt)
        return result

    async def get_many(self, ids: Iterable[uuid.UUID | None], *, actor: Viewer | None = None) -> list[M | None]:
        """Rows for ``ids`` in one query, in order; ``None`` for missing, unreadable or None ids."""
        ids = list(ids)
        wanted = [i for i in ids if i is not None]
        if not wanted:
            return [None for _ in ids]
        found = {r.id: r for r in await self.session.scalars(self._statement(actor).where(self.model.id.in_(wanted)))}
        return [found.get(i) if i is not None else None for i in ids]

    async def list_by(
        self, *, actor: Viewer | None = None, order_by: Sequence[Any] = (), **equals: Any
    ) -> list[M]:
        """Rows whose columns equal ``equals`` (``list_by(community_id=cid, status="open")``),
        ordered by ``order_by``; readable by ``actor`` if given."""
        stmt = self._statement(actor)
        for column, value in equals.items():
            stmt = stmt.where(getattr(self.model, column) == value)
        if order_by:
            stmt = stmt.order_by(*order_by)
        return list(await self.session.scalars(stmt))

    def loader(self, ctx: Any, name: str) -> Any:
        """The request's DataLoader of rows by id (``await loader.load(row_id)``): one query for
        every row a list resolves, cached for the request under ``name``."""
        from strawberry.dataloader import DataLoader

        async def load(ids: list[uuid.UUID]) -> list[M | None]:
            return await self.get_many(ids)

        return ctx.loader(name, lambda: DataLoader(load_fn=load))
