"""Regulator (street office) reads across tenants, for any plugin — built-in or third-party.

A field guarded by :class:`~kernel.sdk.graphql.IsRegulator` calls :func:`read_across_tenants`
with a ``read(session, tenant)`` callable: it runs in each active tenant (that enabled
``plugin``, when given) through an ordinary tenant-scoped session, must restrict itself to the
regulator's streets (``await regulator_streets(runtime, actor.regulator_street)``: one street,
or every street of a district) and return aggregates, and is written to each tenant's audit log.
:func:`act_in_tenant` runs the regulator's one kind of write (answering a filing) in one tenant,
audited; ``None`` from the callable answers NOT_FOUND.

KPIs: a plugin returns :class:`RegulatorKpi` definitions from the ``register_regulator_kpis``
hook; each ``collect(session, community_ids, since, until)`` returns raw :class:`KpiSample` rows
that the kernel aggregates, de-identifies (groups under :data:`MIN_GROUP` persons suppressed)
and serves as ``regulatorKpis`` (docs/regulator.md). A KPI may give ``query(community_ids, since,
until)`` instead (or as well): a SELECT of the same five columns, which the kernel aggregates in
SQL per community and bucket, counting distinct persons exactly per community, firm and street
(:func:`seconds_between` helps express durations on every database).
"""

from __future__ import annotations

from kernel.regulator import act_in_tenant, read_across_tenants, regulator_streets
from kernel.supervision.kpis import (
    MEAN,
    MEDIAN,
    MIN_GROUP,
    RATIO,
    KpiSample,
    RegulatorKpi,
    seconds_between,
)

__all__ = [
    "MEAN",
    "MEDIAN",
    "MIN_GROUP",
    "RATIO",
    "KpiSample",
    "RegulatorKpi",
    "act_in_tenant",
    "read_across_tenants",
    "regulator_streets",
    "seconds_between",
]
