"""Engines and the session factory. One :class:`Database` per process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from kernel.db.scope import tenant_session, unscoped_session


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    """The engine for ``url``. Statement parameters are kept out of SQLAlchemy's error messages
    (``hide_parameters``): a failed INSERT's exception, logged with its traceback, would otherwise
    carry the row's values — a notification's text with a resident's name, say — into the logs."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)  # type: ignore[arg-type]

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)  # type: ignore[arg-type]


class Database:
    """The application's engine and sessions.

    ``tenant(tid)`` opens a unit of work scoped to one tenant (all three locks apply);
    ``platform()`` opens one on global tables only.
    """

    def __init__(self, url: str, **pool: object) -> None:
        """``pool``: ``pool_size``, ``max_overflow``, ``pool_timeout`` (server databases only)."""
        self.url = url
        self.engine = make_engine(url, **({} if url.startswith("sqlite") else pool))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def tenant(self, tenant_id: uuid.UUID, *, immediate: bool = False):  # type: ignore[no-untyped-def]
        """``immediate``: a background writer's transaction, holding SQLite's write lock from
        its start (see :func:`kernel.db.scope.take_write_lock`); requests leave it off."""
        return tenant_session(self.sessions, tenant_id, immediate=immediate)

    def platform(self, *, immediate: bool = False):  # type: ignore[no-untyped-def]
        return unscoped_session(self.sessions, immediate=immediate)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
