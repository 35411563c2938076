"""Device profiles: what a kind of device sends (telemetry keys with units and valid ranges), the
alarm rules evaluated on it, and the commands it takes.

Profiles are contributed by plugins through the ``register_device_profiles`` hook and collected
into a :class:`ProfileCatalog` at start-up. A profile's ``type`` is its stable key (stored on
each device); two plugins contributing the same type stop start-up with an error naming both.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

ValueKind = Literal["number", "integer", "boolean", "string"]
Severity = Literal["critical", "major", "minor", "warning", "info"]
Operator = Literal[">", ">=", "<", "<=", "==", "!="]

_FLOAT_MAX = sys.float_info.max
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "warning", "info")
_OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True)
class TelemetryKey:
    """One telemetry key: its value kind, unit and the valid range (inclusive) of its values.

    A value outside ``[minimum, maximum]`` is refused as bad input — it is a broken sensor or a
    forged message, not a reading; alarm thresholds lie inside the valid range.
    """

    key: str
    kind: ValueKind = "number"
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    max_length: int = 256

    def check(self, value: Any) -> str | None:
        """None if ``value`` is valid for this key, else the reason it is not."""
        if self.kind == "boolean":
            return None if isinstance(value, bool) else f"{self.key} must be true or false"
        if self.kind == "string":
            if not isinstance(value, str):
                return f"{self.key} must be a string"
            return None if len(value) <= self.max_length else f"{self.key} is longer than {self.max_length} characters"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{self.key} must be a number"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{self.key} must be a finite number"
        if self.kind == "integer" and not (isinstance(value, int) or float(value).is_integer()):
            return f"{self.key} must be an integer"
        if self.minimum is not None and value < self.minimum:
            return f"{self.key}={value} is below the valid minimum {self.minimum}{self.unit}"
        if self.maximum is not None and value > self.maximum:
            return f"{self.key}={value} is above the valid maximum {self.maximum}{self.unit}"
        return None


@dataclass(frozen=True)
class AlarmRule:
    """An alarm the platform raises from telemetry.

    * ``kind="threshold"``: raised when ``key <op> value`` has held for ``duration_seconds``
      (0 = at once); cleared when the condition no longer holds (``auto_clear``).
    * ``kind="missing"``: raised when ``key`` (or, with ``key=None``, any telemetry) has not
      arrived for ``duration_seconds``; cleared when it arrives again.

    ``work_order_category`` is the work-order category (a ``kernel.sdk.vocabulary.
    FacilityCategory`` value: ``"fire"``, ``"electrical"``…) an alarm of this rule is filed under;
    ``device.alarm_raised`` carries it, and the workorders plugin reads it (None: ``"other"``).
    """

    name: str
    kind: Literal["threshold", "missing"]
    severity: Severity
    key: str | None = None
    op: Operator = ">"
    value: float | bool | str | None = None
    duration_seconds: int = 0
    auto_clear: bool = True
    description: str = ""
    work_order_category: str | None = None

    def holds(self, observed: Any) -> bool:
        """Whether a threshold rule's condition holds for an observed value."""
        if self.kind != "threshold" or observed is None:
            return False
        try:
            return bool(_OPS[self.op](observed, self.value))
        except TypeError:
            return False


@dataclass(frozen=True)
class CommandParam:
    name: str
    kind: ValueKind = "string"
    required: bool = True


@dataclass(frozen=True)
class DeviceCommand:
    """A command (RPC method) the device accepts, e.g. ``open`` on a barrier gate."""

    method: str
    description: str = ""
    params: tuple[CommandParam, ...] = ()
    timeout_seconds: int = 10


