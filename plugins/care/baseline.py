"""No-activity detection with a per-person baseline (独居老人 no-activity alerts). Pure: no database,
no clock — every function takes the activity times and ``now``.

What is learnt, from the 14 whole local days before today (Asia/Shanghai):

* the **usual first activity** of the day: minutes after local midnight, the 90th percentile
  (nearest rank) of each day's first activity over the days that had one;
* the **usual longest quiet gap per hour of day**: for each day and each hour, the longest gap
  between two consecutive activities that *started* in that hour; per hour, the 90th percentile
  (nearest rank) of those daily maxima over the days that had a gap starting in that hour.
  ``overall`` is the largest of the 24, used for an hour with no data.

The 90th percentile of 14 days is the second-largest value: one unusual day does not set the
baseline. How it alerts:

* **gap rule**: the current quiet gap (since the last activity) exceeds the usual gap of the hour in
  which it started — floored at :data:`MIN_USUAL_GAP_MINUTES` — by ``margin_percent``;
* **late first activity**: nothing yet today and the local time is past the usual first activity
  plus ``margin_percent`` of it (07:00 with 50 % → 10:30);
* **fixed rule** until 14 days of monitoring exist (or when the history has no gap at all): the
  quiet gap exceeds ``fallback_hours``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
HISTORY_DAYS = 14
PERCENTILE = 90
MIN_USUAL_GAP_MINUTES = 60
LAST_MINUTE_OF_DAY = 24 * 60 - 1


@dataclass(frozen=True)
class Baseline:
    """A person's usual day: first activity (minutes after local midnight) and, per local hour, the
    usual longest quiet gap starting in it (minutes; ``None``: no data for that hour)."""

    usual_first_minute: int | None
    usual_gap_minutes: tuple[int | None, ...]
    overall_gap_minutes: int | None


@dataclass(frozen=True)
class Assessment:
    """The verdict at ``now``: whether to alert, by which rule (``baseline_gap``,
    ``late_first_activity``, ``fixed`` or ``none``), the current quiet gap and the gap threshold
    in minutes, today's first-activity deadline (minute of the local day) when the baseline has
    one, and the baseline (``None`` under the fixed rule)."""

    alert: bool
    rule: str
    quiet_minutes: int
    threshold_minutes: int
    first_activity_deadline: int | None
    baseline: Baseline | None


def nearest_rank(values: Sequence[int], percentile: int = PERCENTILE) -> int | None:
    """The ``percentile``-th percentile of ``values`` by the nearest-rank method (``None`` if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile * len(ordered) / 100))
    return ordered[rank - 1]


def local_midnight(moment: datetime) -> datetime:
    """The start of ``moment``'s local day, as an aware datetime."""
    local = moment.astimezone(LOCAL)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def learn(activities: Iterable[datetime], today_start: datetime) -> Baseline:
    """The baseline from the activities in the :data:`HISTORY_DAYS` local days before
    ``today_start`` (a local midnight)."""
    window_start = today_start - timedelta(days=HISTORY_DAYS)
    acts = sorted(a.astimezone(LOCAL) for a in activities if window_start <= a < today_start)
    first_by_day: dict[object, int] = {}
    gap_by_day_hour: dict[tuple[object, int], int] = {}
    for i, a in enumerate(acts):
        day = a.date()
        first_by_day.setdefault(day, a.hour * 60 + a.minute)
        if i + 1 < len(acts):
            gap = _minutes(acts[i + 1] - a)
            key = (day, a.hour)
            gap_by_day_hour[key] = max(gap, gap_by_day_hour.get(key, 0))
    per_hour: list[int | None] = []
    for hour in range(24):
        per_hour.append(nearest_rank([g for (_, h), g in gap_by_day_hour.items() if h == hour]))
    known = [g for g in per_hour if g is not None]
    return Baseline(
        usual_first_minute=nearest_rank(list(first_by_day.values())),
        usual_gap_minutes=tuple(per_hour),
        overall_gap_minutes=max(known) if known else None,
    )


def assess(
    activities: Iterable[datetime],
    *,
    now: datetime,
    monitoring_since: datetime,
    margin_percent: int = 50,
    fallback_hours: int = 12,
) -> Assessment:
    """Whether the person's current quiet gap calls for a no-activity alert at ``now``.

    ``monitoring_since`` is when data collection began (consent and enrolment): before it there
    is no data, and the quiet gap counts from it when nothing has arrived since."""
    acts = [a for a in activities if a <= now]
    last = max(acts) if acts else None
    quiet_since = max(last, monitoring_since) if last is not None else monitoring_since
    quiet = max(0, _minutes(now - quiet_since))
    fixed = fallback_hours * 60

    def fixed_rule() -> Assessment:
        return Assessment(
            quiet > fixed, "fixed" if quiet > fixed else "none", quiet, fixed, None, None
        )

    if now - monitoring_since < timedelta(days=HISTORY_DAYS):
        return fixed_rule()
    today_start = local_midnight(now)
    baseline = learn(acts, today_start)
    hour = quiet_since.astimezone(LOCAL).hour
    usual = baseline.usual_gap_minutes[hour]
    if usual is None:
        usual = baseline.overall_gap_minutes
    if usual is None:
        return fixed_rule()
    threshold = max(usual, MIN_USUAL_GAP_MINUTES) * (100 + margin_percent) // 100
    deadline = None
    if baseline.usual_first_minute is not None:
        deadline = min(
            baseline.usual_first_minute * (100 + margin_percent) // 100, LAST_MINUTE_OF_DAY
        )
    if quiet > threshold:
        return Assessment(True, "baseline_gap", quiet, threshold, deadline, baseline)
    local_now = now.astimezone(LOCAL)
    active_today = last is not None and last >= today_start
    if (
        deadline is not None
        and not active_today
        and local_now.hour * 60 + local_now.minute > deadline
    ):
        return Assessment(True, "late_first_activity", quiet, threshold, deadline, baseline)
    return Assessment(False, "none", quiet, threshold, deadline, baseline)
