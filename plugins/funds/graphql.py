"""GraphQL for the maintenance fund and public revenue, as the plugin hands it to the schema composer:
:mod:`~plugins.funds.types` (scalar, enums, types, inputs, audience rules), :mod:`~plugins.funds.queries`,
:mod:`~plugins.funds.mutations`; the writes are in :mod:`~plugins.funds.service`.

Permissions (declared in :mod:`plugins.funds`):

* ``funds:manage`` — record deposits, interest and revenue, allocate, request/execute disbursements,
  transfer sub-ledgers (property firm staff acting as the fund's treasurer);
* ``funds:emergency`` — emergency use by the owners' committee, with a mandatory disclosure;
* ``funds:read`` — every statement of the tenant (staff, committee, auditors);
* ``funds:read_own`` — owners: their own units' statements and their community's disclosure pages (公示);
* ``funds:reconcile`` — run the reconciliation against the chain on demand.

Which community or unit an owner may read is an audience rule (the caller's units), not a permission; a
caller outside the audience gets ``null`` / an empty list, exactly like an id of another tenant.
"""

from __future__ import annotations

from plugins.funds.mutations import FundsMutation
from plugins.funds.queries import FundsQuery
from plugins.funds.types import SCALARS, TYPES, Fen

__all__ = ["SCALARS", "TYPES", "Fen", "FundsMutation", "FundsQuery"]