@dataclass(frozen=True)
class DeviceProfile:
    """A kind of device: its telemetry schema, alarm rules and commands."""

    type: str
    name: str
    telemetry: tuple[TelemetryKey, ...] = ()
    alarms: tuple[AlarmRule, ...] = ()
    commands: tuple[DeviceCommand, ...] = ()
    #: Seconds without any message after which the device counts as offline.
    inactivity_timeout_seconds: int = 600
    #: Accept telemetry keys the profile does not declare (stored, never validated).
    allow_undeclared_keys: bool = False
    #: Keys that report discrete happenings (a parcel deposited, a card read) rather than
    #: measurements: a message carrying one of them is also published as a
    #: ``device.telemetry_event`` domain event (with every value of that timestamp), so a plugin
    #: handles it through ``register_event_handlers``. Keep them rare: each is an outbox row.
    event_keys: tuple[str, ...] = ()
    description: str = ""
    keys: dict[str, TelemetryKey] = field(init=False, repr=False, compare=False)
    #: ``key → (minimum, maximum)`` of the plain ``number`` keys: ingestion's fast path.
    number_bounds: dict[str, tuple[float, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", {k.key: k for k in self.telemetry})
        object.__setattr__(
            self,
            "number_bounds",
            {
                # finite bounds even when the key has none, so that an infinity takes the full check
                k.key: (-_FLOAT_MAX if k.minimum is None else k.minimum, _FLOAT_MAX if k.maximum is None else k.maximum)
                for k in self.telemetry
                if k.kind == "number"
            },
        )
        for rule in self.alarms:
            if rule.severity not in SEVERITIES:
                raise ValueError(f"profile {self.type!r}: alarm {rule.name!r} has unknown severity {rule.severity!r}")
            if rule.kind == "threshold" and (rule.key not in self.keys or rule.op not in _OPS):
                raise ValueError(f"profile {self.type!r}: alarm {rule.name!r} needs a declared key and an operator")
        categories = {r.work_order_category for r in self.alarms} - {None}
        if categories:
            from kernel.sdk.vocabulary import FacilityCategory, values

            wrong = sorted(str(c) for c in categories if c not in values(FacilityCategory))
            if wrong:
                raise ValueError(
                    f"profile {self.type!r}: work-order categories {wrong} are not FacilityCategory values"
                )
        unknown = [k for k in self.event_keys if k not in self.keys]
        if unknown:
            raise ValueError(f"profile {self.type!r}: event keys {unknown} are not declared telemetry keys")
        names = [r.name for r in self.alarms]
        if len(names) != len(set(names)):
            raise ValueError(f"profile {self.type!r}: alarm rule names must be unique")

    def command(self, method: str) -> DeviceCommand | None:
        return next((c for c in self.commands if c.method == method), None)


class ProfileConflict(RuntimeError):
    """Two plugins contribute a profile of the same type."""


class ProfileCatalog:
    """Every profile contributed through ``register_device_profiles``, by type."""

    def __init__(self, profiles: dict[str, tuple[str, DeviceProfile]] | None = None) -> None:
        self._by_type: dict[str, tuple[str, DeviceProfile]] = dict(profiles or {})

    @classmethod
    def from_host(cls, host: Any) -> ProfileCatalog:
        catalog = cls()
        for plugin, profiles in host.device_profiles():
            for profile in profiles:
                catalog.add(plugin, profile)
        return catalog

    def add(self, plugin: str, profile: DeviceProfile) -> None:
        if not isinstance(profile, DeviceProfile):
            raise ProfileConflict(f"plugin {plugin!r}: register_device_profiles must return DeviceProfile objects")
        if profile.type in self._by_type:
            other = self._by_type[profile.type][0]
            raise ProfileConflict(f"device profile {profile.type!r} is contributed by both {other!r} and {plugin!r}")
        self._by_type[profile.type] = (plugin, profile)

    def get(self, type_: str) -> DeviceProfile | None:
        found = self._by_type.get(type_)
        return found[1] if found else None

    def owner(self, type_: str) -> str | None:
        found = self._by_type.get(type_)
        return found[0] if found else None

    def all(self) -> list[DeviceProfile]:
        return [p for _, p in sorted(self._by_type.values(), key=lambda x: x[1].type)]

    def __contains__(self, type_: str) -> bool:
        return type_ in self._by_type


def catalog(runtime: Any) -> ProfileCatalog:
    """The runtime's catalog, built on first use and kept in ``runtime.services``."""
    found = runtime.services.get("device_profiles")
    if found is None:
        found = runtime.services["device_profiles"] = ProfileCatalog.from_host(runtime.host)
    return found  # type: ignore[no-any-return]
