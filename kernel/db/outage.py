"""Telling a lost database apart from a bug.

When PostgreSQL restarts, fails over or becomes unreachable, what reaches the gateway is a driver or
pool exception somewhere in a chain of causes. :func:`is_database_outage` recognises them, so the
gateway answers ``DATABASE_UNAVAILABLE`` (HTTP 503, "retry in a few seconds") instead of an internal
error, and logs one line without a traceback. The transaction that was running is gone with its
connection — PostgreSQL rolls it back — so nothing is half-written; the pool checks connections
before use (``pool_pre_ping``), so the first request after the database is back succeeds.
"""

from __future__ import annotations

import sqlalchemy.exc as sa_exc

#: What a client is told (``DATABASE_UNAVAILABLE``, HTTP 503).
DATABASE_UNAVAILABLE_MESSAGE = (
    "the database cannot be reached right now; nothing was changed, retry in a few seconds"
)

#: asyncpg's errors for a connection that is gone or a server that will not take one now
#: (``57P01`` admin shutdown, ``57P02`` crash shutdown, ``57P03`` cannot connect now).
_SERVER_GOING = ("57P01", "57P02", "57P03")
_DRIVER_NAMES = (
    "ConnectionDoesNotExistError",
    "InterfaceError",
    "CannotConnectNowError",
    "ConnectionFailureError",
)


def _one(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(
        exc, sa_exc.DisconnectionError | sa_exc.TimeoutError
    ):  # pool: no connection to be had
        return True
    if isinstance(
        exc, ConnectionError | TimeoutError | OSError
    ):  # refused, reset, timed out connecting
        return True
    if getattr(exc, "sqlstate", None) in _SERVER_GOING:
        return True
    return type(exc).__module__.startswith("asyncpg") and type(exc).__name__ in _DRIVER_NAMES


def _chain(exc: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while exc is not None and all(exc is not e for e in found):
        found.append(exc)
        orig = getattr(exc, "orig", None)
        if isinstance(orig, BaseException) and all(orig is not e for e in found):
            found.append(orig)
        exc = exc.__cause__ or exc.__context__
    return found


_DATABASE_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")


def _from_database(exc: BaseException) -> bool:
    """Raised by the database layer: its type is the driver's or SQLAlchemy's, or it passed through
    their code (asyncpg lets a refused connect's ``OSError`` through unwrapped)."""
    if type(exc).__module__.startswith(_DATABASE_MODULES):
        return True
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(_DATABASE_MODULES):
            return True
        tb = tb.tb_next
    return False


def is_database_outage(exc: BaseException | None) -> bool:
    """Whether ``exc``'s chain of causes says the database is out of reach: a database-layer exception
    (SQLAlchemy, the driver) together with a lost or refused connection. A timeout or a refused
    connection elsewhere (the chain node, a webhook) is not a database outage."""
    chain = _chain(exc)
    return any(_from_database(e) for e in chain) and any(_one(e) for e in chain)
