"""Parking and charging arithmetic: pure functions on integers (seconds, fen, Wh). No I/O.

**Parking fee of a temporary car** (临停收费), given the lot's :class:`Tariff`:

1. A stay of at most ``free_minutes`` costs nothing (免费时长). A longer stay is charged in full:
   the free minutes are a grace period, not a deduction (the common practice at Chinese gates).
2. The stay is cut into 24-hour *days* counted from the entry (not calendar days). Each day is
   cut into *started hours* counted from the day's start: a started hour costs the day rate
   ``hourly_fen``, or the night rate ``night_hourly_fen`` when the hour *starts* inside the
   night window (local time, Asia/Shanghai, ``night_start``–``night_end`` minutes after
   midnight; the window may wrap midnight, e.g. 22:00–07:00). The last hour of the stay is
   started, so it is charged in full.
3. A day costs at most ``daily_cap_fen`` (封顶; 0 = no cap). The fee is the sum of the days.

**Charging fee** (充电费): energy in Wh × (electricity price + service fee) per kWh, each part
rounded half up to the fen separately (the receipt shows both).

All amounts are integer fen; no floats anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: Asia/Shanghai has no daylight saving: local time is UTC + 8 h all year.
LOCAL_OFFSET_SECONDS = 8 * 3600
HOUR = 3600
DAY = 24 * HOUR
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Tariff:
    """A lot's tariff for temporary cars; amounts in fen, times in minutes."""

    free_minutes: int = 15
    hourly_fen: int = 500
    night_hourly_fen: int = 100
    #: Night window in local minutes after midnight; equal bounds = no night rate.
    night_start: int = 22 * 60
    night_end: int = 7 * 60
    #: Most a 24-hour day of a stay costs; 0 = no cap.
    daily_cap_fen: int = 4000

    def problems(self) -> list[str]:
        """What is wrong with this tariff (empty when it is usable)."""
        out = []
        if not 0 <= self.free_minutes <= 24 * 60:
            out.append("free minutes are 0–1440")
        for name in ("hourly_fen", "night_hourly_fen", "daily_cap_fen"):
            if not 0 <= getattr(self, name) <= 10_000_000:
                out.append(f"{name} is 0–10,000,000 fen")
        for name in ("night_start", "night_end"):
            if not 0 <= getattr(self, name) < MINUTES_PER_DAY:
                out.append(f"{name} is a minute of the day, 0–1439")
        return out


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch of an aware datetime (sub-second parts are dropped)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return int(moment.timestamp())


def is_night(tariff: Tariff, instant: int) -> bool:
    """Whether the epoch second ``instant`` falls in the tariff's night window (local time)."""
    if tariff.night_start == tariff.night_end:
        return False
    minute = ((instant + LOCAL_OFFSET_SECONDS) // 60) % MINUTES_PER_DAY
    if tariff.night_start < tariff.night_end:
        return tariff.night_start <= minute < tariff.night_end
    return minute >= tariff.night_start or minute < tariff.night_end


def day_fee(tariff: Tariff, start: int, seconds: int) -> int:
    """Fee of one (partial) day of a stay: ``seconds`` (1..86400) from epoch second ``start``."""
    hours = -(-seconds // HOUR)  # started hours
    fee = 0
    for h in range(hours):
        fee += tariff.night_hourly_fen if is_night(tariff, start + h * HOUR) else tariff.hourly_fen
    if tariff.daily_cap_fen:
        fee = min(fee, tariff.daily_cap_fen)
    return fee


def parking_fee(tariff: Tariff, entered: int, left: int) -> int:
    """Fee in fen of a stay from epoch second ``entered`` to ``left`` (see the module doc).
    A stay that ends before it starts (clock skew between lanes) is treated as zero length."""
    duration = left - entered
    if duration <= tariff.free_minutes * 60:
        return 0
    fee = 0
    day_start = entered
    while day_start < left:
        fee += day_fee(tariff, day_start, min(DAY, left - day_start))
        day_start += DAY
    return fee


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def charging_fee(
    energy_wh: int, price_per_kwh_fen: int, service_per_kwh_fen: int
) -> tuple[int, int]:
    """(electricity fen, service fen) for ``energy_wh`` watt-hours, each rounded half up."""
    energy_wh = max(0, energy_wh)
    return (
        round_half_up(energy_wh * price_per_kwh_fen, 1000),
        round_half_up(energy_wh * service_per_kwh_fen, 1000),
    )
