"""Hooks the fees plugin declares for other plugins (added through ``register_hookspecs``).

A plugin that charges for something of its own (parcel storage, a rented room, a key card)
implements :func:`fees_billing_lines` with ``@hookimpl(optionalhook=True)`` — optional so that it
still loads where fees is not installed — and the firm prices the charge by defining a fee item
with the code the plugin documents. The fees plugin keeps the price, the bill and the payment.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from kernel.sdk import hookspec


@hookspec
def fees_billing_lines(
    session: Any, tenant_id: uuid.UUID, period: str, community_id: uuid.UUID | None
) -> Sequence[Mapping[str, Any]] | Awaitable[Sequence[Mapping[str, Any]]] | None:
    """Contribute quantities to a billing run.

    Called by ``run_billing`` (GraphQL ``runBilling``, ``linli fees bill``) inside the run's
    transaction, before bills are written. Answer only for a tenant that enabled your plugin.

    :param session: the billing run's session, scoped to the tenant.
    :param tenant_id: the tenant billed.
    :param period: the period billed, ``YYYY-MM``.
    :param community_id: the one community billed, or None for all of them.
    :return: lines ``{"unit_id": UUID, "item_code": str, "quantity": int}``. A line is billed at
        the active fee item of that code (``unit_price × quantity``, fen); a code with no active
        item is not charged. Lines of one unit and code are added up into one bill.

    .. versionadded:: 0.2
    """
