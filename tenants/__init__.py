"""Tenants: lifecycle of property-management firms and the estate they run.

Public API for plugins: ``tenants.estate.models`` (Community, Compound, Building, Unit, Person,
Ownership, Residency), ``tenants.estate.service`` and ``tenants.estate.voting`` (Art. 278 counts).
May import ``kernel`` only.
"""
