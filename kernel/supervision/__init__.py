"""Street-office supervision (街道监管): jurisdictions, KPIs contributed by plugins, the filings inbox.

* :mod:`.models`, :mod:`.jurisdictions` — a street (街道) spans communities of many firms; a
  district (区) sits above streets. A regulator account's code names either; a district account
  sees the roll-up of its streets.
* :mod:`.kpis` — plugins contribute KPIs (``register_regulator_kpis``) as raw, per-community
  samples read inside each firm's ordinary tenant session; the kernel aggregates them per
  community, per firm and per jurisdiction, as a figure and a time series, suppressing any group
  drawn from fewer than :data:`~.kpis.MIN_GROUP` persons. The kernel names no scenario.
* :mod:`.graphql` — ``regulatorKpis`` and ``myJurisdiction``.
"""
