"""Duty roster and alert escalation: alerts that someone must acknowledge.

``open_escalation(session, tenant_id=…, source="safety", subject_id=str(alarm.id), community_id=…,
severity="critical", template="safety.alarm", data={…})`` tells level 1 — the on-duty first
responders (:func:`on_duty`) and ``contacts[0]`` — at once, urgently. Unless someone calls
:func:`acknowledge` within the severity's time (tenant-configurable; kernel default 2 min
critical, 10 min major, 30 min minor), the kernel's job escalates it: level 2's on-duty people
and ``contacts[1]`` are told, and so on; a critical one past level 1 becomes a regulator alert
the street office sees. :func:`mark_arrived` and :func:`resolve` record the rest; the owning
plugin hears of each step through the events ``escalation.escalated``,
``escalation.acknowledged`` and ``escalation.resolved`` (payload ``source``, ``subject_id``,
``level``, ``severity``, times…). :func:`acknowledgement_samples` gives the acknowledgement times
as :class:`~kernel.sdk.regulator.KpiSample` rows for a plugin's regulator KPI. See
docs/plugins/escalation.md.
"""

from __future__ import annotations

from kernel.notifications.duty import on_duty
from kernel.notifications.escalation import (
    ACKNOWLEDGED,
    DEFAULT_ACK_WITHIN,
    ESCALATED,
    RESOLVED,
    SEVERITIES,
    Escalation,
    EscalationStats,
    ack_within_for,
    acknowledge,
    escalate_due,
    escalation_stats,
    get_escalation,
    mark_arrived,
    open_escalation,
    resolve,
)
from kernel.supervision.samples import acknowledgement_samples

__all__ = [
    "ACKNOWLEDGED",
    "DEFAULT_ACK_WITHIN",
    "ESCALATED",
    "RESOLVED",
    "SEVERITIES",
    "Escalation",
    "EscalationStats",
    "ack_within_for",
    "acknowledge",
    "acknowledgement_samples",
    "escalate_due",
    "escalation_stats",
    "get_escalation",
    "mark_arrived",
    "on_duty",
    "open_escalation",
    "resolve",
]
