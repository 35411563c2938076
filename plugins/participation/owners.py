"""Who counts as an owner of a community, the way Art. 278 counts them (through
``kernel.sdk.estate``, as the governance plugin does): a login's register persons and the person
keys they hold in the community — co-owners of a unit are one person, a buyer of several units
is one person. A login without a register person owning a unit there is not an owner here,
whatever its role."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from kernel.sdk import Forbidden
from kernel.sdk.estate import Holding, Person, holdings_of, totals, voting_units

SHARE_DENOMINATOR = 10_000


async def persons_of_account(session: Any, account_id: uuid.UUID | None) -> set[uuid.UUID]:
    """The register persons linked to a login."""
    if account_id is None:
        return set()
    return set(await session.scalars(select(Person.id).where(Person.account_id == account_id)))


async def owner_holdings(
    session: Any, account_id: uuid.UUID | None, community_id: uuid.UUID
) -> dict[str, Holding]:
    """The person keys the login holds in the community (empty: not an owner here)."""
    persons = await persons_of_account(session, account_id)
    if not persons:
        return {}
    return await holdings_of(session, persons, community_id)


async def require_owner(
    session: Any, account_id: uuid.UUID | None, community_id: uuid.UUID
) -> dict[str, Holding]:
    """As :func:`owner_holdings`, FORBIDDEN (reason ``not_an_owner``) when there are none."""
    held = await owner_holdings(session, account_id, community_id)
    if not held:
        raise Forbidden(
            "only verified owners of this community (in the owner register) take part in its "
            "deliberation",
            reason="not_an_owner",
        )
    return held


async def owner_headcount(session: Any, community_id: uuid.UUID) -> int:
    """How many owners (Art. 278 persons) the community has."""
    return totals(await voting_units(session, community_id)).persons


def threshold_of(kind: str, value: int, owners: int) -> int:
    """Co-signatures a topic needs: ``count`` as given; ``share`` rounded up (at least 1)."""
    if kind == "count":
        return max(1, value)
    return max(1, -(-owners * value // SHARE_DENOMINATOR))
