"""``kernel.sdk.erasure.remove_rows``: deletes what it may, and keeps (pseudonymised) a row that a
held row or any other row still refers to — the transaction goes on either way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fixtures.estates import build_estate, fast_passwords  # noqa: F401 - fixture
from sqlalchemy import func, select

from kernel.sdk.erasure import remove_rows
from plugins.care.models import CareRecipient
from tenants.estate import service
from tenants.estate.models import Unit

pytestmark = pytest.mark.usefixtures("fast_passwords")


async def test_a_referenced_row_is_kept_and_the_rest_goes(runtime, new_tenant) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("erasrr")
    estate = await build_estate(runtime, t.tenant_id, marker="己")
    async with runtime.db.tenant(t.tenant_id) as s:
        cared = await service.create_unit(s, building_id=estate.building, number="己201", registered_area=7000)
        empty = await service.create_unit(s, building_id=estate.building, number="己202", registered_area=7000)
        elder = await service.register_person(s, runtime.vault, t.tenant_id, name="钱老")
        s.add(CareRecipient(person_id=elder.id, community_id=estate.community, unit_id=cared.id, monitoring_since=datetime.now(UTC)))
        await s.flush()

        owned = await remove_rows(s, Unit, Unit.id == estate.unit)  # the owner register refers to it
        referenced = await remove_rows(s, Unit, Unit.id == cared.id)  # a care record refers to it (no cascade)
        gone = await remove_rows(s, Unit, Unit.id == empty.id, reason="test")
        left = set(await s.scalars(select(Unit.id)))
        count = await s.scalar(select(func.count()).select_from(CareRecipient))
    assert [(x.action, x.rows) for x in owned] == [("kept", 1)] and "ownerships refers to it" in owned[0].reason
    assert [(x.action, x.rows, x.reason) for x in referenced] == [("kept", 1, "other records refer to it")]
    assert [(x.action, x.rows, x.reason) for x in gone] == [("removed", 1, "test")]
    assert left == {estate.unit, cared.id} and count == 1
