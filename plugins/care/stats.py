"""Care statistics for the community and the street office: aggregates only, no person.

Per community over a period of local days: recipients covered (active, living alone), check-in
adherence (days checked in / days due), alerts by kind, and the distribution of acknowledgement
and arrival times (median, 90th percentile, share acknowledged within the 10-minute target)."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from kernel.sdk.estate import Community
from plugins.care.models import CareAlert, CareCheckIn, CareRecipient
from plugins.care.service import local_day

#: The sources' target: an elder's alert acknowledged within 10 minutes.
ACK_TARGET_SECONDS = 600


def percentile(values: list[float], q: int) -> float | None:
    """Nearest-rank ``q`` percentile (``None`` when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(q * len(ordered) / 100)) - 1])


@dataclass
class CommunityCareStats:
    community_id: uuid.UUID
    community: str
    recipients: int = 0
    living_alone: int = 0
    check_ins_due: int = 0
    check_ins_done: int = 0
    alerts_by_kind: dict[str, int] = field(default_factory=dict)
    alerts: int = 0
    acknowledged: int = 0
    acknowledged_within_target: int = 0
    ack_p50_seconds: float | None = None
    ack_p90_seconds: float | None = None
    arrived: int = 0
    arrive_p50_seconds: float | None = None
    arrive_p90_seconds: float | None = None

    @property
    def check_in_adherence(self) -> float | None:
        """Share of due check-ins made (0–1), ``None`` when none was due."""
        return round(self.check_ins_done / self.check_ins_due, 4) if self.check_ins_due else None

    @property
    def ack_within_target_share(self) -> float | None:
        return round(self.acknowledged_within_target / self.alerts, 4) if self.alerts else None


def _days_due(recipient: CareRecipient, first: date, last: date) -> int:
    start = max(first, local_day(recipient.monitoring_since))
    return max(0, (last - start).days + 1)


async def community_stats(
    session: Any, *, since: datetime, until: datetime, community_ids: list[uuid.UUID] | None = None
) -> list[CommunityCareStats]:
    """Aggregates per community (of the session's tenant) for ``[since, until)``. Check-ins count
    the local days from ``since`` to the day before ``until`` on which the recipient was enrolled."""
    communities = select(Community.id, Community.name).order_by(Community.name)
    if community_ids is not None:
        communities = communities.where(Community.id.in_(community_ids))
    out: dict[uuid.UUID, CommunityCareStats] = {
        cid: CommunityCareStats(cid, name)
        for cid, name in (await session.execute(communities)).all()
    }
    if not out:
        return []
    first, last = local_day(since), local_day(until - timedelta(microseconds=1))
    recipients = (
        await session.scalars(
            select(CareRecipient).where(
                CareRecipient.community_id.in_(list(out)), CareRecipient.status != "ended"
            )
        )
    ).all()
    by_id = {r.id: r for r in recipients}
    for r in recipients:
        s = out[r.community_id]
        s.recipients += 1
        s.living_alone += int(r.lives_alone)
        if r.status == "active":
            s.check_ins_due += _days_due(r, first, last)
    if by_id:
        done = await session.execute(
            select(CareCheckIn.recipient_id, func.count())
            .where(
                CareCheckIn.recipient_id.in_(list(by_id)),
                CareCheckIn.day >= first,
                CareCheckIn.day <= last,
            )
            .group_by(CareCheckIn.recipient_id)
        )
        for rid, n in done.all():
            r = by_id[rid]
            if r.status == "active":
                out[r.community_id].check_ins_done += min(int(n), _days_due(r, first, last))
    alerts = (
        await session.scalars(
            select(CareAlert).where(
                CareAlert.community_id.in_(list(out)),
                CareAlert.raised_at >= since,
                CareAlert.raised_at < until,
            )
        )
    ).all()
    acks: dict[uuid.UUID, list[float]] = {cid: [] for cid in out}
    arrivals: dict[uuid.UUID, list[float]] = {cid: [] for cid in out}
    kinds: dict[uuid.UUID, Counter[str]] = {cid: Counter() for cid in out}
    for a in alerts:
        kinds[a.community_id][a.kind] += 1
        if a.acknowledged_at is not None:
            acks[a.community_id].append((a.acknowledged_at - a.raised_at).total_seconds())
        if a.arrived_at is not None:
            arrivals[a.community_id].append((a.arrived_at - a.raised_at).total_seconds())
    for cid, s in out.items():
        s.alerts_by_kind = dict(sorted(kinds[cid].items()))
        s.alerts = sum(kinds[cid].values())
        s.acknowledged = len(acks[cid])
        s.acknowledged_within_target = sum(1 for t in acks[cid] if t <= ACK_TARGET_SECONDS)
        s.ack_p50_seconds, s.ack_p90_seconds = percentile(acks[cid], 50), percentile(acks[cid], 90)
        s.arrived = len(arrivals[cid])
        s.arrive_p50_seconds, s.arrive_p90_seconds = (
            percentile(arrivals[cid], 50),
            percentile(arrivals[cid], 90),
        )
    return list(out.values())
