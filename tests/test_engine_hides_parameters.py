"""A failed statement's error (logged with its traceback by the outbox and the gateway) names the
SQL but not the values bound to it: those may be personal data (issue #13 walkthrough: a transient
"database is locked" logged a notification row, text and account id included)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kernel.db.engine import make_engine


async def test_statement_parameters_stay_out_of_error_messages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (name TEXT PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "王秀英"})
        with pytest.raises(IntegrityError) as caught:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "王秀英"})
        assert "INSERT INTO t" in str(caught.value)
        assert "王秀英" not in str(caught.value)
    finally:
        await engine.dispose()
