"""GraphQL for safety alarms, as the plugin hands it to the schema composer.

The layers: :mod:`~plugins.safety.types`, :mod:`~plugins.safety.queries` (and the
subscription), :mod:`~plugins.safety.mutations`, :mod:`~plugins.safety.repository` (reads and
their access rules) and :mod:`~plugins.safety.service` (the writes).
"""

from __future__ import annotations

from plugins.safety.mutations import SafetyMutation
from plugins.safety.queries import SafetyQuery, SafetySubscription
from plugins.safety.types import SafetyAlarm, SafetyAlarmChange, SafetyAlarmStats, SafetyRule

__all__ = [
    "SafetyAlarm",
    "SafetyAlarmChange",
    "SafetyAlarmStats",
    "SafetyMutation",
    "SafetyQuery",
    "SafetyRule",
    "SafetySubscription",
]
