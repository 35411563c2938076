"""``kernel.sdk.db.transaction_memo``: reads kept for the transaction, dropped whenever it writes."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kernel.sdk.db import transaction_memo


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "memo_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


@pytest.mark.asyncio
async def test_memo_lives_until_the_transaction_writes() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    try:
        async with sessions() as s:
            memo = transaction_memo(s)
            assert transaction_memo(s) is memo  # one per session
            await s.scalar(select(literal(0)))  # the transaction has begun
            memo["k"] = 1
            await s.scalar(select(literal(1)))
            assert memo == {"k": 1}  # reads keep it
            s.add(_Row(id=1))
            await s.flush()
            assert memo == {}  # a flush empties it
            memo["k"] = 2
            await s.execute(text("UPDATE memo_rows SET id = 2"))
            assert memo == {}  # so does a statement that is not a SELECT
            memo["k"] = 3
            await s.commit()
            assert memo == {}  # and the end of the transaction
            memo["k"] = 4  # (between transactions)
            await s.scalar(select(literal(1)))
            assert memo == {}  # a new transaction starts empty
            memo["k"] = 5
            await s.rollback()
            assert memo == {}
    finally:
        await engine.dispose()
