"""GraphQL for fees, as the plugin hands it to the schema composer. Staff with ``fees:read`` see
every bill; owners (``fees:read_own``) see only the bills of units they own — the rule lives in
:class:`plugins.fees.repository.BillRepository`. Types in :mod:`~plugins.fees.types`, roots in
:mod:`~plugins.fees.queries` and :mod:`~plugins.fees.mutations`."""

from __future__ import annotations

from plugins.fees.mutations import FeeMutation
from plugins.fees.queries import FeeQuery, FeeSubscription
from plugins.fees.types import SCALARS, FeeAmount, FeeBill, FeeItem, FeeItemInput

__all__ = ["SCALARS", "FeeAmount", "FeeBill", "FeeItem", "FeeItemInput", "FeeMutation", "FeeQuery", "FeeSubscription"]
