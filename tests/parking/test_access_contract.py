"""The contract between two plugins that never import each other: what the access plugin publishes
when a visitor pass is created or revoked (``plugins/access/service.py`` ``pass_payload``, the real
function) is what the parking plugin reads (``access.pass_created`` / ``access.pass_revoked``).
Found at merge: access names the pass ``pass_id``, parking read ``id`` — every visitor plate was
silently dropped; this test fails if the two drift apart again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kernel.sdk import Event
from plugins.access.models import VisitorPass
from plugins.access.service import pass_payload, seal_plate
from plugins.parking.models import VisitorPlate


async def test_a_pass_published_by_access_gives_parking_its_visitor_plate(park):  # type: ignore[no-untyped-def]
    site = await park.site("contract")
    start = datetime.now(UTC) - timedelta(minutes=5)
    tid = site.tenant.tenant_id
    plate = seal_plate(park.runtime.vault, tid, "苏E88888")
    assert plate is not None
    vp = VisitorPass(
        id=uuid.uuid4(), tenant_id=tid, community_id=site.community_id, host_account_id=None,
        kind="visitor", visitor_name_enc="", visitor_name_masked="王*", plate_digest=plate.digest,
        plate_enc=plate.enc, plate_masked=plate.masked, valid_from=start,
        valid_until=start + timedelta(hours=6), max_entries=1, point_ids=[], code_digest="", code_enc="",
    )
    published = pass_payload(vp)
    assert "88888" not in str(published)  # the plate travels encrypted, not in clear
    async with park.runtime.db.tenant(tid) as s:
        await park.runtime.bus.publish(s, Event("access.pass_created", tid, published))
    await park.deliver(site.tenant)
    async with park.runtime.db.tenant(tid) as s:
        rows = (await s.execute(select(VisitorPlate.pass_id, VisitorPlate.plate_masked, VisitorPlate.revoked))).all()
    assert [tuple(r) for r in rows] == [(vp.id, "苏E***88", False)]

    async with park.runtime.db.tenant(tid) as s:
        await park.runtime.bus.publish(s, Event("access.pass_revoked", tid, pass_payload(vp)))
    await park.deliver(site.tenant)
    async with park.runtime.db.tenant(tid) as s:
        assert await s.scalar(select(VisitorPlate.revoked)) is True


async def test_a_ciphertext_of_another_tenant_gives_no_plate(park):  # type: ignore[no-untyped-def]
    site = await park.site("forged")
    tid = site.tenant.tenant_id
    start = datetime.now(UTC) - timedelta(minutes=5)
    forged = {
        "pass_id": str(uuid.uuid4()),
        "plate_enc": park.runtime.vault.encrypt(uuid.uuid4(), "苏E88888"),
        "valid_from": start.isoformat(),
        "valid_until": (start + timedelta(hours=1)).isoformat(),
    }
    async with park.runtime.db.tenant(tid) as s:
        await park.runtime.bus.publish(s, Event("access.pass_created", tid, forged))
    await park.deliver(site.tenant)
    async with park.runtime.db.tenant(tid) as s:
        assert await s.scalar(select(VisitorPlate.id)) is None
