"""DataLoader helpers: per-request loaders so that lists never issue one query per row."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from strawberry.dataloader import DataLoader


def children_loader(info: Any, name: str, model: Any, fk: Any, order: Any) -> DataLoader[uuid.UUID, list[Any]]:
    """The request's DataLoader of ``model`` rows grouped by the column ``fk`` and ordered by
    ``order``: ``await children_loader(...).load(parent_id)`` gives the parent's children."""

    def factory() -> DataLoader[uuid.UUID, list[Any]]:
        session = info.context.session

        async def load(keys: list[uuid.UUID]) -> list[list[Any]]:
            grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
            for row in await session.scalars(select(model).where(fk.in_(keys)).order_by(order)):
                grouped[getattr(row, fk.key)].append(row)
            return [grouped.get(k, []) for k in keys]

        return DataLoader(load_fn=load)

    return info.context.loader(name, factory)  # type: ignore[no-any-return]
