"""Facts read once per transaction: a small dict on the session for what one unit of work asks
several times over (does this community exist? which plugins has the tenant enabled?), so that
code paths that each check for themselves — an alarm that opens a work order and an escalation,
each validating the community — send the query once.

The memo lives as long as the session's outermost transaction: it is dropped when that ends
(commit or rollback) and whenever any part of it rolls back (a savepoint included — what was
read or written inside may be gone). Code that changes a memoised fact in the transaction drops
its key (:func:`forget`). Only facts that hold for the rest of the transaction belong here:
positive existence of rows that are never deleted while a transaction runs, settings read for
the transaction's decisions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "linli_transaction_memo"


def _sync(session: Any) -> Session:
    return session.sync_session if hasattr(session, "sync_session") else session  # type: ignore[no-any-return]


def transaction_memo(session: Any) -> dict[str, Any]:
    """The memo of ``session``'s current transaction (an ``AsyncSession`` or a ``Session``)."""
    info = _sync(session).info
    memo: dict[str, Any] | None = info.get(_KEY)
    if memo is None:
        memo = info[_KEY] = {}
    return memo


def forget(session: Any, key: str) -> None:
    """Drop ``key`` from the transaction's memo (after changing what it remembered)."""
    memo = _sync(session).info.get(_KEY)
    if memo is not None:
        memo.pop(key, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_KEY, None)


__all__ = ["forget", "transaction_memo"]
