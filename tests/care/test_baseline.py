"""The no-activity baseline (plugins/care/baseline.py) against an independent reference.

The reference below shares no code with the module: it walks the 14 days minute by minute
(quiet runs are measured by counting minutes, not by subtracting timestamps), computes the
percentile by counting ("the smallest value with at least 90 % of the values at or below it")
and applies the rules as the docstring of the module states them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.care import baseline

CST = timezone(timedelta(hours=8))  # Asia/Shanghai has had no DST since 1991


# -- the reference -------------------------------------------------------------------------------


def ref_percentile(values: list[int]) -> int | None:
    for candidate in sorted(set(values)):
        if 10 * sum(1 for v in values if v <= candidate) >= 9 * len(values):
            return candidate
    return None


def ref_minute_index(moment: datetime, origin: datetime) -> int:
    """Whole minutes from ``origin`` (inputs are on whole minutes)."""
    return round((moment - origin).total_seconds()) // 60


def ref_learn(acts: list[datetime], today_start: datetime) -> tuple[int | None, list[int | None]]:
    origin = today_start - timedelta(days=14)
    marks = sorted({ref_minute_index(a, origin) for a in acts if origin <= a < today_start} | set())
    # multiplicity does not matter for gaps of zero length, but it does for "consecutive": two
    # activities in the same minute make a 0-minute gap starting in that hour
    counts: dict[int, int] = {}
    for a in acts:
        if origin <= a < today_start:
            k = ref_minute_index(a, origin)
            counts[k] = counts.get(k, 0) + 1
    firsts = []
    for day in range(14):
        day_marks = [k for k in marks if day * 1440 <= k < (day + 1) * 1440]
        if day_marks:
            firsts.append(day_marks[0] - day * 1440)
    per_day_hour: dict[tuple[int, int], int] = {}
    for i, k in enumerate(marks):
        day, hour = k // 1440, (k % 1440) // 60
        if counts[k] > 1:
            per_day_hour[(day, hour)] = max(per_day_hour.get((day, hour), 0), 0)
        if i + 1 < len(marks):
            quiet = 0
            minute = k
            while minute < marks[i + 1]:
                quiet += 1
                minute += 1
            per_day_hour[(day, hour)] = max(per_day_hour.get((day, hour), 0), quiet)
    usual = []
    for hour in range(24):
        usual.append(ref_percentile([g for (d, h), g in per_day_hour.items() if h == hour]))
    return ref_percentile(firsts), usual


def ref_largest_quiet_allowed(usual: int, margin: int) -> int:
    """The longest quiet (minutes) that does not alert: the largest q with 100·q ≤ max(usual, 60)·(100+margin)."""
    limit = max(usual, 60) * (100 + margin)
    q = 0
    while (q + 1) * 100 <= limit:
        q += 1
    return q


def ref_alert(
    acts: list[datetime], now: datetime, since: datetime, margin: int, fallback_hours: int
) -> tuple[bool, str, int]:
    past = [a for a in acts if a <= now]
    start = max(past + [since])
    quiet = ref_minute_index(now, start)
    fixed = fallback_hours * 60
    if now - since < timedelta(days=14):
        return (quiet > fixed, "fixed" if quiet > fixed else "none", fixed)
    local_now = now.astimezone(CST)
    today_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    first, usual = ref_learn(past, today_start)
    gap = usual[start.astimezone(CST).hour]
    if gap is None:
        known = [g for g in usual if g is not None]
        gap = max(known) if known else None
    if gap is None:
        return (quiet > fixed, "fixed" if quiet > fixed else "none", fixed)
    allowed = ref_largest_quiet_allowed(gap, margin)
    if quiet > allowed:
        return True, "baseline_gap", allowed
    if first is not None and not any(a >= today_start for a in past):
        if (local_now.hour * 60 + local_now.minute) * 100 > first * (100 + margin):
            return True, "late_first_activity", allowed
    return False, "none", allowed


# -- strategies ----------------------------------------------------------------------------------

NOW_BASE = datetime(2026, 12, 7, 0, 0, tzinfo=CST)


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    now = NOW_BASE + timedelta(minutes=draw(st.integers(0, 1439)))
    history_days = draw(st.integers(0, 20))
    since = now - timedelta(days=history_days, minutes=draw(st.integers(0, 600)))
    # a daily routine with noise, or scattered activity
    acts: list[datetime] = []
    wake = draw(st.integers(5 * 60, 9 * 60))
    sleep = draw(st.integers(20 * 60, 23 * 60 + 30))
    per_day = draw(st.integers(0, 8))
    for day in range(-history_days - 1, 1):
        day_start = NOW_BASE + timedelta(days=day)
        if draw(st.booleans()) and per_day:
            minutes = sorted(draw(st.lists(st.integers(wake, sleep), min_size=1, max_size=per_day)))
            acts.extend(day_start + timedelta(minutes=m) for m in minutes)
    acts.extend(
        since + timedelta(minutes=m)
        for m in draw(st.lists(st.integers(0, history_days * 1440 + 600), max_size=6))
    )
    acts = [a for a in acts if since <= a]
    margin = draw(st.integers(0, 200))
    fallback = draw(st.integers(1, 24))
    return acts, now, since, margin, fallback


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_module_agrees_with_the_reference(case) -> None:  # type: ignore[no-untyped-def]
    acts, now, since, margin, fallback = case
    got = baseline.assess(
        acts, now=now, monitoring_since=since, margin_percent=margin, fallback_hours=fallback
    )
    assert (got.alert, got.rule, got.threshold_minutes) == ref_alert(
        acts, now, since, margin, fallback
    )


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.sampled_from([-1, 0, 1]))
def test_the_verdict_flips_exactly_at_the_threshold(case, offset) -> None:  # type: ignore[no-untyped-def]
    acts, now, since, margin, fallback = case
    acts = [a for a in acts if a <= now]
    last = max(acts + [since])
    _, _, allowed = ref_alert(acts, now, since, margin, fallback)
    at = last + timedelta(minutes=allowed + offset)
    if at.astimezone(CST).date() != now.astimezone(CST).date() or at < now:
        return  # keep "today" and the learnt days unchanged
    got = baseline.assess(
        acts, now=at, monitoring_since=since, margin_percent=margin, fallback_hours=fallback
    )
    assert (got.alert, got.rule, got.threshold_minutes) == ref_alert(
        acts, at, since, margin, fallback
    )


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_learnt_baseline_agrees_with_the_reference(case) -> None:  # type: ignore[no-untyped-def]
    acts, now, _, _, _ = case
    today_start = now.astimezone(CST).replace(hour=0, minute=0)
    learnt = baseline.learn([a for a in acts if a <= now], today_start)
    first, usual = ref_learn([a for a in acts if a <= now], today_start)
    assert learnt.usual_first_minute == first
    assert list(learnt.usual_gap_minutes) == usual


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.integers(1, 600))
def test_more_quiet_never_turns_an_alert_off_under_the_fixed_rule(case, extra) -> None:  # type: ignore[no-untyped-def]
    acts, now, since, margin, fallback = case
    since = now - timedelta(days=3)
    acts = [a for a in acts if since <= a <= now]
    before = baseline.assess(
        acts, now=now, monitoring_since=since, margin_percent=margin, fallback_hours=fallback
    )
    later = baseline.assess(
        acts,
        now=now + timedelta(minutes=extra),
        monitoring_since=since,
        margin_percent=margin,
        fallback_hours=fallback,
    )
    assert later.quiet_minutes >= before.quiet_minutes
    assert not before.alert or later.alert


# -- worked examples -----------------------------------------------------------------------------


def _routine(
    days: int, *, wake: int = 7 * 60, every: int = 90, bed: int = 21 * 60 + 30
) -> list[datetime]:
    """Up at ``wake``, active every ``every`` minutes until ``bed``, for ``days`` days before NOW_BASE."""
    out = []
    for d in range(days, 0, -1):
        start = NOW_BASE - timedelta(days=d)
        m = wake
        while m <= bed:
            out.append(start + timedelta(minutes=m))
            m += every
        out.append(start + timedelta(minutes=bed))
    return out


def test_before_14_days_the_fixed_rule_applies() -> None:
    since = NOW_BASE - timedelta(days=5)
    acts = [NOW_BASE - timedelta(hours=13)]
    got = baseline.assess(acts, now=NOW_BASE, monitoring_since=since, fallback_hours=12)
    assert (got.alert, got.rule, got.quiet_minutes, got.threshold_minutes, got.baseline) == (
        True,
        "fixed",
        780,
        720,
        None,
    )
    got = baseline.assess(
        acts, now=NOW_BASE - timedelta(hours=2), monitoring_since=since, fallback_hours=12
    )
    assert not got.alert


def test_a_learnt_routine_alerts_on_a_long_daytime_silence_and_not_on_the_night() -> None:
    acts = _routine(14)
    since = NOW_BASE - timedelta(days=15)
    # the night: last activity 21:30, usual gap from the 21h hour is 9.5 h (21:30 → 07:00)
    night = baseline.assess(acts, now=NOW_BASE + timedelta(hours=6), monitoring_since=since)
    assert night.baseline is not None and night.baseline.usual_gap_minutes[21] == 570
    assert not night.alert
    # the day: up at 07:00, then silent; the usual gap from the 7h hour is 90 minutes → 135 with 50 %
    day = acts + [NOW_BASE + timedelta(hours=7)]
    assert not baseline.assess(
        day, now=NOW_BASE + timedelta(hours=7, minutes=135), monitoring_since=since
    ).alert
    late = baseline.assess(
        day, now=NOW_BASE + timedelta(hours=7, minutes=136), monitoring_since=since
    )
    assert (late.alert, late.rule, late.threshold_minutes) == (True, "baseline_gap", 135)


def test_no_first_activity_by_the_usual_time_plus_margin_alerts() -> None:
    acts = _routine(14, wake=6 * 60, bed=20 * 60)
    since = NOW_BASE - timedelta(days=20)
    # usual first activity 06:00 → deadline 09:00 with 50 %; the night gap (20:00 → 06:00, 600 min) is not exceeded yet
    assert not baseline.assess(
        acts, now=NOW_BASE + timedelta(hours=9), monitoring_since=since
    ).alert
    late = baseline.assess(
        acts, now=NOW_BASE + timedelta(hours=9, minutes=1), monitoring_since=since
    )
    assert (late.alert, late.rule, late.first_activity_deadline) == (
        True,
        "late_first_activity",
        540,
    )


def test_one_unusual_day_does_not_set_the_baseline() -> None:
    acts = _routine(14)
    # one day with a 5-hour afternoon nap after 13:00 activity
    nap_day = NOW_BASE - timedelta(days=3)
    acts = [
        a for a in acts if not (nap_day + timedelta(hours=13) < a < nap_day + timedelta(hours=18))
    ]
    learnt = baseline.learn(acts, NOW_BASE)
    assert learnt.usual_gap_minutes[13] == 90  # the 90th percentile of 14 days ignores the largest


def test_nearest_rank() -> None:
    assert baseline.nearest_rank([]) is None
    assert baseline.nearest_rank([5]) == 5
    assert baseline.nearest_rank(list(range(1, 15))) == 13
    assert baseline.nearest_rank([3, 1, 2], 50) == 2


def test_times_in_utc_are_read_in_local_time() -> None:
    acts = [a.astimezone(UTC) for a in _routine(14)]
    learnt = baseline.learn(acts, NOW_BASE)
    assert learnt.usual_first_minute == 7 * 60
