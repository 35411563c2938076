"""Regulator (street office) reads across tenants, for any plugin — built-in or third-party.

A field guarded by :class:`~kernel.sdk.graphql.IsRegulator` calls :func:`read_across_tenants`
with a ``read(session, tenant)`` callable: it runs in each active tenant (that enabled
``plugin``, when given) through an ordinary tenant-scoped session, must restrict itself to the
regulator's street code and return aggregates, and is written to each tenant's audit log.
"""

from __future__ import annotations

from kernel.regulator import read_across_tenants

__all__ = ["read_across_tenants"]
