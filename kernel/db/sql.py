"""Small SQL building blocks shared by hot paths."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid


def in_ids(session: AsyncSession, column: Any, ids: Collection[Any], item_type: Any = None) -> ColumnElement[bool]:
    """``column IN ids``, as ``column = ANY(:array)`` on PostgreSQL.

    An ``IN`` of a thousand ids is a thousand bound parameters that SQLAlchemy renders on every
    execution and PostgreSQL parses every time; one array parameter is a single value whatever
    its length and one cached statement."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(list(ids))  # type: ignore[no-any-return]
    item = item_type if item_type is not None else (Uuid() if ids and isinstance(next(iter(ids)), uuid.UUID) else column.type)
    return column == any_(bindparam(None, list(ids), type_=ARRAY(item)))  # type: ignore[no-any-return]
