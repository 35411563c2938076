"""A memo of reads for the rest of one transaction, dropped as soon as the transaction writes.

A request often reads the same rows twice (a mutation's result type checks again what the mutation
checked: the caller's holdings, the community's contracts). ``transaction_memo(session)`` is a dict
for such reads; it is emptied on every flush, on every non-SELECT statement executed through the
session, and when a transaction begins or ends (commit or rollback), so a memoised read is never older than
the last write of the transaction that made it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "linli_transaction_memo"


def transaction_memo(session: AsyncSession) -> dict[Any, Any]:
    """The session's memo for the current transaction (see the module's docstring)."""
    sync = session.sync_session
    memo: dict[Any, Any] | None = sync.info.get(_KEY)
    if memo is not None:
        return memo
    memo = sync.info[_KEY] = {}

    def clear(*_: Any) -> None:
        memo.clear()

    def on_execute(state: Any) -> None:
        if not state.is_select:
            memo.clear()

    for name in ("after_begin", "after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(sync, name, clear)
    event.listen(sync, "do_orm_execute", on_execute)
    return memo
