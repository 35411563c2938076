"""Two per-transaction dicts on a session, for reads a unit of work would otherwise repeat.

``transaction_memo(session)`` (public as ``kernel.sdk.db.transaction_memo``) holds *reads*: a
request often reads the same rows twice (a mutation's result type checks again what the mutation
checked: the caller's holdings, the community's contracts). It is emptied on every flush, on every
non-SELECT statement executed through the session, and when a transaction begins or ends (commit
or rollback), so a memoised read is never older than the last write of the transaction that made it.

``transaction_facts(session)`` (kernel only) holds *facts* that stay true for the rest of the
transaction even though it writes: does this community exist? which plugins has the tenant
enabled? where is the audit chain's head this transaction locked? — so that code paths that each
check for themselves (an alarm that opens a work order and an escalation, each validating the
community) send the query once. It lives as long as the session's outermost transaction: dropped
when that ends (commit or rollback) and whenever any part of it rolls back (a savepoint included —
what was read or written inside may be gone). Code that changes a remembered fact in the
transaction drops its key (:func:`forget`). Only facts that hold for the rest of the transaction
belong here: positive existence of rows that are never deleted while a transaction runs, settings
read for the transaction's decisions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_MEMO = "linli_transaction_memo"
_FACTS = "linli_transaction_facts"


def _sync(session: Any) -> Session:
    return session.sync_session if hasattr(session, "sync_session") else session  # type: ignore[no-any-return]


def transaction_memo(session: Any) -> dict[Any, Any]:
    """The session's memo of reads for the current transaction (see the module's docstring)."""
    sync = _sync(session)
    memo: dict[Any, Any] | None = sync.info.get(_MEMO)
    if memo is not None:
        return memo
    memo = sync.info[_MEMO] = {}

    def clear(*_: Any) -> None:
        memo.clear()

    def on_execute(state: Any) -> None:
        if not state.is_select:
            memo.clear()

    for name in ("after_begin", "after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(sync, name, clear)
    event.listen(sync, "do_orm_execute", on_execute)
    return memo


def transaction_facts(session: Any) -> dict[str, Any]:
    """The facts of ``session``'s current transaction (an ``AsyncSession`` or a ``Session``)."""
    info = _sync(session).info
    facts: dict[str, Any] | None = info.get(_FACTS)
    if facts is None:
        facts = info[_FACTS] = {}
    return facts


def forget(session: Any, key: str) -> None:
    """Drop ``key`` from the transaction's facts (after changing what it remembered)."""
    facts = _sync(session).info.get(_FACTS)
    if facts is not None:
        facts.pop(key, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(_FACTS, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_FACTS, None)


__all__ = ["forget", "transaction_facts", "transaction_memo"]
